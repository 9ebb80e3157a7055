"""`/mentoring <sub-command>`: one slash command, routed to one small handler per sub-command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, Respond

from bot.home.help_blocks import help_message, unknown_command_message
from bot.runtime import Runtime


@dataclass
class CommandCall:
    """One `/mentoring` invocation, parsed."""

    runtime: Runtime
    ack: Ack
    respond: Respond
    body: dict[str, Any]
    name: str
    args: list[str] = field(default_factory=list)
    router_names: set[str] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return str(self.body["user_id"])

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))


SubCommand = Callable[[CommandCall], None]


class CommandRouter:
    """`/mentoring <name> ...` to the feature that handles ``name``; unknown names get the usage."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._routes: dict[str, SubCommand] = {"help": help_command}

    def add(self, name: str, handler: SubCommand) -> None:
        if name in self._routes:
            raise ValueError(f"/mentoring {name} is handled twice")
        self._routes[name] = handler

    @property
    def names(self) -> set[str]:
        return set(self._routes)

    def dispatch(self, ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        words = str(body.get("text") or "").split()
        name, args = (words[0].lower(), words[1:]) if words else ("help", [])
        call = CommandCall(self.runtime, ack, respond, body, name, args, self.names)
        handler = self._routes.get(name)
        if handler is None:
            text, blocks = unknown_command_message(self.runtime.content, name, self.names)
            ack(text=text, blocks=blocks)
            return
        handler(call)


def help_command(call: CommandCall) -> None:
    text, blocks = help_message(call.runtime.content, call.router_names)
    call.ack(text=text, blocks=blocks)
