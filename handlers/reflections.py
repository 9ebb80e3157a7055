"""Reflections on the Slack surface: the prompt's button, `/mentoring reflect` and `reflections`.

The service checks every id against the person acting: a replayed button with someone else's
session or reflection id gets the same private "not yours" answer.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import int_value, metadata, read_values, text_value
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.reflections import service as reflections
from bot.reflections.blocks import (
    DELETE_REFLECTION,
    EDIT_REFLECTION,
    OPEN_REFLECTION,
    REFLECTION_FORM,
    SHARE_VALUE,
    my_reflections_message,
    reflection_modal,
    saved_view,
)
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import ack_field_errors, acting_user, ephemeral

log = logging.getLogger(__name__)

NOTHING_TO_REFLECT_ON = (
    "There's no session to reflect on yet. Once you or your partner confirm that a session happened, "
    "I'll ask you privately for a reflection."
)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def reflection_input(values: dict[str, Any]) -> reflections.ReflectionInput:
    return reflections.ReflectionInput(
        takeaways=text_value(values, "takeaways"),
        do_differently=text_value(values, "do_differently"),
        explore_next=text_value(values, "explore_next"),
        safety=int_value(values, "safety"),
        usefulness=int_value(values, "usefulness"),
        share_takeaways=SHARE_VALUE in (values.get("share_takeaways") or []),
    )


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, gateway, content = runtime.db, runtime.gateway, runtime.content

    def tell_privately(body: dict[str, Any], respond: Respond, text: str) -> None:
        try:
            if body.get("response_url"):
                respond(text=text, response_type="ephemeral", replace_original=False)
            else:
                gateway.post_dm(acting_user(body), text)
        except Exception:
            log.warning("Could not answer a person privately", exc_info=True)

    def open_or_push(body: dict[str, Any], view: dict[str, Any]) -> None:
        if (body.get("view") or {}).get("type") == "modal":
            gateway.client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            gateway.open_view(str(body["trigger_id"]), view)

    def reflect(call: CommandCall) -> None:
        target = reflections.latest_reflection_target(db, call.user_id)
        if target is None:
            ephemeral(call.ack, NOTHING_TO_REFLECT_ON)
            return
        call.ack()
        gateway.open_view(call.trigger_id, reflection_modal(content, target))

    def list_reflections(call: CommandCall) -> None:
        text, blocks = my_reflections_message(reflections.my_reflections(db, call.user_id))
        ephemeral(call.ack, text, blocks)

    router.add("reflect", reflect)
    router.add("reflections", list_reflections)

    @app.action(OPEN_REFLECTION)
    def open_reflection(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            target = reflections.reflection_target(db, _int(body["actions"][0].get("value")), acting_user(body))
        except (NotFound, NotAllowed) as error:
            tell_privately(body, respond, str(error))
            return
        open_or_push(body, reflection_modal(content, target))

    @app.action(EDIT_REFLECTION)
    def edit_reflection(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            target = reflections.target_for_edit(db, _int(body["actions"][0].get("value")), acting_user(body))
        except (NotFound, NotAllowed) as error:
            tell_privately(body, respond, str(error))
            return
        open_or_push(body, reflection_modal(content, target))

    @app.action(DELETE_REFLECTION)
    def delete_reflection(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            reflections.delete_reflection(db, _int(body["actions"][0].get("value")), user_id)
        except (NotFound, NotAllowed) as error:
            tell_privately(body, respond, str(error))
            return
        text, blocks = my_reflections_message(reflections.my_reflections(db, user_id))
        if body.get("response_url"):
            respond(text="Deleted. " + text, blocks=blocks, response_type="ephemeral", replace_original=True)
        else:
            tell_privately(body, respond, "Your reflection is deleted.")

    @app.view(REFLECTION_FORM)
    def save_reflection(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Saved before the modal closes; a failed save keeps it open, with everything typed."""
        session_id = _int(metadata(view).get("session_id"))
        try:
            saved = reflections.save_reflection(db, session_id, acting_user(body), reflection_input(read_values(view)))
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotFound, NotAllowed) as error:
            ack_field_errors(ack, FieldErrors({"takeaways": str(error)}), view)
            return
        ack(response_action="update", view=saved_view(content, saved.partner_name, saved.shared_now))
