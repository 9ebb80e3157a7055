"""The Slack surface: parse the payload, acknowledge fast, call one service, render the answer.

One module per feature, mirroring ``bot/``'s packages. Each lists its listeners in a module-level
``LISTENERS`` (:class:`handlers.common.Listeners`); they are registered here, from this explicit
list, and nowhere else.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.runtime import Runtime
from handlers import (
    closeout,
    concerns,
    home,
    impact,
    journey,
    matching,
    programmes,
    reflections,
    sessions,
    speed_events,
)
from handlers.commands import CommandRouter
from handlers.common import Listeners, provide_runtime

FEATURES: tuple[ModuleType, ...] = (
    programmes,

    matching,
    journey,
    sessions,
    reflections,
    concerns,
    impact,
    closeout,
    speed_events,
    home,
)


def register_listeners(app: App, runtime: Runtime) -> CommandRouter:
    app.use(provide_runtime(runtime))
    router = CommandRouter(runtime)
    for module in FEATURES:
        listeners = getattr(module, "LISTENERS", None)
        if isinstance(listeners, Listeners):
            listeners.register(app, router)
        else:  # not yet converted to module-level listeners
            register = module.register
            if len(inspect.signature(register).parameters) == 3:
                register(app, runtime, router)
            else:
                register(app, runtime)

    @app.command("/mentoring")
    def mentoring(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        router.dispatch(ack, respond, body)

    return router
