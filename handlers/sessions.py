"""Sessions in Slack: offer times, book, pick another time, reschedule, cancel, "Did you meet?"."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, Respond

from bot.blockkit.forms import metadata, read_values
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.runtime import Runtime
from bot.sessions import blocks, service
from bot.sessions.slots import parse_hhmm
from handlers.commands import CommandCall
from handlers.common import Listeners, ack_field_errors, acting_user, action_value, answer_privately, ephemeral

log = logging.getLogger(__name__)


def _parts(value: str) -> list[str]:
    return str(value or "").split("|")


def _optional_int(raw: str) -> int | None:
    return int(raw) if raw.strip() else None


def offer(runtime: Runtime, pair_id: int, user_id: str, rescheduling: int | None = None) -> tuple[str, list[Any]]:
    return blocks.slot_offer(service.offer_slots(runtime.db, pair_id, user_id, rescheduling=rescheduling))


def schedule_command(call: CommandCall) -> None:
    pairs = service.active_pairs_of(call.runtime.db, call.user_id)
    if not pairs:
        ephemeral(call.ack, "You don't have an active pair yet. Once you're matched, I'll help you find times.")
        return
    try:
        text, body = offer(call.runtime, pairs[0], call.user_id)
    except (NotAllowed, NotFound) as error:
        ephemeral(call.ack, str(error))
        return
    ephemeral(call.ack, text, body)


def schedule_session(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """'Schedule our first/next session': times in the clicker's own zone, shown only to them."""
    ack()
    try:
        text, body_ = offer(runtime, int(action_value(body)), acting_user(body))
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error) or "That pair no longer exists.")
        return
    answer_privately(runtime, body, respond, text, body_)


def reschedule(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        record = service.get_session(runtime.db, int(action_value(body)))
        text, body_ = offer(runtime, record.pair_id, user_id, rescheduling=record.id)
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    answer_privately(runtime, body, respond, text, body_)


def book(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        pair_raw, moving_raw, start_raw = _parts(action_value(body))
        pair_id, moving = int(pair_raw), _optional_int(moving_raw)
        starts = datetime.fromtimestamp(int(start_raw), tz=UTC)
        booking = service.book_session(runtime.db, pair_id, user_id, starts, rescheduling=moving)
    except FieldErrors as error:
        text, body_ = offer(runtime, pair_id, user_id, moving)
        answer_privately(runtime, body, respond, " ".join(error.errors.values()) + " Here are the times still free.")
        answer_privately(runtime, body, respond, text, body_)
        return
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    record = booking.session
    viewer = service.hours_of(service.viewer_enrolment(runtime.db, record.pair_id, user_id))
    text = blocks.booked_reply(record.starts_at, record.ends_at, viewer, rescheduled=booking.rescheduled)
    answer_privately(runtime, body, respond, text, replace=True)


def cancel(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        service.cancel_session(runtime.db, int(action_value(body)), acting_user(body))
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    answer_privately(runtime, body, respond, "Cancelled. I've told you both, and the calendar event is cancelled too.")


def pick_time(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        pair_raw, moving_raw = _parts(action_value(body))[:2]
        found = service.offer_slots(runtime.db, int(pair_raw), user_id, rescheduling=_optional_int(moving_raw))
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    initial = found.window.earliest.astimezone(found.viewer.zone).date()
    view = blocks.custom_time_modal(
        found.pair_id, found.rescheduling, found.viewer, found.partner_name, found.partner, initial
    )
    runtime.gateway.open_view(body["trigger_id"], view)


def book_custom_time(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id = acting_user(body)
    meta, values = metadata(view), read_values(view)
    try:
        day = date.fromisoformat(str(values.get("date") or ""))
    except ValueError:
        ack_field_errors(ack, FieldErrors({"date": "Choose a date."}), view)
        return
    at = parse_hhmm(values.get("time"))
    if at is None:
        ack_field_errors(ack, FieldErrors({"time": "Choose a start time."}), view)
        return
    try:
        service.book_at_local_time(
            runtime.db,
            int(meta["pair_id"]),
            user_id,
            day,
            at,
            rescheduling=meta.get("rescheduling"),
            allow_outside_hours="yes" in (values.get("outside_hours") or []),
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"date": str(error)}), view)
        return
    ack()


def answer_did_you_meet(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """'Did you meet?': the button's action id says the answer, its value the session."""
    ack()
    choice = ANSWER_OF_ACTION[str(body["actions"][0]["action_id"])]
    try:
        result = service.record_answer(runtime.db, int(action_value(body)), acting_user(body), choice)
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, body_ = blocks.answer_reply(
        runtime.content,
        choice,
        result.session.pair_id,
        held=result.session.status == "held",
        last_planned=result.last_planned,
    )
    answer_privately(runtime, body, respond, text, body_, replace=True)


ANSWER_OF_ACTION = {action_id: choice for choice, action_id in blocks.MET_ACTIONS.items()}

LISTENERS = Listeners(
    commands={"schedule": schedule_command},
    actions=[
        (blocks.SCHEDULE_ACTION, schedule_session),
        (blocks.RESCHEDULE_ACTION, reschedule),
        (blocks.BOOK_ACTION, book),
        (blocks.CANCEL_ACTION, cancel),
        (blocks.PICK_TIME_ACTION, pick_time),
        *((action_id, answer_did_you_meet) for action_id in blocks.MET_ACTIONS.values()),
    ],
    views=[(blocks.CUSTOM_TIME_FORM, book_custom_time)],
)
