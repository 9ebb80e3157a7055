"""Words people can read: every message, ephemeral, modal and App Home view the suite produced.

Hooked in ``tests/conftest.py`` like the conformance check: after each test, everything the app
showed during it (every recorded Web API call and ``response_url`` post, every acknowledgement and
ephemeral, every view, including those a ``response_action`` pushed) is read the way a person
reads it, and the test fails if any of it holds:

- an unresolved id: a raw Slack id (``U0123ABCD``, ``C0123ABCD``) outside the app's own
  ``<@...>``/``<#...>`` mentions, or an internal key (a content id such as ``felt-heard``, a
  ``snake_case`` key such as ``no_session``);
- a ``{placeholder}`` left unformatted, or Python's ``None``;
- a doubled word ("the the");
- a number that contradicts the setting it describes (round, briefing, wrap-up and session
  minutes; the days between sessions; the days a concern can be reopened; the at-risk grace).

Only what a person reads is checked: the ``text`` of messages and of Block Kit text objects,
and a file's ``initial_comment``. Ids in ``value``, ``action_id``, ``private_metadata`` and the
like are the app's own business. What a person typed is shown back escaped, and the canary tests
plant Slack markup in it; escaped spans (``&lt;...&gt;``) are not read for ids.

Not a test module: ``from tests.words import ...``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bot.content import load_content

VISIBLE_KEYS = frozenset({"text", "initial_comment"})
JSON_STRINGS = frozenset({"blocks", "view", "attachments"})
MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage", "response_url",
     "views.open", "views.push", "views.update", "views.publish", "files.completeUploadExternal"}
)  # fmt: skip

# What is not read for ids: the app's own mentions, links and dates (<@U1>, <#C1>, <https://...|x>,
# <!date^...>), escaped spans a person typed (&lt;@U1&gt;), code spans, bare addresses and emoji.
MARKUP = re.compile(r"<[^<>\n]*>|&lt;.*?&gt;|`[^`\n]*`|https?://\S+|\S+@\S+|:[a-z0-9_+-]+:")
RAW_ID = re.compile(r"(?<![A-Za-z0-9_])[UWBCGDF][A-Z0-9]{7,}(?![A-Za-z0-9_])")
SNAKE_KEY = re.compile(r"(?<![A-Za-z0-9_.@/-])[a-z]+(?:_[a-z0-9]+)+(?![A-Za-z0-9_@/-])(?!\.[a-z])")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# Python's None shown as a value; "None of us" / "None is booked" are English.
NONE = re.compile(r"(?<![A-Za-z])None(?![A-Za-z])(?! [a-z])")
DOUBLED = re.compile(r"(?<![A-Za-z'’])([A-Za-z]+)[ \t]+\1(?![A-Za-z'’])", re.IGNORECASE)
COUNTED = ("person", "people", "session", "day", "minute", "hour", "week", "pair", "round", "question",
           "concern", "mentor", "mentee", "reflection", "participant")
# "1 sessions", "2 session": a count and its noun disagree (one and many).
NOUNS = sorted({*COUNTED, *(f"{w}s" for w in COUNTED if w != "people")})
ONE_MANY = re.compile(r"(?<![\d.,:/-])(\d+) (" + "|".join(NOUNS) + r")(?![\w-])")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


@dataclass(frozen=True)
class Problem:
    where: str
    problem: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem} in {self.text[:240]!r}"


@dataclass
class Settings:
    """The settings numbers in messages must agree with (empty sets: nothing of that kind exists)."""

    round_minutes: set[int] = field(default_factory=set)
    briefing_minutes: set[int] = field(default_factory=set)
    session_minutes: set[int] = field(default_factory=set)
    cadences: set[tuple[int, int]] = field(default_factory=set)


@cache
def internal_keys() -> frozenset[str]:
    """Every hyphenated id in the default content: a person should never read one."""
    content = load_content()
    keys: set[str] = set()
    for question in content.icebreakers.questions:
        keys.add(question.id)
    for survey in content.surveys.surveys:
        keys.update(q.id for q in survey.questions)
    keys.update(t.id for t in content.topics.topics)
    keys.update(p.id for p in content.contracting.prompts)
    keys.update(p.id for p in content.promises.promises)
    prose = " ".join(_prose(content.model_dump(exclude={"folders"})))
    # A key that is also an ordinary word in the content's own prose ("off-limits") is English.
    in_prose = {key for key in keys if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", prose)}
    return frozenset(key for key in keys - in_prose if "-" in key)


def _prose(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, str) and key not in {"id", "kind", "depth", "role", "owner"}:
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _prose(item, str(name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _prose(item, key)


def readable(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every string a person reads in a payload."""
    if isinstance(payload, dict):
        for key, item in payload.items():
            if key in JSON_STRINGS and isinstance(item, str) and item[:1] in "[{":
                with contextlib.suppress(ValueError):
                    item = json.loads(item)
            where = f"{path}.{key}" if path else str(key)
            if key in VISIBLE_KEYS and isinstance(item, str):
                yield where, item
            elif isinstance(item, (dict, list, tuple)):
                yield from readable(item, where)
    elif isinstance(payload, (list, tuple)):
        for index, item in enumerate(payload):
            yield from readable(item, f"{path}[{index}]")


def _numbers(pattern: str, text: str) -> Iterator[int]:
    for match in re.finditer(pattern, text, re.IGNORECASE):
        word = match.group(1).lower()
        value = NUMBER_WORDS.get(word)
        if value is None and word.isdigit():
            value = int(word)
        if value is not None:
            yield value


def number_problems(text: str, settings: Settings) -> list[str]:
    """Numbers that contradict the setting they describe."""
    from bot.concerns.service import REOPEN_WINDOW
    from bot.sessions.service import AT_RISK_GRACE
    from bot.speed_events.records import WRAP_UP_MINUTES

    problems: list[str] = []

    def against(pattern: str, allowed: Iterable[int], what: str) -> None:
        allowed = set(allowed)
        for value in _numbers(pattern, text):
            if allowed and value not in allowed:
                problems.append(f"{value} contradicts the {what} ({', '.join(map(str, sorted(allowed)))})")

    against(r"each round lasts (?:about )?(\w+) minutes", settings.round_minutes, "round length")
    against(r"you have (\w+) minutes", settings.round_minutes, "round length")
    against(r"(\d+)-minute briefing", settings.briefing_minutes, "briefing length")
    against(r"(\w+) minutes left in this round", {WRAP_UP_MINUTES}, "wrap-up time")
    against(r"about (\d+) minutes each", settings.session_minutes, "session length")
    against(r"closed more than (\w+) days ago", {REOPEN_WINDOW.days}, "days a concern can be reopened")
    against(r"isn't resolved\W+\(for (\w+) days\)", {REOPEN_WINDOW.days}, "days a concern can be reopened")
    against(r"window plus (\w+) days?", {AT_RISK_GRACE.days}, "at-risk grace period")
    if settings.cadences:
        for match in re.finditer(r"best (\d+) to (\d+) days after", text):
            pair = (int(match.group(1)), int(match.group(2)))
            if pair not in settings.cadences:
                problems.append(f"{pair} contradicts the days between sessions {sorted(settings.cadences)}")
        for match in re.finditer(r"every (\w+) to (\w+) weeks", text):
            low, high = (NUMBER_WORDS.get(g.lower(), 0) for g in match.groups())
            if low and high and (low * 7, high * 7) not in settings.cadences:
                problems.append(f"every {low} to {high} weeks contradicts {sorted(settings.cadences)}")
    return problems


def text_problems(text: str, settings: Settings | None = None) -> list[str]:
    """Everything wrong with one piece of text a person reads."""
    problems: list[str] = []
    plain = MARKUP.sub(" ", text)
    for match in RAW_ID.finditer(plain):
        if any(ch.isdigit() for ch in match.group()):
            problems.append(f"raw id {match.group()!r}")
    for match in SNAKE_KEY.finditer(plain):
        problems.append(f"internal key {match.group()!r}")
    keys = internal_keys()
    for token in re.findall(r"(?<![\w/-])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w-])", MARKUP.sub(" ", text.replace("`", " "))):
        if token in keys:
            problems.append(f"internal key {token!r}")
    for match in PLACEHOLDER.finditer(plain):
        problems.append(f"unformatted placeholder {match.group()!r}")
    if NONE.search(plain):
        problems.append("None shown as a value")
    for match in DOUBLED.finditer(plain):
        problems.append(f"doubled word {match.group()!r}")
    if re.search(r"[a-z]\(s\)", plain):
        problems.append("one and many: '(s)' instead of a count that agrees")
    for match in ONE_MANY.finditer(plain):
        count, noun = int(match.group(1)), match.group(2)
        plural = noun == "people" or (noun.endswith("s") and noun[:-1] in COUNTED)
        if (count == 1) == plural:
            problems.append(f"one and many: {match.group()!r}")
    problems += number_problems(plain, settings or Settings())
    return problems


def payload_problems(where: str, payload: Any, settings: Settings | None = None) -> list[Problem]:
    found: list[Problem] = []
    for path, text in readable(payload):
        found += [Problem(f"{where} {path}", problem, text) for problem in text_problems(text, settings)]
    return found


def settings_from(db: Any) -> Settings:
    """The programmes' and speed events' settings in the test's database (nothing if it has none)."""
    from sqlalchemy import select

    from bot.models import Programme, SpeedEvent

    settings = Settings()
    try:
        with db.session() as session:
            for programme in session.scalars(select(Programme)):
                settings.session_minutes.add(programme.session_minutes)
                settings.cadences.add((programme.cadence_min_days, programme.cadence_max_days))
            for event in session.scalars(select(SpeedEvent)):
                settings.round_minutes.add(event.round_minutes)
                settings.briefing_minutes.add(event.briefing_minutes)
    except Exception:  # a test that broke its own database is judged by its own asserts
        return Settings()
    return settings


@dataclass
class WordsCoverage:
    shown: int = 0


class Watch:
    """What one emulator had shown before a test, so only what the test added is read."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.calls = len(emulator.calls)
        self.ephemerals = len(emulator._ephemerals)
        self.views = {view_id: json.dumps(view.data, sort_keys=True) for view_id, view in emulator._views.items()}

    @classmethod
    def fresh(cls, emulator: Any) -> Watch:
        """A watch over everything ``emulator`` ever showed (one the test started itself)."""
        watch = cls.__new__(cls)
        watch.emulator, watch.calls, watch.ephemerals, watch.views = emulator, 0, 0, {}
        return watch

    def shown(self) -> Iterator[tuple[str, Any]]:
        emulator = self.emulator
        for call in emulator.calls[self.calls:]:
            if call.method in MESSAGE_METHODS:
                yield call.method, call.args
        for message in emulator._ephemerals[self.ephemerals:]:
            yield f"ephemeral ({message.source})", {"text": message.text, "blocks": message.blocks}
        for view_id, view in list(emulator._views.items()):
            if self.views.get(view_id) != json.dumps(view.data, sort_keys=True):
                yield "view", view.data


def problems_in(watches: Iterable[Watch], settings: Settings) -> list[Problem]:
    found: list[Problem] = []
    for watch in watches:
        for where, payload in watch.shown():
            found += payload_problems(where, payload, settings)
    return found
