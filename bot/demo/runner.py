"""The demo's stage: world, cast, narrator and clock."""

from __future__ import annotations

import logging
import re
import tempfile
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from freezegun import freeze_time

from bot import crypto
from bot.db import Database
from bot.emulator import Seen, flatten_text
from bot.local_slack import LocalSlack, Person

START = datetime(2027, 1, 4, 9, 0)  # a Monday morning, UTC
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
KINDS = {"im": "private DM", "mpim": "group DM", "channel": "channel", "private": "private channel"}


@dataclass
class Narrator:
    out: TextIO
    world: LocalSlack
    cast: dict[str, Person] = field(default_factory=dict)
    _shown: set[tuple[str, str, str, str]] = field(default_factory=set)

    def scene(self, title: str) -> None:
        self.out.write(f"\n=== {title} ===\n")

    def say(self, text: str) -> None:
        self.out.write(f"  ({text})\n")

    def show_new(self) -> None:
        """Print everything anyone in the cast has been shown since last time, in order."""
        fresh: list[tuple[str, str, Seen]] = []
        for name, person in self.cast.items():
            for seen in person.seen():
                key = (name, seen.channel, seen.ts, seen.text)
                if key not in self._shown:
                    self._shown.add(key)
                    fresh.append((seen.ts, name, seen))
        for _, name, seen in sorted(fresh, key=lambda item: (float(item[0] or 0), item[1])):
            when = datetime.utcfromtimestamp(float(seen.ts)) if seen.ts else None
            stamp = f"{when:%a %d %b %Y %H:%M} UTC" if when else "now"
            where = "only you can see this" if seen.kind == "ephemeral" else KINDS.get(seen.kind, seen.kind)
            self.out.write(f"\n[{stamp}] {name} sees ({where}):\n")
            body = self._readable(flatten_text(seen.blocks) if seen.blocks else seen.text)
            for line in body.splitlines()[:14]:
                self.out.write(textwrap.indent(textwrap.shorten(line, 160, placeholder=" ...") or "", "    ") + "\n")
            if len(body.splitlines()) > 14:
                self.out.write("    ...\n")

    def _readable(self, text: str) -> str:
        """Mentions as names, as Slack shows them."""
        names = {person.user_id: name for name, person in self.cast.items()}
        text = MENTION.sub(lambda match: "@" + names.get(match.group(1), match.group(1)), text)
        text = DATE_TOKEN.sub(lambda match: match.group(1), text)  # Slack shows dates in the reader's zone
        return text.strip() or "(a message with no text)"

    def show_modal(self, person: Person, name: str) -> None:
        from bot.emulator import view_text

        if person.modal is not None:
            lines = self._readable(view_text(person.modal)).splitlines()
            self.out.write(f"\n{name} sees a form: " + " | ".join(line for line in lines[:8] if line.strip()) + "\n")


@dataclass
class Stage:
    world: LocalSlack
    narrator: Narrator
    clock: Any
    cast: dict[str, Person]
    state: dict[str, Any] = field(default_factory=dict)

    def person(self, name: str, **attributes: Any) -> Person:
        person = self.world.person(name.lower(), real_name=name, **attributes)
        self.cast[name] = person
        self.narrator.cast[name] = person
        return person

    def advance(self, delta: timedelta) -> None:
        self.clock.tick(delta)

    def move_to(self, when: datetime) -> None:
        self.clock.move_to(when)


def run_demo(out: TextIO) -> None:
    from bot.demo.script import ACTS

    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="mentoring-demo-") as folder, freeze_time(START) as clock:
        crypto.configure([crypto.generate_key()])
        db = Database(f"sqlite:///{Path(folder) / 'demo.db'}")
        db.migrate()
        world = LocalSlack(db).start()
        try:
            narrator = Narrator(out, world)
            stage = Stage(world, narrator, clock, {})
            out.write("Reverse mentoring: an offline demo against the local Slack emulator.\n")
            out.write("Junior colleagues (mentors) mentor senior leaders (mentees). Times are simulated.\n")
            for act in ACTS:
                act(stage)
                narrator.show_new()
            out.write(
                "\nThe end. Everything above ran through the real app and a local Slack; nothing left this machine.\n"
            )
        finally:
            world.stop()
            db.dispose()
