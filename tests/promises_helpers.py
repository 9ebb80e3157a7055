"""Shared by the promise tests: what the local Slack delivered, and to whom.

Not a test module, so both tests/test_promises_e2e.py and its siblings can import it.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

from bot.content import load_content
from bot.db import Database
from bot.local_slack import LocalSlack
from bot.settings import Settings


def deliveries(slack: LocalSlack) -> Iterator[tuple[set[str], str]]:
    """(who received it, the payload as text) for every message, ephemeral and view the app made."""
    emulator = slack.emulator
    bot = emulator.bot_user_id
    for call in emulator.calls:
        blob = json.dumps(call.args, ensure_ascii=False)
        if call.method in {"chat.postMessage", "chat.update", "chat.scheduleMessage", "files.completeUploadExternal"}:
            channel = str(call.args.get("channel") or call.args.get("channel_id") or "")
            conv = emulator.conversation(channel)
            yield (set(conv.members) - {bot} if conv else {f"unknown:{channel}"}), blob
        elif call.method == "chat.postEphemeral":
            yield {str(call.args.get("user"))}, blob
        elif call.method in {"views.open", "views.push"}:
            trigger = emulator._triggers.get(str(call.args.get("trigger_id")))
            yield {trigger.user_id if trigger else "unknown"}, blob
        elif call.method == "views.update":
            view = emulator._views.get(str(call.args.get("view_id")))
            yield {view.user_id if view else "unknown"}, blob
        elif call.method == "views.publish":
            yield {str(call.args.get("user_id"))}, blob
        elif call.method == "response_url" and call.args.get("response_type") == "in_channel":
            yield {"everyone"}, blob
    for message in emulator._ephemerals:
        yield {str(message.ephemeral_to)}, json.dumps([message.text, message.blocks], ensure_ascii=False)
    for view in emulator._views.values():
        yield {view.user_id}, json.dumps(view.data, ensure_ascii=False)
    for conv in emulator._convs.values():
        for message in conv.messages:
            # A file posted with the message (a data export) is searched too, word for word.
            files = [emulator._files[f].content for f in message.files if f in emulator._files]
            attached = [body.decode("utf-8", "replace") for body in files if body is not None]
            yield set(conv.members) - {bot}, json.dumps([message.text, message.blocks, *attached], ensure_ascii=False)


def receivers(slack: LocalSlack, needle: str) -> set[str]:
    """Everyone who received a payload holding ``needle`` (or, for ``"a & b"``, both a and b)."""
    parts = needle.split(" & ")
    return {person for audience, blob in deliveries(slack) if all(p in blob for p in parts) for person in audience}


def needle_of(template: str) -> str:
    """A promise's words as a needle for :func:`receivers`: the parts around any ``{placeholder}``."""
    parts = [literal.strip() for literal, *_ in string.Formatter().parse(template) if literal.strip()]
    return " & ".join(parts)


# The promises proved by tests/test_promises_speed_e2e.py (a speed mentoring event has its own cast).
# Not the default: every number a label shows must come from the setting it describes.
MIN_GROUP = Settings().min_group_size + 2
CONTENT_AT_MIN_GROUP = load_content().with_settings(Settings(min_group_size=MIN_GROUP))


def slack_at_min_group(db: Database) -> Iterator[LocalSlack]:
    """The local Slack, with the app's MIN_GROUP_SIZE set to :data:`MIN_GROUP` (for a fixture)."""
    world = LocalSlack(db).start(admins=[], min_group_size=MIN_GROUP)
    yield world
    world.stop()


SPEED_EVENT_PROMISES = (
    "speed-answer",
    "speed-answers",
    "speed-learned",
    "speed-feedback",
    "speed-feedback-totals",
    "speed-lead-totals",
)
# Of those, the ones that speak to the lead (shown in their help), not to the person who gave the data.
SHOWN_TO_LEAD = ("lead-survey-totals", "speed-lead-totals")
# The promises proved by tests/test_promises_alerts_e2e.py (an alert about a pair, and a lead's check-in).
ALERT_PROMISES = ("check-in-alert", "check-in-form", "check-in", "check-in-sent", "alert-handled", "concern-channel")
# The promises proved by tests/test_promises_consent_e2e.py (a proposed match the mentor declined).
CONSENT_PROMISES = ("offer-not-told", "offer-declined-reply", "offer-check-in-form", "offer-check-in-sent")
# The promises proved by tests/test_promises_pause_e2e.py (a break, which has no reason).
PAUSE_PROMISES = ("pause-why", "pause-lead-home")
# The promises proved by tests/test_promises_induction_e2e.py (induction steps, an event's briefing).
INDUCTION_PROMISES = ("induction-steps", "briefing-read")
PROVED_ELSEWHERE = SPEED_EVENT_PROMISES + ALERT_PROMISES + CONSENT_PROMISES + PAUSE_PROMISES + INDUCTION_PROMISES
