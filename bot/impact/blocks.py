"""The lead's report and close-out, recognition, and data-rights messages.

Nothing here shows a word of anyone's reflections or concerns. Survey comments appear only in the
lead's own report, only for groups large enough to show, sorted so their order says nothing.
Programme names, people's names, goals and comments go into mrkdwn through
:func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blockkit import (
    Block,
    actions,
    button,
    channel_mention,
    context,
    counted,
    escape,
    header,
    mention,
    plain,
    section,
    sections,
)
from bot.blockkit.forms import input_block, modal
from bot.content import Content
from bot.home.blocks import when
from bot.impact.service import ALL, ImpactReport, ProgrammeReport

CLOSE_FORM = "close_programme_form"
RECOGNITION_YES = "recognition_yes"
RECOGNITION_NO = "recognition_no"
DELETE_CONFIRM = "delete_my_data_confirm"
DELETE_CANCEL = "delete_my_data_cancel"
KIND_TITLES = {"baseline": "Baseline", "midpoint": "Midpoint", "end": "End"}
GROUP_TITLES = {"mentor": "mentors", "mentee": "mentees", ALL: "everyone"}
COMMENTS_SHOWN = 10
SUMMARY_LABELS = {
    "status": "Status",
    "pairs": "Pairs",
    "pairs_introduced": "Introduced",
    "pairs_contract_agreed": "Contract agreed",
    "pairs_at_risk": "At risk",
    "sessions_held": "Sessions held",
    "sessions_planned": "Sessions planned",
    "waiting_mentors": "Mentors waiting",
    "waiting_mentees": "Mentees waiting",
    "reflection_completion": "Reflection completion",
    "open_concerns": "Open concerns",
}


def _impact_lines(impact: ImpactReport) -> list[str]:
    lines: list[str] = []
    for result in impact.questions:
        base, end = result.cells.get("baseline"), result.cells.get("end")
        if base is None and end is None:
            continue
        parts = []
        for kind, cell in (("baseline", base), ("end", end)):
            if cell is not None:
                parts.append(f"{KIND_TITLES[kind]} {cell.describe(impact.min_group)}")
        change = f" · *change {result.change:+.1f}*" if result.change is not None else ""
        lines.append(
            f"• {escape(result.text)} ({GROUP_TITLES.get(result.group, result.group)}): " + "; ".join(parts) + change
        )
    return lines


COMMENT_EXCERPT = 300


def _excerpt(text: str) -> str:
    """A survey comment on one line, shortened visibly (with "…") to keep the report to one message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= COMMENT_EXCERPT else flat[: COMMENT_EXCERPT - 1].rstrip() + "…"


def _chunks(lines: Sequence[str], limit: int = 2900) -> list[str]:
    out: list[str] = []
    current = ""
    for line in lines:
        if len(current) + len(line) + 1 > limit and current:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    if current:
        out.append(current)
    return out


def report_message(report: ProgrammeReport, ratings: Sequence[str] = ()) -> tuple[str, list[Block]]:
    """The lead's summary (the chart comes with it as a PNG file)."""
    summary = dict(report.summary)
    facts = " · ".join(f"{label}: *{summary[key]}*" for key, label in SUMMARY_LABELS.items() if summary.get(key))
    respondents = impact_respondents(report.impact)
    blocks: list[Block] = [
        header(f"Report: {report.name}"[:150]),
        section(facts or "No activity yet."),
        section(
            "*Impact surveys* (averages on a 1-5 scale; a group is shown only when at least "
            f"{report.impact.min_group} people answered, and never when it could be worked out from other figures)\n"
            + respondents
        ),
    ]
    for chunk in _chunks(_impact_lines(report.impact))[:6]:
        blocks.append(section(chunk))
    if ratings:
        blocks.append(section("*Reflection ratings* (aggregated)\n" + "\n".join(ratings)))
    comments = [
        (kind, role, text)
        for (kind, role), texts in sorted(report.impact.comments.items())
        for text in texts[:COMMENTS_SHOWN]
    ]
    if comments:
        lines = ["*Survey comments* (only from groups large enough to show, in alphabetical order)"]
        lines += [
            f"• _{KIND_TITLES.get(kind, kind)}, {role}s_: {escape(_excerpt(text))}"
            for kind, role, text in comments
        ]
        for chunk in _chunks(lines)[:4]:
            blocks.append(section(chunk))
    blocks.append(
        context(
            f"Generated {report.generated_at}. The chart shows sessions held per month and baseline versus end. "
            "`/mentoring report csv` has every pair. Reflections and concerns are never included."
        )
    )
    return f"Report for {escape(report.name)}", blocks[:50]


def impact_respondents(impact: ImpactReport) -> str:
    bits = []
    for kind in ("baseline", "midpoint", "end"):
        mentors = impact.respondents.get((kind, "mentor"), 0)
        mentees = impact.respondents.get((kind, "mentee"), 0)
        if mentors or mentees:
            bits.append(f"{KIND_TITLES[kind]}: {counted(mentors, 'mentor')}, {counted(mentees, 'mentee')} answered")
    return " · ".join(bits) or "No survey answers yet."


def csv_message(name: str) -> tuple[str, list[Block]]:
    text = (
        f"Here is the CSV for *{escape(name)}*: pair status and sessions, programme totals and survey "
        "aggregates. It holds no reflection, concern or comment text."
    )
    return f"CSV export for {escape(name)}", [section(text)]


# ------------------------------------------------------------------------------------ close-out


def close_modal(programme_id: int, name: str, pairs: int, retention_days: int) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"Closing *{escape(name)}* ends its {counted(pairs, 'live pair')} and cancels their booked sessions. "
            "Everyone is asked for a final private reflection and the end survey; a day later each mentee "
            "is thanked with their mentor's name, each mentor is thanked, and everyone gets a summary of their journey."
        ),
        input_block(
            "recognition_channel",
            "Thank mentors by name in this channel (optional)",
            {
                "type": "conversations_select",
                "placeholder": plain("Choose a channel"),
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
            optional=True,
            hint="Each mentor is asked first; only those who say yes are named there.",
        ),
        context(
            f"Sensitive text (reflections, concerns, contracts) is deleted {counted(retention_days, 'day')} "
            "after closing."
        ),
    ]
    return modal(
        CLOSE_FORM, "Close programme", blocks, submit="Close programme", metadata={"programme_id": programme_id}
    )


def closed_for_lead(name: str, pairs: int, surveyed: int, by_end_date: bool, purge_after: datetime | None) -> str:
    name = escape(name)
    opening = f"*{name}* reached its end date and is now closed." if by_end_date else f"*{name}* is now closed."
    purge = f" Sensitive text will be deleted on {when(purge_after)}." if purge_after else ""
    return (
        f"{opening} {counted(pairs, 'pair')} ended; {counted(surveyed, 'end survey')} sent. "
        "Mentors are thanked and mentees "
        f"hear their mentor's name tomorrow, with a summary of their journey.{purge} "
        "`/mentoring report` shows the final figures."
    )


def final_reflection_intro(name: str) -> str:
    name = escape(name)
    return (
        f"*{name}* is coming to a close. Before it does, take five minutes for a final private reflection on "
        "your last session: what you learned, and what you will do differently from here."
    )


def mentee_thanks(programme: str, mentor_name: str, sessions: int) -> tuple[str, list[Block]]:
    programme, mentor_name = escape(programme), escape(mentor_name)
    text = (
        f"Thank you for taking part in *{programme}*. Your mentor, *{mentor_name}*, gave you "
        f"{counted(sessions, 'session')} of their time, and shared their experience so that you could see the "
        "organisation "
        f"through their eyes. Please thank {mentor_name} yourself, and tell them one thing you will do "
        "differently because of it."
    )
    return f"Thank you from {programme}: your mentor was {mentor_name}", [section(text)]


def mentor_thanks(
    content: Content, programme: str, name: str, mentee_name: str, sessions: int
) -> tuple[str, list[Block]]:
    programme, name, mentee_name = escape(programme), escape(name), escape(mentee_name)
    text = (
        f"Thank you, {name}. Over {counted(sessions, 'session')} in *{programme}* you shared your experience with "
        f"{mentee_name}, and that is how leaders learn what really happens. Your mentee has been thanked "
        f"with your name. {content.promise('thanks-private')}"
    )
    return f"Thank you for mentoring in {programme}", [section(text)]


def consent_request(programme: str, channel_id: str, pair_id: int) -> tuple[str, list[Block]]:
    programme = escape(programme)
    text = (
        f"May we thank you by name in {channel_mention(channel_id)} for mentoring in *{programme}*? "
        "Only your name and the programme are mentioned: nothing about your partner or your sessions. "
        "It's entirely up to you."
    )
    return f"May we thank you by name in the {programme} channel?", [
        section(text),
        actions(
            button("Yes, thank me by name", RECOGNITION_YES, str(pair_id), style="primary"),
            button("No, keep it private", RECOGNITION_NO, str(pair_id)),
        ),
    ]


def recognition_post(programme: str, mentor_id: str) -> tuple[str, list[Block]]:
    programme = escape(programme)
    text = (
        f":sparkles: Thank you to {mention(mentor_id)}, who gave their time and experience as a mentor "
        f"in *{programme}*, helping a senior leader understand how work is really experienced."
    )
    return f"Thank you to a mentor in {programme}", [section(text)]


def journey_summary(
    programme: str,
    role: str,
    partner_name: str,
    matched_at: datetime | None,
    sessions: Sequence[datetime],
    goals: str | None,
) -> tuple[str, list[Block]]:
    partner_word = "mentee" if role == "mentor" else "mentor"
    programme, partner_name = escape(programme), escape(partner_name)
    dates = ", ".join(when(at) for at in sessions) or "none recorded"
    lines = [
        f"*Your journey in {programme}*",
        f"You took part as the *{role}*, with your {partner_word} *{partner_name}*"
        + (f", from {when(matched_at)}." if matched_at else "."),
        f"*Sessions held*: {len(sessions)} ({dates})",
    ]
    if goals:
        lines.append(f"*Your goals*: {escape(goals)}")
    lines.append("Your reflections stay yours: `/mentoring reflections` shows them until they are deleted.")
    return f"Your journey in {programme}: {counted(len(sessions), 'session')}", [
        *sections("\n".join(lines)),
        context("`/mentoring my-data` sends you everything held about you; `/mentoring delete-my-data` deletes it."),
    ]


def waiting_closed(programme: str) -> str:
    programme = escape(programme)
    return (
        f"*{programme}* has now closed, so you won't be matched in it. Thank you for offering your time. "
        "Nothing you entered will be shared; `/mentoring delete-my-data` removes it whenever you like."
    )


# ------------------------------------------------------------------------------------ data rights


def delete_prompt(programmes: Sequence[str]) -> tuple[str, list[Block]]:
    where = ", ".join(escape(name) for name in programmes) if programmes else "no programme"
    text = (
        f"This deletes the data held about you ({where}): your profile, your reflections, concerns you raised, "
        "your survey answers and your part of any contract. Your pairing ends if it is still going; your partner "
        "and the programme lead are told only that a participant left. Only anonymous counts (such as the number "
        "of sessions held) are kept. This cannot be undone."
    )
    confirm = button("Delete my data", DELETE_CONFIRM, "delete", style="danger")
    confirm["confirm"] = {
        "title": plain("Delete your data?"),
        "text": plain("Everything held about you is deleted. This cannot be undone."),
        "confirm": plain("Delete"),
        "deny": plain("Keep it"),
        "style": "danger",
    }
    return "Delete the data held about you?", [
        section(text),
        actions(confirm, button("Keep my data", DELETE_CANCEL, "keep")),
        context("Want a copy first? `/mentoring my-data` sends it to you."),
    ]


def deleted_for_lead(programme: str, role: str, partner_id: str | None) -> str:
    programme = escape(programme)
    partner = mention(partner_id)
    pairing = f" Their pairing with {partner} has ended; {partner} is back in the pool." if partner_id else ""
    return (
        f"A {role} has left *{programme}* and asked for their data to be deleted. It has been, and only anonymous "
        f"counts remain.{pairing}"
    )
