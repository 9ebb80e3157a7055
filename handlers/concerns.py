"""Concerns on the Slack surface: the form (command, global shortcut, button), the leads' actions.

Every lead action goes through the service, which checks that the person leads the concern's
programme: a button replayed with another concern's id, or clicked by anyone else, gets the same
"not one you can see" answer, privately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk.errors import SlackApiError

from bot import submissions
from bot.blockkit.forms import metadata, read_values, text_value
from bot.concerns import pair_alert_blocks, pair_alerts
from bot.concerns import service as concerns
from bot.concerns.blocks import (
    ACKNOWLEDGE,
    CLOSE,
    CLOSE_FORM,
    CONCERN_FORM,
    CONTACT,
    LEAD_VIEW,
    NOTE,
    NOTE_FORM,
    OPEN,
    PAUSE,
    RAISE_AFTER_LOW_SAFETY,
    RAISE_CONCERN,
    REMATCH,
    REOPEN,
    close_form,
    concern_form,
    concern_sent_view,
    lead_concern_modal,
    lead_concerns_list,
    not_enrolled_view,
    note_form,
    reopen_answer,
    reporter_concerns_list,
)
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.matching.consent import NOT_GOING_AHEAD
from bot.matching.notifications import not_going_ahead_text
from bot.programmes import leads_channel
from bot.programmes.notifications import long_pause_text
from bot.programmes.pauses import LONG_PAUSE_ALERT
from bot.runtime import Runtime
from bot.sessions.notifications import PAIR_ALERT_TEXTS as SESSION_ALERTS
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    open_or_push,
    parse_int,
)

log = logging.getLogger(__name__)

LeadAction = Callable[[Database, int, str], concerns.LeadConcernView]
AlertAction = Callable[[Database, int, str, Any], pair_alerts.AlertOutcome]
LeadForm = Callable[[Database, int, str, dict[str, Any]], concerns.LeadConcernView]


def concern_form_for(
    runtime: Runtime, user_id: str, preselected: int | None = None, *, details: str | None = None,
    identity: str = "named",
) -> dict[str, Any]:
    """The form, with the programmes this person may raise a concern in; a kind word if there are none."""
    programmes = concerns.programmes_for_reporter(runtime.db, user_id)
    if not programmes:
        return not_enrolled_view(runtime.content)
    return concern_form(runtime.content, programmes, preselected, details=details, identity=identity)


def channel_is_private_to(runtime: Runtime, channel_id: str, allowed: set[str]) -> bool:
    """Whether the leads' alerts channel holds only people allowed to read concerns (false if unknown)."""
    try:
        return leads_channel.holds_only(runtime.gateway.channel_facts(channel_id), allowed)
    except SlackApiError:
        log.warning("Could not check the leads' alerts channel", exc_info=True)
        return False


# ---------------------------------------------------------------------------------- raising a concern


def concern_command(call: CommandCall) -> None:
    call.ack()
    call.runtime.gateway.open_view(call.trigger_id, concern_form_for(call.runtime, call.user_id))


def concerns_command(call: CommandCall) -> None:
    """A lead sees the open concerns of their programmes; anyone else the concerns they raised."""
    db = call.runtime.db
    summaries = concerns.open_concerns_for_lead(db, call.user_id)
    if summaries:
        text, blocks = lead_concerns_list(summaries)
    else:
        text, blocks = reporter_concerns_list(concerns.concerns_of_reporter(db, call.user_id))
    ephemeral(call.ack, text, blocks)


def concern_shortcut(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    runtime.gateway.open_view(str(body["trigger_id"]), concern_form_for(runtime, acting_user(body)))


def concern_button(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """'Raise a concern' (App Home, a reflection's low rating): the programme it came from is preselected."""
    ack()
    preselected = parse_int(action_value(body)) or None
    open_or_push(runtime, body, concern_form_for(runtime, acting_user(body), preselected))


def concern_after_low_safety(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """After a low safety rating: the form, its programme chosen, a gentle start, anonymous by default."""
    ack()
    form = concern_form_for(
        runtime,
        acting_user(body),
        parse_int(action_value(body)) or None,
        details=runtime.content.concern.low_safety_start,
        identity="anonymous",
    )
    open_or_push(runtime, body, form)


def save_concern(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    """Saved before the modal closes (a failed save keeps it, with every word); the leads are alerted after."""
    values = read_values(view)
    chosen = values.get("programme_id") or metadata(view).get("programme_id")
    data = concerns.ConcernInput(
        programme_id=parse_int(chosen) or None,
        details=text_value(values, "details"),
        urgency=str(values.get("urgency") or ""),
        identity=str(values.get("identity") or ""),
        what_would_help=text_value(values, "what_would_help"),
    )
    try:
        raised = concerns.raise_concern(
            runtime.db,
            acting_user(body),
            data,
            admins=runtime.settings.admins,
            submission=submissions.view_key(view),
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    ack(response_action="update", view=concern_sent_view(runtime.content))
    if raised.alerts_channel_id and not raised.replayed:
        channel, allowed = concerns.alerts_channel_allowed_members(runtime.db, raised.id)
        if channel:
            safe = channel_is_private_to(runtime, channel, allowed)
            concerns.alert_leads_channel(runtime.db, raised.id, private_to_leads=safe)


# ---------------------------------------------------------------------------------- the leads' actions


def show(runtime: Runtime, body: dict[str, Any], respond: Respond | None, result: concerns.LeadConcernView) -> None:
    """Refresh the lead's concern modal if the click came from it; otherwise say what happened."""
    current = body.get("view") or {}
    if current.get("type") == "modal" and current.get("callback_id") == LEAD_VIEW:
        runtime.gateway.update_view(str(current["id"]), lead_concern_modal(result))
    else:
        answer_privately(runtime, body, respond, result.message)


def act_on_concern(runtime: Runtime, body: dict[str, Any], respond: Respond | None, action: LeadAction) -> None:
    """One lead action on the concern the button names; the service refuses anyone who doesn't lead it."""
    try:
        result = action(runtime.db, parse_int(action_value(body)), acting_user(body))
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    show(runtime, body, respond, result)


def acknowledge(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_concern(runtime, body, respond, concerns.acknowledge)


def contact_reporter(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_concern(runtime, body, respond, concerns.contact_reporter)


def pause_pair(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_concern(runtime, body, respond, concerns.pause_pair)


def rematch_pair(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_concern(runtime, body, respond, concerns.rematch_pair)


def open_concern(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        result = concerns.open_for_lead(runtime.db, parse_int(action_value(body)), acting_user(body))
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    open_or_push(runtime, body, lead_concern_modal(result))


def open_note_form(
    runtime: Runtime, body: dict[str, Any], respond: Respond | None, make: Callable[[int, str], dict[str, Any]]
) -> None:
    """Close or note: a form over the concern modal, for a lead of the concern's programme only."""
    concern_id = parse_int(action_value(body))
    try:
        concerns.audit_trail(runtime.db, concern_id, acting_user(body))  # a lead of its programme, or refused
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    open_or_push(runtime, body, make(concern_id, str((body.get("view") or {}).get("id") or "")))


def open_close_form(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    open_note_form(runtime, body, respond, lambda concern_id, parent: close_form(concern_id, parent, runtime.content))


def open_add_note_form(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    open_note_form(runtime, body, respond, note_form)


def save_lead_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime, field: str, action: LeadForm
) -> None:
    """Saved before the form closes (errors under the fields); then the concern modal under it is refreshed."""
    meta = metadata(view)
    try:
        result = action(runtime.db, parse_int(meta.get("concern_id")), acting_user(body), read_values(view))
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotFound, NotAllowed) as error:
        ack_field_errors(ack, FieldErrors({field: str(error)}), view)
        return
    ack()
    parent = str(meta.get("parent") or "")
    if not parent:
        return
    try:
        runtime.gateway.update_view(parent, lead_concern_modal(result))
    except SlackApiError:
        log.info("The concern modal under the form was already closed")


def save_close(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    """The outcome note (leads only) and the message to the reporter (the reporter only)."""
    def close(db: Database, concern_id: int, lead_id: str, values: dict[str, Any]) -> concerns.LeadConcernView:
        return concerns.close(
            db,
            concern_id,
            lead_id,
            text_value(values, "outcome_note"),
            text_value(values, "reporter_message"),
        )

    save_lead_form(ack, body, view, runtime, "outcome_note", close)


def save_added_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    def add(db: Database, concern_id: int, lead_id: str, values: dict[str, Any]) -> concerns.LeadConcernView:
        return concerns.add_note(db, concern_id, lead_id, text_value(values, "note"))

    save_lead_form(ack, body, view, runtime, "note", add)


# ---------------------------------------------------------------------------------- the reporter's follow-up


def reopen_concern(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """"This isn't resolved": only the reporter may press it; the answer is theirs alone."""
    ack()
    try:
        result = concerns.reopen(
            runtime.db, parse_int(action_value(body)), acting_user(body), admins=runtime.settings.admins
        )
    except NotFound as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, blocks = reopen_answer(runtime.content, result.outcome, result.programme_id)
    answer_privately(runtime, body, respond, text, blocks)


# ---------------------------------------------------------------------------------- pair alerts

# Every kind of pair alert whose message carries the lead's buttons, with how its words are
# rendered again for an updated copy: session alerts, declined or lapsed matches, long pauses.
PAIR_ALERT_TEXTS: dict[str, pair_alerts.AlertText] = {
    **SESSION_ALERTS,
    NOT_GOING_AHEAD: not_going_ahead_text,
    LONG_PAUSE_ALERT: long_pause_text,
}


ROLE_OF_CHECK_IN = {action_id: role for role, action_id in pair_alert_blocks.CHECK_IN.items()}


def update_alert_copies(runtime: Runtime, outcome: pair_alerts.AlertOutcome) -> None:
    """Every posted copy of the alert (each lead's DM, the leads' channel) now shows what was done."""
    for copy in outcome.copies:
        try:
            blocks = pair_alert_blocks.pair_alert_message(runtime.content, copy.text, copy.state)
            runtime.gateway.update_message(copy.channel, copy.ts, copy.text, blocks)
        except SlackApiError:
            log.warning("Could not update a copy of a pair alert", exc_info=True)


def act_on_alert(runtime: Runtime, body: dict[str, Any], respond: Respond | None, action: AlertAction) -> None:
    """One lead action on the alert the button names; refused, privately, for anyone but its leads."""
    try:
        outcome = action(runtime.db, parse_int(action_value(body)), acting_user(body), PAIR_ALERT_TEXTS)
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    update_alert_copies(runtime, outcome)
    answer_privately(runtime, body, respond, pair_alert_blocks.outcome_note(runtime.content, outcome))


def pause_from_alert(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_alert(runtime, body, respond, pair_alerts.pause)


def rematch_from_alert(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_alert(runtime, body, respond, pair_alerts.rematch)


def resume_from_alert(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_alert(runtime, body, respond, pair_alerts.resume)


def mark_alert_handled(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    act_on_alert(runtime, body, respond, pair_alerts.mark_handled)


def open_check_in_form(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """"Check in with <name>": the lead's private message to one person of the pair."""
    ack()
    role = ROLE_OF_CHECK_IN.get(str(((body.get("actions") or [{}])[0]).get("action_id")), "")
    alert = parse_int(action_value(body))
    try:
        target = pair_alerts.check_in_target(runtime.db, alert, acting_user(body), role, PAIR_ALERT_TEXTS)
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    open_or_push(runtime, body, pair_alert_blocks.check_in_form(runtime.content, target))


def send_check_in(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    meta = metadata(view)
    try:
        outcome = pair_alerts.check_in(
            runtime.db,
            parse_int(meta.get("alert_id")),
            acting_user(body),
            str(meta.get("role") or ""),
            text_value(read_values(view), "message"),
            PAIR_ALERT_TEXTS,
            submission=submissions.view_key(view),
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotFound, NotAllowed) as error:
        ack_field_errors(ack, FieldErrors({"message": str(error)}), view)
        return
    note = pair_alert_blocks.outcome_note(runtime.content, outcome)
    ack(response_action="update", view=pair_alert_blocks.check_in_sent_view(note))
    update_alert_copies(runtime, outcome)


LISTENERS = Listeners(
    commands={"concern": concern_command, "concerns": concerns_command},
    shortcuts=[(RAISE_CONCERN, concern_shortcut)],
    actions=[
        (RAISE_CONCERN, concern_button),
        (RAISE_AFTER_LOW_SAFETY, concern_after_low_safety),
        (OPEN, open_concern),
        (ACKNOWLEDGE, acknowledge),
        (CONTACT, contact_reporter),
        (PAUSE, pause_pair),
        (REMATCH, rematch_pair),
        (CLOSE, open_close_form),
        (NOTE, open_add_note_form),
        (REOPEN, reopen_concern),
        *((action_id, open_check_in_form) for action_id in pair_alert_blocks.CHECK_IN.values()),
        (pair_alert_blocks.PAUSE, pause_from_alert),
        (pair_alert_blocks.RESUME, resume_from_alert),
        (pair_alert_blocks.REMATCH, rematch_from_alert),
        (pair_alert_blocks.HANDLED, mark_alert_handled),
    ],
    views=[
        (CONCERN_FORM, save_concern),
        (CLOSE_FORM, save_close),
        (NOTE_FORM, save_added_note),
        (pair_alert_blocks.CHECK_IN_FORM, send_check_in),
    ],
)
