"""OAuth scopes and token types, as Slack checks them.

The bot token is granted exactly the bot scopes of the app's ``manifest.yml``
(``oauth_config.scopes.bot``), so a method the manifest does not cover fails in tests the way it
would fail in a real workspace: ``{"ok": false, "error": "missing_scope", "needed": ...,
"provided": ...}``. Scopes that depend on the kind of conversation (``conversations.history`` needs
``im:history`` in a DM but ``groups:history`` in a private channel) are checked by the methods
once they know the conversation; the rest are checked before the method runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from bot.emulator.errors import SlackApiError
from bot.emulator.state import ConversationKind

TokenKind = Literal["bot", "user", "app"]

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.yml"

# Scopes that do not depend on the conversation. Methods missing here need no scope (auth.test,
# api.test, views.*) or check a conversation-dependent family below.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "conversations.join": ("channels:join",),
    "pins.add": ("pins:write",),
    "pins.remove": ("pins:write",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.info": ("files:read",),
}

# Families of scopes chosen by the kind of conversation a method touches.
ScopeFamily = Literal["read", "history", "write"]
_FAMILIES: dict[ScopeFamily, dict[ConversationKind, str]] = {
    "read": {"channel": "channels:read", "private": "groups:read", "im": "im:read", "mpim": "mpim:read"},
    "history": {"channel": "channels:history", "private": "groups:history", "im": "im:history",
                "mpim": "mpim:history"},
    # conversations.open: a DM or a group DM (creating channels is another method).
    "write": {"channel": "channels:manage", "private": "groups:write", "im": "im:write", "mpim": "mpim:write"},
}

# Methods that only an app-level token (xapp-) may call; every other method refuses one.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Methods any token may call.
ANY_TOKEN_METHODS = frozenset({"api.test"})

# What posting in a public channel the bot has not joined takes.
CHAT_WRITE_PUBLIC = "chat:write.public"


def scope_for(family: ScopeFamily, kind: ConversationKind) -> str:
    return _FAMILIES[family][kind]


def manifest_bot_scopes(path: Path | str = MANIFEST_PATH) -> tuple[str, ...]:
    """The bot scopes requested by a Slack app manifest (``oauth_config.scopes.bot``)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    return tuple(str(s) for s in scopes)


def token_kind(token: str) -> TokenKind:
    """What kind of token this is, from its prefix (as Slack tells them apart)."""
    if token.startswith("xapp-"):
        return "app"
    if token.startswith("xoxp-"):
        return "user"
    return "bot"


@dataclass(frozen=True)
class Grant:
    """A token the emulator accepts, with its kind and scopes."""

    token: str
    kind: TokenKind
    scopes: tuple[str, ...]

    @property
    def header(self) -> str:
        """The ``x-oauth-scopes`` header Slack sends with every answer."""
        return ",".join(self.scopes)

    def require(self, *needed: str) -> None:
        """Raise Slack's ``missing_scope`` unless every scope in ``needed`` is granted."""
        lacking = [s for s in needed if s not in self.scopes]
        if lacking:
            raise SlackApiError("missing_scope", needed=",".join(lacking), provided=self.header)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def check_token_type(method: str, grant: Grant) -> None:
    """``not_allowed_token_type`` when a method is called with the wrong kind of token."""
    if method in ANY_TOKEN_METHODS:
        return
    if (method in APP_TOKEN_METHODS) != (grant.kind == "app"):
        raise SlackApiError("not_allowed_token_type")


def static_scopes(method: str) -> Iterable[str]:
    return METHOD_SCOPES.get(method, ())
