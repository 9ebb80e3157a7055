"""``users.info``, ``users.lookupByEmail`` and ``users.list``."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError, missing


class UserMethods(EmulatorCore):
    @web_api("users.info")
    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user_or_error(self._str(args, "user"))
        return {"ok": True, "user": self._user_obj(user)}

    @web_api("users.lookupByEmail")
    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = (self._str(args, "email") or "").lower()
        if not email:
            raise missing("email")
        for u in self._users.values():
            if u.email and u.email.lower() == email:
                return {"ok": True, "user": self._user_obj(u)}
        raise SlackApiError("users_not_found")

    @web_api("users.list")
    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members, next_cursor = self._page(list(self._users.values()), args, default_limit=0)
        return {"ok": True, "members": [self._user_obj(u) for u in members], "cache_ts": self._now(),
                "response_metadata": {"next_cursor": next_cursor}}
