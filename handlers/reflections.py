"""Reflections on the Slack surface: the prompt's button, `/mentoring reflect` and `reflections`.

The service checks every id against the person acting: a replayed button with someone else's
session or reflection id gets the same private "not yours" answer.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond

from bot.blockkit.forms import int_value, metadata, read_values, text_value
from bot.concerns import service as concerns
from bot.concerns.blocks import with_low_safety_offer
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

NOTHING_TO_REFLECT_ON = (
    "There's no session to reflect on yet. Once you or your partner confirm that a session happened, "
    "I'll ask you privately for a reflection."
)


def reflection_input(values: dict[str, Any]) -> reflections.ReflectionInput:
    return reflections.ReflectionInput(
        takeaways=text_value(values, "takeaways"),
        do_differently=text_value(values, "do_differently"),
        explore_next=text_value(values, "explore_next"),
        safety=int_value(values, "safety"),
        usefulness=int_value(values, "usefulness"),
        share_takeaways=SHARE_VALUE in (values.get("share_takeaways") or []),
    )


def reflect(call: CommandCall) -> None:
    runtime = call.runtime
    target = reflections.latest_reflection_target(runtime.db, call.user_id)
    if target is None:
        ephemeral(call.ack, NOTHING_TO_REFLECT_ON)
        return
    call.ack()
    runtime.gateway.open_view(
        call.trigger_id, reflection_modal(runtime.content, target, min_group=runtime.settings.min_group_size)
    )


def list_reflections(call: CommandCall) -> None:
    text, blocks = my_reflections_message(
        call.runtime.content, reflections.my_reflections(call.runtime.db, call.user_id)
    )
    ephemeral(call.ack, text, blocks)


def open_reflection(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        target = reflections.reflection_target(runtime.db, parse_int(action_value(body)), acting_user(body))
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    open_or_push(runtime, body, reflection_modal(runtime.content, target, min_group=runtime.settings.min_group_size))


def edit_reflection(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    try:
        target = reflections.target_for_edit(runtime.db, parse_int(action_value(body)), acting_user(body))
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    open_or_push(runtime, body, reflection_modal(runtime.content, target, min_group=runtime.settings.min_group_size))


def delete_reflection(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        reflections.delete_reflection(runtime.db, parse_int(action_value(body)), user_id)
    except (NotFound, NotAllowed) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, blocks = my_reflections_message(runtime.content, reflections.my_reflections(runtime.db, user_id))
    if body.get("response_url"):
        answer_privately(runtime, body, respond, "Deleted. " + text, blocks, replace=True)
    else:
        answer_privately(runtime, body, respond, "Your reflection is deleted.")


def save_reflection(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    """Saved before the modal closes; a failed save keeps it open, with everything typed."""
    session_id = parse_int(metadata(view).get("session_id"))
    try:
        saved = reflections.save_reflection(
            runtime.db, session_id, acting_user(body), reflection_input(read_values(view))
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotFound, NotAllowed) as error:
        ack_field_errors(ack, FieldErrors({"takeaways": str(error)}), view)
        return
    view = saved_view(runtime.content, saved.partner_name, saved.shared_now)
    if concerns.felt_unsafe(saved.safety):  # shown to the author alone, in their own modal
        resources = concerns.programme_support(runtime.db, saved.programme_id)
        view = with_low_safety_offer(view, runtime.content, saved.programme_id, resources)
    ack(response_action="update", view=view)


LISTENERS = Listeners(
    commands={"reflect": reflect, "reflections": list_reflections},
    actions=[
        (OPEN_REFLECTION, open_reflection),
        (EDIT_REFLECTION, edit_reflection),
        (DELETE_REFLECTION, delete_reflection),
    ],
    views=[(REFLECTION_FORM, save_reflection)],
)
