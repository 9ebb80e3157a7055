"""The `/mentoring help` answer and the usage hint for input the app does not understand."""

from __future__ import annotations

import difflib
from collections.abc import Collection

from bot.blockkit import Block, context, divider, escape, header, section
from bot.content import Content, HelpCommand


def _line(content: Content, command: HelpCommand) -> str:
    promise = f" {content.promise(command.promise)}" if command.promise else ""
    return f"`/mentoring {command.usage}`: {command.description}{promise}"


def _available(commands: list[HelpCommand], available: Collection[str]) -> list[HelpCommand]:
    """Only what the app answers: an entry such as ``programme new`` needs its ``programme`` route."""
    return [command for command in commands if command.name.split()[0] in available]


def help_message(content: Content, available: Collection[str]) -> tuple[str, list[Block]]:
    """Text fallback and blocks for `/mentoring help`, listing only the sub-commands that exist."""
    everyone = _available(content.help.everyone, available)
    leads = _available(content.help.leads, available)
    blocks: list[Block] = [header("Reverse mentoring: how I can help"), section(content.help.intro), divider()]
    blocks.append(section("*For everyone*\n" + "\n".join(_line(content, command) for command in everyone)))
    if leads:
        blocks.append(section("*For programme leads and admins*\n" + "\n".join(_line(content, c) for c in leads)))
    blocks.append(context(f"{content.promise('this-reply')} {content.promise('help-private')}"))
    text = "Reverse mentoring help: " + ", ".join(f"/mentoring {c.name}" for c in everyone + leads)
    return text, blocks


def unknown_command_message(content: Content, typed: str, available: Collection[str]) -> tuple[str, list[Block]]:
    """A short, friendly answer with the right usage for a sub-command the app does not know."""
    names = sorted(available)
    suggestion = difflib.get_close_matches(typed, names, n=1)
    first = f"I don't know `/mentoring {escape(typed)}`." if typed else "That command needs a sub-command."
    if suggestion:
        first += f" Did you mean `/mentoring {suggestion[0]}`?"
    usage = "Usage: `/mentoring &lt;command&gt;`, for example `/mentoring help`. Commands: " + ", ".join(
        f"`{name}`" for name in names
    )
    return f"{first} {usage}", [section(first), context(usage)]
