"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        from handlers.home import publish_home as publish

        publish(runtime, event["user"])
