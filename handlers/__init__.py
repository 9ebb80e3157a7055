"""The Slack surface: parse the payload, acknowledge fast, call one service, render the answer.

One module per feature, mirroring ``bot/``'s packages. Each lists its listeners in a module-level
``LISTENERS`` (:class:`handlers.common.Listeners`); they are registered here, from this explicit
list, and nowhere else.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.runtime import Runtime
from handlers import (
    closeout,
    concerns,
    home,
    impact,
    induction,
    journey,
    matching,
    programmes,
    reflections,
    sessions,
    speed_events,
)
from handlers.commands import CommandRouter
from handlers.common import Listeners, provide_runtime

FEATURES: tuple[Listeners, ...] = (
    programmes.LISTENERS,
    matching.LISTENERS,
    journey.LISTENERS,
    sessions.LISTENERS,
    reflections.LISTENERS,
    concerns.LISTENERS,
    impact.LISTENERS,
    closeout.LISTENERS,
    speed_events.LISTENERS,
    induction.LISTENERS,
    home.LISTENERS,
)


def register_listeners(app: App, runtime: Runtime) -> CommandRouter:
    app.use(provide_runtime(runtime))
    router = CommandRouter(runtime)
    for listeners in FEATURES:
        listeners.register(app, router)

    @app.command("/mentoring")
    def mentoring(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        router.dispatch(ack, respond, body)

    return router
