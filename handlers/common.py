"""What the handlers share: how listeners are listed and given the runtime, who is acting, how to answer.

Listeners are module-level functions. Bolt injects its own arguments by name (``ack``, ``body``,
``view``, ``respond``...) and, through :func:`provide_runtime`, ``runtime``: so a listener can be
called directly in a unit test with a fake gateway. Each handler module lists its listeners in one
:class:`Listeners` value; ``handlers.register_listeners`` registers them all from an explicit list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.models import Programme
from bot.programmes import service as programme_service
from bot.programmes.access import is_admin
from bot.runtime import Runtime

if TYPE_CHECKING:
    from handlers.commands import CommandRouter, SubCommand

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

Listener = Callable[..., Any]
Matcher = str | re.Pattern[str]


@dataclass(frozen=True)
class Listeners:
    """Every listener of one feature, by what Slack sends: registered once, explicitly, at start."""

    commands: Mapping[str, SubCommand] = field(default_factory=dict)  # `/mentoring <name>`
    actions: Sequence[tuple[Matcher, Listener]] = ()
    views: Sequence[tuple[Matcher, Listener]] = ()
    view_closed: Sequence[tuple[Matcher, Listener]] = ()
    shortcuts: Sequence[tuple[Matcher, Listener]] = ()
    options: Sequence[tuple[Matcher, Listener]] = ()
    events: Sequence[tuple[str, Listener]] = ()

    def register(self, app: App, router: CommandRouter) -> None:
        for name, command in self.commands.items():
            router.add(name, command)
        for matcher, listener in self.actions:
            app.action(matcher)(listener)
        for matcher, listener in self.views:
            app.view(matcher)(listener)
        for matcher, listener in self.view_closed:
            app.view_closed(matcher)(listener)
        for matcher, listener in self.shortcuts:
            app.shortcut(matcher)(listener)
        for matcher, listener in self.options:
            app.options(matcher)(listener)
        for event, listener in self.events:
            app.event(event)(listener)


def provide_runtime(runtime: Runtime) -> Callable[..., Any]:
    """Middleware: every listener may ask for ``runtime`` by name (settings, database, gateway, content)."""

    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        context["runtime"] = runtime
        return next()

    return middleware


def acting_user(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or (body.get("user") or {}).get("id"))


def user_is_admin(runtime: Runtime, user_id: str) -> bool:
    """Workspace admins and owners (from Slack) and the ADMINS setting."""
    if user_id in runtime.settings.admins:
        return True
    user = runtime.gateway.user(user_id)
    return is_admin(user_id, workspace_admin=user.is_admin or user.is_owner, configured_admins=())


def tell(runtime: Runtime, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """A private DM after the request was acknowledged; a failure is logged, never raised at the user."""
    try:
        runtime.gateway.post_dm(user_id, text, blocks)
    except Exception:
        log.warning("Could not send a direct message", exc_info=True)


def answer_privately(
    runtime: Runtime,
    body: dict[str, Any],
    respond: Respond | None,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    replace: bool = False,
) -> None:
    """Answer where the click came from, so only the person who clicked sees it.

    A message carries a ``response_url``: answer in place (ephemeral, or replacing the message).
    App Home and modals carry none: the words go to the person's DM instead. Never raises: this runs
    after ``ack()``, where a failure would leave the person with nothing.
    """
    try:
        if body.get("response_url") and respond is not None:
            respond(text=text, blocks=blocks or None, response_type="ephemeral", replace_original=replace)
        else:
            runtime.gateway.post_dm(acting_user(body), text, blocks)
    except Exception:
        log.warning("Could not answer a person privately", exc_info=True)


def open_or_push(runtime: Runtime, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Push on top of an open modal (keeping it and what was typed), otherwise open a new one."""
    if (body.get("view") or {}).get("type") == "modal":
        runtime.gateway.push_view(str(body["trigger_id"]), view)
    else:
        runtime.gateway.open_view(str(body["trigger_id"]), view)


def parse_int(value: Any) -> int:
    """An id from a button value or metadata; 0 when it is missing or not a number."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def action_value(body: dict[str, Any]) -> str:
    """The clicked button's value (or the chosen option's), "" when there is none."""
    actions = body.get("actions") or [{}]
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    option = action.get("selected_option") or {}
    return str(action.get("value") or option.get("value") or "")


def mentioned_users(text: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(text)))


def without_mentions(text: str) -> str:
    return " ".join(MENTION.sub(" ", text).split())


def ack_field_errors(ack: Ack, error: FieldErrors, view: dict[str, Any]) -> None:
    """Show errors under the fields they belong to; anything else under the first input."""
    block_ids = [block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"]
    errors: dict[str, str] = {}
    for name, message in error.errors.items():
        target = name if name in block_ids else (block_ids[0] if block_ids else name)
        errors[target] = (errors[target] + " " + message) if target in errors else message
    ack(response_action="errors", errors=errors)


def ephemeral(ack: Ack, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """Answer a slash command privately in its acknowledgement (fast, and only the caller sees it)."""
    if blocks:
        ack(text=text, blocks=blocks)
    else:
        ack(text=text)


def programme_for_lead_command(runtime: Runtime, user_id: str, name: str, usage: str) -> Programme | str:
    """The programme a lead command is about: the one named, or the only one the person leads.

    Returns a message for the person instead when that can't be decided or they may not act on it.
    """
    name = name.strip()
    led = programme_service.programmes_led_by(runtime.db, user_id)
    if name:
        try:
            programme = programme_service.find_programme(runtime.db, name)
        except NotFound as error:
            return str(error)
        if programme.id in {p.id for p in led} or user_is_admin(runtime, user_id):
            return programme
        return "Only this programme's leads can do that."
    active = [p for p in led if p.status == "active"]
    if len(active) == 1:
        return active[0]
    if not active:
        return "Only programme leads can do that. " + usage
    return f"You lead several programmes ({', '.join(p.name for p in active)}). Say which one. {usage}"


def refusal_text(error: Exception, malformed: str) -> str:
    """What to tell someone a service refused: its reason, or ``malformed`` for a value that did not parse."""
    return str(error) if isinstance(error, NotAllowed | NotFound) else malformed
