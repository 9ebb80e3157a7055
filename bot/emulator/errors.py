"""Errors: the one raised to tests, and the one Web API methods raise to answer ``ok: false``."""

from __future__ import annotations

from typing import Any


class EmulatorError(RuntimeError):
    """Raised to the *test* when something the app did would be refused by Slack's client side."""


class SlackApiError(Exception):
    """Internal: a Web API method answering ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error}
        out.update(self.extra)
        if self.messages:
            out["response_metadata"] = {"messages": self.messages}
        return out


def missing(*names: str) -> SlackApiError:
    """Slack's answer to a missing required argument."""
    return SlackApiError("invalid_arguments", [f"[ERROR] missing required field: {n}" for n in names])
