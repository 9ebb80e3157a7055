"""`/mentoring <sub-command>`: one slash command, routed to one small handler per sub-command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.home.help_blocks import help_message, unknown_command_message
from bot.runtime import Runtime


@dataclass
class CommandCall:
    """One `/mentoring` invocation, parsed."""

    runtime: Runtime
    ack: Ack
    respond: Respond
    client: WebClient
    body: dict[str, Any]
    name: str
    args: list[str] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return str(self.body["user_id"])

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))


SubCommand = Callable[[CommandCall], None]


class CommandRouter:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._routes: dict[str, SubCommand] = {}

    def add(self, name: str, handler: SubCommand) -> None:
        self._routes[name] = handler

    @property
    def names(self) -> set[str]:
        return set(self._routes)

    def dispatch(self, ack: Ack, respond: Respond, client: WebClient, body: dict[str, Any]) -> None:
        words = str(body.get("text") or "").split()
        name, args = (words[0].lower(), words[1:]) if words else ("help", [])
        call = CommandCall(self.runtime, ack, respond, client, body, name, args)
        handler = self._routes.get(name)
        if handler is None:
            text, blocks = unknown_command_message(self.runtime.content, name, self.names)
            ack(text=text, blocks=blocks)
            return
        handler(call)


def register(app: App, runtime: Runtime) -> CommandRouter:
    router = CommandRouter(runtime)

    def help_command(call: CommandCall) -> None:
        text, blocks = help_message(runtime.content, router.names)
        call.ack(text=text, blocks=blocks)

    router.add("help", help_command)

    @app.command("/mentoring")
    def mentoring(ack: Ack, respond: Respond, client: WebClient, body: dict[str, Any]) -> None:
        router.dispatch(ack, respond, client, body)

    return router
