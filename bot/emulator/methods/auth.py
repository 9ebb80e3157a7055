"""``api.test`` and ``auth.test``."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore, web_api


class AuthMethods(EmulatorCore):
    @web_api("api.test")
    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in args.items() if isinstance(v, str)}}

    @web_api("auth.test")
    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        bot = self._users[self.bot_user_id]
        return {
            "ok": True, "url": f"https://{self.team_domain}.slack.com/", "team": "Emulator Workspace",
            "user": bot.name, "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
