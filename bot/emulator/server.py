"""``SlackEmulator``: a stateful, local fake of Slack's Web API for tests and demos.

Point the real ``slack_sdk.WebClient(base_url=emu.api_url)`` at it. Nothing here ever talks
to slack.com.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import mimetypes
import random
import socket
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.emulator.blockkit import (
    INTERACTIVE_ELEMENT_TYPES,
    MAX_MESSAGE_TEXT,
    flatten_text,
    validate_blocks,
    validate_view,
)
from bot.emulator.clock import Clock, real_wait
from bot.emulator.faults import Fault, FaultPlan, RateLimiter, default_error_for
from bot.emulator.state import (
    Conversation,
    Message,
    RecordedCall,
    ResponseUrl,
    Seen,
    StoredFile,
    Trigger,
    User,
    View,
)

T = TypeVar("T")


class _Headers(Protocol):
    def get(self, name: str, default: None = None, /) -> str | None: ...

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_VIEW_STACK = 3
MAX_CONVERSATION_OPEN_USERS = 8
_ID_ALPHABET = string.ascii_uppercase + string.digits
_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")


class EmulatorError(RuntimeError):
    """Raised to the *test* when something the app did would be refused by Slack's client side."""


class SlackApiError(Exception):
    """Internal: a Web API method answering ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error}
        out.update(self.extra)
        if self.messages:
            out["response_metadata"] = {"messages": self.messages}
        return out


def _missing(*names: str) -> SlackApiError:
    return SlackApiError("invalid_arguments", [f"[ERROR] missing required field: {n}" for n in names])


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    try:
        return int(whole), int((frac + "000000")[:6])
    except ValueError:
        return 0, 0


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack accepts many connections at once; the stdlib default backlog (5) resets the rest.
    request_queue_size = 256
    emulator: SlackEmulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SlackEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        result = self.server.emulator._http(verb, self.path, self.headers, body)
        if result is None:  # dropped connection: no answer at all
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, payload = result
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class SlackEmulator:
    """A stateful fake of Slack's Web API served on ``127.0.0.1`` (ephemeral port).

    Thread-safe: one re-entrant lock guards all state. Usable as a context manager.
    """

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
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.app_id = app_id
        self.team_domain = team_domain
        self.verification_token = verification_token
        self.clock: Clock = clock or Clock()
        self.bot_user_id = "U0EMUBOT00"
        self.bot_id = "B0EMULATOR"
        self.tokens: set[str] = {bot_token}
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._last_ts_us = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

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
        self._faults = FaultPlan()
        self._drops: list[tuple[str, list[int], bool]] = []
        self.rate_limiter = RateLimiter(self.clock)

        self._users[self.bot_user_id] = User(
            id=self.bot_user_id, name=bot_name, real_name=bot_name.title(), is_bot=True, bot_id=self.bot_id
        )
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "pins.add": self._pins_add,
            "pins.remove": self._pins_remove,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackEmulator:
        """Start serving on 127.0.0.1 (port chosen by the OS). Returns ``self``."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.emulator = self
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    # ------------------------------------------------------------------ setup API

    def add_user(
        self,
        name: str,
        real_name: str = "",
        tz: str = "Europe/London",
        title: str = "",
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        user_id: str | None = None,
        *,
        display_name: str = "",
        is_bot: bool = False,
    ) -> str:
        """Add a workspace member and return their user id (``U…``)."""
        with self._lock:
            uid = user_id or self._new_id("U")
            if uid in self._users:
                raise EmulatorError(f"user {uid} already exists")
            self._users[uid] = User(
                id=uid, name=name, real_name=real_name or name, display_name=display_name, tz=tz,
                title=title, email=email, is_admin=is_admin, is_owner=is_owner, deleted=deleted, is_bot=is_bot,
            )
            return uid

    def set_user(self, user_id: str, **changes: Any) -> User:
        """Change a user's attributes (``deleted=True`` deactivates them)."""
        with self._lock:
            user = self.user(user_id)
            updated = replace(user, **changes)
            self._users[user_id] = updated
            return updated

    def user(self, user_id: str) -> User:
        """The stored user (raises ``KeyError`` when unknown)."""
        with self._lock:
            return self._users[user_id]

    @property
    def users(self) -> list[User]:
        with self._lock:
            return list(self._users.values())

    def add_token(self, token: str) -> None:
        """Accept another token (e.g. a second bot or a user token)."""
        with self._lock:
            self.tokens.add(token)

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        *,
        bot_is_member: bool = True,
        is_archived: bool = False,
        channel_id: str | None = None,
    ) -> str:
        """Create a public or private channel and return its id (``C…``)."""
        with self._lock:
            cid = channel_id or self._new_id("C")
            member_list = list(dict.fromkeys(members))
            if bot_is_member and self.bot_user_id not in member_list:
                member_list.append(self.bot_user_id)
            self._convs[cid] = Conversation(
                id=cid, kind="private" if is_private else "channel", name=name, members=member_list,
                created=self._now(), creator=member_list[0] if member_list else self.bot_user_id,
                is_archived=is_archived,
            )
            return cid

    def set_channel(self, channel_id: str, *, is_archived: bool | None = None,
                    members: Iterable[str] | None = None) -> None:
        """Archive/unarchive a channel or replace its members."""
        with self._lock:
            conv = self._convs[channel_id]
            if is_archived is not None:
                conv.is_archived = is_archived
            if members is not None:
                conv.members = list(dict.fromkeys(members))

    def open_im(self, user_id: str) -> str:
        """The bot's DM channel with ``user_id`` (created on first use)."""
        with self._lock:
            if user_id not in self._users:
                raise KeyError(user_id)
            return self._ensure_im(user_id).id

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

    # ------------------------------------------------------------------ query API (for tests)

    def conversation(self, channel_id: str) -> Conversation | None:
        with self._lock:
            return self._convs.get(channel_id)

    def messages_in(self, channel_id: str) -> list[Message]:
        """Messages (not ephemerals) in a conversation, oldest first."""
        with self._lock:
            conv = self._convs.get(channel_id)
            return list(conv.messages) if conv else []

    def ephemerals_for(self, user_id: str) -> list[Message]:
        with self._lock:
            return [m for m in self._ephemerals if m.ephemeral_to == user_id]

    def im_channel(self, user_id: str) -> str | None:
        """The bot's DM channel with ``user_id``, if one has been opened."""
        with self._lock:
            return self._ims.get(user_id)

    def group_dm(self, *user_ids: str) -> str | None:
        """The group DM (with the bot) of exactly these users, if it exists."""
        with self._lock:
            return self._mpims.get(frozenset(user_ids) | {self.bot_user_id})

    def seen_by(self, user_id: str) -> list[Seen]:
        """Every message visible to ``user_id`` (conversations they belong to, plus their ephemerals)."""
        with self._lock:
            out: list[Seen] = []
            for conv in self._convs.values():
                if user_id not in conv.members:
                    continue
                kind = "channel" if conv.kind in ("channel", "private") else conv.kind
                for m in conv.messages:
                    out.append(self._seen(m, kind))
            for m in self._ephemerals:
                if m.ephemeral_to == user_id:
                    out.append(self._seen(m, "ephemeral"))
            out.sort(key=lambda s: _ts_key(s.ts))
            return out

    def _seen(self, m: Message, kind: Any) -> Seen:
        return Seen(
            kind=kind, channel=m.channel, ts=m.ts, text=message_text(m), blocks=copy.deepcopy(m.blocks or []),
            user=m.user, thread_ts=m.thread_ts, files=list(m.files), message=m,
        )

    def open_view(self, user_id: str) -> dict[str, Any] | None:
        """The modal on top of the user's stack (a copy), or ``None``."""
        with self._lock:
            stack = self._stacks.get(user_id) or []
            return copy.deepcopy(stack[-1].data) if stack else None

    def view_stack(self, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(v.data) for v in self._stacks.get(user_id) or []]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            view = self._homes.get(user_id)
            return copy.deepcopy(view.data) if view else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            view = self._views.get(view_id)
            return copy.deepcopy(view.data) if view else None

    def files_in(self, channel_id: str) -> list[StoredFile]:
        """Files shared into a conversation (with name, title and bytes)."""
        with self._lock:
            return [f for f in self._files.values() if channel_id in f.channels]

    def file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every Web API (and response_url) call so far, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(self, predicate: Callable[[], T], timeout: float = 2.0, interval: float = 0.01) -> T:
        """Poll ``predicate`` until it is truthy (works under frozen time); raise ``TimeoutError``."""
        steps = max(1, int(timeout / interval))
        for _ in range(steps):
            value = predicate()
            if value:
                return value
            real_wait(interval)
        value = predicate()
        if value:
            return value
        raise TimeoutError(f"condition not met within {timeout:.1f}s")

    # ------------------------------------------------------------------ interaction plumbing

    def issue_trigger_id(self, user_id: str) -> str:
        """A fresh trigger_id for ``user_id``: valid once, for 3 seconds of the (possibly frozen) clock."""
        with self._lock:
            now = self.clock.time()
            tid = f"{int(now)}.{self._rng.randrange(10**11, 10**12)}.{self._rng.getrandbits(128):032x}"
            self._triggers[tid] = Trigger(id=tid, user_id=user_id, issued_at=now)
            return tid

    def new_response_url(self, user_id: str, channel_id: str, message_ts: str | None = None,
                         original_ephemeral: bool = False) -> str:
        """A response_url on the emulator that posts as/for ``user_id`` in ``channel_id``."""
        with self._lock:
            token = "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(24))
            self._response_urls[token] = ResponseUrl(
                token=token, user_id=user_id, channel_id=channel_id, issued_at=self.clock.time(),
                message_ts=message_ts, original_ephemeral=original_ephemeral,
            )
            return f"{self.base_url}/actions/{self.team_id}/{token}"

    def set_view_state(self, view_id: str, block_id: str, action_id: str, value: dict[str, Any] | None) -> None:
        """Client-side input state of a view (what the person typed/selected). ``None`` clears it."""
        with self._lock:
            view = self._views[view_id]
            values = view.data.setdefault("state", {}).setdefault("values", {})
            if value is None:
                values.get(block_id, {}).pop(action_id, None)
                if not values.get(block_id):
                    values.pop(block_id, None)
            else:
                values.setdefault(block_id, {})[action_id] = value

    def push_view(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Push a view for ``user_id`` (as ``response_action: push`` does). Raises on invalid views."""
        with self._lock:
            try:
                return self._push(user_id, self._checked_view(dict(view), "modal"))
            except SlackApiError as exc:
                raise EmulatorError(f"Slack would refuse this view: {exc.body()}") from exc

    def update_top_view(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the user's top modal (as ``response_action: update`` does)."""
        with self._lock:
            stack = self._stacks.get(user_id) or []
            if not stack:
                raise EmulatorError(f"{user_id} has no open modal")
            try:
                return self._update(stack[-1], self._checked_view(dict(view), "modal"), None)
            except SlackApiError as exc:
                raise EmulatorError(f"Slack would refuse this view: {exc.body()}") from exc

    def pop_view(self, user_id: str, view_id: str | None = None) -> None:
        """Close the user's top modal (or the modal ``view_id`` wherever it is on the stack)."""
        with self._lock:
            stack = self._stacks.get(user_id) or []
            if view_id is None:
                if stack:
                    stack.pop()
                return
            self._stacks[user_id] = [v for v in stack if v.id != view_id]

    def clear_views(self, user_id: str) -> None:
        """Close every modal of the user (``response_action: clear``)."""
        with self._lock:
            self._stacks[user_id] = []

    def set_view_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        """Remember the errors shown under inputs after ``response_action: errors``."""
        with self._lock:
            view = self._views.get(view_id)
            if view is not None:
                view.data["_errors"] = dict(errors)

    def record_ack_message(self, user_id: str, channel_id: str, text: str = "",
                           blocks: list[dict[str, Any]] | None = None, *, in_channel: bool = False,
                           source: str = "ack") -> Message:
        """Show what an app's acknowledgement body says (slash commands): ephemeral unless ``in_channel``."""
        with self._lock:
            if blocks:
                errors = validate_blocks(blocks)
                if errors:
                    raise EmulatorError(f"Slack would refuse these blocks: {errors}")
            if text and len(text) > MAX_MESSAGE_TEXT:
                raise EmulatorError("Slack would refuse this message: msg_too_long")
            msg = Message(ts=self._next_ts(), channel=channel_id, user=self.bot_user_id, text=text,
                          blocks=self._normalise_blocks(blocks) if blocks else None,
                          ephemeral_to=None if in_channel else user_id, bot_id=self.bot_id, source=source)
            conv = self._convs.get(channel_id)
            if in_channel and conv is not None:
                conv.messages.append(msg)
            else:
                msg.ephemeral_to = user_id
                self._ephemerals.append(msg)
            return msg

    def message_json(self, message: Message) -> dict[str, Any]:
        """The message object as Slack would put it in an interaction payload."""
        with self._lock:
            return self._message_obj(message)

    def user_message(self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None) -> Message:
        """Record a message typed by a person (the matching event is sent by ``SimulatedUser.say``)."""
        with self._lock:
            conv = self._convs[channel_id]
            msg = Message(ts=self._next_ts(), channel=channel_id, user=user_id, text=text,
                          thread_ts=thread_ts, source="user")
            conv.messages.append(msg)
            return msg

    # ------------------------------------------------------------------ faults and limits

    def fail_next(self, method: str, error: str | None = None, status: int = 200, count: int = 1,
                  retry_after: int | None = None) -> None:
        """Make the next ``count`` calls of ``method`` (or ``"*"``) fail.

        ``status=200`` answers ``{"ok": false, "error": error}``; 5xx answers that status; 429 adds a
        ``Retry-After`` header (``retry_after`` seconds, default 1).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.fail_next(
                method, Fault("error", status=status, error=error or default_error_for(status),
                              retry_after=retry_after), count)

    def fail_randomly(self, rate: float = 0.2, statuses: tuple[int, ...] = (429, 500, 503),
                      seed: int | None = None, methods: Iterable[str] | None = None) -> None:
        """Fail a random fraction of calls (``rate=0`` switches it off)."""
        with self._lock:
            self._faults.fail_randomly(rate, tuple(statuses), seed, set(methods) if methods else None)

    def set_latency(self, seconds: float, method: str = "*") -> None:
        """Delay answers to ``method`` (or every method) by real ``seconds``."""
        with self._lock:
            if seconds <= 0:
                self._faults.latency.pop(method, None)
            else:
                self._faults.latency[method] = seconds

    def drop_next_connection(self, method: str = "*", count: int = 1, after_processing: bool = False) -> None:
        """Close the socket without answering. ``after_processing=True`` runs the method first."""
        with self._lock:
            self._drops.append((method, [count], after_processing))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._drops.clear()

    def enforce_rate_limits(self, enabled: bool = True, speedup: float = 1.0, post_message_burst: int = 3) -> None:
        """Apply Slack's tiers (and chat.postMessage's ~1/s per channel). Off by default."""
        with self._lock:
            self.rate_limiter.configure(enabled, speedup, post_message_burst)

    def _take_drop(self, method: str) -> tuple[bool, bool]:
        for i, (m, remaining, after) in enumerate(self._drops):
            if m in (method, "*"):
                remaining[0] -= 1
                if remaining[0] <= 0:
                    del self._drops[i]
                return True, after
        return False, False

    # ------------------------------------------------------------------ HTTP plumbing

    def _http(self, verb: str, raw_path: str, headers: _Headers, body: bytes
              ) -> tuple[int, dict[str, str], bytes] | None:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            return self._http_api(verb, path[len("/api/"):], parts.query, headers, body)
        if path.startswith("/upload/v1/") and verb == "POST":
            return self._http_upload(path.rsplit("/", 1)[-1], headers, body)
        if path.startswith("/actions/") and verb == "POST":
            return self._http_response_url(path.rsplit("/", 1)[-1], body)
        if path.startswith("/files-pri/"):
            return self._http_download(path)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    @staticmethod
    def _json(status: int, body: Mapping[str, Any], extra: Mapping[str, str] | None = None
              ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if extra:
            headers.update(extra)
        return status, headers, json.dumps(body).encode()

    def _parse_args(self, verb: str, query: str, headers: _Headers, body: bytes
                    ) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        ctype = (headers.get("Content-Type") or "").lower()
        if verb == "POST" and body:
            if ctype.startswith("application/json"):
                try:
                    data = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise SlackApiError("invalid_json") from exc
                if not isinstance(data, dict):
                    raise SlackApiError("json_not_object")
                args.update(data)
            elif ctype.startswith("multipart/form-data"):
                args.update(_parse_multipart(headers.get("Content-Type") or "", body))
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SlackApiError("invalid_charset") from exc
                args.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
        token = args.pop("token", None)
        auth = headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        return args, token

    def _http_api(self, verb: str, method: str, query: str, headers: _Headers, body: bytes
                  ) -> tuple[int, dict[str, str], bytes] | None:
        with self._lock:
            latency = self._faults.latency_for(method)
        if latency > 0:
            real_wait(latency)
        try:
            args, token = self._parse_args(verb, query, headers, body)
        except SlackApiError as exc:
            args, token = {}, None
            with self._lock:
                return self._finish(method, args, exc.body(), 200)
        with self._lock:
            dropped, after = self._take_drop(method)
            if dropped and not after:
                self._record(method, args, {"ok": False, "error": "connection_dropped"}, 0)
                return None
            fault = self._faults.take(method)
            if fault is not None:
                status = fault.status
                response = {"ok": False, "error": fault.error or default_error_for(status)}
                extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                return self._finish(method, args, response, status, extra)
            handler = self._methods.get(method)
            if handler is None:
                return self._finish(method, args, {"ok": False, "error": "unknown_method", "req_method": method},
                                    200)
            if not token:
                return self._finish(method, args, {"ok": False, "error": "not_authed"}, 200)
            if token not in self.tokens:
                return self._finish(method, args, {"ok": False, "error": "invalid_auth"}, 200)
            retry_after = self.rate_limiter.check(method, str(args.get("channel") or ""))
            if retry_after is not None:
                return self._finish(method, args, {"ok": False, "error": "ratelimited"}, 429,
                                    {"Retry-After": str(retry_after)})
            try:
                response = handler(args)
            except SlackApiError as exc:
                response = exc.body()
            result = self._finish(method, args, response, 200)
            if dropped:
                self._calls[-1].http_status = 0
                return None
            return result

    def _record(self, method: str, args: Mapping[str, Any], response: dict[str, Any], status: int) -> None:
        recorded: dict[str, Any] = {}
        for key, value in args.items():
            if key in _JSON_ARGS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            recorded[key] = value
        self._calls.append(RecordedCall(method, recorded, copy.deepcopy(response), status, self.clock.time()))

    def _finish(self, method: str, args: Mapping[str, Any], response: dict[str, Any], status: int,
                extra: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        self._record(method, args, response, status)
        return self._json(status, response, extra)

    # ------------------------------------------------------------------ argument helpers

    @staticmethod
    def _str(args: Mapping[str, Any], key: str) -> str | None:
        value = args.get(key)
        if value is None:
            return None
        if isinstance(value, bytes):
            value = value.decode()
        value = str(value)
        return value if value != "" else None

    @staticmethod
    def _json_arg(args: Mapping[str, Any], key: str, error: str = "invalid_arguments") -> Any:
        value = args.get(key)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise SlackApiError(error, [f"[ERROR] invalid JSON [json-pointer:/{key}]"]) from exc
        return value

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
        if u.email:
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

    def _message_obj(self, m: Message) -> dict[str, Any]:
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
        if m.metadata:
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
            if conv.kind in ("im", "mpim") and self.bot_user_id not in conv.members:
                raise SlackApiError("channel_not_found")
            return conv
        user = self._users.get(channel)
        if user is not None and not user.is_bot:
            return self._ensure_im(user.id)
        name = channel.lstrip("#")
        for c in self._convs.values():
            if c.kind in ("channel", "private") and c.name == name:
                return c
        raise SlackApiError("channel_not_found")

    def _check_can_post(self, conv: Conversation) -> None:
        if self._is_archived(conv):
            raise SlackApiError("is_archived")
        if conv.kind == "private" and self.bot_user_id not in conv.members:
            raise SlackApiError("not_in_channel")

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

    # ------------------------------------------------------------------ Web API methods

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in args.items() if isinstance(v, str)}}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        bot = self._users[self.bot_user_id]
        return {
            "ok": True, "url": f"https://{self.team_domain}.slack.com/", "team": "Emulator Workspace",
            "user": bot.name, "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user_or_error(self._str(args, "user"))
        return {"ok": True, "user": self._user_obj(user)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = (self._str(args, "email") or "").lower()
        if not email:
            raise _missing("email")
        for u in self._users.values():
            if u.email and u.email.lower() == email:
                return {"ok": True, "user": self._user_obj(u)}
        raise SlackApiError("users_not_found")

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members, next_cursor = self._page(list(self._users.values()), args, default_limit=0)
        return {"ok": True, "members": [self._user_obj(u) for u in members], "cache_ts": self._now(),
                "response_metadata": {"next_cursor": next_cursor}}

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

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._str(args, "channel")
        raw_users = args.get("users")
        return_im = _truthy(args.get("return_im"))
        if channel and not raw_users:
            conv = self._convs.get(channel)
            if conv is None:
                raise SlackApiError("channel_not_found")
            if conv.kind not in ("im", "mpim"):
                raise SlackApiError("method_not_supported_for_channel_type")
            return {"ok": True, "no_op": True, "already_open": True,
                    "channel": self._conv_obj(conv) if return_im else {"id": conv.id}}
        if isinstance(raw_users, list):
            ids = [str(u).strip() for u in raw_users]
        else:
            ids = [u.strip() for u in str(raw_users or "").split(",")]
        ids = list(dict.fromkeys(u for u in ids if u))
        if not ids:
            raise SlackApiError("users_list_not_supplied")
        if len(ids) > MAX_CONVERSATION_OPEN_USERS:
            raise SlackApiError("too_many_users")
        for uid in ids:
            user = self._users.get(uid)
            if user is None:
                raise SlackApiError("user_not_found")
            if user.deleted:
                raise SlackApiError("user_disabled")
        others = [u for u in ids if u != self.bot_user_id]
        if not others:
            raise SlackApiError("not_enough_users")
        if len(others) == 1:
            existed = others[0] in self._ims
            conv = self._ensure_im(others[0])
        else:
            key = frozenset(others) | {self.bot_user_id}
            existed = key in self._mpims
            if not existed:
                cid = self._new_id("G")
                names = [self._users[u].name for u in [*others, self.bot_user_id]]
                self._convs[cid] = Conversation(
                    id=cid, kind="mpim", name="mpdm-" + "--".join(names) + "-1",
                    members=[*others, self.bot_user_id], created=self._now(), creator=self.bot_user_id,
                )
                self._mpims[key] = cid
            conv = self._convs[self._mpims[key]]
        out: dict[str, Any] = {"ok": True, "channel": self._conv_obj(conv) if return_im else {"id": conv.id}}
        if existed:
            out.update({"no_op": True, "already_open": True})
        return out

    def _visible_conv(self, channel: str | None) -> Conversation:
        conv = self._convs.get(channel or "")
        if conv is None:
            raise SlackApiError("channel_not_found")
        if conv.kind != "channel" and self.bot_user_id not in conv.members:
            raise SlackApiError("channel_not_found")
        return conv

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        return {"ok": True, "channel": self._conv_obj(conv)}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        page, next_cursor = self._page(list(conv.members), args)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        if conv.kind == "private" and self.bot_user_id not in conv.members:
            raise SlackApiError("not_in_channel")
        msgs = [self._message_obj(m) for m in reversed(conv.messages) if not m.thread_ts or m.thread_ts == m.ts]
        if not _truthy(args.get("include_all_metadata")):  # Slack returns message metadata only when asked
            for message in msgs:
                message.pop("metadata", None)
        page, next_cursor = self._page(msgs, args)
        return {"ok": True, "messages": page, "has_more": bool(next_cursor), "pin_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        self._check_can_post(conv)
        text, blocks, attachments = self._message_content(args)
        metadata = self._json_arg(args, "metadata")
        msg = Message(
            ts=self._next_ts(), channel=conv.id, user=self.bot_user_id, text=text or "",
            blocks=self._normalise_blocks(blocks) if blocks else None, attachments=attachments,
            thread_ts=self._str(args, "thread_ts"), bot_id=self.bot_id,
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        conv.messages.append(msg)
        return {"ok": True, "channel": conv.id, "ts": msg.ts, "message": self._message_obj(msg)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        if self._is_archived(conv):
            raise SlackApiError("is_archived")
        if conv.kind == "private" and self.bot_user_id not in conv.members:
            raise SlackApiError("channel_not_found")
        user_id = self._str(args, "user")
        if not user_id or user_id not in self._users or user_id not in conv.members:
            raise SlackApiError("user_not_in_channel")
        text, blocks, attachments = self._message_content(args)
        msg = Message(
            ts=self._next_ts(), channel=conv.id, user=self.bot_user_id, text=text or "",
            blocks=self._normalise_blocks(blocks) if blocks else None, attachments=attachments,
            thread_ts=self._str(args, "thread_ts"), ephemeral_to=user_id, bot_id=self.bot_id,
        )
        self._ephemerals.append(msg)
        return {"ok": True, "message_ts": msg.ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        ts = self._str(args, "ts")
        if not ts:
            raise SlackApiError("message_not_found")
        msg = self._find_message(conv, ts)
        if msg.user != self.bot_user_id:
            raise SlackApiError("cant_update_message")
        has_any = any(args.get(k) not in (None, "") for k in ("text", "blocks", "attachments", "file_ids"))
        if not has_any:
            raise SlackApiError("no_text")
        text, blocks, attachments = self._message_content(args, required=False)
        if text is not None or args.get("text") == "":
            msg.text = text or ""
        if args.get("blocks") not in (None, ""):
            msg.blocks = self._normalise_blocks(blocks) if blocks else None
        if attachments is not None:
            msg.attachments = attachments or None
        msg.edited = True
        return {"ok": True, "channel": conv.id, "ts": msg.ts, "text": msg.text, "message": self._message_obj(msg)}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        msg = self._find_message(conv, self._str(args, "ts"))
        if msg.user != self.bot_user_id:
            raise SlackApiError("cant_delete_message")
        conv.messages.remove(msg)
        return {"ok": True, "channel": conv.id, "ts": msg.ts}

    # views -----------------------------------------------------------------

    def _view_arg(self, args: Mapping[str, Any]) -> dict[str, Any]:
        raw = args.get("view")
        if raw is None or raw == "":
            raise _missing("view")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise SlackApiError("invalid_arguments", ["[ERROR] invalid JSON [json-pointer:/view]"]) from exc
        if not isinstance(raw, dict):
            raise SlackApiError("invalid_arguments", ["[ERROR] expected object [json-pointer:/view]"])
        return raw

    def _checked_view(self, spec: dict[str, Any], expected: str | None) -> dict[str, Any]:
        errors = validate_view(spec)
        if not errors and expected is not None and spec.get("type") != expected:
            errors = [f"must be {expected} [json-pointer:/view/type]"]
        if errors:
            raise SlackApiError("invalid_arguments", [f"[ERROR] {e}" for e in errors])
        return spec

    def _use_trigger(self, trigger_id: str) -> Trigger:
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackApiError("invalid_trigger_id")
        if trigger.used:
            raise SlackApiError("exchanged_trigger_id")
        if self.clock.time() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackApiError("expired_trigger_id")
        return trigger

    def _new_hash(self) -> str:
        return f"{self._now()}.{self._rng.getrandbits(32):08x}"

    def _build_view(self, user_id: str, spec: dict[str, Any], *, view_id: str | None = None,
                    root_view_id: str | None = None, previous_view_id: str | None = None,
                    state: dict[str, Any] | None = None) -> View:
        vid = view_id or self._new_id("V")
        blocks = self._normalise_blocks(spec.get("blocks") or [])
        data: dict[str, Any] = {
            "id": vid, "team_id": self.team_id, "type": spec.get("type"), "blocks": blocks,
            "private_metadata": spec.get("private_metadata") or "", "callback_id": spec.get("callback_id") or "",
            "state": {"values": state or {}}, "hash": self._new_hash(), "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)), "close": spec.get("close"),
            "submit": spec.get("submit"), "previous_view_id": previous_view_id, "root_view_id": root_view_id or vid,
            "app_id": self.app_id, "external_id": spec.get("external_id") or "",
            "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }
        if spec.get("submit_disabled") is not None:
            data["submit_disabled"] = bool(spec.get("submit_disabled"))
        view = View(id=vid, user_id=user_id, data=data)
        self._views[vid] = view
        return view

    def _check_external_id(self, spec: dict[str, Any], own_id: str | None = None) -> None:
        ext = spec.get("external_id")
        if ext:
            for v in self._views.values():
                if v.data.get("external_id") == ext and v.id != own_id:
                    raise SlackApiError("duplicate_external_id")

    def _push(self, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        stack = self._stacks.setdefault(user_id, [])
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackApiError("push_limit_reached")
        self._check_external_id(spec)
        view = self._build_view(user_id, spec, root_view_id=stack[0].id if stack else None,
                                previous_view_id=stack[-1].id if stack else None)
        stack.append(view)
        return copy.deepcopy(view.data)

    def _update(self, view: View, spec: dict[str, Any], expected_hash: str | None) -> dict[str, Any]:
        if expected_hash and expected_hash != view.hash:
            raise SlackApiError("hash_conflict")
        if spec.get("type") != view.type:
            raise SlackApiError("invalid_arguments", [f"[ERROR] must be {view.type} [json-pointer:/view/type]"])
        self._check_external_id(spec, view.id)
        old_values: dict[str, Any] = view.data.get("state", {}).get("values", {})
        new_ids = {b.get("block_id") for b in spec.get("blocks") or [] if isinstance(b, dict)}
        kept = {bid: v for bid, v in old_values.items() if bid in new_ids}
        rebuilt = self._build_view(view.user_id, spec, view_id=view.id, root_view_id=view.data["root_view_id"],
                                   previous_view_id=view.data.get("previous_view_id"), state=kept)
        view.data = rebuilt.data
        self._views[view.id] = view
        return copy.deepcopy(view.data)

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._str(args, "trigger_id")
        if not trigger_id:
            raise _missing("trigger_id")
        spec = self._checked_view(self._view_arg(args), "modal")
        trigger = self._use_trigger(trigger_id)
        self._check_external_id(spec)
        trigger.used = True
        self._stacks[trigger.user_id] = []
        return {"ok": True, "view": self._push(trigger.user_id, spec)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._str(args, "trigger_id")
        if not trigger_id:
            raise _missing("trigger_id")
        spec = self._checked_view(self._view_arg(args), "modal")
        trigger = self._use_trigger(trigger_id)
        if not self._stacks.get(trigger.user_id):
            raise SlackApiError("not_found")
        view = self._push(trigger.user_id, spec)
        trigger.used = True
        return {"ok": True, "view": view}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = self._str(args, "view_id")
        external_id = self._str(args, "external_id")
        if not view_id and not external_id:
            raise _missing("view_id")
        spec = self._checked_view(self._view_arg(args), None)
        view: View | None = self._views.get(view_id or "")
        if view is None and external_id:
            view = next((v for v in self._views.values() if v.data.get("external_id") == external_id), None)
        if view is None:
            raise SlackApiError("not_found")
        return {"ok": True, "view": self._update(view, spec, self._str(args, "hash"))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._str(args, "user_id")
        if not user_id:
            raise _missing("user_id")
        spec = self._checked_view(self._view_arg(args), "home")
        if user_id not in self._users or self._users[user_id].is_bot:
            raise SlackApiError("invalid_arguments", ["invalid `user_id`"])
        current = self._homes.get(user_id)
        if current is not None:
            return {"ok": True, "view": self._update(current, spec, self._str(args, "hash"))}
        view = self._build_view(user_id, spec)
        self._homes[user_id] = view
        return {"ok": True, "view": copy.deepcopy(view.data)}

    # pins ------------------------------------------------------------------

    def _pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        ts = self._str(args, "timestamp")
        if not ts:
            raise SlackApiError("no_item_specified")
        msg = self._find_message(conv, ts)
        if msg.pinned:
            raise SlackApiError("already_pinned")
        msg.pinned = True
        return {"ok": True}

    def _pins_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        ts = self._str(args, "timestamp")
        if not ts:
            raise SlackApiError("no_item_specified")
        msg = self._find_message(conv, ts)
        if not msg.pinned:
            raise SlackApiError("no_pin")
        msg.pinned = False
        return {"ok": True}

    # files -----------------------------------------------------------------

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = self._str(args, "filename")
        length_raw = self._str(args, "length")
        missing = [n for n, v in (("filename", filename), ("length", length_raw)) if not v]
        if missing:
            raise _missing(*missing)
        try:
            length = int(length_raw or "")
        except ValueError as exc:
            raise SlackApiError("invalid_arguments", ["[ERROR] expected integer [json-pointer:/length]"]) from exc
        if length < 1:
            raise SlackApiError("invalid_arguments", ["[ERROR] must be at least 1 [json-pointer:/length]"])
        fid = self._new_id("F")
        upload_token = "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        self._files[fid] = StoredFile(id=fid, name=filename or "", length=length, user=self.bot_user_id,
                                      created=self._now(), alt_txt=self._str(args, "alt_txt"),
                                      snippet_type=self._str(args, "snippet_type"))
        self._upload_tokens[upload_token] = fid
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{upload_token}", "file_id": fid}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = self._json_arg(args, "files")
        if files is None:
            raise _missing("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackApiError("invalid_arguments", ["[ERROR] invalid files [json-pointer:/files]"])
        stored: list[StoredFile] = []
        for item in files:
            f = self._files.get(str(item["id"]))
            if f is None or f.content is None:
                raise SlackApiError("file_not_found")
            stored.append(f)
        targets: list[Conversation] = []
        channel_id = self._str(args, "channel_id")
        if channel_id:
            targets.append(self._resolve(channel_id))
        for cid in (self._str(args, "channels") or "").split(","):
            if cid.strip():
                targets.append(self._resolve(cid.strip()))
        for conv in targets:
            self._check_can_post(conv)
        for item, f in zip(files, stored, strict=True):
            f.title = str(item.get("title") or f.title or f.name)
            f.completed = True
        comment = self._str(args, "initial_comment") or ""
        thread_ts = self._str(args, "thread_ts")
        for conv in targets:
            for f in stored:
                if conv.id not in f.channels:
                    f.channels.append(conv.id)
            conv.messages.append(Message(
                ts=self._next_ts(), channel=conv.id, user=self.bot_user_id, text=comment, thread_ts=thread_ts,
                files=[f.id for f in stored], bot_id=self.bot_id,
            ))
        return {"ok": True, "files": [self._file_obj(f) for f in stored]}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        f = self._files.get(self._str(args, "file") or "")
        if f is None or not f.completed:
            raise SlackApiError("file_not_found")
        return {"ok": True, "file": self._file_obj(f), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _http_upload(self, token: str, headers: _Headers, body: bytes
                     ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            fid = self._upload_tokens.get(token)
            if fid is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            content = body
            ctype = headers.get("Content-Type") or ""
            if ctype.lower().startswith("multipart/form-data"):
                parts = _parse_multipart(ctype, body)
                content = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            self._files[fid].content = content
            self._record("files.upload_url", {"file_id": fid, "bytes": len(content)}, {"ok": True}, 200)
            return 200, {"Content-Type": "text/plain"}, f"OK - {len(content)}".encode()

    def _http_download(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            segment = path[len("/files-pri/"):].split("/", 1)[0]
            fid = segment.rsplit("-", 1)[-1]
            f = self._files.get(fid)
            if f is None or f.content is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            mimetype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
            return 200, {"Content-Type": mimetype}, f.content

    # response_url ------------------------------------------------------------

    def _http_response_url(self, token: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            ru = self._response_urls.get(token)
            try:
                payload = json.loads(body.decode("utf-8")) if body else {}
            except (ValueError, UnicodeDecodeError):
                payload = None
            args = payload if isinstance(payload, dict) else {"raw": body.decode("utf-8", "replace")}

            def done(status: int, response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
                self._record("response_url", dict(args), response, status)
                return self._json(status, response)

            if ru is None:
                return done(404, {"ok": False, "error": "invalid_url"})
            if self.clock.time() - ru.issued_at > RESPONSE_URL_TTL_SECONDS:
                return done(404, {"ok": False, "error": "expired_url"})
            if ru.uses >= RESPONSE_URL_MAX_USES:
                return done(404, {"ok": False, "error": "used_url"})
            if not isinstance(payload, dict):
                return done(400, {"ok": False, "error": "invalid_payload"})
            ru.uses += 1
            original = self._response_original(ru)
            if _truthy(payload.get("delete_original")):
                if original is not None:
                    if original.is_ephemeral:
                        self._ephemerals.remove(original)
                    else:
                        self._convs[original.channel].messages.remove(original)
                return done(200, {"ok": True})
            try:
                text, blocks, attachments = self._message_content(payload)
            except SlackApiError as exc:
                return done(400, exc.body())
            norm = self._normalise_blocks(blocks) if blocks else None
            if _truthy(payload.get("replace_original")) and original is not None:
                original.text = text or ""
                original.blocks = norm
                original.attachments = attachments
                original.edited = True
                return done(200, {"ok": True})
            in_channel = payload.get("response_type") == "in_channel"
            msg = Message(ts=self._next_ts(), channel=ru.channel_id, user=self.bot_user_id, text=text or "",
                          blocks=norm, attachments=attachments, thread_ts=payload.get("thread_ts"),
                          ephemeral_to=None if in_channel else ru.user_id, bot_id=self.bot_id,
                          source="response_url")
            conv = self._convs.get(ru.channel_id)
            if in_channel and conv is not None:
                conv.messages.append(msg)
            else:
                msg.ephemeral_to = ru.user_id
                self._ephemerals.append(msg)
            return done(200, {"ok": True})

    def _response_original(self, ru: ResponseUrl) -> Message | None:
        if ru.message_ts is None:
            return None
        if ru.original_ephemeral:
            return next((m for m in self._ephemerals if m.ts == ru.message_ts), None)
        conv = self._convs.get(ru.channel_id)
        if conv is None:
            return None
        return next((m for m in conv.messages if m.ts == ru.message_ts), None)


def message_text(m: Message) -> str:
    """What a person reads: the message text, its blocks' text and attachment text."""
    parts = [m.text, flatten_text(m.blocks)]
    for att in m.attachments or []:
        if isinstance(att, dict):
            parts.extend(str(att.get(k) or "") for k in ("pretext", "title", "text"))
            parts.append(flatten_text(att.get("blocks")))
    return "\n".join(p for p in parts if p)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields as strings, file parts as bytes."""
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    msg = BytesParser(policy=HTTP).parsebytes(raw)
    out: dict[str, Any] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
        else:
            out[name] = data.decode("utf-8", "replace")
    return out
