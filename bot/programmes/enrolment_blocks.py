"""Enrolment: the join form, the profile card, the confirmation and invitations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blockkit import Block, actions, button, context, divider, escape, header, mention, section, sections
from bot.blockkit.forms import (
    checkbox,
    input_block,
    modal,
    multi_select,
    option,
    radio,
    static_select,
    text_input,
    user_select,
    users_select,
)
from bot.content import Content
from bot.induction.blocks import INDUCTION_START
from bot.induction.service import Scope
from bot.models import Enrolment, Programme
from bot.programmes.enrolment import EnrolmentInput, do_not_pair_list

ENROLMENT_FORM = "enrolment_form"
ROLE_OPTIONS = [
    option("Mentor", "mentor", "The more junior colleague, sharing lived experience"),
    option("Mentee", "mentee", "The senior leader, here to listen and learn"),
]
ROLE_NAMES = {"mentor": "Mentor", "mentee": "Mentee"}
NO_THANKS = "decline_invitation"
NO_THANKS_LABEL = "No thanks"


def enrolment_modal(
    content: Content,
    programmes: Sequence[Programme],
    current: EnrolmentInput | None,
    *,
    slack_title: str = "",
    retention_days: int = 90,
) -> dict[str, Any]:
    """The join (or edit profile) form. With several open programmes the person picks one first."""
    data = current
    blocks: list[Block] = []
    if len(programmes) > 1 and data is None:
        choices = [option(p.name, str(p.id), (p.description or None)) for p in programmes[:100]]
        blocks.append(input_block("programme_id", "Programme", static_select(choices, placeholder="Choose one")))
    else:
        programme = programmes[0]
        description = f"\n{escape(programme.description)}" if programme.description else ""
        blocks += sections(f"*{escape(programme.name)}*{description}")
    topics = [option(label, topic_id) for topic_id, label in content.topic_options()]
    blocks += [
        input_block("role", "I am joining as", radio(ROLE_OPTIONS, data.role if data else None)),
        input_block("organisation", "Organisation", text_input(data.organisation if data else None)),
        input_block("department", "Department or function", text_input(data.department if data else None)),
        input_block("title", "Job title", text_input(data.title if data else slack_title), optional=True),
        input_block(
            "line_manager_id",
            "Line manager",
            user_select(data.line_manager_id if data else None),
            optional=True,
            hint=content.promise("line-manager"),
        ),
        input_block("pronouns", "Pronouns", text_input(data.pronouns if data else None, max_length=40), optional=True),
        input_block(
            "topics",
            "Perspectives I can share or want to learn about",
            multi_select(topics, data.topics if data else (), placeholder="Choose topics"),
            optional=True,
        ),
        input_block(
            "can_bring",
            "What I can bring",
            text_input(data.can_bring if data else None, multiline=True, max_length=2000),
            optional=True,
        ),
        input_block(
            "hope_to_get",
            "What I hope to get out of it",
            text_input(data.hope_to_get if data else None, multiline=True, max_length=2000),
            optional=True,
        ),
        input_block(
            "off_limits",
            "Topics that are off limits for me",
            text_input(data.off_limits if data else None, multiline=True, max_length=2000),
            optional=True,
            hint=content.promise("off-limits"),
        ),
        input_block(
            "inclusion_statement",
            "Mentees: the state of inclusion in my part of the business today",
            text_input(data.inclusion_statement if data else None, multiline=True, max_length=2000),
            optional=True,
            hint=content.promise("inclusion-statement"),
        ),
        input_block(
            "understanding_gap",
            "Mentees: the gap in understanding I hope to close",
            text_input(data.understanding_gap if data else None, multiline=True, max_length=2000),
            optional=True,
            hint=content.promise("understanding-gap"),
        ),
        input_block(
            "do_not_pair_with",
            "Please don't pair me with",
            users_select(data.do_not_pair_with if data else ()),
            optional=True,
            hint=content.promise("do-not-pair"),
        ),
        *working_hours_inputs(data),
        divider(),
        section(content.privacy_notice.as_mrkdwn(retention_days, content.setting("min_group_size"))),
        input_block(
            "privacy_confirmed",
            "Privacy notice",
            checkbox(content.privacy_notice.confirm_label, "yes", data.privacy_confirmed if data else False),
        ),
    ]
    programme_id = data.programme_id if data else (programmes[0].id if len(programmes) == 1 else None)
    title = "Your profile" if data else "Join a programme"
    return modal(
        ENROLMENT_FORM, title, blocks, submit="Save" if data else "Join", metadata={"programme_id": programme_id}
    )


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def working_hours_inputs(data: EnrolmentInput | None) -> list[Block]:
    """Time zone and working hours, used to offer session times inside both people's working day."""
    start = data.work_start if data and data.work_start else None
    end = data.work_end if data and data.work_end else None
    days = data.work_days if data and data.work_days is not None else [0, 1, 2, 3, 4]
    day_options = [option(name, str(index)) for index, name in enumerate(WEEKDAYS)]
    return [
        input_block(
            "tz",
            "My time zone",
            text_input(data.tz if data and data.tz else None, max_length=64, placeholder="e.g. Europe/London"),
            optional=True,
            hint="Leave empty to use the time zone from your Slack profile.",
        ),
        input_block(
            "work_start",
            "My working day starts",
            {"type": "timepicker", "initial_time": f"{start:%H:%M}" if start else "09:00"},
            optional=True,
        ),
        input_block(
            "work_end",
            "My working day ends",
            {"type": "timepicker", "initial_time": f"{end:%H:%M}" if end else "17:00"},
            optional=True,
        ),
        input_block(
            "work_days",
            "My working days",
            {
                "type": "checkboxes",
                "options": day_options,
                "initial_options": [day_options[d] for d in days],
            },
            optional=True,
            hint="Session times are offered only inside both your and your partner's working hours.",
        ),
    ]


def profile_blocks(content: Content, enrolment: Enrolment, programme: Programme) -> tuple[str, list[Block]]:
    """A person's own profile, shown only to them."""
    topics = ", ".join(escape(content.topic_label(topic)) for topic in enrolment.topics) or "none chosen"
    lines = [
        f"*Role:* {ROLE_NAMES[enrolment.role]}",
        f"*Organisation:* {escape(enrolment.organisation)}",
        f"*Department:* {escape(enrolment.department)}",
        f"*Title:* {escape(enrolment.title) or 'not given'}",
        f"*Pronouns:* {escape(enrolment.pronouns) or 'not given'}",
        f"*Topics:* {topics}",
        f"*Working hours:* {enrolment.work_start:%H:%M}–{enrolment.work_end:%H:%M}, "
        + (", ".join(WEEKDAYS[d][:3] for d in sorted(enrolment.work_days or [])) or "no days")
        + f" ({escape(enrolment.tz)})",
    ]
    if enrolment.can_bring:
        lines.append(f"*What I can bring:* {escape(enrolment.can_bring)}")
    if enrolment.hope_to_get:
        lines.append(f"*What I hope to get:* {escape(enrolment.hope_to_get)}")
    shared = [f"*Off limits:* {escape(enrolment.off_limits) or 'nothing listed'}"]
    if enrolment.role == "mentee":
        shared.append(f"*State of inclusion:* {escape(enrolment.inclusion_statement)}")
        shared.append(f"*Gap I hope to close:* {escape(enrolment.understanding_gap)}")
    own = [f"*Line manager:* {mention(enrolment.line_manager_id) if enrolment.line_manager_id else 'not given'}"]
    avoid = do_not_pair_list(enrolment)
    own.append("*Please don't pair me with:* " + (", ".join(mention(user) for user in avoid) or "nobody listed"))
    status = {"waiting": "waiting for a match", "matched": "matched", "left": "left"}[enrolment.status]
    blocks: list[Block] = [
        header(f"Your profile in {programme.name}"[:150]),
        *sections("\n".join(lines)),
        *sections("\n".join(shared)),
        context(content.promise("profile-shared-part")),
        *sections("\n".join(own)),
        context(content.promise("profile-own-part")),
        context(f"Status: {status}. {content.promise('profile-card')}"),
        actions(button("Edit my profile", "edit_profile", str(programme.id))),
    ]
    return f"Your profile in {escape(programme.name)}", blocks


def enrolment_confirmation(content: Content, programme: Programme, role: str) -> tuple[str, list[Block]]:
    text = content.message("enrolment_confirmation", programme=escape(programme.name))
    guide = content.guide_for(role)
    blocks: list[Block] = [
        section(text),
        actions(
            button(content.induction.start_label, INDUCTION_START, Scope.programme(programme.id).key, style="primary"),
            button(f"Read the {ROLE_NAMES[role].lower()} guide", f"read_guide_{role}", role),
        ),
        context(f"Before you step in, please take the short induction for your role. Guide: {guide.title}"),
    ]
    if programme.require_induction:
        blocks.append(context(content.induction.required_note))
    return text, blocks


def invitation(programme: Programme, inviter: str) -> tuple[str, list[Block]]:
    text = (
        f"{mention(inviter)} has invited you to join *{escape(programme.name)}*, a reverse mentoring programme: "
        "junior colleagues mentor senior leaders, so leaders learn how work is really experienced."
    )
    blocks: list[Block] = [
        *sections(text + (f"\n{escape(programme.description)}" if programme.description else "")),
        actions(
            button("Join", "join_programme", str(programme.id), style="primary"),
            button("Read the mentor guide", "read_guide_mentor", "mentor"),
            button("Read the mentee guide", "read_guide_mentee", "mentee"),
            button(NO_THANKS_LABEL, NO_THANKS, str(programme.id)),
        ),
        context(
            "Joining takes about five minutes. You decide what you share. Not for you? Say no thanks: "
            "no reason needed, and I won't ask again."
        ),
    ]
    return f"You're invited to join {escape(programme.name)}", blocks


def guide_blocks(content: Content, role: str) -> tuple[str, list[Block]]:
    guide = content.guide_for(role)
    blocks: list[Block] = [header(guide.title[:150]), section(guide.intro)]
    blocks += [section(content.with_setting_values(part.as_mrkdwn())) for part in guide.sections]
    return guide.title, blocks
