"""Sessions in Block Kit: slot offers in the viewer's own time zone, the custom-time picker,
booking notices (each person's local time), reminders and the private "Did you meet?".

Partner names and time zones go into mrkdwn through :func:`bot.blockkit.escape`. The ``people``
of a notice or reminder are ``(name, hours)`` with the name already mrkdwn (see
:func:`bot.blockkit.name_or_mention`), since a person without a name is shown as a mention."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.blockkit import Block, actions, button, context, escape, plain, section
from bot.blockkit.forms import checkbox, date_picker, input_block, modal
from bot.content import Content
from bot.sessions.service import AT_RISK_GRACE, SlotOffer
from bot.sessions.slots import WorkingHours

SCHEDULE_ACTION = "schedule_session"  # value: the pair id (the journey's introduction shows this button)
BOOK_ACTION = "session_book"
PICK_TIME_ACTION = "session_pick_time"
RESCHEDULE_ACTION = "session_reschedule"
CANCEL_ACTION = "session_cancel"
MET_ACTIONS = {"yes": "session_met_yes", "moved": "session_met_moved", "no": "session_met_no"}
CUSTOM_TIME_FORM = "session_custom_time"


def local_when(starts: datetime, ends: datetime, hours: WorkingHours, *, with_zone: bool = True) -> str:
    """``Tue 2 Feb 2027, 09:00–10:00 GMT`` in this person's own zone."""
    s, e = starts.astimezone(hours.zone), ends.astimezone(hours.zone)
    zone = f" {s:%Z}" if with_zone else ""
    return f"{s:%a} {s.day} {s:%b %Y}, {s:%H:%M}–{e:%H:%M}{zone}"


def _day(instant: datetime, hours: WorkingHours) -> str:
    local = instant.astimezone(hours.zone)
    return f"{local.day} {local:%b}"


def short_when(starts: datetime, hours: WorkingHours) -> str:
    s = starts.astimezone(hours.zone)
    return f"{s:%a} {s.day} {s:%b} {s:%H:%M}"


def schedule_button(pair_id: int, *, first: bool) -> Block:
    label = "Schedule our first session" if first else "Schedule our next session"
    return button(label, SCHEDULE_ACTION, str(pair_id), style="primary")


def slot_offer(offer: SlotOffer) -> tuple[str, list[Block]]:
    """The times on offer, in the viewer's zone, each with the partner's local time beside it."""
    what = "move your session" if offer.rescheduling else (
        "your first session" if offer.window.first else f"session {offer.number}"
    )
    ref = f"{offer.rescheduling}" if offer.rescheduling else ""
    pick = button("Pick another time", PICK_TIME_ACTION, f"{offer.pair_id}|{ref}")
    partner = escape(offer.partner_name)
    if offer.upcoming is not None:
        up = offer.upcoming
        text = (
            f"Your next session with {partner} is booked for "
            f"*{local_when(up.starts_at, up.ends_at, offer.viewer)}*."
        )
        return text, [
            section(text),
            actions(
                button("Reschedule", RESCHEDULE_ACTION, str(up.id)),
                cancel_button(up.id),
            ),
        ]
    if offer.no_overlap or offer.shared_per_week < offer.duration:
        overlap = (
            "don't overlap at all"
            if offer.no_overlap
            else f"overlap by only {int(offer.shared_per_week.total_seconds() // 60)} minutes a week"
        )
        text = (
            f"Your working days and {partner}'s {overlap}: yours are {escape(offer.viewer.describe())}, "
            f"theirs {escape(offer.partner.describe())}. Pick a custom time that works for you both, or change your "
            "working hours and time zone with `/mentoring profile`."
        )
        return text, [section(text), actions(pick)]
    if not offer.slots:
        text = (
            f"I couldn't find a time for {what} inside both your working hours in the next few weeks. "
            "Pick a custom time that works for you both."
        )
        return text, [section(text), actions(pick)]
    window = (
        "in the next two weeks"
        if offer.window.first or offer.window.late
        else f"{_day(offer.window.earliest, offer.viewer)} to {_day(offer.window.latest, offer.viewer)}"
    )
    intro = (
        f"*Times for {what} with {partner}* ({window}), shown in your time zone, "
        f"{escape(offer.viewer.tz)}. Each is inside both your working hours."
    )
    blocks: list[Block] = [section(intro)]
    for starts in offer.slots:
        ends = starts + offer.duration
        line = (
            f"*{local_when(starts, ends, offer.viewer)}*\n"
            f"{partner}: {local_when(starts, ends, offer.partner)}"
        )
        value = f"{offer.pair_id}|{ref}|{int(starts.timestamp())}"
        blocks.append(section(line, accessory=button(f"Book {short_when(starts, offer.viewer)}", BOOK_ACTION, value)))
    blocks.append(actions(pick))
    blocks.append(context("Either of you can book. You'll both be told, each in your own time zone."))
    return f"Times for {what} with {partner}", blocks


def cancel_button(session_id: int) -> Block:
    element = button("Cancel session", CANCEL_ACTION, str(session_id), style="danger")
    element["confirm"] = {
        "title": plain("Cancel this session?"),
        "text": {"type": "mrkdwn", "text": "Your partner is told and the calendar invite is cancelled."},
        "confirm": plain("Cancel it"),
        "deny": plain("Keep it"),
    }
    return element


def custom_time_modal(
    pair_id: int, rescheduling: int | None, viewer: WorkingHours, partner_name: str, partner: WorkingHours,
    initial: date,
) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"Choose a date and start time in *your* time zone ({escape(viewer.tz)}). "
            f"Your working hours: {escape(viewer.describe())}. "
            f"{escape(partner_name)}'s: {escape(partner.describe())}."
        ),
        input_block("date", "Date", date_picker(initial)),
        input_block(
            "time",
            "Start time (your time)",
            {"type": "timepicker", "initial_time": f"{viewer.start:%H:%M}", "placeholder": plain("Choose a time")},
        ),
        input_block(
            "outside_hours",
            "Outside working hours",
            checkbox("Book it even if it is outside someone's working hours", "yes"),
            optional=True,
        ),
    ]
    return modal(
        CUSTOM_TIME_FORM,
        "Pick another time",
        blocks,
        submit="Book",
        metadata={"pair_id": pair_id, "rescheduling": rescheduling},
    )


def booked_reply(starts: datetime, ends: datetime, viewer: WorkingHours, *, rescheduled: bool) -> str:
    verb = "moved to" if rescheduled else "booked for"
    return (
        f"Done: your session is {verb} *{local_when(starts, ends, viewer)}*. "
        "I've told you both in your pair's conversation, with a calendar invite."
    )


def session_notice(
    event: str,
    number: int,
    starts: datetime,
    ends: datetime,
    people: list[tuple[str, WorkingHours]],
    session_id: int,
    pair_id: int,
    previous: datetime | None = None,
) -> tuple[str, list[Block]]:
    """Booked / rescheduled / cancelled, in the pair's DM: each person's own local time."""
    times = "\n".join(f"• {name}: {local_when(starts, ends, hours)}" for name, hours in people)
    if event == "cancelled":
        text = f"Session {number} has been cancelled. The calendar event is cancelled too."
        return text, [
            section(f"{text}\n{times}"),
            actions(schedule_button(pair_id, first=False)),
        ]
    if event == "rescheduled":
        before = ""
        if previous is not None:
            before = " (was " + "; ".join(f"{name}: {short_when(previous, hours)}" for name, hours in people) + ")"
        text = f"Session {number} has moved{before}. The calendar invite below updates the same event."
    else:
        text = f"Session {number} is booked. Add the calendar invite below to your calendar."
    blocks: list[Block] = [
        section(f"*{text}*\n{times}"),
        actions(button("Reschedule", RESCHEDULE_ACTION, str(session_id)), cancel_button(session_id)),
        context("Reminders come the day before and an hour before."),
    ]
    return f"{text} " + " · ".join(f"{name}: {local_when(starts, ends, hours)}" for name, hours in people), blocks


def reminder(
    which: str, number: int, starts: datetime, ends: datetime, people: list[tuple[str, WorkingHours]], session_id: int
) -> tuple[str, list[Block]]:
    when = {"day": "tomorrow", "hour": "in an hour"}.get(which, "coming up")  # "ahead": after a weekend
    times = " · ".join(f"{name}: {local_when(starts, ends, hours)}" for name, hours in people)
    text = f"Reminder: session {number} is {when}. {times}"
    return text, [
        section(f"*Reminder: session {number} is {when}.*\n{times}"),
        actions(button("Reschedule", RESCHEDULE_ACTION, str(session_id)), cancel_button(session_id)),
    ]


def did_you_meet(
    content: Content, number: int, starts: datetime, partner_name: str, hours: WorkingHours, session_id: int
) -> tuple[str, list[Block]]:
    day = f"{starts.astimezone(hours.zone):%a} {_day(starts, hours)}"
    partner_name = escape(partner_name)
    text = f"Did you and {partner_name} meet for session {number} ({day})?"
    return text, [
        section(f"*{text}*"),
        actions(
            button("Yes, we met", MET_ACTIONS["yes"], str(session_id), style="primary"),
            button("No, we moved it", MET_ACTIONS["moved"], str(session_id)),
            button("No, it didn't happen", MET_ACTIONS["no"], str(session_id)),
        ),
        context(content.promise("met-answer", partner=partner_name)),
    ]


def answer_reply(
    content: Content, answer: str, pair_id: int, *, held: bool, last_planned: bool
) -> tuple[str, list[Block]]:
    if answer == "yes":
        text = "Thank you, noted: the session took place."
        if last_planned:
            text += " That was your last planned session. Well done, both of you."
        return text, [section(text), context(content.promise("this-reply"))]
    if answer == "moved":
        text = "Thanks for letting me know. Book the new time here, so reminders and the invite follow it."
    else:
        text = "Thanks for letting me know. It happens. When you're ready, find a new time here."
    if held:  # neutral: never reveal what the partner answered
        text = "Thanks for letting me know. Your answer stays private."
        return text, [section(text), context(content.promise("this-reply"))]
    return text, [section(text), actions(schedule_button(pair_id, first=False)), context(content.promise("this-reply"))]


def book_next_prompt(number: int, pair_id: int, days: tuple[int, int]) -> tuple[str, list[Block]]:
    text = (
        f"Good to hear session {number} happened. Your next one is best {days[0]} to {days[1]} days after it: "
        "book it while it's fresh."
    )
    return text, [section(text), actions(schedule_button(pair_id, first=False))]


def nudge(pair_id: int, first: bool) -> tuple[str, list[Block]]:
    text = (
        "You haven't booked your first session yet. Find a time that suits you both: it takes a minute."
        if first
        else "It's time for your next session and none is booked yet. Find a time that suits you both."
    )
    return text, [section(text), actions(schedule_button(pair_id, first=first))]


def at_risk_alert(
    programme: str, mentor: str, mentee: str, reason: str, grace: timedelta = AT_RISK_GRACE
) -> str:
    """Two people, so plural verbs ("have had"); the grace period comes from the setting it names."""
    grace_days = int(grace / timedelta(days=1))
    why = {
        "no_session": (
            f"have had no session for their whole window plus {grace_days} day{'' if grace_days == 1 else 's'}, "
            "and none is booked"
        ),
        "missed_twice": "said two sessions in a row did not happen",
    }.get(reason, reason)
    return (
        f"A pair in *{escape(programme)}* may need support: <@{mentor}> (mentor) and <@{mentee}> (mentee) {why}. "
        "You may want to check in with each of them privately."
    )


def conflict_alert(programme: str, mentor: str, mentee: str, number: int, day: str) -> str:
    return (
        f"Possible issue in *{escape(programme)}*: <@{mentor}> (mentor) and <@{mentee}> (mentee) gave "
        f"different answers about whether session {number} ({day}) took place. They have not been told. "
        "It may be nothing, but you may want to check in privately."
    )


def days_between(first: datetime, second: datetime) -> int:
    return int((second - first) / timedelta(days=1))
