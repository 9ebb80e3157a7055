"""Test doubles for calling listeners directly: a Slack port that records every call, ack and respond.

``FakeGateway`` stands in for ``bot.slack_gateway.SlackGateway``: every public method is recorded
(name and named arguments, in order) and answered with a plausible value; nothing reaches Slack.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.programmes.leads_channel import ChannelFacts
from bot.slack_gateway import SlackGateway, SlackUser

BOT_USER_ID = "UBOT"


@dataclass
class GatewayCall:
    method: str
    args: dict[str, Any]
    result: Any = None


def slack_user(user_id: str, *, real_name: str = "", tz: str = "UTC", is_admin: bool = False) -> SlackUser:
    return SlackUser(
        id=user_id,
        name=user_id.lower(),
        real_name=real_name or user_id,
        title="",
        email=None,
        tz=tz,
        is_admin=is_admin,
        is_owner=False,
        is_bot=False,
        deleted=False,
    )


class FakeGateway(SlackGateway):
    """Records every Slack port call; ``users`` are the people Slack knows (others are plain members)."""

    def __init__(self, users: Mapping[str, SlackUser] | None = None) -> None:  # no WebClient, on purpose
        self.calls: list[GatewayCall] = []
        self.users = dict(users or {})
        self._numbers = itertools.count(1)

    def __getattribute__(self, name: str) -> Any:
        attribute = object.__getattribute__(self, name)
        if name.startswith("_") or not callable(getattr(SlackGateway, name, None)):
            return attribute
        signature = inspect.signature(getattr(SlackGateway, name))
        answer: Callable[[str, dict[str, Any]], Any] = object.__getattribute__(self, "_answer")

        def recorded(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            named = {key: value for key, value in bound.arguments.items() if key != "self"}
            call = GatewayCall(name, named)
            self.calls.append(call)
            call.result = answer(name, named)
            return call.result

        return recorded

    def _answer(self, method: str, args: dict[str, Any]) -> Any:
        number = next(self._numbers)
        if method == "user":
            return self.users.get(args["user_id"]) or slack_user(args["user_id"])
        if method == "find_user":
            return self.users.get(args["id_or_email"])
        if method == "user_by_email":
            return next((u for u in self.users.values() if u.email == args["email"]), None)
        if method == "bot_user_id":
            return BOT_USER_ID
        if method == "open_dm":
            return "D" + args["user_id"]
        if method == "open_group_dm":
            return "G" + "".join(sorted(args["user_ids"]))
        if method == "channel_facts":
            return ChannelFacts(args["channel_id"], True, False, frozenset({BOT_USER_ID}), BOT_USER_ID)
        if method in ("post_message", "post_dm"):
            return f"1700000000.{number:06d}"
        if method in ("open_view", "push_view"):
            return f"V{number:08d}"
        if method == "find_message_with_metadata":
            return ""
        if method == "for_dispatch":
            return self
        if method == "client_for_bolt":
            raise AssertionError("a listener asked for the WebClient")
        return None

    # ------------------------------------------------------------------ what the tests read

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    def results_of(self, method: str) -> list[Any]:
        return [call.result for call in self.calls if call.method == method]

    def dm_texts(self, user_id: str) -> list[str]:
        return [args["text"] for args in self.calls_to("post_dm") if args["user_id"] == user_id]


@dataclass
class Recorder:
    """A fake ``ack`` or ``respond``: call it like Bolt's, read what it was given."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, text: str | None = None, **kwargs: Any) -> None:
        self.calls.append({"text": text, **kwargs} if text is not None else dict(kwargs))

    @property
    def last(self) -> dict[str, Any]:
        assert self.calls, "never called"
        return self.calls[-1]
