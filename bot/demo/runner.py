"""The demo's stage: world, cast, narrator, and the worker on a simulated clock.

Nothing in the demo writes to the database or calls a job by hand. People act through the real
app (signed slash commands, clicks and form submissions against the local Slack emulator), and
time moves only through :meth:`Stage.wait_until`, which runs the worker's own scheduled jobs
(``bot.worker.add_jobs``) as the simulated clock passes their times.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from apscheduler.schedulers.background import BackgroundScheduler
from freezegun import freeze_time
from sqlalchemy import func, select

from bot import crypto
from bot.clock import now
from bot.db import Database
from bot.emulator import Seen, flatten_text, view_text
from bot.local_slack import LocalSlack, Person
from bot.models import OutboxMessage

START = datetime(2027, 1, 4, 9, 0)  # a Monday morning, UTC
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")
SPECIAL = re.compile(r"<!(here|channel|everyone)>")
RAW_ID = re.compile(r"\b[UWCGDF][A-Z0-9]{8,}\b")
# The worker runs its housekeeping every few minutes; on the simulated clock the demo runs it at
# least this often (and the dispatcher at every moment a message falls due), to stay quick.
HOUSEKEEPING_STEP = timedelta(hours=1)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _describe_invite(title: str, ics: str) -> str:
    """A calendar file in words: which session, when, and whether it is new, moved or cancelled."""
    fields = dict(line.split(":", 1) for line in ics.splitlines() if ":" in line)
    zoned = next((key for key in fields if key.startswith("DTSTART;TZID=")), None)
    zone = zoned.split("TZID=")[1] if zoned else "UTC"
    start = fields.get(zoned or "DTSTART", "")
    when = ""
    if start:
        try:
            parsed = datetime.strptime(start.strip().rstrip("Z"), "%Y%m%dT%H%M%S")
            when = f", {parsed:%a %d %b %Y %H:%M} ({zone})"
        except ValueError:
            when = ""
    if fields.get("METHOD", "").strip() == "CANCEL" or fields.get("STATUS", "").strip() == "CANCELLED":
        return f"a calendar cancellation for {title}{when}"
    updated = fields.get("SEQUENCE", "0").strip() not in ("", "0")
    return f"{'an updated' if updated else 'a'} calendar invite for {title}{when}"


def readable_time(when: datetime) -> str:
    return f"{when:%a %d %b %H:%M} UTC"


@dataclass
class Narrator:
    """Prints what people see: each message once, under a heading that says who sees it."""

    out: TextIO
    world: LocalSlack
    full: bool
    cast: dict[str, Person] = field(default_factory=dict)
    _shown: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _gists: set[str] = field(default_factory=set)
    _previous: dict[str, str] = field(default_factory=dict)
    lines: int = 0

    @property
    def message_lines(self) -> int:
        return 14 if self.full else 2

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.lines += text.count("\n") + 1

    def scene(self, title: str) -> None:
        self.write(f"\n=== {title} ===")

    def say(self, text: str) -> None:
        self.write(f"  ({text})")

    # -- who is who ---------------------------------------------------------------------------

    def name_of(self, user_id: str) -> str:
        for name, person in self.cast.items():
            if person.user_id == user_id:
                return name
        try:
            user = self.world.emulator.user(user_id)
        except KeyError:
            return "someone"
        return "the app" if user.is_bot else (user.real_name or user.name)

    def channel_name(self, channel_id: str) -> str:
        conversation = self.world.emulator.conversation(channel_id)
        if conversation is None:
            return "a conversation"
        if conversation.kind in ("channel", "private"):
            return "#" + conversation.name
        people = [self.name_of(m) for m in conversation.members if m != self.world.emulator.bot_user_id]
        return ("a group DM with " if conversation.kind == "mpim" else "a DM with ") + " and ".join(people)

    def readable(self, text: str) -> str:
        """Slack markup as Slack shows it: names for mentions, labels for links, no raw ids."""
        text = USER_MENTION.sub(lambda m: "@" + self.name_of(m.group(1)), text)
        text = CHANNEL_MENTION.sub(lambda m: ("#" + m.group(2)) if m.group(2) else self.channel_name(m.group(1)), text)
        text = DATE_TOKEN.sub(lambda m: m.group(1), text)  # Slack shows dates in the reader's zone
        text = LINK.sub(lambda m: m.group(2) or m.group(1), text)
        text = SPECIAL.sub(lambda m: "@" + m.group(1), text)
        text = RAW_ID.sub(lambda m: self._id_as_name(m.group(0)), text)
        text = text.replace(":white_check_mark:", "✓").replace(":warning:", "⚠")
        return html.unescape(text).strip()

    def _id_as_name(self, raw: str) -> str:
        if raw[0] in "UW":
            return self.name_of(raw)
        if raw[0] == "F":
            return "a file"
        return self.channel_name(raw)

    def audience(self, seen: Seen, viewer: str, *, short: bool = False) -> str:
        """Who sees this message, in words: the heading printed above it."""
        if seen.kind == "ephemeral":
            return viewer if short else f"Only {viewer} sees this (an answer in place)"
        conversation = self.world.emulator.conversation(seen.channel)
        if conversation is None:
            return viewer
        people = [self.name_of(m) for m in conversation.members if m != self.world.emulator.bot_user_id]
        if conversation.kind == "im":
            who = people[0] if people else viewer
            return who if short else f"Private DM to {who}"
        if conversation.kind == "mpim":
            return f"{_and(people)}'s group DM" if short else "Group DM, seen by " + _and(people)
        return f"#{conversation.name}" if short else f"#{conversation.name}, seen by everyone in the channel"

    def describe_files(self, seen: Seen) -> list[str]:
        lines = []
        for file_id in seen.files:
            stored = self.world.emulator.file(file_id)
            if stored is None:
                continue
            title = self.readable(stored.title or stored.name)
            if stored.name.endswith(".ics"):
                what = _describe_invite(title, stored.bytes.decode("utf-8", "replace"))
            elif stored.name.endswith(".png"):
                what = f"a chart: {title}"
            elif stored.name.endswith(".csv"):
                what = f"a spreadsheet: {title}"
            else:
                what = f"a file: {title}"
            lines.append(f"[attached: {what}]")
        return lines

    # -- printing -------------------------------------------------------------------------------

    def show_new(self) -> None:
        """Print every message anyone in the cast was shown since last time, each once, in order.

        The brief demo prints the first few lines of each, and a message like one already shown
        (the same first line but for names: a second welcome, a survey reminder) as one line.
        """
        fresh: list[tuple[float, str, str, Seen, bool]] = []
        for name, person in self.cast.items():
            for seen in person.seen():
                key = (seen.channel if seen.kind != "ephemeral" else "eph:" + person.user_id, seen.ts, "")
                body = self.body(seen)
                previous = self._shown.get(key)
                if previous == body:
                    continue
                self._shown[key] = body
                updated = previous is not None
                ts = now().timestamp() if updated else float(seen.ts or 0)
                fresh.append((ts, name, body, seen, updated))
        # By the second, then by conversation and text: the dispatcher sends from several threads, so
        # messages of the same second arrive in any order; the page should not.
        fresh.sort(key=lambda item: (int(item[0]), self.audience(item[3], item[1]), item[2]))
        shown: list[tuple[float, str, Seen, bool, list[str]]] = []
        for ts, name, body, seen, updated in fresh:
            lines = [line for line in body.splitlines() if line.strip()]
            if updated:  # only what changed
                before = set(self._previous.get(seen.channel + seen.ts, "").splitlines())
                lines = [line for line in lines if line not in before] or lines
            self._previous[seen.channel + seen.ts] = body
            shown.append((ts, name, seen, updated, lines))
        while shown:
            ts, name, seen, updated, lines = shown.pop(0)
            stamp = readable_time(datetime.fromtimestamp(ts, UTC))
            gist = self._gist(lines[0] if lines else "")
            if not self.full and gist in self._gists:
                alike = [item for item in shown if self._gist(item[4][0] if item[4] else "") == gist]
                shown = [item for item in shown if item not in alike]
                whom = _and(list(dict.fromkeys(self.audience(i[2], i[1], short=True) for i in [(0, name, seen), *[
                    (0, item[1], item[2]) for item in alike]])))
                quoted = textwrap.shorten(lines[0] if lines else "", 60, placeholder=" ...")
                self.write(f"[{stamp}] The same for {whom}: \"{quoted}\"")
                continue
            self._gists.add(gist)
            heading = self.audience(seen, name) + (" (the message updates)" if updated else "")
            self.write(("\n" if self.full else "") + f"[{stamp}] {heading}:")
            width = 150 if self.full else 110
            visible = lines[: self.message_lines]
            for number, line in enumerate(visible):
                more = number == len(visible) - 1 and len(lines) > len(visible)
                self.write("    " + textwrap.shorten(line + (" ..." if more else ""), width, placeholder=" ..."))

    def _gist(self, line: str) -> str:
        for name in self.cast:
            line = line.replace(name, "~")
        return line[:60]

    def body(self, seen: Seen) -> str:
        text = self.readable(flatten_text(seen.blocks) if seen.blocks else seen.text)
        files = self.describe_files(seen)
        return "\n".join([text, *files]).strip() or "(an empty message)"

    def skip_new(self, summary: str | None = None) -> None:
        """Mark what is new as shown without printing it (the brief demo's "and so on")."""
        for person in self.cast.values():
            for seen in person.seen():
                key = (seen.channel if seen.kind != "ephemeral" else "eph:" + person.user_id, seen.ts, "")
                self._shown[key] = self._previous[seen.channel + seen.ts] = self.body(seen)
        if summary:
            self.say(summary)

    def show_modal(self, person: Person, name: str, limit: int = 6) -> None:
        if person.modal is not None:
            lines = [line for line in self.readable(view_text(person.modal)).splitlines() if line.strip()]
            shown = " | ".join(textwrap.shorten(line, 80, placeholder=" ...") for line in lines[:limit])
            line = f"{name} sees a form: {shown}"
            self.write(("\n" + line) if self.full else textwrap.shorten(line, 230, placeholder=" ..."))

    def show_home(self, person: Person, name: str, limit: int = 8) -> None:
        person.open_home()
        lines = [line for line in self.readable(view_text(person.home or {})).splitlines() if line.strip()]
        self.write(("\n" if self.full else "") + f"{name}'s App Home (only {name} sees it):")
        if not self.full:
            self.write("    " + textwrap.shorten(" | ".join(lines[:limit]), 110, placeholder=" ..."))
            return
        for line in lines[:limit]:
            self.write("    " + textwrap.shorten(line, 120, placeholder=" ..."))


class SimulatedWorker:
    """``python -m bot worker``'s jobs, run as the simulated clock passes their times.

    The jobs are the worker's own (``bot.worker.add_jobs`` on an APScheduler that is never
    started); the outbox dispatcher is the world's (the same class, without pacing between posts,
    since the simulated clock does not move while a message is sent).
    """

    def __init__(self, world: LocalSlack, clock: Any) -> None:
        from bot.worker import add_jobs

        if world.runtime is None:
            raise RuntimeError("the world is not started")
        self.world, self.clock = world, clock
        scheduler = BackgroundScheduler(timezone="UTC")
        own_dispatcher = add_jobs(scheduler, world.runtime)
        own_dispatcher.close()
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...], timedelta]] = []
        self.next_run: list[datetime] = []
        for job in scheduler.get_jobs():
            if job.id == "dispatch-outbox":
                continue  # the world's dispatcher runs at every moment a message is due
            interval = max(getattr(job.trigger, "interval", HOUSEKEEPING_STEP), HOUSEKEEPING_STEP)
            self.jobs.append((job.func, tuple(job.args), interval))
            self.next_run.append(now())

    def tick(self) -> None:
        """Run what is due at this moment: housekeeping jobs past their time, then the dispatcher."""
        moment = now()
        for index, (job, args, interval) in enumerate(self.jobs):
            if self.next_run[index] <= moment:
                job(*args)
                self.next_run[index] = moment + interval
        self.world.deliver()

    def _next_due(self, after: datetime) -> datetime | None:
        with self.world.db.session() as session:
            due = session.scalar(
                select(func.min(OutboxMessage.send_at)).where(
                    OutboxMessage.status == "pending", OutboxMessage.send_at > after.replace(tzinfo=None)
                )
            )
        if due is None:
            return None
        return due.replace(tzinfo=UTC) if due.tzinfo is None else due

    def run_until(self, target: datetime) -> None:
        """Move the clock to ``target``, stopping wherever a job or a message falls due."""
        target = target.replace(tzinfo=UTC) if target.tzinfo is None else target
        self.tick()
        while now() < target:
            candidates = [target, *self.next_run]
            due = self._next_due(now())
            if due is not None:
                candidates.append(due)
            step = min(c for c in candidates if c > now())
            self.clock.move_to(step.replace(tzinfo=None))
            self.tick()


@dataclass
class Stage:
    world: LocalSlack
    narrator: Narrator
    worker: SimulatedWorker
    full: bool
    cast: dict[str, Person]
    roles: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def person(self, name: str, role: str = "", **attributes: Any) -> Person:
        person = self.world.person(name.lower(), real_name=name, **attributes)
        self.cast[name] = person
        self.narrator.cast[name] = person
        if role:
            self.roles[name] = role
        return person

    def wait(self, delta: timedelta) -> None:
        self.wait_until(now() + delta)

    @property
    def min_group(self) -> int:
        """The app's MIN_GROUP_SIZE, for the narration: the smallest group a lead sees totals of."""
        assert self.world.runtime is not None
        return self.world.runtime.settings.min_group_size

    def wait_until(self, when: datetime) -> None:
        """Let simulated time pass: the worker sends whatever falls due on the way."""
        self.worker.run_until(when)

    def show(self) -> None:
        self.narrator.show_new()


def recap(stage: Stage) -> None:
    """How many messages each person got, and where: the shape of what each role saw."""
    from bot.demo.script import RECAP

    stage.narrator.scene("Recap: what each role saw")
    for name, person in stage.cast.items():
        if name not in stage.roles:
            continue
        seen = person.seen()
        private = sum(1 for s in seen if s.kind in ("im", "ephemeral"))
        group = sum(1 for s in seen if s.kind == "mpim")
        channel = sum(1 for s in seen if s.kind == "channel")
        parts = [f"{private} private"] + [f"{group} in a group DM"] * bool(group)
        parts += [f"{channel} in channels"] * bool(channel)
        line = f"{name} ({stage.roles[name]}; {', '.join(parts)}): {RECAP.get(name, '')}"
        stage.narrator.write(textwrap.fill(line, 110, initial_indent="  ", subsequent_indent="      "))


def run_demo(out: TextIO, *, full: bool = False, inspect: Callable[[Stage], None] | None = None) -> None:
    """Play the demo: the brief story, or with ``full`` the whole programme year."""
    from bot.demo.script import acts

    logging.getLogger().setLevel(logging.WARNING)
    import bot.matching.service  # noqa: F401  (numpy and scipy load once here, not inside Slack's 3 seconds)

    with tempfile.TemporaryDirectory(prefix="mentoring-demo-") as folder, freeze_time(START) as clock:
        crypto.configure([crypto.generate_key()])
        db = Database(f"sqlite:///{Path(folder) / 'demo.db'}")
        db.migrate()
        world = LocalSlack(db).start()
        try:
            narrator = Narrator(out, world, full)
            stage = Stage(world, narrator, SimulatedWorker(world, clock), full, {})
            narrator.write("Reverse mentoring: an offline demo against a local Slack, in simulated time.")
            narrator.write("Junior colleagues (mentors) mentor senior leaders (mentees); an independent lead oversees.")
            if not full:
                narrator.write("This is the brief story; `python -m bot demo --full` plays the whole programme.")
            for act in acts(full):
                act(stage)
                narrator.show_new()
            recap(stage)
            narrator.write(
                "\nThe end. People acted only through Slack (commands, clicks, forms) and every timed message came"
                "\nfrom the worker's own jobs on the simulated clock; nothing left this machine."
            )
            if inspect is not None:
                inspect(stage)
        finally:
            world.stop()
            db.dispose()
