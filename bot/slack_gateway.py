"""The one gateway to the Slack Web API.

Every call the app makes to Slack goes through the ``WebClient`` built here (Bolt's listeners get
the same client), so retries, the API URL and time-outs are decided in one place. ``SLACK_API_URL``
points it at Slack, or at the local emulator in tests and in the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


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
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


class SlackGateway:
    """Typed, intention-revealing wrappers over the Web API methods the app uses."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    @classmethod
    def connect(cls, token: str, api_url: str) -> SlackGateway:
        return cls(build_web_client(token, api_url))

    def user(self, user_id: str) -> SlackUser:
        return SlackUser.from_api(self.client.users_info(user=user_id)["user"])

    def user_by_email(self, email: str) -> SlackUser | None:
        try:
            return SlackUser.from_api(self.client.users_lookupByEmail(email=email)["user"])
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

    def open_dm(self, user_id: str) -> str:
        return str(self.client.conversations_open(users=[user_id])["channel"]["id"])

    def open_group_dm(self, user_ids: Sequence[str]) -> str:
        return str(self.client.conversations_open(users=list(user_ids))["channel"]["id"])

    def post_message(self, channel: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
        response = self.client.chat_postMessage(channel=channel, text=text, blocks=list(blocks or []) or None)
        return str(response["ts"])

    def post_dm(self, user_id: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
        """Post into the bot's private DM with a person (opening it if need be); returns the ts."""
        return self.post_message(self.open_dm(user_id), text, blocks)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        return str(self.client.views_open(trigger_id=trigger_id, view=view)["view"]["id"])

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self.client.views_publish(user_id=user_id, view=view)
