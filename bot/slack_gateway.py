"""The one port to the Slack Web API.

Every call the app makes to Slack goes through an intention-revealing method here; nothing else
touches a ``WebClient`` (Bolt is handed the same client only to acknowledge and ``respond()``).
Retries, the API URL and time-outs are decided in one place; the dispatcher gets a gateway of its
own without automatic retries (:meth:`SlackGateway.for_dispatch`). ``SLACK_API_URL`` points it at
Slack, or at the local emulator in tests and in the demo.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.clock import now
from bot.programmes.leads_channel import ChannelFacts


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str
    title: str
    email: str | None
    tz: str
    is_admin: bool
    is_owner: bool
    is_bot: bool
    deleted: bool

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> SlackUser:
        profile = user.get("profile") or {}
        return cls(
            id=user["id"],
            name=user.get("name", ""),
            real_name=user.get("real_name") or profile.get("real_name") or user.get("name", ""),
            title=profile.get("title") or "",
            email=profile.get("email"),
            # Slack's IANA zone; never tz_offset, which is a snapshot (DESIGN section 5).
            tz=user.get("tz") or "UTC",
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )


def build_web_client(token: str, api_url: str, *, timeout: int = 10, max_retries: int = 3) -> WebClient:
    handlers = (
        [
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ]
        if max_retries
        else []
    )
    return WebClient(token=token, base_url=api_url, timeout=timeout, retry_handlers=handlers)


def error_code(error: SlackApiError) -> str:
    response = error.response
    return str(response.get("error") or "") if response is not None else ""


USER_CACHE_FOR = timedelta(minutes=10)
USER_CACHE_SIZE = 10_000


class SlackGateway:
    """Typed, intention-revealing wrappers over the Web API methods the app uses."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._bot_user_id: str | None = None
        self._lock = threading.Lock()
        self._users: dict[str, tuple[SlackUser, datetime]] = {}
        self._conversations: dict[tuple[str, ...], str] = {}  # the people in a DM -> its id
        self._quick: WebClient | None = None  # no retries: for lookups before Slack's deadline

    @classmethod
    def connect(cls, token: str, api_url: str) -> SlackGateway:
        return cls(build_web_client(token, api_url))

    def for_dispatch(self) -> SlackGateway:
        """A gateway for the outbox dispatcher: no automatic retries. slack_sdk would sleep on a 429
        and retry a dropped connection, which posts twice when Slack did the work but the answer was
        lost; the dispatcher puts the row back and checks before posting again instead."""
        return SlackGateway(self._client_without_retries(timeout=10))

    def _client_without_retries(self, timeout: int) -> WebClient:
        return build_web_client(str(self._client.token), self._client.base_url, timeout=timeout, max_retries=0)

    def client_for_bolt(self) -> WebClient:
        """Bolt needs a client to acknowledge and for ``respond()``; listeners use this gateway."""
        return self._client

    # ------------------------------------------------------------------ people

    def user(self, user_id: str, *, wait: bool = True) -> SlackUser:
        """A person's name, time zone, title and admin flags, looked up at most once per
        ``USER_CACHE_FOR`` (Slack's advice: users.info is rate limited, and an enrolment looks the
        same person up when the form opens and when it is sent, both before Slack's deadline).

        ``wait=False`` is for lookups before Slack's 3-second deadline (an ``ack()``, a trigger
        id): a 429 raises at once instead of sleeping through ``Retry-After``."""
        cached = self._users.get(user_id)
        if cached is not None and now() - cached[1] < USER_CACHE_FOR:
            return cached[0]
        client = self._client if wait else self._without_waiting()
        user = SlackUser.from_api(client.users_info(user=user_id)["user"])
        with self._lock:
            if len(self._users) > USER_CACHE_SIZE:
                self._users.clear()
            self._users[user_id] = (user, now())
        return user

    def _without_waiting(self) -> WebClient:
        with self._lock:
            if self._quick is None:
                self._quick = self._client_without_retries(timeout=2)
            return self._quick

    def user_by_email(self, email: str) -> SlackUser | None:
        try:
            return SlackUser.from_api(self._client.users_lookupByEmail(email=email)["user"])
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                return None
            raise

    def find_user(self, id_or_email: str) -> SlackUser | None:
        """A Slack user by ID (U…/W…) or email; None when Slack does not know them."""
        if "@" in id_or_email:
            return self.user_by_email(id_or_email)
        try:
            return self.user(id_or_email)
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                return None
            raise

    def bot_user_id(self) -> str:
        with self._lock:
            if self._bot_user_id is None:
                self._bot_user_id = str(self._client.auth_test()["user_id"])
            return self._bot_user_id

    def installation(self) -> dict[str, Any]:
        """``auth.test`` for the installed workspace: its team, enterprise and the app's own user."""
        return dict(self._client.auth_test().data)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ conversations

    def open_dm(self, user_id: str) -> str:
        """The bot's DM with a person, opened once per gateway (see :meth:`_open`)."""
        return self._open((user_id,))

    def open_group_dm(self, user_ids: Sequence[str]) -> str:
        return self._open(tuple(user_ids))

    def _open(self, user_ids: tuple[str, ...]) -> str:
        """A DM's or group DM's id never changes, so it is asked for once (conversations.open is
        Tier 3: a launch where many enrol at once, or a dispatcher's backlog, would otherwise hit it)."""
        key = tuple(sorted(user_ids))
        channel = self._conversations.get(key)
        if channel is None:
            channel = str(self._client.conversations_open(users=list(user_ids))["channel"]["id"])
            self._conversations[key] = channel
        return channel

    def channel_facts(self, channel_id: str) -> ChannelFacts:
        """Privacy, archive state and every member (paged), for decisions made in services."""
        info = self._client.conversations_info(channel=channel_id)["channel"]
        members: set[str] = set()
        cursor = None
        while True:
            page = self._client.conversations_members(channel=channel_id, cursor=cursor, limit=200)
            members.update(page["members"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return ChannelFacts(
            id=channel_id,
            is_private=bool(info.get("is_private")),
            is_archived=bool(info.get("is_archived")),
            member_ids=frozenset(members),
            bot_user_id=self.bot_user_id(),
        )

    def find_message_with_metadata(self, channel: str, event_type: str, key: str, *, limit: int = 100) -> str:
        """The ts of a recent message the app posted with this metadata key, or ""."""
        response = self._client.conversations_history(channel=channel, limit=limit, include_all_metadata=True)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == event_type and (metadata.get("event_payload") or {}).get("key") == key:
                return str(message.get("ts") or "")
        return ""

    # ------------------------------------------------------------------ messages

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        response = self._client.chat_postMessage(
            channel=channel, text=text, blocks=list(blocks or []) or None, metadata=metadata
        )
        return str(response.get("ts") or "")

    def update_message(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        self._client.chat_update(channel=channel, ts=ts, text=text, blocks=list(blocks or []) or None)

    def pin(self, channel: str, ts: str) -> None:
        self._client.pins_add(channel=channel, timestamp=ts)

    def unpin(self, channel: str, ts: str) -> None:
        self._client.pins_remove(channel=channel, timestamp=ts)

    def upload_file(self, channel: str, filename: str, content: bytes, title: str) -> None:
        self._client.files_upload_v2(channel=channel, filename=filename, content=content, title=title)

    def post_dm(self, user_id: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
        """Post into the bot's private DM with a person (opening it if need be); returns the ts."""
        return self.post_message(self.open_dm(user_id), text, blocks)

    # ------------------------------------------------------------------ views

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        return str(self._client.views_open(trigger_id=trigger_id, view=view)["view"]["id"])

    def push_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        return str(self._client.views_push(trigger_id=trigger_id, view=view)["view"]["id"])

    def update_view(self, view_id: str, view: dict[str, Any], *, hash: str | None = None) -> None:
        self._client.views_update(view_id=view_id, view=view, hash=hash)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self._client.views_publish(user_id=user_id, view=view)
