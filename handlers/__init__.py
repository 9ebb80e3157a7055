"""The Slack surface: parse the payload, acknowledge fast, call one service, render the answer."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from handlers import commands, enrolment, events, journey, matching, programmes
from handlers import concerns as concern_handlers
from handlers import data_rights as data_rights_handlers
from handlers import home as home_handlers
from handlers import reflections as reflection_handlers
from handlers import reports as report_handlers
from handlers import sessions as session_handlers
from handlers import speed_events as speed_event_handlers
from handlers import surveys as survey_handlers


def register_listeners(app: App, runtime: Runtime) -> None:
    router = commands.register(app, runtime)
    programmes.register(app, runtime, router)
    enrolment.register(app, runtime, router)
    matching.register(app, runtime, router)
    journey.register(app, runtime, router)
    session_handlers.register(app, runtime, router)
    reflection_handlers.register(app, runtime, router)
    concern_handlers.register(app, runtime, router)
    home_handlers.register(app, runtime)
    survey_handlers.register(app, runtime)
    report_handlers.register(app, runtime, router)
    data_rights_handlers.register(app, runtime, router)
    speed_event_handlers.register(app, runtime, router)
    events.register(app, runtime)
