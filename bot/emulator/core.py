"""The emulator's shared core: its state, ids, serialisers and the helpers every part uses.

The :class:`~bot.emulator.server.SlackEmulator` is assembled from mixins that all derive from
:class:`EmulatorCore`: the Web API method families (``bot.emulator.methods``), interaction
plumbing, fault injection, the test query API, the HTTP transport and Socket Mode. Web API
methods are found by the :func:`web_api` decorator, so a family only has to define them.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import mimetypes
import random
import string
import threading
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.emulator.blockkit import INTERACTIVE_ELEMENT_TYPES, MAX_MESSAGE_TEXT, validate_blocks
from bot.emulator.clock import Clock
from bot.emulator.errors import EmulatorError, SlackApiError
from bot.emulator.faults import FaultPlan, RateLimiter
from bot.emulator.scopes import Grant, ScopeFamily, manifest_bot_scopes, scope_for
from bot.emulator.state import (
    Conversation,
    Message,
    Problem,
    RecordedCall,
    ResponseUrl,
    Seen,
    StoredFile,
    Trigger,
    User,
    View,
)
from bot.emulator.util import json_arg, message_text, str_arg

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[[dict[str, Any]], dict[str, Any]]

_ID_ALPHABET = string.ascii_uppercase + string.digits
# Every emulator alive, so the pytest plugin can find the problems a test left behind.
LIVE_EMULATORS: weakref.WeakSet[EmulatorCore] = weakref.WeakSet()
_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")


def web_api(name: str) -> Callable[[F], F]:
    """Mark a mixin method as the implementation of the Web API method ``name``."""

    def mark(fn: F) -> F:
        fn._slack_method = name  # type: ignore[attr-defined]
        return fn

    return mark


class EmulatorCore:
    """State and helpers shared by every part of the emulator. Not used on its own."""

    def __init__(
        self,
        bot_token: str = "xoxb-emulator",
        team_id: str = "T0EMULATOR",
        app_id: str = "A0EMULATOR",
        *,
        team_domain: str = "emulator",
        bot_name: str = "mentoring",
        verification_token: str = "emulator-verification-token",
        clock: Clock | None = None,
        seed: int = 0,
        scopes: tuple[str, ...] | list[str] | None = None,
        manifest: Path | str | None = None,
        app_token: str = "xapp-1-A0EMULATOR-1-emulator",
        rate_limits: bool = True,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.app_id = app_id
        self.team_domain = team_domain
        self.verification_token = verification_token
        self.clock: Clock = clock or Clock()
        self.bot_user_id = "U0EMUBOT00"
        self.bot_id = "B0EMULATOR"
        bot_scopes = tuple(scopes) if scopes is not None else manifest_bot_scopes(
            *([manifest] if manifest is not None else []))
        self.bot_scopes: tuple[str, ...] = bot_scopes
        self._grants: dict[str, Grant] = {
            bot_token: Grant(bot_token, "bot", bot_scopes),
            app_token: Grant(app_token, "app", ("connections:write",)),
        }
        self._grant: Grant | None = None  # the token of the Web API call being answered
        self._lock = threading.RLock()
        self._server: Any = None  # the HTTP server, while started
        self._port = 0
        self._rng = random.Random(seed)
        self._last_ts_us = 0

        self._users: dict[str, User] = {}
        self._convs: dict[str, Conversation] = {}
        self._ims: dict[str, str] = {}  # user id -> D channel
        self._mpims: dict[frozenset[str], str] = {}
        self._ephemerals: list[Message] = []
        self._stacks: dict[str, list[View]] = {}
        self._homes: dict[str, View] = {}
        self._views: dict[str, View] = {}
        self._files: dict[str, StoredFile] = {}
        self._upload_tokens: dict[str, str] = {}  # upload token -> file id
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._calls: list[RecordedCall] = []
        self._problems: list[Problem] = []
        self._faults = FaultPlan()
        self._drops: list[tuple[str, list[int], bool]] = []
        self.rate_limiter = RateLimiter(self.clock)
        self.rate_limiter.enabled = rate_limits
        self.trigger_ttl_seconds = 3.0

        self._users[self.bot_user_id] = User(
            id=self.bot_user_id, name=bot_name, real_name=bot_name.title(), is_bot=True, bot_id=self.bot_id
        )
        self._methods: dict[str, Handler] = {}
        for klass in reversed(type(self).__mro__):
            for attr, fn in vars(klass).items():
                name = getattr(fn, "_slack_method", None)
                if isinstance(name, str):
                    self._methods[name] = getattr(self, attr)
        LIVE_EMULATORS.add(self)

    # ------------------------------------------------------------------ tokens and scopes

    @property
    def tokens(self) -> set[str]:
        """Every token the emulator accepts."""
        with self._lock:
            return set(self._grants)

    def grant(self, token: str) -> Grant | None:
        with self._lock:
            return self._grants.get(token)

    def _need(self, *scopes: str) -> None:
        """Inside a Web API method: ``missing_scope`` unless the calling token has ``scopes``."""
        if self._grant is not None:
            self._grant.require(*scopes)

    def _need_for(self, family: ScopeFamily, conv: Conversation) -> None:
        self._need(scope_for(family, conv.kind))

    def _has_scope(self, scope: str) -> bool:
        return self._grant is None or self._grant.has(scope)

    def _check_member(self, conv: Conversation, *, public_ok: bool = False) -> None:
        """The bot must be in the conversation: ``not_in_channel`` for public channels (unless
        ``public_ok``), ``channel_not_found`` for anything private (the bot cannot see it)."""
        if self.bot_user_id in conv.members:
            return
        if conv.kind == "channel":
            if not public_ok:
                raise SlackApiError("not_in_channel")
            return
        raise SlackApiError("channel_not_found")

    # ------------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``"""
        if self._server is None:
            raise EmulatorError("the emulator is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/`` — pass it to ``WebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ problems

    def _problem(self, problem: Problem) -> None:
        with self._lock:
            self._problems.append(problem)

    # ------------------------------------------------------------------ ids and time

    def _new_id(self, prefix: str, length: int = 10) -> str:
        while True:
            candidate = prefix + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(length))
            if candidate not in self._users and candidate not in self._convs and candidate not in self._views:
                return candidate

    def _next_ts(self) -> str:
        us = int(self.clock.time() * 1_000_000)
        us = max(us, self._last_ts_us + 1)
        self._last_ts_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _now(self) -> int:
        return int(self.clock.time())


    # ------------------------------------------------------------------ argument helpers

    @staticmethod
    def _str(args: Mapping[str, Any], key: str) -> str | None:
        return str_arg(args, key)

    @staticmethod
    def _json_arg(args: Mapping[str, Any], key: str, error: str = "invalid_arguments") -> Any:
        return json_arg(args, key, error)

    def _user_or_error(self, user_id: str | None, error: str = "user_not_found") -> User:
        user = self._users.get(user_id or "")
        if user is None:
            raise SlackApiError(error)
        return user

    # ------------------------------------------------------------------ serialisers

    def _user_obj(self, u: User) -> dict[str, Any]:
        try:
            zone = ZoneInfo(u.tz)
            now = datetime.fromtimestamp(self.clock.time(), zone)
            delta = now.utcoffset()
            offset = int(delta.total_seconds()) if delta is not None else 0
            label = now.tzname() or u.tz
        except (ZoneInfoNotFoundError, ValueError):
            offset, label = 0, u.tz
        first, _, last = u.real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": u.title, "phone": "", "skype": "", "real_name": u.real_name,
            "real_name_normalized": u.real_name, "display_name": u.display_name,
            "display_name_normalized": u.display_name, "fields": None, "status_text": "", "status_emoji": "",
            "status_expiration": 0, "avatar_hash": "g0000000000", "first_name": first, "last_name": last,
            "image_24": "https://emulator.invalid/avatar_24.png", "image_48": "https://emulator.invalid/avatar_48.png",
            "image_72": "https://emulator.invalid/avatar_72.png", "team": self.team_id,
        }
        if u.email and self._has_scope("users:read.email"):  # Slack hides emails without the scope
            profile["email"] = u.email
        if u.is_bot:
            profile["bot_id"] = u.bot_id
            profile["api_app_id"] = self.app_id
            profile["always_active"] = True
        return {
            "id": u.id, "team_id": self.team_id, "name": u.name, "deleted": u.deleted, "color": "9f69e7",
            "real_name": u.real_name, "tz": u.tz, "tz_label": label, "tz_offset": offset, "profile": profile,
            "is_admin": u.is_admin, "is_owner": u.is_owner, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": u.is_bot, "is_app_user": False, "updated": self._now(),
            "is_email_confirmed": u.email is not None, "has_2fa": False, "who_can_share_contact_card": "EVERYONE",
        }

    def _conv_obj(self, c: Conversation) -> dict[str, Any]:
        if c.kind == "im":
            other = c.members[0]
            return {
                "id": c.id, "created": c.created, "is_archived": self._is_archived(c), "is_im": True,
                "is_org_shared": False, "context_team_id": self.team_id, "updated": c.created * 1000,
                "user": other, "is_user_deleted": self._users[other].deleted, "priority": 0,
                "last_read": "0000000000.000000", "is_open": True,
            }
        topic = {"value": c.topic, "creator": "", "last_set": 0}
        purpose = {"value": c.purpose, "creator": "", "last_set": 0}
        return {
            "id": c.id, "name": c.name, "is_channel": c.kind == "channel", "is_group": c.kind != "channel",
            "is_im": False, "is_mpim": c.kind == "mpim", "is_private": c.kind != "channel",
            "created": c.created, "is_archived": c.is_archived, "is_general": False, "unlinked": 0,
            "name_normalized": c.name, "is_shared": False, "is_org_shared": False, "is_pending_ext_shared": False,
            "pending_shared": [], "context_team_id": self.team_id, "updated": c.created * 1000,
            "parent_conversation": None, "creator": c.creator, "is_ext_shared": False, "shared_team_ids": [],
            "pending_connected_team_ids": [], "is_member": self.bot_user_id in c.members, "topic": topic,
            "purpose": purpose, "previous_names": [], "num_members": len(c.members),
        }

    def _message_obj(self, m: Message, *, metadata: bool = False) -> dict[str, Any]:
        """The message as the Web API returns it; ``metadata`` only when the caller asked for it."""
        out: dict[str, Any] = {"user": m.user, "type": "message", "ts": m.ts, "text": m.text, "team": self.team_id}
        if m.bot_id:
            out.update({"bot_id": m.bot_id, "app_id": self.app_id, "bot_profile": {
                "id": self.bot_id, "app_id": self.app_id, "name": self._users[self.bot_user_id].name,
                "deleted": False, "team_id": self.team_id, "updated": 0,
                "icons": {"image_36": "https://emulator.invalid/bot_36.png"}}})
        if m.blocks is not None:
            out["blocks"] = copy.deepcopy(m.blocks)
        if m.attachments is not None:
            out["attachments"] = copy.deepcopy(m.attachments)
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        if m.files:
            out["files"] = [self._file_obj(self._files[f]) for f in m.files if f in self._files]
            out["upload"] = False
        if m.edited:
            out["edited"] = {"user": m.user, "ts": m.ts}
        if m.pinned:
            out["pinned_to"] = [m.channel]
        if m.metadata and metadata:
            out["metadata"] = copy.deepcopy(m.metadata)
        return out

    def _file_obj(self, f: StoredFile) -> dict[str, Any]:
        mimetype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        ext = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else "binary"
        url = f"{self.base_url}/files-pri/{self.team_id}-{f.id}/{f.name}"
        public = [c for c in f.channels if self._convs[c].kind == "channel"]
        private = [c for c in f.channels if self._convs[c].kind in ("private", "mpim")]
        ims = [c for c in f.channels if self._convs[c].kind == "im"]
        return {
            "id": f.id, "created": f.created, "timestamp": f.created, "name": f.name, "title": f.title or f.name,
            "mimetype": mimetype, "filetype": ext, "pretty_type": ext.upper(), "user": f.user,
            "user_team": self.team_id, "editable": False, "size": len(f.bytes), "mode": "hosted",
            "is_external": False, "external_type": "", "is_public": bool(public), "public_url_shared": False,
            "display_as_bot": False, "username": "", "url_private": url, "url_private_download": url + "?download",
            "permalink": f"https://{self.team_domain}.slack.com/files/{f.user}/{f.id}/{f.name}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{f.id}-0000000000",
            "channels": public, "groups": private, "ims": ims, "comments_count": 0,
            "has_rich_preview": False, "file_access": "visible", "alt_txt": f.alt_txt,
        }

    def _normalise_blocks(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deep copy, and give every block a block_id and every element an action_id, as Slack does."""
        out = copy.deepcopy(blocks)
        for block in out:
            if not isinstance(block, dict):
                continue
            if "block_id" not in block:
                block["block_id"] = "".join(self._rng.choice(string.ascii_letters + string.digits)
                                            for _ in range(5))
            elements: list[Any] = []
            if isinstance(block.get("elements"), list) and block.get("type") == "actions":
                elements = block["elements"]
            for key in ("accessory", "element"):
                if isinstance(block.get(key), dict):
                    elements.append(block[key])
            for el in elements:
                if isinstance(el, dict) and el.get("type") in INTERACTIVE_ELEMENT_TYPES and "action_id" not in el:
                    el["action_id"] = "".join(self._rng.choice(string.ascii_letters + string.digits)
                                              for _ in range(5))
        return out

    # ------------------------------------------------------------------ conversation helpers

    def _is_archived(self, conv: Conversation) -> bool:
        if conv.kind == "im":
            return conv.is_archived or self._users[conv.members[0]].deleted
        return conv.is_archived

    def _resolve(self, channel: str | None) -> Conversation:
        """A channel id, a user id (→ the bot's DM with them) or a channel name."""
        if not channel:
            raise SlackApiError("channel_not_found")
        conv = self._convs.get(channel)
        if conv is not None:
            if conv.kind != "channel" and self.bot_user_id not in conv.members:
                raise SlackApiError("channel_not_found")
            return conv
        user = self._users.get(channel)
        if user is not None and not user.is_bot:
            return self._ensure_im(user.id)
        name = channel.lstrip("#")
        for c in self._convs.values():
            if c.name == name and (c.kind == "channel" or (c.kind == "private" and self.bot_user_id in c.members)):
                return c
        raise SlackApiError("channel_not_found")

    def _check_can_post(self, conv: Conversation, *, public_ok: bool = False) -> None:
        """Posting needs membership (``channel_not_found`` for private conversations the bot is not
        in; ``not_in_channel`` for public ones unless ``public_ok``) and an unarchived channel."""
        if conv.kind != "channel" and self.bot_user_id not in conv.members:
            raise SlackApiError("channel_not_found")
        if self._is_archived(conv):
            raise SlackApiError("is_archived")
        self._check_member(conv, public_ok=public_ok)

    def _message_content(self, args: Mapping[str, Any], *, required: bool = True
                         ) -> tuple[str | None, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
        text = self._str(args, "text")
        raw_blocks = args.get("blocks")
        blocks: Any = None
        if raw_blocks is not None and raw_blocks != "":
            if isinstance(raw_blocks, str):
                try:
                    blocks = json.loads(raw_blocks)
                except ValueError as exc:
                    raise SlackApiError("invalid_blocks_format") from exc
            else:
                blocks = raw_blocks
            if not isinstance(blocks, list):
                raise SlackApiError("invalid_blocks_format")
        attachments = self._json_arg(args, "attachments", "invalid_attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise SlackApiError("invalid_attachments")
        if attachments is not None and len(attachments) > 100:
            raise SlackApiError("too_many_attachments")
        if required and not text and not blocks and not attachments:
            raise SlackApiError("no_text")
        if blocks:
            errors = validate_blocks(blocks, surface="message")
            if errors:
                raise SlackApiError("invalid_blocks", [f"[ERROR] {e}" for e in errors], errors=errors)
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise SlackApiError("msg_too_long")
        return text, blocks, attachments

    def _find_message(self, conv: Conversation, ts: str | None) -> Message:
        for m in conv.messages:
            if m.ts == ts:
                return m
        raise SlackApiError("message_not_found")


    def _page(self, items: list[T], args: Mapping[str, Any], default_limit: int = 100) -> tuple[list[T], str]:
        cursor = self._str(args, "cursor")
        offset = 0
        if cursor:
            try:
                offset = int(base64.b64decode(cursor).decode().split(":", 1)[1])
            except (ValueError, IndexError, UnicodeDecodeError) as exc:
                raise SlackApiError("invalid_cursor") from exc
        try:
            limit = int(self._str(args, "limit") or default_limit)
        except ValueError as exc:
            raise SlackApiError("invalid_limit") from exc
        if limit <= 0:
            limit = len(items) or 1
        page = items[offset:offset + limit]
        next_offset = offset + limit
        next_cursor = base64.b64encode(f"offset:{next_offset}".encode()).decode() if next_offset < len(items) else ""
        return page, next_cursor

    # ------------------------------------------------------------------ state helpers

    def _ensure_im(self, user_id: str) -> Conversation:
        cid = self._ims.get(user_id)
        if cid is None:
            cid = self._new_id("D")
            self._convs[cid] = Conversation(
                id=cid, kind="im", name=user_id, members=[user_id, self.bot_user_id], created=self._now(),
                creator=self.bot_user_id,
            )
            self._ims[user_id] = cid
        return self._convs[cid]

    def _visible_conv(self, channel: str | None) -> Conversation:
        """A conversation the bot can see: any public channel, or a private one it is in."""
        conv = self._convs.get(channel or "")
        if conv is None:
            raise SlackApiError("channel_not_found")
        if conv.kind != "channel" and self.bot_user_id not in conv.members:
            raise SlackApiError("channel_not_found")
        return conv

    def _seen(self, m: Message, kind: Any) -> Seen:
        return Seen(
            kind=kind, channel=m.channel, ts=m.ts, text=message_text(m), blocks=copy.deepcopy(m.blocks or []),
            user=m.user, thread_ts=m.thread_ts, files=list(m.files), message=m,
        )

    def _record(self, method: str, args: Mapping[str, Any], response: dict[str, Any], status: int) -> None:
        recorded: dict[str, Any] = {}
        for key, value in args.items():
            if key in _JSON_ARGS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            recorded[key] = value
        self._calls.append(RecordedCall(method, recorded, copy.deepcopy(response), status, self.clock.time()))

    def _live_view(self, view_id: str | None) -> View | None:
        """A view that is on screen: a modal on someone's stack, or a published home tab."""
        if not view_id:
            return None
        for stack in self._stacks.values():
            for v in stack:
                if v.id == view_id:
                    return v
        return next((v for v in self._homes.values() if v.id == view_id), None)

    @staticmethod
    def _json(status: int, body: Mapping[str, Any], extra: Mapping[str, str] | None = None
              ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if extra:
            headers.update(extra)
        return status, headers, json.dumps(body).encode()

    def _take_drop(self, method: str) -> tuple[bool, bool]:
        for i, (m, remaining, after) in enumerate(self._drops):
            if m in (method, "*"):
                remaining[0] -= 1
                if remaining[0] <= 0:
                    del self._drops[i]
                return True, after
        return False, False
