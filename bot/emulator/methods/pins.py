"""``pins.add`` and ``pins.remove``."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError


class PinMethods(EmulatorCore):
    @web_api("pins.add")
    def _pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        self._check_member(conv)
        ts = self._str(args, "timestamp")
        if not ts:
            raise SlackApiError("no_item_specified")
        msg = self._find_message(conv, ts)
        if msg.pinned:
            raise SlackApiError("already_pinned")
        msg.pinned = True
        return {"ok": True}

    @web_api("pins.remove")
    def _pins_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        conv = self._visible_conv(self._str(args, "channel"))
        self._check_member(conv)
        ts = self._str(args, "timestamp")
        if not ts:
            raise SlackApiError("no_item_specified")
        msg = self._find_message(conv, ts)
        if not msg.pinned:
            raise SlackApiError("no_pin")
        msg.pinned = False
        return {"ok": True}

    # files -----------------------------------------------------------------
