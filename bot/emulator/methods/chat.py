"""``chat.*``: post, post ephemerally, update and delete messages."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError
from bot.emulator.scopes import CHAT_WRITE_PUBLIC
from bot.emulator.state import Message


class ChatMethods(EmulatorCore):
    @web_api("chat.postMessage")
    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        # chat:write.public lets a bot post in public channels it has not joined.
        self._check_can_post(conv, public_ok=self._has_scope(CHAT_WRITE_PUBLIC))
        text, blocks, attachments = self._message_content(args)
        metadata = self._json_arg(args, "metadata")
        msg = Message(
            ts=self._next_ts(), channel=conv.id, user=self.bot_user_id, text=text or "",
            blocks=self._normalise_blocks(blocks) if blocks else None, attachments=attachments,
            thread_ts=self._str(args, "thread_ts"), bot_id=self.bot_id,
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        conv.messages.append(msg)
        return {"ok": True, "channel": conv.id, "ts": msg.ts, "message": self._message_obj(msg, metadata=True)}

    @web_api("chat.postEphemeral")
    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        self._check_can_post(conv, public_ok=self._has_scope(CHAT_WRITE_PUBLIC))
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

    @web_api("chat.update")
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

    @web_api("chat.delete")
    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._resolve(self._str(args, "channel"))
        msg = self._find_message(conv, self._str(args, "ts"))
        if msg.user != self.bot_user_id:
            raise SlackApiError("cant_delete_message")
        conv.messages.remove(msg)
        return {"ok": True, "channel": conv.id, "ts": msg.ts}
