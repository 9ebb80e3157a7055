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

import re
from datetime import datetime
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000

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


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A section of app-authored mrkdwn only: people's words go in through :func:`escape`."""
    block: Block = {"type": "section", "text": mrkdwn(text[:SECTION_TEXT_LIMIT])}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def verbatim(text: str) -> Block:
    """A section showing what someone typed exactly as typed (``plain_text``, never formatting)."""
    return {"type": "section", "text": plain((text or " ")[:SECTION_TEXT_LIMIT], emoji=False)}


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
