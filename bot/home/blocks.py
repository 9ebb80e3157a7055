"""App Home: a participant's own view and the programme lead's dashboard.

Slack refuses a view of more than 100 blocks, so the lead's dashboard shows summaries, the pairs
at risk first, and one page of pairs at a time ("Next page"); the rest is in the CSV export.
:func:`pair_page_size` picks a page size that fits, and :func:`fit_blocks` is the last guard.

Names, titles, organisations, programme names, goals and reflection excerpts go into mrkdwn
through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blockkit import Block, actions, button, context, counted, date, divider, escape, header, mrkdwn, section
from bot.concerns.blocks import RAISE_CONCERN
from bot.content import Content
from bot.home.service import LeadDashboard, PairRow, ParticipantView
from bot.impact.survey_blocks import OPEN_SURVEY
from bot.impact.surveys import SurveyTask
from bot.induction.blocks import INDUCTION_OVERVIEW, INDUCTION_START, home_line
from bot.induction.service import Scope
from bot.programmes.pause_blocks import LEAD_PAUSE_PAIR, LEAD_RESUME_PAIR, pause_buttons
from bot.sessions.blocks import CANCEL_ACTION, RESCHEDULE_ACTION, SCHEDULE_ACTION

MAX_BLOCKS = 100
LEAD_FIXED_BLOCKS = 8  # per programme, besides its page of pairs
MAX_PAGE_SIZE = 15
MIN_PAGE_SIZE = 3
PARTICIPANT_PROGRAMMES_SHOWN = 3

HOME_PAGE_PREV = "home_page_prev"
HOME_PAGE_NEXT = "home_page_next"
HOME_REPORT = "home_send_report"
HOME_CSV = "home_send_csv"
HOME_CLOSE = "home_close_programme"
HOME_GUIDE = "home_read_guide"
LEAVE_PROGRAMME = "leave_programme"
HOME_RESUME = "home_resume"

REASONS = {
    "no_session": "no session booked in time",
    "missed_twice": "two sessions missed in a row",
}
URGENCY_LABELS = {"today": "Urgent (today)", "this-week": "This week", "fyi": "Just so you know"}
SURVEY_NAMES = {"baseline": "starting survey", "midpoint": "midpoint check-in", "end": "end of programme survey"}
ROLE_LINES = {
    "mentor": "You are the *mentor*: you share how work is really experienced from where you stand.",
    "mentee": "You are the *mentee*: you listen, learn and act on what your mentor shares.",
}


def when(at: datetime | None, *, with_time: bool = False) -> str:
    """A date (and time) Slack shows in the reader's own time zone."""
    if at is None:
        return "none"
    fallback = at.strftime("%d %b %Y %H:%M UTC" if with_time else "%d %b %Y")
    token = "{date_short_pretty} at {time}" if with_time else "{date_short}"
    return date(at, token, fallback)


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    days = max(0, (now - at).days)
    if days == 0:
        hours = max(0, int((now - at).total_seconds() // 3600))
        return counted(hours, "hour") if hours else "under an hour"
    return counted(days, "day")


def pair_page_size(participant_blocks: int, lead_programmes: int) -> int:
    """How many pairs each programme's page can show and still fit Slack's 100-block limit."""
    if lead_programmes <= 0:
        return MAX_PAGE_SIZE
    room = MAX_BLOCKS - 3 - participant_blocks - LEAD_FIXED_BLOCKS * lead_programmes
    return max(MIN_PAGE_SIZE, min(MAX_PAGE_SIZE, room // lead_programmes))


def fit_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """Never more than Slack allows: cut, and say where the rest is."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    kept.append(context("There is more than fits here. Use `/mentoring report csv` for every pair."))
    return kept


# ------------------------------------------------------------------------------------------ lead


def _pair_line(row: PairRow) -> str:
    names = f"*{escape(row.mentor_name)}* (mentor) and *{escape(row.mentee_name)}* (mentee)"
    flags: list[str] = []
    if row.at_risk:
        reason = REASONS.get(row.at_risk_reason or "", row.at_risk_reason or "at risk")
        flags.append(f":warning: *At risk*: {escape(reason)}")
    if row.status != "active":
        flags.append(f"_{row.status}_")
    if row.pause_note:
        flags.append(f":double_vertical_bar: {row.pause_note}")
    stages = [
        "Introduced" if row.introduced else "Not yet introduced",
        f"Contract agreed {when(row.contract_agreed_at)}" if row.contract_agreed_at else "No contract yet",
        f"Sessions {row.held} of {row.planned}",
        f"Last {when(row.last_session)}" if row.last_session else "No session held yet",
        f"Next {when(row.next_session)}" if row.next_session else "Next: not booked",
    ]
    head = names + (" · " + " · ".join(flags) if flags else "")
    return head + "\n" + " · ".join(stages)


def _summary_fields(board: LeadDashboard) -> list[dict[str, Any]]:
    by_status = board.pairs_by_status
    status_bits = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()) if count)
    waiting = board.waiting
    rate = board.reflection_rate
    survey_bits = " · ".join(
        f"{kind}: {answered} of {asked}" for kind, (asked, answered) in board.surveys.items() if asked
    )
    return [
        mrkdwn(f"*Pairs*\n{board.pairs_total:,}" + (f" ({status_bits})" if status_bits else "")),
        mrkdwn(f"*Introduced*\n{board.introduced:,} of {board.pairs_total:,}"),
        mrkdwn(f"*Contract agreed*\n{board.contract_agreed:,} of {board.pairs_total:,}"),
        mrkdwn(f"*Sessions held*\n{board.sessions_held:,} of {board.sessions_planned:,} planned"),
        mrkdwn(f"*At risk*\n{board.at_risk:,} pair{'' if board.at_risk == 1 else 's'}"),
        mrkdwn(
            f"*Waiting for a match*\n{counted(waiting.get('mentor', 0), 'mentor')}, "
            f"{counted(waiting.get('mentee', 0), 'mentee')}"
        ),
        mrkdwn("*Reflection completion*\n" + ("no sessions held yet" if rate is None else f"{rate:.0%}")),
        mrkdwn(f"*Open concerns*\n{board.open_concerns}"),
        mrkdwn("*Surveys answered*\n" + (survey_bits or "none sent yet")),
        mrkdwn(
            f"*Induction completed*\n{board.induction_completed:,} of {board.induction_people:,}"
            + (" (required before matching)" if board.require_induction else "")
        ),
    ]


def _concern_lines(board: LeadDashboard, now: datetime) -> str:
    if not board.concerns:
        return "*Open concerns*: none."
    lines = ["*Open concerns, by urgency* (open them from your alerts; nothing of what they say is shown here)"]
    for bucket in board.concerns:
        label = URGENCY_LABELS.get(bucket.urgency, bucket.urgency)
        extra = f", {bucket.unacknowledged} not yet acknowledged" if bucket.unacknowledged else ""
        lines.append(f"• {label}: {bucket.count}{extra}; oldest raised {ago(bucket.oldest, now)} ago")
    return "\n".join(lines)


def _pair_control(row: PairRow) -> Block | None:
    """A lead can pause any active pair, and resume one they (or a concern's pause) paused."""
    if row.status == "active":
        return button("Pause pair", LEAD_PAUSE_PAIR, str(row.pair_id))
    if row.status == "paused":
        return button("Resume pair", LEAD_RESUME_PAIR, str(row.pair_id))
    return None


def lead_blocks(board: LeadDashboard, now: datetime) -> list[Block]:
    title = f"{board.name}: programme lead" + (" (closed)" if board.status == "closed" else "")
    blocks: list[Block] = [header(title)]
    fields = _summary_fields(board)
    blocks.append({"type": "section", "fields": fields[:5]})
    blocks.append({"type": "section", "fields": fields[5:10]})
    blocks.append(section(_concern_lines(board, now)))
    if board.pairs_total:
        first = board.page * board.page_size + 1
        last = min(board.pairs_total, first + board.page_size - 1)
        blocks.append(
            context(
                f"Pairs, at risk first: {first:,}-{last:,} of {board.pairs_total:,}"
                f" (page {board.page + 1} of {board.pages}). Every pair is in `/mentoring report csv`."
            )
        )
        blocks.extend(section(_pair_line(row), accessory=_pair_control(row)) for row in board.rows)
    else:
        blocks.append(context("No pairs yet. Match people with `/mentoring match`."))
    controls: list[Block] = []
    pid = board.programme_id
    if board.page > 0:
        controls.append(button("Previous page", HOME_PAGE_PREV, f"{pid}:{board.page - 1}"))
    if board.page + 1 < board.pages:
        controls.append(button("Next page", HOME_PAGE_NEXT, f"{pid}:{board.page + 1}"))
    controls.append(button("Send me the report", HOME_REPORT, str(pid)))
    controls.append(button("Who has done the induction", INDUCTION_OVERVIEW, str(pid)))
    controls.append(button("My lead induction", INDUCTION_START, Scope.programme(pid).key))
    controls.append(button("Export CSV", HOME_CSV, str(pid)))
    if board.status == "active":
        controls.append(button("Close programme", HOME_CLOSE, str(pid), style="danger"))
    blocks.append(actions(*controls, block_id=f"lead-{pid}"))
    blocks.append(divider())
    return blocks


# ---------------------------------------------------------------------------------- participant


def participant_blocks(
    content: Content,
    views: Sequence[ParticipantView],
    pending: Sequence[SurveyTask],
    now: datetime,
    min_group: int,  # the MIN_GROUP_SIZE setting, named in the surveys' promise
) -> list[Block]:
    blocks: list[Block] = [header("Your reverse mentoring")]
    for task in pending[:3]:
        name = SURVEY_NAMES.get(task.kind, task.kind)
        blocks.append(
            section(
                f":memo: Your *{name}* for *{escape(task.programme_name)}* is waiting. It takes two minutes. "
                f"{content.promise('survey-answers', min_group=min_group)}",
                accessory=button("Take the survey", OPEN_SURVEY, f"{task.programme_id}:{task.kind}", style="primary"),
            )
        )
    for view in views[:PARTICIPANT_PROGRAMMES_SHOWN]:
        blocks.extend(_participant_programme(view, now, content))
    role = views[0].role if views else None
    buttons: list[Block] = []
    if role:
        buttons.append(button("Read the guide for my role", HOME_GUIDE, role))
    buttons.append(button("Raise a concern", RAISE_CONCERN, str(views[0].programme_id) if views else None))
    blocks.append(actions(*buttons, block_id="participant-help"))
    blocks.append(section(_support_text(content)))
    blocks.append(context(content.promise("private-writing")))
    return blocks


def _induction_line(view: ParticipantView, content: Content) -> list[Block]:
    steps = {step.id for step in content.induction.for_role(view.role).steps}
    required = view.require_induction and view.pair_id is None
    return home_line(
        content,
        Scope.programme(view.programme_id),
        len(view.induction_done & steps),
        len(steps),
        view.induction_completed,
        required,
    )


def _participant_programme(view: ParticipantView, now: datetime, content: Content) -> list[Block]:
    closed = view.programme_status == "closed"
    blocks: list[Block] = [
        section(
            f"*{escape(view.programme_name)}*" + (" (closed)" if closed else "") + "\n" + ROLE_LINES.get(view.role, "")
        )
    ]
    if not closed and view.role in ("mentor", "mentee"):
        blocks.extend(_induction_line(view, content))
    partner_word = "mentee" if view.role == "mentor" else "mentor"
    if view.pair_id is None:
        blocks.append(
            section("You are waiting for a match. I'll let you know as soon as the programme lead has paired you.")
        )
    else:
        who = ", ".join(escape(bit) for bit in (view.partner_title, view.partner_organisation) if bit)
        partner = f"Your {partner_word}: *{escape(view.partner_name) or 'your partner'}*" + (f", {who}" if who else "")
        if view.pair_status == "paused" and not view.on_break:
            partner += "\n_Your pairing is taking a short break for now. Nothing is needed from you._"
        blocks.append(section(partner + f"\nSessions held: {view.sessions_held} of {view.planned}"))
        if view.next_session_id and view.next_session_at:
            blocks.append(section(f"*Next session*: {when(view.next_session_at, with_time=True)}"))
            blocks.append(
                actions(
                    button("Reschedule", RESCHEDULE_ACTION, str(view.next_session_id)),
                    button("Cancel session", CANCEL_ACTION, str(view.next_session_id), style="danger"),
                    block_id=f"next-session-{view.pair_id}",
                )
            )
        elif view.pair_status == "active" and not closed:
            blocks.append(
                section(
                    "*Next session*: not booked yet.",
                    accessory=button("Schedule a session", SCHEDULE_ACTION, str(view.pair_id), style="primary"),
                )
            )
        if view.contract_exists:
            agreed = (
                f"Your contract was agreed on {when(view.contract_agreed_at)}."
                if view.contract_agreed_at
                else "Your contract is drafted but not yet agreed by you both: `/mentoring contract`."
            )
            goals = f"\n*My goals*: {escape(view.my_goals)}" if view.my_goals else ""
            blocks.append(section(agreed + goals))
        else:
            blocks.append(section("*Contract*: none yet. You'll agree one together after your first session."))
        if view.reflections_count:
            lines = [
                f"*My reflections*: {view.reflections_count} written. "
                f"{content.promise('reflections-list')} Read them with `/mentoring reflections`."
            ]
            for note in view.recent_reflections:
                excerpt = " ".join(note.takeaways.split())
                excerpt = excerpt if len(excerpt) <= 140 else excerpt[:139] + "…"
                number = f"session {note.session_number}, " if note.session_number else ""
                lines.append(f"• _{number}{when(note.written_at)}_: {escape(excerpt)}")
            blocks.append(section("\n".join(lines)))
        else:
            blocks.append(section("*My reflections*: none yet. After each session I'll ask you, privately."))
    if not closed and view.on_break:
        until = f"until {when(view.break_ends)}" if view.break_ends else "until you resume"
        blocks.append(
            section(
                f"*You're taking a break* {until}. Reminders and prompts are paused.",
                accessory=button("Resume now", HOME_RESUME, str(view.programme_id), style="primary"),
            )
        )
    elif not closed:
        blocks.append(
            section(
                "*Need a break?* Pause for a while, no reason needed. "
                "Your partner is told only that you're taking a short break."
            )
        )
        blocks.append(pause_buttons(view.programme_id))
    if not closed:
        blocks.append(
            actions(
                {
                    **button("Leave the programme", LEAVE_PROGRAMME, str(view.programme_id), style="danger"),
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Leave the programme?"},
                        "text": mrkdwn(
                            f"You'll leave *{escape(view.programme_name)}*. You don't need to give a reason. "
                            "Your partner is told only that the pairing has ended; the programme lead is told you left."
                        ),
                        "confirm": {"type": "plain_text", "text": "Leave"},
                        "deny": {"type": "plain_text", "text": "Stay"},
                        "style": "danger",
                    },
                },
                block_id=f"leave-{view.programme_id}",
            )
        )
    blocks.append(divider())
    return blocks


def _support_text(content: Content) -> str:
    lines = ["*Support, if you need it*"]
    for resource in content.support:
        contact = f" {resource.contact}" if resource.contact else ""
        lines.append(f"• *{resource.name}*: {content.resource_description(resource)}{contact}")
    text = "\n".join(lines)
    return text if len(text) <= 2900 else text[:2899] + "…"


# ------------------------------------------------------------------------------------------ view


def welcome_blocks(content: Content) -> list[Block]:
    return [
        header("Reverse mentoring"),
        section(
            "Welcome. Here junior colleagues mentor senior leaders, so leaders learn how work is "
            "really experienced by people unlike them. Type `/mentoring join` to take part, or "
            "`/mentoring help` to see what you can do."
        ),
        context(content.promise("private-writing")),
    ]


def home_view(
    content: Content,
    *,
    boards: Sequence[LeadDashboard] = (),
    views: Sequence[ParticipantView] = (),
    pending: Sequence[SurveyTask] = (),
    now: datetime | None = None,
    min_group: int | None = None,  # default: the MIN_GROUP_SIZE setting the content knows
) -> dict[str, Any]:
    """The whole Home tab: the participant part first (if any), then each programme the person leads."""
    from bot.clock import now as clock_now

    at = now or clock_now()
    blocks: list[Block] = []
    if views or pending:
        group = min_group if min_group is not None else content.setting("min_group_size")
        blocks.extend(participant_blocks(content, views, pending, at, group))
    for board in boards:
        blocks.extend(lead_blocks(board, at))
    if not blocks:
        blocks = welcome_blocks(content)
    return {"type": "home", "blocks": fit_blocks(blocks)}
