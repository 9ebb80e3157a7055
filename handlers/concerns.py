"""Concerns on the Slack surface: the form (command, global shortcut, button), the leads' actions.

Every lead action goes through the service, which checks that the person leads the concern's
programme: a button replayed with another concern's id, or clicked by anyone else, gets the same
"not one you can see" answer, privately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot import submissions
from bot.blockkit.forms import metadata, read_values, text_value
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
    RAISE_CONCERN,
    REMATCH,
    close_form,
    concern_form,
    concern_sent_view,
    lead_concern_modal,
    lead_concerns_list,
    not_enrolled_view,
    note_form,
    reporter_concerns_list,
)
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.programmes import leads_channel
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import ack_field_errors, acting_user, ephemeral

log = logging.getLogger(__name__)

LeadAction = Callable[[Any, int, str], concerns.LeadConcernView]


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, gateway, content = runtime.db, runtime.gateway, runtime.content

    def tell_privately(body: dict[str, Any], respond: Respond, text: str) -> None:
        """An answer only the person who clicked sees: ephemeral where possible, else their DM."""
        try:
            if body.get("response_url"):
                respond(text=text, response_type="ephemeral", replace_original=False)
            else:
                gateway.post_dm(acting_user(body), text)
        except Exception:
            log.warning("Could not answer a person privately", exc_info=True)

    def open_or_push(body: dict[str, Any], view: dict[str, Any]) -> None:
        """Push on top of an open modal (keeping it), otherwise open a new one."""
        current = body.get("view") or {}
        if current.get("type") == "modal":
            gateway.push_view(body["trigger_id"], view)
        else:
            gateway.open_view(str(body["trigger_id"]), view)

    def concern_form_for(user_id: str, preselected: int | None = None) -> dict[str, Any]:
        programmes = concerns.programmes_for_reporter(db, user_id)
        return concern_form(content, programmes, preselected) if programmes else not_enrolled_view(content)

    # -------------------------------------------------------------------- raising a concern

    def concern_command(call: CommandCall) -> None:
        call.ack()
        gateway.open_view(call.trigger_id, concern_form_for(call.user_id))

    def concerns_command(call: CommandCall) -> None:
        summaries = concerns.open_concerns_for_lead(db, call.user_id)
        own = concerns.concerns_of_reporter(db, call.user_id)
        if summaries:
            text, blocks = lead_concerns_list(summaries)
        elif own:
            text, blocks = reporter_concerns_list(own)
        else:
            text, blocks = reporter_concerns_list([])
        ephemeral(call.ack, text, blocks)

    router.add("concern", concern_command)
    router.add("concerns", concerns_command)

    @app.shortcut(RAISE_CONCERN)
    def concern_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        gateway.open_view(str(body["trigger_id"]), concern_form_for(acting_user(body)))

    @app.action(RAISE_CONCERN)
    def concern_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        preselected = _int(body["actions"][0].get("value")) or None
        open_or_push(body, concern_form_for(acting_user(body), preselected))

    def channel_is_private_to(channel_id: str, allowed: set[str]) -> bool:
        try:
            return leads_channel.holds_only(gateway.channel_facts(channel_id), allowed)
        except SlackApiError:
            log.warning("Could not check the leads' alerts channel", exc_info=True)
            return False

    @app.view(CONCERN_FORM)
    def save_concern(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = acting_user(body)
        values = read_values(view)
        chosen = values.get("programme_id") or metadata(view).get("programme_id")
        data = concerns.ConcernInput(
            programme_id=_int(chosen) or None,
            details=text_value(values, "details"),
            urgency=str(values.get("urgency") or ""),
            identity=str(values.get("identity") or ""),
            what_would_help=text_value(values, "what_would_help"),
        )
        try:
            raised = concerns.raise_concern(
                db, user_id, data, admins=runtime.settings.admins, submission=submissions.view_key(view)
            )
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        ack(response_action="update", view=concern_sent_view(content))
        if raised.alerts_channel_id and not raised.replayed:
            channel, allowed = concerns.alerts_channel_allowed_members(db, raised.id)
            if channel:
                safe = channel_is_private_to(channel, allowed)
                concerns.alert_leads_channel(db, raised.id, private_to_leads=safe)

    # -------------------------------------------------------------------- the leads' actions

    def show(body: dict[str, Any], respond: Respond, result: concerns.LeadConcernView) -> None:
        """Refresh the lead's concern modal if the click came from it; otherwise say what happened."""
        current = body.get("view") or {}
        if current.get("type") == "modal" and current.get("callback_id") == LEAD_VIEW:
            gateway.update_view(current["id"], lead_concern_modal(result))
        else:
            tell_privately(body, respond, result.message)

    def lead_action(action: LeadAction) -> Callable[[Ack, dict[str, Any], Respond], None]:
        def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user_id = acting_user(body)
            try:
                result = action(db, _int(body["actions"][0].get("value")), user_id)
            except (NotFound, NotAllowed) as error:
                tell_privately(body, respond, str(error))
                return
            show(body, respond, result)

        return listener

    app.action(ACKNOWLEDGE)(lead_action(concerns.acknowledge))
    app.action(CONTACT)(lead_action(concerns.contact_reporter))
    app.action(PAUSE)(lead_action(concerns.pause_pair))
    app.action(REMATCH)(lead_action(concerns.rematch_pair))

    @app.action(OPEN)
    def open_concern(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            result = concerns.open_for_lead(db, _int(body["actions"][0].get("value")), acting_user(body))
        except (NotFound, NotAllowed) as error:
            tell_privately(body, respond, str(error))
            return
        open_or_push(body, lead_concern_modal(result))

    def open_form(make: Callable[[int, str], dict[str, Any]]) -> Callable[[Ack, dict[str, Any], Respond], None]:
        def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            concern_id = _int(body["actions"][0].get("value"))
            try:
                concerns.audit_trail(db, concern_id, acting_user(body))  # a lead of its programme, or refused
            except (NotFound, NotAllowed) as error:
                tell_privately(body, respond, str(error))
                return
            open_or_push(body, make(concern_id, str((body.get("view") or {}).get("id") or "")))

        return listener

    app.action(CLOSE)(open_form(close_form))
    app.action(NOTE)(open_form(note_form))

    def refresh_parent(parent: str, result: concerns.LeadConcernView) -> None:
        if not parent:
            return
        try:
            gateway.update_view(parent, lead_concern_modal(result))
        except SlackApiError:
            log.info("The concern modal under the form was already closed")

    def save_form(field: str, action: Callable[[Any, int, str, str], concerns.LeadConcernView]) -> Any:
        def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            meta = metadata(view)
            try:
                result = action(
                    db, _int(meta.get("concern_id")), acting_user(body), text_value(read_values(view), field)
                )
            except FieldErrors as error:
                ack_field_errors(ack, error, view)
                return
            except (NotFound, NotAllowed) as error:
                ack_field_errors(ack, FieldErrors({field: str(error)}), view)
                return
            ack()
            refresh_parent(str(meta.get("parent") or ""), result)

        return listener

    app.view(CLOSE_FORM)(save_form("outcome_note", concerns.close))
    app.view(NOTE_FORM)(save_form("note", concerns.add_note))
