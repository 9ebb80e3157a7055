"""``conversations.*``: open DMs and group DMs, read channel info, members, history and replies, join."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError, missing
from bot.emulator.state import Conversation, Message
from bot.emulator.util import truthy

MAX_CONVERSATION_OPEN_USERS = 8


class ConversationMethods(EmulatorCore):
    @web_api("conversations.open")
    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._str(args, "channel")
        raw_users = args.get("users")
        return_im = truthy(args.get("return_im"))
        if channel and not raw_users:
            conv = self._convs.get(channel)
            if conv is None or self.bot_user_id not in conv.members:
                raise SlackApiError("channel_not_found")
            if conv.kind not in ("im", "mpim"):
                raise SlackApiError("method_not_supported_for_channel_type")
            self._need_for("write", conv)
            return {"ok": True, "no_op": True, "already_open": True,
                    "channel": self._conv_obj(conv) if return_im else {"id": conv.id}}
        if isinstance(raw_users, list):
            ids = [str(u).strip() for u in raw_users]
        else:
            ids = [u.strip() for u in str(raw_users or "").split(",")]
        ids = list(dict.fromkeys(u for u in ids if u))
        if not ids:
            raise SlackApiError("users_list_not_supplied")
        others = [u for u in ids if u != self.bot_user_id]
        # A DM needs im:write, a group DM mpim:write: Slack checks before looking at the users.
        self._need("im:write" if len(others) <= 1 else "mpim:write")
        if len(ids) > MAX_CONVERSATION_OPEN_USERS:
            raise SlackApiError("too_many_users")
        for uid in ids:
            user = self._users.get(uid)
            if user is None:
                raise SlackApiError("user_not_found")
            if user.deleted:
                raise SlackApiError("user_disabled")
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

    @web_api("conversations.info")
    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        self._need_for("read", conv)
        return {"ok": True, "channel": self._conv_obj(conv)}

    @web_api("conversations.members")
    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        self._need_for("read", conv)
        page, next_cursor = self._page(list(conv.members), args)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _readable(self, args: dict[str, Any]) -> Conversation:
        """A conversation whose messages the bot may read (history needs membership, even in public)."""
        conv = self._visible_conv(self._str(args, "channel"))
        self._need_for("history", conv)
        self._check_member(conv)
        return conv

    def _history_obj(self, m: Message, args: dict[str, Any]) -> dict[str, Any]:
        # Message metadata comes back only when asked for with include_all_metadata.
        return self._message_obj(m, metadata=truthy(args.get("include_all_metadata")))

    @web_api("conversations.history")
    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._readable(args)
        msgs = [self._history_obj(m, args) for m in reversed(conv.messages)
                if not m.thread_ts or m.thread_ts == m.ts]
        page, next_cursor = self._page(msgs, args)
        return {"ok": True, "messages": page, "has_more": bool(next_cursor), "pin_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    @web_api("conversations.replies")
    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._readable(args)
        ts = self._str(args, "ts")
        if not ts:
            raise missing("ts")
        parent = next((m for m in conv.messages if m.ts == ts), None)
        if parent is None:
            raise SlackApiError("thread_not_found")
        root = parent.thread_ts or parent.ts
        thread = [m for m in conv.messages if m.ts == root or m.thread_ts == root]
        page, next_cursor = self._page([self._history_obj(m, args) for m in thread], args)
        return {"ok": True, "messages": page, "has_more": bool(next_cursor),
                "response_metadata": {"next_cursor": next_cursor}}

    @web_api("conversations.join")
    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._convs.get(self._str(args, "channel") or "")
        if conv is None or (conv.kind != "channel" and self.bot_user_id not in conv.members):
            raise SlackApiError("channel_not_found")
        if conv.kind != "channel":
            raise SlackApiError("method_not_supported_for_channel_type")
        if conv.is_archived:
            raise SlackApiError("is_archived")
        out: dict[str, Any] = {"ok": True}
        if self.bot_user_id in conv.members:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        else:
            conv.members.append(self.bot_user_id)
        out["channel"] = self._conv_obj(conv)
        return out
