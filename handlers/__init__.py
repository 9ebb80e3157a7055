"""The Slack surface: parse the payload, acknowledge fast, call one service, render the answer."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from handlers import commands, events


def register_listeners(app: App, runtime: Runtime) -> None:
    commands.register(app, runtime)
    events.register(app, runtime)
