"""Block Kit rendering: plain data in, Slack blocks (dicts) out. No Slack calls here.

Escaping is done here, once, for every builder (Slack's "Escaping text": ``&``, ``<`` and ``>``
are mrkdwn's control characters). The rule:

- Anything that came from a person or a Slack profile (names, titles, organisations,
  departments, pronouns, topics, agenda items, event names and places, programme names, notes,
  anything typed) goes into mrkdwn only through :func:`escape`, also when it fills a template
  from the content. Then it shows as written and can never mention, notify or link.
- The only mentions and links in a message are the app's own: :func:`mention` and
  :func:`channel_mention` from ids, and :func:`date` for a date Slack localises.
- :func:`mrkdwn`, :func:`section` and :func:`context` (and a section's ``fields``) take **app-authored
  mrkdwn only**: a string of the app's own words with people's words already escaped in it.
- A message's ``text`` fallback is mrkdwn too (Slack formats it in notifications and when a
  message has no blocks), so it follows the same rule.
- ``plain_text`` objects (:func:`plain`, :func:`header`, button and option labels, input
  values, :func:`verbatim`) are never read as markup: people's words go into them as they are.

``tests/canary.py`` checks every Web API payload a test makes for people's words that slipped
through unescaped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

Block = dict[str, Any]

log = logging.getLogger(__name__)

SECTION_TEXT_LIMIT = 3000  # Slack's limit for a section's text, in characters, as sent (after escaping)
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
# Where text ever has to stop (a single section asked to hold too much, or more blocks than Slack takes),
# the reader sees that it did.
SHORTENED_SIGN = "… _(shortened: too long to show in full here)_"
SHORTENED_SIGN_PLAIN = "… (shortened: too long to show in full here)"
MORE_NOT_SHOWN = "_(continued: there is more than fits in one message. Nothing you wrote is lost.)_"
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")  # a cut must never split &amp; &lt; &gt;

_SLACK_ID = re.compile(r"^[A-Za-z0-9_.-]+$")  # no markup can hide in an id


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 session`` / ``2 sessions`` (``plural`` for irregular nouns: ``counted(n, "person", "people")``)."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def escape(text: object) -> str:
    """Words from a person or a Slack profile, made safe to put into mrkdwn.

    ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;`` (in that order, so nothing is
    escaped twice over), so ``<!channel>`` or ``<https://x|Click>`` shows as typed and does
    nothing. ``None`` is the empty string. Escape each value exactly once, where it is put into
    mrkdwn; never escape a whole message the app wrote (its own mentions would stop working).
    """
    if text is None:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str | None) -> str:
    """``<@U123>``, the app's own mention of a person, built from their Slack id.

    Anything that is not a Slack id (a name, an empty value) is shown escaped, never as markup.
    """
    value = str(user_id or "")
    return f"<@{value}>" if _SLACK_ID.match(value) else escape(value)


def name_or_mention(name: str | None, user_id: str | None) -> str:
    """A person's name, escaped, or the app's mention of them when the name is not known."""
    return escape(name) if name else mention(user_id)


def channel_mention(channel_id: str | None) -> str:
    """``<#C123>``: a link to a conversation, built from its id."""
    value = str(channel_id or "")
    return f"<#{value}>" if _SLACK_ID.match(value) else escape(value)


def date(at: datetime, token: str, fallback: str) -> str:
    """A date Slack shows in the reader's own time zone; ``fallback`` is shown where it can't."""
    return f"<!date^{int(at.timestamp())}^{token}|{escape(fallback).replace('|', '/')}>"


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A ``plain_text`` object: shown exactly as given, so people's words go in unescaped."""
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    """A ``mrkdwn`` object. App-authored mrkdwn only: people's words go in through :func:`escape`."""
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    """A header (``plain_text``): people's words go in as they are."""
    return {"type": "header", "text": plain(text[:150])}


def _cut_at(text: str, limit: int) -> int:
    """Where to end a piece of at most ``limit`` characters: a paragraph, a line, then a word boundary
    in the second half of the piece; failing those, at ``limit``, but never inside an ``&amp;``-style
    entity or an app-made ``<...>`` mention, link or date."""
    window = text[:limit]
    for boundary in ("\n\n", "\n", " "):
        at = window.rfind(boundary)
        if at >= limit // 2:
            return at + len(boundary)
    cut = limit
    entity = _ENTITY_TAIL.search(window)
    if entity:
        cut = entity.start()
    opening = window.rfind("<")
    if opening > window.rfind(">") and opening >= limit // 2:
        cut = min(cut, opening)
    return cut if cut > 0 else limit


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at paragraph, line or word boundaries:
    nothing is dropped (only the whitespace where a cut falls)."""
    if limit < 16:
        raise ValueError("a piece must hold at least 16 characters")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_at(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip(" \n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """One section of app-authored mrkdwn only: people's words go in through :func:`escape`.

    For text that may be longer than a section holds (anything with people's words in it), use
    :func:`sections`. Asked to hold more, this one never cuts silently: it shows that it shortened
    the text, and logs it.
    """
    if len(text) > SECTION_TEXT_LIMIT:
        log.warning("A %d-character section was shortened: build it with sections()", len(text))
        text = split_text(text, SECTION_TEXT_LIMIT - len(SHORTENED_SIGN))[0] + SHORTENED_SIGN
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def sections(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> list[Block]:
    """App-authored mrkdwn (people's words escaped in it) of any length, as as many sections as it takes.

    The text is cut at paragraph, line or word boundaries, never inside an escaped character or an
    app-made mention; the first section carries ``block_id`` and ``accessory``, the next ones
    ``block_id-2``, ``block_id-3``... Put the result in a message or view with :func:`limit_blocks`.
    """
    blocks = [section(piece) for piece in split_text(text)]
    if block_id:
        for number, block in enumerate(blocks, start=1):
            block["block_id"] = block_id if number == 1 else f"{block_id}-{number}"
    if accessory:
        blocks[0]["accessory"] = accessory
    return blocks


def verbatim(text: str) -> Block:
    """One section showing what someone typed exactly as typed (``plain_text``, never formatting).

    For text that may be longer than a section holds, use :func:`verbatims`; this one shows when it
    had to shorten.
    """
    text = text or " "
    if len(text) > SECTION_TEXT_LIMIT:
        log.warning("A %d-character plain-text section was shortened: build it with verbatims()", len(text))
        text = split_text(text, SECTION_TEXT_LIMIT - len(SHORTENED_SIGN_PLAIN))[0] + SHORTENED_SIGN_PLAIN
    return {"type": "section", "text": plain(text, emoji=False)}


def verbatims(text: str) -> list[Block]:
    """What someone typed, exactly as typed, of any length: as many plain-text sections as it takes."""
    return [verbatim(piece) for piece in split_text(text or " ")]


def limit_blocks(
    blocks: Sequence[Block], limit: int = MESSAGE_BLOCK_LIMIT, *, keep_last: int = 0, more: str = MORE_NOT_SHOWN
) -> list[Block]:
    """At most ``limit`` blocks (Slack: 50 in a message, 100 in a view). When there are more, the
    last ``keep_last`` (buttons, a footer) are kept, and a visible ``more`` sign marks where it stops."""
    blocks = list(blocks)
    if len(blocks) <= limit:
        return blocks
    tail = blocks[len(blocks) - keep_last:] if keep_last else []
    head = blocks[: limit - 1 - len(tail)]
    return [*head, context(more), *tail]


def context(*texts: str) -> Block:
    """A context block of app-authored mrkdwn only: people's words go in through :func:`escape`."""
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str | None = None, *, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block
