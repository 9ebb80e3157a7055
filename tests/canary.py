"""Canaries for escaping: people's words that would mention, notify or link if Slack read them as mrkdwn.

Put :data:`CANARY` (or :func:`canary`) into every field a person or a Slack profile fills, drive
the flows, then call :func:`assert_nothing_leaked` (or look at :func:`leaks`). It checks every
payload the app sent during the test, so a new surface is covered without anyone listing it:

- every recorded Web API call (``chat.postMessage``, ``chat.update``, ``views.*``, files, ...) and
  every ``response_url`` post, which the emulator records as calls;
- what :class:`PayloadSpy` saw that is not a Web API call: slash command acknowledgements and the
  views a ``view_submission`` answer pushes or updates (``response_action``).

Each string leaf of a payload is read the way Slack reads it. Inside ``plain_text`` objects, text
input values, button values and ``private_metadata`` nothing is markup, so raw words are right
there. Everywhere else (section and context ``mrkdwn``, fields, confirm texts, a message's ``text``
fallback, a file's ``initial_comment``) a raw marker is a leak. Escaping twice (``&amp;lt;``) is a
bug anywhere.

Not a test module: import it from tests (``from tests.canary import ...``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.emulator import SlackEmulator

MARKERS = ("<!channel>", "<@U0CANARY>", "<https://evil.example/sso|Confirm your match>")
CANARY = " ".join(MARKERS)
ESCAPED = {marker: marker.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for marker in MARKERS}
DOUBLE_ESCAPED = ("&amp;lt;", "&amp;gt;", "&amp;amp;")

# String leaves Slack never reads as mrkdwn: shown as typed (or not shown at all).
NOT_MRKDWN = frozenset(
    {
        "action_id",
        "block_id",
        "callback_id",
        "channel",
        "channel_id",
        "external_id",
        "filename",
        "files",  # files.completeUploadExternal: ids and plain titles
        "hash",
        "image_url",
        "initial_conversation",
        "initial_date",
        "initial_time",
        "initial_user",
        "initial_users",
        "initial_value",  # what a person typed, put back in their own form
        "metadata",
        "private_metadata",
        "state",
        "thread_ts",
        "title",  # a file's title (Block Kit titles are plain_text objects)
        "token",
        "trigger_id",
        "ts",
        "url",
        "user",
        "users",
        "value",  # button and option values, sent back to the app
        "view_id",
    }
)
JSON_STRINGS = frozenset({"blocks", "view", "attachments"})


def canary(label: str) -> str:
    """``label`` followed by every marker, e.g. ``canary("Acme")`` for an organisation."""
    return f"{label} {CANARY}"


@dataclass(frozen=True)
class Leak:
    where: str  # the Web API method (or "ack", "response_action")
    path: str  # where in the payload, e.g. "blocks[2].text.text"
    problem: str  # "raw <!channel>" or "escaped twice"
    text: str

    def __str__(self) -> str:
        return f"{self.where} {self.path}: {self.problem} in {self.text[:200]!r}"


class PayloadSpy:
    """Records what the app answers outside the Web API: acks and ``response_action`` views."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.payloads: list[tuple[str, Any]] = []
        self._wrap(
            emulator,
            "record_ack_message",
            lambda args, kwargs: {
                "text": kwargs.get("text", args[2] if len(args) > 2 else ""),
                "blocks": kwargs.get("blocks", args[3] if len(args) > 3 else None),
            },
            "ack",
        )
        self._wrap(emulator, "push_view", lambda args, kwargs: args[1], "response_action")
        self._wrap(emulator, "update_top_view", lambda args, kwargs: args[1], "response_action")

    def _wrap(self, emulator: SlackEmulator, name: str, payload: Any, where: str) -> None:
        original = getattr(emulator, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.payloads.append((where, payload(args, kwargs)))
            return original(*args, **kwargs)

        setattr(emulator, name, spy)


def payloads(emulator: SlackEmulator, spy: PayloadSpy | None = None) -> Iterator[tuple[str, Any]]:
    """Every payload the app sent: Web API calls and response_url posts, then what ``spy`` saw."""
    for call in emulator.calls:
        yield call.method, call.args
    if spy is not None:
        yield from spy.payloads


def _leaves(value: Any, path: str, mrkdwn: bool) -> Iterator[tuple[str, str, bool]]:
    """``(path, text, read_as_mrkdwn)`` for every string in a payload."""
    if isinstance(value, str):
        yield path, value, mrkdwn
    elif isinstance(value, dict):
        plain = value.get("type") == "plain_text"
        for key, item in value.items():
            if key in JSON_STRINGS and isinstance(item, str) and item[:1] in "[{":
                with contextlib.suppress(ValueError):
                    item = json.loads(item)
            as_mrkdwn = mrkdwn and key not in NOT_MRKDWN and not (plain and key == "text")
            yield from _leaves(item, f"{path}.{key}" if path else key, as_mrkdwn)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]", mrkdwn)


def leaks(sent: Iterable[tuple[str, Any]], markers: Iterable[str] = MARKERS) -> list[Leak]:
    """Every place a marker reaches mrkdwn unescaped, or anything is escaped twice."""
    wanted = tuple(markers)
    found: list[Leak] = []
    for where, payload in sent:
        for path, text, mrkdwn in _leaves(payload, "", True):
            if mrkdwn:
                found += [Leak(where, path, f"raw {m}", text) for m in wanted if m in text]
            found += [Leak(where, path, "escaped twice", text) for d in DOUBLE_ESCAPED if d in text]
    return found


def escaped_sightings(sent: Iterable[tuple[str, Any]], marker: str = MARKERS[0]) -> list[str]:
    """Every mrkdwn text that shows ``marker`` correctly escaped: proof the canary was rendered."""
    return [
        text
        for _where, payload in sent
        for _path, text, mrkdwn in _leaves(payload, "", True)
        if mrkdwn and ESCAPED[marker] in text
    ]


def assert_nothing_leaked(emulator: SlackEmulator, spy: PayloadSpy | None = None, *, known: Iterable[str] = ()) -> None:
    """Fail on any leak, except the ``known`` ones (substrings of a leak's text, each still leaking).

    ``known`` is for leaks this change cannot fix yet: each must still be found, so fixing it
    makes the test say the entry can go.
    """
    expected = tuple(known)
    found = leaks(payloads(emulator, spy))
    unexpected = [leak for leak in found if not any(k in leak.text for k in expected)]
    gone = [k for k in expected if not any(k in leak.text for leak in found)]
    assert not unexpected, "people's words reached mrkdwn unescaped:\n" + "\n".join(map(str, unexpected))
    assert not gone, f"these known leaks are fixed: remove them from the list: {gone}"
