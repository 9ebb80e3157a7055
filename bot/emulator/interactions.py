"""What Slack does around an interaction: trigger ids, response_urls, the client-side modal stack
(state typed by the person, ``response_action`` results) and acknowledgement bodies."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any

from bot.emulator.blockkit import MAX_MESSAGE_TEXT, validate_blocks
from bot.emulator.errors import EmulatorError, SlackApiError
from bot.emulator.methods.views import ViewMethods
from bot.emulator.state import Message, ResponseUrl, Trigger
from bot.emulator.util import truthy

RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5


class InteractionPlumbing(ViewMethods):
    def issue_trigger_id(self, user_id: str) -> str:
        """A fresh trigger_id for ``user_id``: valid once, for 3 seconds of *real* time (freezegun or not)."""
        with self._lock:
            now = self.clock.time()
            tid = f"{int(now)}.{self._rng.randrange(10**11, 10**12)}.{self._rng.getrandbits(128):032x}"
            self._triggers[tid] = Trigger(id=tid, user_id=user_id, issued_at=now,
                                          issued_real=self.clock.real_monotonic())
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
            if truthy(payload.get("delete_original")):
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
            if truthy(payload.get("replace_original")) and original is not None:
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

    def show_slack_error(self, user_id: str, channel_id: str, text: str) -> Message:
        """An ephemeral note from Slack itself (not the app), e.g. a slash command that timed out."""
        with self._lock:
            msg = Message(ts=self._next_ts(), channel=channel_id, user="USLACKBOT", text=text,
                          ephemeral_to=user_id, source="slack")
            self._ephemerals.append(msg)
            return msg
