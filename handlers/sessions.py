"""Sessions in Slack: offer times, book, pick another time, reschedule, cancel, "Did you meet?"."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import metadata, read_values
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.runtime import Runtime
from bot.sessions import blocks, service
from bot.sessions.slots import parse_hhmm
from handlers.commands import CommandCall, CommandRouter
from handlers.common import ack_field_errors, acting_user, ephemeral

log = logging.getLogger(__name__)


def _parts(value: str) -> list[str]:
    return str(value or "").split("|")


def _optional_int(raw: str) -> int | None:
    return int(raw) if raw.strip() else None


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db = runtime.db

    def say(respond: Respond, text: str, blocks_: list[dict[str, Any]] | None = None, *, replace: bool = False) -> None:
        respond(text=text, blocks=blocks_ or None, response_type="ephemeral", replace_original=replace)

    def offer(pair_id: int, user_id: str, rescheduling: int | None = None) -> tuple[str, list[dict[str, Any]]]:
        return blocks.slot_offer(service.offer_slots(db, pair_id, user_id, rescheduling=rescheduling))

    def schedule_command(call: CommandCall) -> None:
        pairs = service.active_pairs_of(db, call.user_id)
        if not pairs:
            ephemeral(call.ack, "You don't have an active pair yet. Once you're matched, I'll help you find times.")
            return
        try:
            text, body = offer(pairs[0], call.user_id)
        except (NotAllowed, NotFound) as error:
            ephemeral(call.ack, str(error))
            return
        ephemeral(call.ack, text, body)

    router.add("schedule", schedule_command)

    @app.action(blocks.SCHEDULE_ACTION)
    def schedule_session(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """'Schedule our first/next session': times in the clicker's own zone, shown only to them."""
        ack()
        try:
            text, body_ = offer(int(body["actions"][0]["value"]), acting_user(body))
        except (NotAllowed, NotFound, ValueError) as error:
            say(respond, str(error) or "That pair no longer exists.")
            return
        say(respond, text, body_)

    @app.action(blocks.RESCHEDULE_ACTION)
    def reschedule(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            record = service.get_session(db, int(body["actions"][0]["value"]))
            text, body_ = offer(record.pair_id, user_id, rescheduling=record.id)
        except (NotAllowed, NotFound, ValueError) as error:
            say(respond, str(error))
            return
        say(respond, text, body_)

    @app.action(blocks.BOOK_ACTION)
    def book(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            pair_raw, moving_raw, start_raw = _parts(body["actions"][0]["value"])
            pair_id, moving = int(pair_raw), _optional_int(moving_raw)
            starts = datetime.fromtimestamp(int(start_raw), tz=UTC)
            booking = service.book_session(db, pair_id, user_id, starts, rescheduling=moving)
        except FieldErrors as error:
            text, body_ = offer(pair_id, user_id, moving)
            say(respond, " ".join(error.errors.values()) + " Here are the times still free.", None)
            say(respond, text, body_)
            return
        except (NotAllowed, NotFound, ValueError) as error:
            say(respond, str(error), replace=False)
            return
        record = booking.session
        viewer = service.hours_of(service.viewer_enrolment(db, record.pair_id, user_id))
        text = blocks.booked_reply(record.starts_at, record.ends_at, viewer, rescheduled=booking.rescheduled)
        say(respond, text, replace=True)

    @app.action(blocks.CANCEL_ACTION)
    def cancel(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            service.cancel_session(db, int(body["actions"][0]["value"]), acting_user(body))
        except (NotAllowed, NotFound, ValueError) as error:
            say(respond, str(error))
            return
        say(respond, "Cancelled. I've told you both, and the calendar event is cancelled too.")

    @app.action(blocks.PICK_TIME_ACTION)
    def pick_time(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            pair_raw, moving_raw = _parts(body["actions"][0]["value"])[:2]
            found = service.offer_slots(db, int(pair_raw), user_id, rescheduling=_optional_int(moving_raw))
        except (NotAllowed, NotFound, ValueError) as error:
            say(respond, str(error))
            return
        initial = found.window.earliest.astimezone(found.viewer.zone).date()
        view = blocks.custom_time_modal(
            found.pair_id, found.rescheduling, found.viewer, found.partner_name, found.partner, initial
        )
        runtime.gateway.open_view(body["trigger_id"], view)

    @app.view(blocks.CUSTOM_TIME_FORM)
    def book_custom_time(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
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
                db,
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

    def answer(choice: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            try:
                result = service.record_answer(db, int(body["actions"][0]["value"]), acting_user(body), choice)
            except (NotAllowed, NotFound, ValueError) as error:
                say(respond, str(error))
                return
            text, body_ = blocks.answer_reply(
                choice,
                result.session.pair_id,
                held=result.session.status == "held",
                last_planned=result.last_planned,
            )
            respond(text=text, blocks=body_, replace_original=True)

        return handler

    for choice, action_id in blocks.MET_ACTIONS.items():
        app.action(action_id)(answer(choice))
