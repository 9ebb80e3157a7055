"""Pause and resume: the words people see. No reason is ever asked for, or shown to anyone else."""

from __future__ import annotations

import re
from datetime import datetime

from bot.blockkit import Block, actions, button, context, escape, section
from bot.content import Content
from bot.journey.blocks import when_text

RESUME_NOW = "pause_resume_now"
KEEP_PAUSING = "pause_keep_pausing"
PAUSE_FOR = re.compile(r"^pause_for_(2|4|8|open)$")  # one action id per length; value: programme:length
LEAD_PAUSE_PAIR = "lead_pause_pair"
LEAD_RESUME_PAIR = "lead_resume_pair"
PAUSE_LABELS = {"2": "Pause 2 weeks", "4": "Pause 4 weeks", "8": "Pause 8 weeks", "open": "Pause until I resume"}


def paused_message(programme: str, ends_at: datetime | None, tz: str) -> str:
    until = f"until {when_text(ends_at, tz)}" if ends_at else "until you resume"
    return (
        f"You're taking a break from *{escape(programme)}*, {until}. No reason needed. "
        "Your partner is told only that you're taking a short break; the programme lead knows too. "
        "Reminders and prompts stop meanwhile. Come back any time with `/mentoring resume`."
    )


def resumed_message(programme: str, *, by_itself: bool = False) -> str:
    opening = "Your break has come to its end" if by_itself else "Welcome back"
    return (
        f"{opening}: you're taking part in *{escape(programme)}* again. Your partner has been told you're back. "
        "Take the next step whenever you're ready."
    )


def partner_notice(content: Content, programme: str, what: str) -> tuple[str, list[Block]]:
    if what == "back":
        text = f"Your pairing in *{escape(programme)}* is back on after a short break. Pick up whenever suits you both."
    else:
        text = (
            f"Your partner in *{escape(programme)}* is taking a short break from the programme. "
            "Nothing is needed from you; reminders pause meanwhile, and I'll let you know when it picks up again."
        )
    return text, [section(text), context(content.promise("this-message"))]


def lead_notice(
    content: Content, programme: str, name: str, what: str, ends_at: datetime | None
) -> tuple[str, list[Block]]:
    if what == "resumed":
        text = f"{escape(name)} is back from a break in *{escape(programme)}*."
    else:
        until = f" until {when_text(ends_at, 'UTC')}" if ends_at else " until they resume"
        text = f"{escape(name)} is taking a break from *{escape(programme)}*{until}. No reason is asked or needed."
    return text, [section(text), context(content.promise("pause-lead-home"))]


def resume_prompt(
    content: Content, programme: str, ends_at: datetime, tz: str, pause_id: int
) -> tuple[str, list[Block]]:
    text = (
        f"Your break from *{escape(programme)}* ends on {when_text(ends_at, tz)}. Would you like to come back now, "
        f"or keep pausing? {content.promise('pause-why')}"
    )
    blocks: list[Block] = [
        section(text),
        actions(
            button("Resume now", RESUME_NOW, str(pause_id), style="primary"),
            button("Keep pausing", KEEP_PAUSING, str(pause_id)),
        ),
        context(f"{content.promise('this-message')} Without an answer, you resume when the break ends."),
    ]
    return "Your break ends soon: resume now or keep pausing?", blocks


def pause_buttons(programme_id: int) -> Block:
    return actions(
        *(button(label, f"pause_for_{value}", f"{programme_id}:{value}") for value, label in PAUSE_LABELS.items()),
        block_id=f"pause-{programme_id}",
    )
