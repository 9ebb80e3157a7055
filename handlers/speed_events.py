"""Reverse speed mentoring events: set one up, RSVP, review and publish the rotation, give feedback."""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from slack_bolt import Ack, Respond

from bot import submissions
from bot.blockkit import counted, escape
from bot.blockkit.forms import date_value, int_value, metadata, read_values, text_value
from bot.clock import now
from bot.errors import FieldErrors, NotAllowed, NotFound, error_text
from bot.programmes import service as programme_service
from bot.runtime import Runtime
from bot.speed_events import blocks, feedback, plans, records, service
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    parse_int,
    tell,
    user_is_admin,
)

log = logging.getLogger(__name__)
USAGE = "Usage: `/mentoring event new`, `/mentoring event plan [event name]` or `/mentoring event summary [event name]`"


def event_form_input(values: dict[str, Any]) -> records.EventInput:
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

    data = records.EventInput(
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


def feedback_form_input(values: dict[str, Any]) -> feedback.FeedbackInput:
    return feedback.FeedbackInput(
        usefulness=int_value(values, "usefulness"),
        recommend=str(values.get("recommend") or ""),
        start_programme=str(values.get("start_programme") or ""),
        learned=text_value(values, "learned"),
        action=text_value(values, "action"),
        interested="yes" in (values.get("interested") or []),
    )


def event_id_of(body: dict[str, Any]) -> int:
    """The event a button is about: its value is ``<event id>`` or ``<event id>:<more>``; 0 if garbled."""
    return parse_int(action_value(body).split(":")[0])


def person_info(runtime: Runtime, user_id: str) -> records.PersonInfo:
    """What Slack says about a person; just the id when Slack can't say (the event still works)."""
    try:
        user = runtime.gateway.user(user_id)
    except Exception:
        log.warning("Could not look a person up in Slack", exc_info=True)
        return records.PersonInfo(user_id, "")
    return records.PersonInfo(user.id, user.real_name, user.title, user.tz)


def open_plan(runtime: Runtime, trigger_id: str, user_id: str, event_id: int) -> None:
    try:
        overview = plans.plan_overview(runtime.db, event_id, by=user_id, admin=user_is_admin(runtime, user_id))
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error))
        return
    runtime.gateway.open_view(trigger_id, blocks.plan_view(overview))


def plan_context(runtime: Runtime, body: dict[str, Any]) -> tuple[str, int, bool]:
    """Who acts on the plan modal, which event it shows (from its metadata), and whether they are an admin."""
    user_id = acting_user(body)
    event_id = parse_int(metadata(body.get("view") or {}).get("event_id"))
    return user_id, event_id, user_is_admin(runtime, user_id)


def change_notice(change: plans.PlanChange | None) -> str:
    if change is None or change.from_round is None:
        return ""
    told = len(change.notified)
    return (
        f" Rounds {change.from_round} onwards are re-planned; {counted(told, 'person', 'people')} "
        f"{'was' if told == 1 else 'were'} told."
    )


def refresh_plan(runtime: Runtime, view: dict[str, Any], overview: plans.PlanOverview, notice: str) -> None:
    """Show the change on the plan modal under a pushed form (its id rides in the form's metadata)."""
    parent = str(metadata(view).get("parent") or "")
    if parent:
        runtime.gateway.update_view(parent, blocks.plan_view(overview, notice=notice))


# ---------------------------------------------------------------------------------- /mentoring event ...


def event_command(call: CommandCall) -> None:
    runtime = call.runtime
    action = call.args[0].lower() if call.args else ""
    name = " ".join(call.args[1:])
    admin = user_is_admin(runtime, call.user_id)
    if action == "new":
        if not records.may_create_events(runtime.db, call.user_id, admin=admin):
            ephemeral(call.ack, error_text("speed_events.create_only"))
            return
        call.ack()
        runtime.gateway.open_view(call.trigger_id, blocks.event_modal(person_info(runtime, call.user_id).tz))
    elif action in ("plan", "summary"):
        event = records.event_for_lead(runtime.db, call.user_id, name, admin=admin)
        if isinstance(event, str):
            ephemeral(call.ack, event)
            return
        if action == "plan":
            call.ack()
            open_plan(runtime, call.trigger_id, call.user_id, event.id)
            return
        summary = feedback.event_summary(
            runtime.db, event.id, by=call.user_id, admin=admin, min_group=runtime.settings.min_group_size
        )
        text, body = blocks.summary_blocks(runtime.content, summary)
        ephemeral(call.ack, text, body)
    else:
        ephemeral(call.ack, f"I didn't understand that. {USAGE}")


def create_event(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    """Checked before the modal closes; saving and inviting happen after (they look people up in Slack)."""
    user_id = acting_user(body)
    may_create = records.may_create_events(runtime.db, user_id, admin=user_is_admin(runtime, user_id))
    try:
        data = event_form_input(read_values(view))
        if not data.lead_ids:
            data.lead_ids = [user_id]
        service.check_event_input(runtime.db, data, created_by=user_id, may_create=may_create)
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except NotAllowed as error:
        ack_field_errors(ack, FieldErrors({"name": str(error)}), view)
        return
    ack()
    people = {uid: person_info(runtime, uid) for uid in dict.fromkeys(data.mentor_ids + data.mentee_ids)}
    try:
        event = service.create_event(runtime.db, data, created_by=user_id, people=people, may_create=may_create)
    except (FieldErrors, NotAllowed) as error:
        tell(runtime, user_id, f"I couldn't create the event: {error}")
        return
    text, body_blocks = blocks.event_created(event, len(people))
    tell(runtime, user_id, text, body_blocks)
    for lead in event.leads:
        if lead.user_id != user_id:
            tell(runtime, lead.user_id, blocks.lead_appointed(event, user_id))


# ---------------------------------------------------------------------------------- RSVP


def open_rsvp(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """'Yes, I'll be there': the pre-event questions, for the person on the list only."""
    ack()
    event_id = event_id_of(body)
    try:
        participant = records.participant_of(runtime.db, event_id, acting_user(body))
        event = records.get_event(runtime.db, event_id)
    except NotFound as error:
        answer_privately(runtime, body, respond, str(error))
        return
    container = body.get("container") or {}
    message = {"channel": str(container.get("channel_id") or ""), "ts": str(container.get("message_ts") or "")}
    runtime.gateway.open_view(str(body["trigger_id"]), blocks.rsvp_modal(runtime.content, event, participant, message))


def save_rsvp(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id = acting_user(body)
    meta = metadata(view)
    values = read_values(view)
    answers = records.PreEventAnswers(
        organisation=text_value(values, "organisation"),
        inclusion_statement=text_value(values, "inclusion_statement"),
        understanding_gap=text_value(values, "understanding_gap"),
    )
    event_id = parse_int(meta.get("event_id"))
    try:
        service.check_rsvp(runtime.db, event_id, user_id, answers)
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except NotFound as error:
        ack_field_errors(ack, FieldErrors({"organisation": str(error)}), view)
        return
    ack()  # saving a yes after publishing re-plans the rounds ahead: not inside Slack's 3 seconds
    try:
        rsvp = service.rsvp_yes(
            runtime.db, event_id, person_info(runtime, user_id), answers, submission=submissions.view_key(view)
        )
    except (FieldErrors, NotFound) as error:
        tell(runtime, user_id, f"I couldn't save your answer: {error}")
        return
    if rsvp.replayed:
        return
    participant = rsvp.participant
    event = records.get_event(runtime.db, participant.event_id)
    if meta.get("channel") and meta.get("ts"):
        try:
            note = f"You said yes to {escape(event.name)}. Thank you!"
            runtime.gateway.update_message(
                meta["channel"], meta["ts"], note, [{"type": "section", "text": {"type": "mrkdwn", "text": note}}]
            )
        except Exception:
            log.info("Could not update the invitation message", exc_info=True)
    text, body_blocks = blocks.rsvp_yes_confirmation(runtime.content, event, participant)
    tell(runtime, user_id, text, body_blocks)


def decline(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """'No, I can't come': no reason asked; the invitation is replaced by the confirmation."""
    ack()
    event_id = event_id_of(body)
    try:
        service.rsvp_no(runtime.db, event_id, acting_user(body))
        event = records.get_event(runtime.db, event_id)
    except NotFound as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, body_blocks = blocks.rsvp_no_confirmation(event)
    answer_privately(runtime, body, respond, text, body_blocks, replace=True)


def read_guide(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    role = action_value(body).rpartition(":")[2]
    text, body_blocks = blocks.guide(runtime.content, "mentee" if role == "mentee" else "mentor")
    answer_privately(runtime, body, respond, text, body_blocks)


# ---------------------------------------------------------------------------------- the lead's plan


def open_plan_button(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    open_plan(runtime, str(body["trigger_id"]), acting_user(body), event_id_of(body))


def rerun(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    user_id, event_id, admin = plan_context(runtime, body)
    try:
        overview = plans.plan_overview(runtime.db, event_id, by=user_id, admin=admin, rerun=True)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, None, str(error))
        return
    notice = "Planned again with everyone who is coming now."
    runtime.gateway.update_view(str(body["view"]["id"]), blocks.plan_view(overview, notice=notice))


def open_swap(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    user_id, event_id, admin = plan_context(runtime, body)
    try:
        event = records.check_event_lead(runtime.db, event_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, None, str(error))
        return
    first = 1 if event.status == "draft" else (records.timeline(event).next_round(now()) or event.rounds)
    view = blocks.swap_modal(event.id, str(body["view"]["id"]), first, event.rounds)
    runtime.gateway.push_view(str(body["trigger_id"]), view)


def open_absent(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    user_id, event_id, admin = plan_context(runtime, body)
    try:
        event = records.check_event_lead(runtime.db, event_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, None, str(error))
        return
    runtime.gateway.push_view(str(body["trigger_id"]), blocks.absent_modal(event.id, str(body["view"]["id"])))


def swap(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id, event_id, admin = plan_context(runtime, body)
    values = read_values(view)
    first, second = str(values.get("first") or ""), str(values.get("second") or "")
    try:
        overview, change = plans.swap_people(
            runtime.db, event_id, first, second, int_value(values, "from_round"), by=user_id, admin=admin
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack()
        answer_privately(runtime, body, None, str(error))
        return
    ack()
    names = overview.names
    notice = f"Swapped {names.get(first, first)} and {names.get(second, second)}." + change_notice(change)
    refresh_plan(runtime, view, overview, notice)


def absent(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id, event_id, admin = plan_context(runtime, body)
    person = str(read_values(view).get("person") or "")
    try:
        service.check_absent(runtime.db, event_id, person, by=user_id, admin=admin)
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack()
        answer_privately(runtime, body, None, str(error))
        return
    ack()  # marking someone absent may re-plan the rounds ahead
    try:
        participant, change = service.mark_absent(runtime.db, event_id, person, by=user_id, admin=admin)
        overview = plans.plan_overview(runtime.db, event_id, by=user_id, admin=admin)
    except (FieldErrors, NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error))
        return
    notice = f"{participant.real_name or participant.user_id} is marked absent." + change_notice(change)
    refresh_plan(runtime, view, overview, notice)


def publish(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """The plan modal's submit button: lead-checked at once, published after the acknowledgement."""
    user_id, event_id, admin = plan_context(runtime, body)
    try:
        records.check_event_lead(runtime.db, event_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        ack()
        answer_privately(runtime, body, None, str(error))
        return
    ack()  # publishing schedules every attendee's messages: not inside Slack's 3 seconds
    try:
        overview = plans.publish(
            runtime.db, event_id, by=user_id, admin=admin, min_group=runtime.settings.min_group_size
        )
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, f"The plan is not published: {error}")
        return
    tell(runtime, user_id, blocks.published_notice(overview.event, len(overview.attending)))


# ---------------------------------------------------------------------------------- feedback and follow-up


def open_feedback(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        event = records.get_event(runtime.db, event_id_of(body))
    except NotFound as error:
        answer_privately(runtime, body, respond, str(error))
        return
    runtime.gateway.open_view(
        str(body["trigger_id"]),
        blocks.feedback_modal(runtime.content, event, min_group=runtime.settings.min_group_size),
    )


def save_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id = acting_user(body)
    event_id = parse_int(metadata(view).get("event_id"))
    try:
        first = feedback.submit_feedback(runtime.db, event_id, user_id, feedback_form_input(read_values(view)))
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"usefulness": str(error)}), view)
        return
    ack()
    tell(runtime, user_id, blocks.feedback_thanks(runtime.content, records.get_event(runtime.db, event_id), first))


def create_programme(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """From the lead's summary: a long programme for everyone who asked to carry on."""
    ack()
    user_id = acting_user(body)
    try:
        programme_id, invited = feedback.create_programme_from_interested(
            runtime.db, event_id_of(body), by=user_id, admin=user_is_admin(runtime, user_id)
        )
    except (NotAllowed, NotFound, FieldErrors) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    programme = programme_service.get_programme(runtime.db, programme_id)
    answer_privately(
        runtime,
        body,
        respond,
        f"Created *{programme.name}*, a reverse mentoring programme across organisations that you lead. "
        f"{counted(len(invited), 'interested attendee')} {'is' if len(invited) == 1 else 'are'} being invited "
        "to join it. Change its settings with "
        f"`/mentoring programme edit {programme.name}`.",
    )


LISTENERS = Listeners(
    commands={"event": event_command},
    actions=[
        ("speed_rsvp_yes", open_rsvp),
        ("speed_rsvp_no", decline),
        ("speed_guide", read_guide),
        ("speed_open_plan", open_plan_button),
        ("speed_plan_rerun", rerun),
        ("speed_swap_open", open_swap),
        ("speed_absent_open", open_absent),
        ("speed_feedback_open", open_feedback),
        ("speed_create_programme", create_programme),
    ],
    views=[
        (blocks.EVENT_FORM, create_event),
        (blocks.RSVP_FORM, save_rsvp),
        (blocks.SWAP_FORM, swap),
        (blocks.ABSENT_FORM, absent),
        (blocks.PLAN_VIEW, publish),
        (blocks.FEEDBACK_FORM, save_feedback),
    ],
)
