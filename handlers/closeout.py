"""Close-out and data rights on the Slack surface: the lead's `/mentoring close`, mentors' answers
about being thanked by name, leaving a programme, a copy of your data, and deleting it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond

from bot.blockkit import escape
from bot.blockkit.forms import metadata, read_values
from bot.closeout import data_rights
from bot.closeout import service as closeout
from bot.errors import NotAllowed, NotFound
from bot.home import service as dashboard
from bot.home.blocks import LEAVE_PROGRAMME
from bot.impact.blocks import (
    CLOSE_FORM,
    DELETE_CANCEL,
    DELETE_CONFIRM,
    RECOGNITION_NO,
    RECOGNITION_YES,
    close_modal,
    delete_prompt,
)
from bot.runtime import Runtime
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    parse_int,
    programme_for_lead_command,
    user_is_admin,
)
from handlers.home import refresh_home, refresh_homes

log = logging.getLogger(__name__)
CLOSE_USAGE = "Usage: `/mentoring close [programme]`"


def close(call: CommandCall) -> None:
    runtime = call.runtime
    programme = programme_for_lead_command(runtime, call.user_id, " ".join(call.args), CLOSE_USAGE)
    if isinstance(programme, str):
        ephemeral(call.ack, programme)
        return
    if programme.status == "closed":
        ephemeral(call.ack, f"{escape(programme.name)} is already closed.")
        return
    call.ack()
    with runtime.db.session() as session:
        board = dashboard.lead_dashboard(session, programme.id, page_size=1)
    live = board.pairs_by_status.get("active", 0) + board.pairs_by_status.get("paused", 0)
    runtime.gateway.open_view(
        call.trigger_id, close_modal(programme.id, programme.name, live, programme.retention_days)
    )


def close_programme(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id = acting_user(body)
    programme_id = parse_int(metadata(view).get("programme_id"))
    channel = read_values(view).get("recognition_channel") or None
    try:
        result = closeout.close_programme(
            runtime.db,
            programme_id,
            user_id,
            admin=user_is_admin(runtime, user_id),
            recognition_channel_id=channel,
        )
    except (NotAllowed, NotFound) as error:
        ack(response_action="errors", errors={"recognition_channel": str(error)})
        return
    ack()
    refresh_homes(runtime, result.lead_ids)


def answer_recognition(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """A mentor's yes or no to being thanked by name; the button's action id says which."""
    ack()
    user_id = acting_user(body)
    yes = body["actions"][0]["action_id"] == RECOGNITION_YES
    try:
        answer = closeout.answer_recognition(runtime.db, parse_int(action_value(body)), user_id, yes)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    if answer.answer == "yes":
        where = f" in <#{answer.channel_id}>" if answer.channel_id else ""
        text = f"Thank you. You'll be thanked by name{where} for mentoring in *{escape(answer.programme_name)}*."
    else:
        text = f"Of course. Nothing will be posted about you for *{escape(answer.programme_name)}*. Thank you."
    if not answer.changed:
        text = "You've already answered. " + text
    answer_privately(runtime, body, respond, text, replace=True)


def leave(call: CommandCall) -> None:
    runtime = call.runtime
    try:
        result = data_rights.leave_programme(runtime.db, call.user_id, " ".join(call.args) or None)
    except (NotAllowed, NotFound) as error:
        ephemeral(call.ack, str(error))
        return
    ephemeral(call.ack, runtime.content.message("leaving_confirmation", programme=escape(result.programme_name)))
    refresh_homes(runtime, [call.user_id, result.partner_id, *result.lead_ids])


def leave_button(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        result = data_rights.leave_programme(runtime.db, user_id, action_value(body) or None)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    answer_privately(
        runtime, body, respond, runtime.content.message("leaving_confirmation", programme=escape(result.programme_name))
    )
    refresh_homes(runtime, [user_id, result.partner_id, *result.lead_ids])


def my_data(call: CommandCall) -> None:
    data_rights.request_export(call.runtime.db, call.user_id)
    ephemeral(
        call.ack,
        "I'm gathering everything held about you. It will arrive in our DM as a file in a moment. "
        + call.runtime.content.promise("data-export-coming"),
    )


def delete_my_data(call: CommandCall) -> None:
    text, blocks = delete_prompt(data_rights.deletion_preview(call.runtime.db, call.user_id))
    ephemeral(call.ack, text, blocks)


def confirm_delete(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    data_rights.delete_my_data(runtime.db, user_id)
    text = (
        runtime.content.message("data_deletion_confirmed")
        + " Messages already in your Slack conversations stay in Slack; you can delete them there."
    )
    answer_privately(runtime, body, respond, text, replace=True)
    refresh_home(runtime, user_id)


def cancel_delete(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    answer_privately(runtime, body, respond, "Nothing was deleted. Your data stays as it is.", replace=True)


LISTENERS = Listeners(
    commands={"close": close, "leave": leave, "my-data": my_data, "delete-my-data": delete_my_data},
    actions=[
        (RECOGNITION_YES, answer_recognition),
        (RECOGNITION_NO, answer_recognition),
        (LEAVE_PROGRAMME, leave_button),
        (DELETE_CONFIRM, confirm_delete),
        (DELETE_CANCEL, cancel_delete),
    ],
    views=[(CLOSE_FORM, close_programme)],
)
