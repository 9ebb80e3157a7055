"""Reverse speed mentoring events: set one up, RSVP, review and publish the rotation, give feedback."""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import date_value, int_value, metadata, read_values, text_value
from bot.clock import now
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.runtime import Runtime
from bot.speed_events import blocks, service
from handlers.commands import CommandCall, CommandRouter
from handlers.common import ack_field_errors, acting_user, ephemeral, user_is_admin
from handlers.common import tell as common_tell

log = logging.getLogger(__name__)
USAGE = "Usage: `/mentoring event new`, `/mentoring event plan [event name]` or `/mentoring event summary [event name]`"


def event_form_input(values: dict[str, Any]) -> service.EventInput:
    raw_time = values.get("start_time")
    start: time | None = None
    if raw_time:
        try:
            start = time.fromisoformat(str(raw_time))
        except ValueError:
            raise FieldErrors({"start_time": "Choose the start time."}) from None
    errors: dict[str, str] = {}

    def whole(field: str) -> int | None:
        value = int_value(values, field)
        if value is None:
            errors[field] = "Enter a whole number."
        return value

    data = service.EventInput(
        name=text_value(values, "name"),
        day=date_value(values, "day"),
        start_time=start,
        tz=text_value(values, "tz"),
        round_minutes=whole("round_minutes"),
        rounds=whole("rounds"),
        briefing_minutes=whole("briefing_minutes"),
        location=text_value(values, "location"),
        lead_ids=list(values.get("lead_ids") or []),
        mentor_ids=list(values.get("mentor_ids") or []),
        mentee_ids=list(values.get("mentee_ids") or []),
    )
    if errors:
        raise FieldErrors(errors)
    return data


def feedback_form_input(values: dict[str, Any]) -> service.FeedbackInput:
    return service.FeedbackInput(
        usefulness=int_value(values, "usefulness"),
        recommend=str(values.get("recommend") or ""),
        start_programme=str(values.get("start_programme") or ""),
        learned=text_value(values, "learned"),
        action=text_value(values, "action"),
        interested="yes" in (values.get("interested") or []),
    )


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, content, gateway = runtime.db, runtime.content, runtime.gateway

    def tell(user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        common_tell(runtime, user_id, text, blocks)

    def person_info(user_id: str) -> service.PersonInfo:
        try:
            user = gateway.user(user_id)
        except Exception:
            log.warning("Could not look a person up in Slack", exc_info=True)
            return service.PersonInfo(user_id, "")
        return service.PersonInfo(user.id, user.real_name, user.title, user.tz)

    def open_plan(trigger_id: str, user_id: str, event_id: int) -> None:
        admin = user_is_admin(runtime, user_id)
        try:
            overview = service.plan_overview(db, event_id, by=user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            tell(user_id, str(error))
            return
        gateway.open_view(trigger_id, blocks.plan_view(overview))

    # ------------------------------------------------------------------ /mentoring event ...

    def event_command(call: CommandCall) -> None:
        action = call.args[0].lower() if call.args else ""
        name = " ".join(call.args[1:])
        admin = user_is_admin(runtime, call.user_id)
        if action == "new":
            if not service.may_create_events(db, call.user_id, admin=admin):
                ephemeral(call.ack, service.CREATE_ONLY)
                return
            call.ack()
            gateway.open_view(call.trigger_id, blocks.event_modal(person_info(call.user_id).tz))
        elif action in ("plan", "summary"):
            event = service.event_for_lead(db, call.user_id, name, admin=admin)
            if isinstance(event, str):
                ephemeral(call.ack, event)
                return
            if action == "plan":
                call.ack()
                open_plan(call.trigger_id, call.user_id, event.id)
                return
            summary = service.event_summary(
                db, event.id, by=call.user_id, admin=admin, min_group=runtime.settings.min_group_size
            )
            text, body = blocks.summary_blocks(content, summary)
            ephemeral(call.ack, text, body)
        else:
            ephemeral(call.ack, f"I didn't understand that. {USAGE}")

    router.add("event", event_command)

    @app.view(blocks.EVENT_FORM)
    def create_event(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        admin = user_is_admin(runtime, user_id)
        may_create = service.may_create_events(db, user_id, admin=admin)
        try:
            data = event_form_input(read_values(view))
            if not data.lead_ids:
                data.lead_ids = [user_id]
            service.check_event_input(db, data, created_by=user_id, may_create=may_create)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except NotAllowed as error:
            ack_field_errors(ack, FieldErrors({"name": str(error)}), view)
            return
        ack()
        people = {uid: person_info(uid) for uid in dict.fromkeys(data.mentor_ids + data.mentee_ids)}
        try:
            event = service.create_event(db, data, created_by=user_id, people=people, may_create=may_create)
        except (FieldErrors, NotAllowed) as error:
            tell(user_id, f"I couldn't create the event: {error}")
            return
        text, body_blocks = blocks.event_created(event, len(people))
        tell(user_id, text, body_blocks)
        for lead in event.leads:
            if lead.user_id != user_id:
                tell(lead.user_id, blocks.lead_appointed(event, user_id))

    # ------------------------------------------------------------------ RSVP

    def event_id_of(body: dict[str, Any]) -> int:
        return int(str(body["actions"][0]["value"]).split(":")[0])

    @app.action("speed_rsvp_yes")
    def open_rsvp(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            event_id = event_id_of(body)
            participant = service.participant_of(db, event_id, user_id)
            event = service.get_event(db, event_id)
        except (NotFound, ValueError) as error:
            respond(
                text=str(error) or "That event no longer exists.", response_type="ephemeral", replace_original=False
            )
            return
        container = body.get("container") or {}
        message = {"channel": str(container.get("channel_id") or ""), "ts": str(container.get("message_ts") or "")}
        gateway.open_view(body["trigger_id"], blocks.rsvp_modal(content, event, participant, message))

    @app.view(blocks.RSVP_FORM)
    def save_rsvp(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        meta = metadata(view)
        values = read_values(view)
        answers = service.PreEventAnswers(
            organisation=text_value(values, "organisation"),
            inclusion_statement=text_value(values, "inclusion_statement"),
            understanding_gap=text_value(values, "understanding_gap"),
        )
        event_id = int(meta.get("event_id") or 0)
        try:
            service.check_rsvp(db, event_id, user_id, answers)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except NotFound as error:
            ack_field_errors(ack, FieldErrors({"organisation": str(error)}), view)
            return
        ack()  # saving a yes after publishing re-plans the rounds ahead: not inside Slack's 3 seconds
        try:
            participant, _change = service.rsvp_yes(db, event_id, person_info(user_id), answers)
        except (FieldErrors, NotFound) as error:
            tell(user_id, f"I couldn't save your answer: {error}")
            return
        event = service.get_event(db, participant.event_id)
        if meta.get("channel") and meta.get("ts"):
            try:
                note = f"You said yes to {event.name}. Thank you!"
                gateway.update_message(
                    meta["channel"], meta["ts"], note, [{"type": "section", "text": {"type": "mrkdwn", "text": note}}]
                )
            except Exception:
                log.info("Could not update the invitation message", exc_info=True)
        text, body_blocks = blocks.rsvp_yes_confirmation(content, event, participant)
        tell(user_id, text, body_blocks)

    @app.action("speed_rsvp_no")
    def decline(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            _participant, _change = service.rsvp_no(db, event_id_of(body), user_id)
            event = service.get_event(db, event_id_of(body))
        except (NotFound, ValueError) as error:
            respond(
                text=str(error) or "That event no longer exists.", response_type="ephemeral", replace_original=False
            )
            return
        text, body_blocks = blocks.rsvp_no_confirmation(event)
        respond(text=text, blocks=body_blocks, replace_original=True)

    @app.action("speed_guide")
    def read_guide(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        role = str(body["actions"][0].get("value") or "").rpartition(":")[2]
        text, body_blocks = blocks.guide(content, "mentee" if role == "mentee" else "mentor")
        respond(text=text, blocks=body_blocks, response_type="ephemeral", replace_original=False)

    # ------------------------------------------------------------------ the lead's plan

    def lead_action(body: dict[str, Any]) -> tuple[str, int, bool]:
        user_id = acting_user(body)
        event_id = int(metadata(body.get("view") or {}).get("event_id") or 0)
        return user_id, event_id, user_is_admin(runtime, user_id)

    def refuse(user_id: str, error: Exception) -> None:
        tell(user_id, str(error) if isinstance(error, NotAllowed | NotFound) else service.EVENT_LEAD_ONLY)

    @app.action("speed_open_plan")
    def open_plan_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        try:
            event_id = event_id_of(body)
        except ValueError:
            return
        open_plan(body["trigger_id"], acting_user(body), event_id)

    @app.action("speed_plan_rerun")
    def rerun(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, event_id, admin = lead_action(body)
        try:
            overview = service.plan_overview(db, event_id, by=user_id, admin=admin, rerun=True)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)
            return
        notice = "Planned again with everyone who is coming now."
        gateway.update_view(body["view"]["id"], blocks.plan_view(overview, notice=notice))

    @app.action("speed_swap_open")
    def open_swap(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, event_id, admin = lead_action(body)
        try:
            event = service.check_event_lead(db, event_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)
            return
        first = 1 if event.status == "draft" else (service.timeline(event).next_round(now()) or event.rounds)
        view = blocks.swap_modal(event.id, body["view"]["id"], first, event.rounds)
        gateway.push_view(body["trigger_id"], view)

    @app.action("speed_absent_open")
    def open_absent(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, event_id, admin = lead_action(body)
        try:
            event = service.check_event_lead(db, event_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)
            return
        gateway.push_view(body["trigger_id"], blocks.absent_modal(event.id, body["view"]["id"]))

    def change_notice(change: service.PlanChange | None) -> str:
        if change is None or change.from_round is None:
            return ""
        return f" Rounds {change.from_round} onwards are re-planned; {len(change.notified)} person(s) were told."

    @app.view(blocks.SWAP_FORM)
    def swap(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, event_id, admin = lead_action(body)
        values = read_values(view)
        first, second = str(values.get("first") or ""), str(values.get("second") or "")
        try:
            overview, change = service.swap_people(
                db, event_id, first, second, int_value(values, "from_round"), by=user_id, admin=admin
            )
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack()
            refuse(user_id, error)
            return
        ack()
        names = overview.names
        notice = f"Swapped {names.get(first, first)} and {names.get(second, second)}." + change_notice(change)
        parent = str(metadata(view).get("parent") or "")
        if parent:
            gateway.update_view(parent, blocks.plan_view(overview, notice=notice))

    @app.view(blocks.ABSENT_FORM)
    def absent(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, event_id, admin = lead_action(body)
        person = str(read_values(view).get("person") or "")
        try:
            service.check_absent(db, event_id, person, by=user_id, admin=admin)
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack()
            refuse(user_id, error)
            return
        ack()  # marking someone absent may re-plan the rounds ahead
        try:
            participant, change = service.mark_absent(db, event_id, person, by=user_id, admin=admin)
            overview = service.plan_overview(db, event_id, by=user_id, admin=admin)
        except (FieldErrors, NotAllowed, NotFound) as error:
            tell(user_id, str(error))
            return
        notice = f"{participant.real_name or participant.user_id} is marked absent." + change_notice(change)
        parent = str(metadata(view).get("parent") or "")
        if parent:
            gateway.update_view(parent, blocks.plan_view(overview, notice=notice))

    @app.view(blocks.PLAN_VIEW)
    def publish(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, event_id, admin = lead_action(body)
        try:
            service.check_event_lead(db, event_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            ack()
            refuse(user_id, error)
            return
        ack()  # publishing schedules every attendee's messages: not inside Slack's 3 seconds
        try:
            overview = service.publish(db, event_id, by=user_id, admin=admin, min_group=runtime.settings.min_group_size)
        except (NotAllowed, NotFound) as error:
            tell(user_id, f"The plan is not published: {error}")
            return
        tell(user_id, blocks.published_notice(overview.event, len(overview.attending)))

    # ------------------------------------------------------------------ feedback and summary

    @app.action("speed_feedback_open")
    def open_feedback(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            event = service.get_event(db, event_id_of(body))
        except (NotFound, ValueError):
            respond(text="That event no longer exists.", response_type="ephemeral", replace_original=False)
            return
        gateway.open_view(body["trigger_id"], blocks.feedback_modal(content, event))

    @app.view(blocks.FEEDBACK_FORM)
    def save_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        event_id = int(metadata(view).get("event_id") or 0)
        try:
            first = service.submit_feedback(db, event_id, user_id, feedback_form_input(read_values(view)))
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack_field_errors(ack, FieldErrors({"usefulness": str(error)}), view)
            return
        ack()
        tell(user_id, blocks.feedback_thanks(service.get_event(db, event_id), first))

    @app.action("speed_create_programme")
    def create_programme(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        admin = user_is_admin(runtime, user_id)
        try:
            programme_id, invited = service.create_programme_from_interested(
                db, event_id_of(body), by=user_id, admin=admin
            )
        except (NotAllowed, NotFound, FieldErrors, ValueError) as error:
            respond(text=str(error), response_type="ephemeral", replace_original=False)
            return
        from bot.programmes.service import get_programme

        programme = get_programme(db, programme_id)
        respond(
            text=(
                f"Created *{programme.name}*, a reverse mentoring programme across organisations that you lead. "
                f"{len(invited)} interested attendee(s) are being invited to join it. Change its settings with "
                f"`/mentoring programme edit {programme.name}`."
            ),
            response_type="ephemeral",
            replace_original=False,
        )
