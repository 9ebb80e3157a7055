"""``views.*``: modals (open, push, update) and the Home tab (publish), with trigger_id rules."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from bot.emulator.blockkit import validate_view
from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError, missing
from bot.emulator.state import Trigger, View

MAX_VIEW_STACK = 3


class ViewMethods(EmulatorCore):
    def _view_arg(self, args: Mapping[str, Any]) -> dict[str, Any]:
        raw = args.get("view")
        if raw is None or raw == "":
            raise missing("view")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise SlackApiError("invalid_arguments", ["[ERROR] invalid JSON [json-pointer:/view]"]) from exc
        if not isinstance(raw, dict):
            raise SlackApiError("invalid_arguments", ["[ERROR] expected object [json-pointer:/view]"])
        return raw

    def _checked_view(self, spec: dict[str, Any], expected: str | None) -> dict[str, Any]:
        errors = validate_view(spec, as_sent=True)
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
        # Slack measures the 3 seconds in real time, whatever the app's (possibly frozen) clock says.
        if self.clock.real_monotonic() - trigger.issued_real > self.trigger_ttl_seconds:
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
                if v.data.get("external_id") == ext and v.id != own_id and self._live_view(v.id):
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

    @web_api("views.open")
    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._str(args, "trigger_id")
        if not trigger_id:
            raise missing("trigger_id")
        spec = self._checked_view(self._view_arg(args), "modal")
        trigger = self._use_trigger(trigger_id)
        self._check_external_id(spec)
        trigger.used = True
        self._stacks[trigger.user_id] = []
        return {"ok": True, "view": self._push(trigger.user_id, spec)}

    @web_api("views.push")
    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._str(args, "trigger_id")
        if not trigger_id:
            raise missing("trigger_id")
        spec = self._checked_view(self._view_arg(args), "modal")
        trigger = self._use_trigger(trigger_id)
        if not self._stacks.get(trigger.user_id):
            raise SlackApiError("not_found")
        view = self._push(trigger.user_id, spec)
        trigger.used = True
        return {"ok": True, "view": view}

    @web_api("views.update")
    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = self._str(args, "view_id")
        external_id = self._str(args, "external_id")
        if not view_id and not external_id:
            raise missing("view_id")
        spec = self._checked_view(self._view_arg(args), None)
        # Only a view still on screen can be updated: a closed (or submitted) modal is not_found.
        view = self._live_view(view_id)
        if view is None and external_id and not view_id:
            view = next((v for v in self._views.values()
                         if v.data.get("external_id") == external_id and self._live_view(v.id)), None)
        if view is None:
            raise SlackApiError("not_found")
        return {"ok": True, "view": self._update(view, spec, self._str(args, "hash"))}

    @web_api("views.publish")
    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._str(args, "user_id")
        if not user_id:
            raise missing("user_id")
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
