"""Small helpers the handlers share: who is acting, how to answer, how to read mentions."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack

from bot.errors import FieldErrors, NotFound
from bot.models import Programme
from bot.programmes import service as programme_service
from bot.programmes.access import is_admin
from bot.runtime import Runtime

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


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


def mentioned_users(text: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(text)))


def without_mentions(text: str) -> str:
    return " ".join(MENTION.sub(" ", text).split())


def ack_field_errors(ack: Ack, error: FieldErrors, view: dict[str, Any]) -> None:
    """Show errors under the fields they belong to; anything else under the first input."""
    block_ids = [block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"]
    errors: dict[str, str] = {}
    for field, message in error.errors.items():
        target = field if field in block_ids else (block_ids[0] if block_ids else field)
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
