"""The setup and query API tests use: add people and channels, then read what each person sees."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from bot.emulator.clock import real_wait
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import EmulatorError
from bot.emulator.scopes import Grant, token_kind
from bot.emulator.state import Conversation, Message, Problem, RecordedCall, Seen, StoredFile, User
from bot.emulator.util import ts_key

T = TypeVar("T")


class TestApi(EmulatorCore):
    """Setting up a workspace and inspecting it, for tests (never reachable over HTTP)."""

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

    def add_token(self, token: str, scopes: Iterable[str] | None = None) -> None:
        """Accept another token (e.g. a second bot, a user token ``xoxp-`` or an app-level ``xapp-``).

        It is granted ``scopes`` (default: the bot's scopes; an app-level token: ``connections:write``).
        """
        with self._lock:
            kind = token_kind(token)
            granted = tuple(scopes) if scopes is not None else (
                ("connections:write",) if kind == "app" else self.bot_scopes)
            self._grants[token] = Grant(token, kind, granted)

    def set_scopes(self, scopes: Iterable[str], token: str | None = None) -> None:
        """Replace the scopes granted to a token (the bot token by default), as reinstalling would."""
        with self._lock:
            tok = token or self.bot_token
            old = self._grants[tok]
            self._grants[tok] = Grant(tok, old.kind, tuple(scopes))
            if tok == self.bot_token:
                self.bot_scopes = tuple(scopes)

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        *,
        bot_member: bool | None = None,
        bot_is_member: bool | None = None,
        is_archived: bool = False,
        channel_id: str | None = None,
    ) -> str:
        """Create a public or private channel and return its id (``C…``).

        As in Slack, the bot is *not* in a new channel unless ``bot_member=True`` (``bot_is_member``
        is the older spelling): someone has to invite it (:meth:`invite_bot`), or the app joins a
        public channel itself with ``conversations.join``.
        """
        with self._lock:
            cid = channel_id or self._new_id("C")
            member_list = list(dict.fromkeys(members))
            wanted = bot_member if bot_member is not None else bool(bot_is_member)
            if wanted and self.bot_user_id not in member_list:
                member_list.append(self.bot_user_id)
            self._convs[cid] = Conversation(
                id=cid, kind="private" if is_private else "channel", name=name, members=member_list,
                created=self._now(), creator=member_list[0] if member_list else self.bot_user_id,
                is_archived=is_archived,
            )
            return cid

    def invite_bot(self, channel_id: str) -> None:
        """A person invites the app's bot user into the channel (``/invite @app``)."""
        with self._lock:
            conv = self._convs[channel_id]
            if self.bot_user_id not in conv.members:
                conv.members.append(self.bot_user_id)

    def remove_bot(self, channel_id: str) -> None:
        """Someone removes the bot from the channel."""
        with self._lock:
            conv = self._convs[channel_id]
            conv.members = [m for m in conv.members if m != self.bot_user_id]

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
            out.sort(key=lambda s: ts_key(s.ts))
            return out

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

    # ------------------------------------------------------------------ problems

    @property
    def slow_answers(self) -> list[Problem]:
        """Requests the app answered after Slack had given up (3 seconds), in order."""
        with self._lock:
            return [p for p in self._problems if p.kind == "slow_answer"]

    def problems(self) -> list[Problem]:
        """Everything the app did that real Slack would show people as a failure (see :class:`Problem`).

        The pytest plugin ``bot.emulator.pytest_plugin`` fails a test that leaves any behind.
        """
        with self._lock:
            return list(self._problems)

    def clear_problems(self) -> None:
        """Forget recorded problems (for a test that provokes one on purpose and has checked it)."""
        with self._lock:
            self._problems.clear()

    def record_problem(self, problem: Problem) -> None:
        """Record a problem (the simulated users call this)."""
        self._problem(problem)
