"""The Slack surface: parse the payload, acknowledge fast, call one service, render the answer."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from handlers import commands, enrolment, events, matching, programmes


def register_listeners(app: App, runtime: Runtime) -> None:
    router = commands.register(app, runtime)
    programmes.register(app, runtime, router)
    enrolment.register(app, runtime, router)
    matching.register(app, runtime, router)
    events.register(app, runtime)
