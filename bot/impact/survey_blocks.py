"""The impact survey: the private invitation, its one reminder, and the modal.

Each question is an input whose ``block_id`` is ``q:<question id>`` (stable across baseline and
end), so the service's field errors land under the right question.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blockkit import Block, actions, button, context, escape, plain, section
from bot.blockkit.forms import input_block, radio, text_input
from bot.content import Content
from bot.impact.surveys import SurveyTask

SURVEY_FORM = "impact_survey"
OPEN_SURVEY = "open_survey"  # value: "<programme id>:<survey kind>"


def invitation_message(
    content: Content, task: SurveyTask, *, min_group: int, reminder: bool = False
) -> tuple[str, list[Block]]:
    survey = content.survey(task.kind, task.role)
    opening = "*A gentle reminder* (the only one): " if reminder else ""
    body = f"{opening}*{survey.title}* ({escape(task.programme_name)})\n{survey.intro}"
    text = ("Reminder: " if reminder else "") + f"{survey.title}: a two-minute survey for {escape(task.programme_name)}"
    return text, [
        section(body),
        actions(button("Take the survey", OPEN_SURVEY, f"{task.programme_id}:{task.kind}", style="primary")),
        context(f"{content.promise('survey-answers', min_group=min_group)} {content.promise('this-message')}"),
    ]


def survey_modal(content: Content, task: SurveyTask, *, min_group: int) -> dict[str, Any]:
    survey = content.survey(task.kind, task.role)
    blocks: list[Block] = [section(survey.intro)]
    for question in survey.questions:
        options = [
            {"text": plain(f"{value}: {label}"[:75]), "value": str(value)} for value, label in question.scale.options()
        ]
        blocks.append(input_block(f"q:{question.id}", question.text, radio(options)))
    comment = survey.comment
    blocks.append(
        input_block(
            "comment",
            comment.label,
            text_input(multiline=True, max_length=2000, placeholder=comment.placeholder),
            optional=True,
        )
    )
    blocks.append(context(content.promise("survey-answers", min_group=min_group)))
    return {
        "type": "modal",
        "callback_id": SURVEY_FORM,
        "title": plain(survey.modal_title[:24]),
        "submit": plain("Send"),
        "close": plain("Later"),
        "private_metadata": json.dumps({"programme_id": task.programme_id, "kind": task.kind}),
        "blocks": blocks,
    }


def thanks_view(task: SurveyTask) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Thank you"),
        "close": plain("Done"),
        "blocks": [
            section(
                f"Thank you. Your answers for *{escape(task.programme_name)}* are saved. "
                "They help show what the programme changes, without ever singling you out."
            )
        ],
    }
