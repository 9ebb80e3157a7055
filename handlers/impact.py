"""Impact on the Slack surface: the survey (opened from its invitation or App Home) and the lead's
`/mentoring report`, which arrives in the lead's DM with its chart or as a CSV export."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond

from bot import submissions
from bot.blockkit import escape
from bot.blockkit.forms import metadata, read_values
from bot.concerns import service as concerns
from bot.concerns.blocks import with_low_safety_offer
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.impact import service as impact
from bot.impact import surveys
from bot.impact.survey_blocks import OPEN_SURVEY, SURVEY_FORM, survey_modal, thanks_view
from bot.models import Programme
from bot.programmes import service as programme_service
from bot.runtime import Runtime
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    answer_privately,
    ephemeral,
    programme_for_lead_command,
    user_is_admin,
)
from handlers.home import refresh_home

log = logging.getLogger(__name__)
REPORT_USAGE = "Usage: `/mentoring report [programme]` or `/mentoring report csv [programme]`"


def open_survey(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    raw = str(body["actions"][0].get("value") or "")
    programme_id, _, kind = raw.partition(":")
    try:
        task = surveys.open_survey(runtime.db, int(programme_id), user_id, kind)
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error) or "That survey is no longer open.")
        return
    view = survey_modal(runtime.content, task, min_group=runtime.settings.min_group_size)
    runtime.gateway.open_view(str(body["trigger_id"]), view)


def survey_answers(values: dict[str, Any]) -> dict[str, int | None]:
    answers: dict[str, int | None] = {}
    for name, value in values.items():
        if name.startswith("q:"):
            try:
                answers[name[2:]] = int(value) if value not in (None, "") else None
            except ValueError:
                answers[name[2:]] = None
    return answers


def save_survey(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id = acting_user(body)
    meta = metadata(view)
    values = read_values(view)
    try:
        programme_id, kind = int(meta.get("programme_id") or 0), str(meta.get("kind") or "")
        response = surveys.record_response(
            runtime.db,
            runtime.content,
            programme_id,
            user_id,
            kind,
            survey_answers(values),
            values.get("comment"),
            submission=submissions.view_key(view),
        )
        task = surveys.open_survey(runtime.db, programme_id, user_id, kind)
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"comment": str(error)}), view)
        return
    view = thanks_view(task)
    if concerns.felt_unsafe(surveys.lowest_safety(response.answers)):  # for the respondent alone
        resources = concerns.programme_support(runtime.db, programme_id)
        view = with_low_safety_offer(view, runtime.content, programme_id, resources)
    ack(response_action="update", view=view)
    refresh_home(runtime, user_id)


def _programme_for_report(runtime: Runtime, user_id: str, name: str) -> Programme | str:
    """As for other lead commands, but a closed programme can still be reported on: with no name,
    the only programme the person leads (or the only active one)."""
    if not name.strip():
        led = programme_service.programmes_led_by(runtime.db, user_id)
        if len(led) == 1:
            return led[0]
    return programme_for_lead_command(runtime, user_id, name, REPORT_USAGE)


def report(call: CommandCall) -> None:
    runtime = call.runtime
    args = list(call.args)
    fmt = "summary"
    if args and args[0].lower() == "csv":
        fmt, args = "csv", args[1:]
    programme = _programme_for_report(runtime, call.user_id, " ".join(args))
    if isinstance(programme, str):
        ephemeral(call.ack, programme)
        return
    try:
        impact.request_report(
            runtime.db,
            programme.id,
            call.user_id,
            fmt=fmt,
            min_group=runtime.settings.min_group_size,
            admin=user_is_admin(runtime, call.user_id),
        )
    except (NotAllowed, NotFound) as error:
        ephemeral(call.ack, str(error))
        return
    what = "CSV export" if fmt == "csv" else "report and its chart"
    name = escape(programme.name)
    ephemeral(call.ack, f"I'm preparing the {what} for *{name}*. It will arrive in our DM in a moment.")


LISTENERS = Listeners(
    commands={"report": report},
    actions=[(OPEN_SURVEY, open_survey)],
    views=[(SURVEY_FORM, save_survey)],
)
