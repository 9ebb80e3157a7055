"""Block Kit for reverse speed mentoring events: forms, the lead's plan, and each timed message.

Plain data in, ``(text, blocks)`` or a view out. Times are always shown in the reader's own time
zone (their IANA zone from Slack), converted with ``zoneinfo``. The mentor is the junior
colleague, the mentee the senior leader.

Event names and places, people's names, titles and organisations, and the plan's plain-language
notes (built from them) go into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blockkit import (
    VIEW_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    counted,
    divider,
    escape,
    header,
    limit_blocks,
    name_or_mention,
    section,
    sections,
)
from bot.blockkit.forms import (
    checkbox,
    date_picker,
    input_block,
    modal,
    number_input,
    option,
    radio,
    static_select,
    text_input,
    user_select,
    users_select,
)
from bot.content import Content, fill
from bot.induction.blocks import INDUCTION_START
from bot.induction.service import Scope
from bot.models import SpeedEvent, SpeedEventParticipant
from bot.speed_events.feedback import EventSummary
from bot.speed_events.plans import PlanOverview, readable_summary
from bot.speed_events.records import WRAP_UP_MINUTES, Timeline, timeline
from bot.speed_events.rotation import Meeting, Unplaced

EVENT_FORM = "speed_event_new"
RSVP_FORM = "speed_rsvp"
PLAN_VIEW = "speed_plan"
SWAP_FORM = "speed_swap"
ABSENT_FORM = "speed_absent"
FEEDBACK_FORM = "speed_feedback"

ROLE_WORD = {"mentor": "mentor", "mentee": "mentee"}
ANSWER_LABELS = {"yes": "Yes", "maybe": "Maybe", "no": "No"}
SECTION_CHUNK = 2900


# --------------------------------------------------------------------------------------------
# Time, in the reader's zone
# --------------------------------------------------------------------------------------------


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except Exception:  # an unknown zone from an old profile: fall back to UTC, say so
        return ZoneInfo("UTC")


def clock(when: datetime, tz: str) -> str:
    return f"{when.astimezone(_zone(tz)):%H:%M}"


def day_and_time(when: datetime, tz: str) -> str:
    local = when.astimezone(_zone(tz))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({escape(_zone(tz).key)})"


def _where(event: SpeedEvent) -> str:
    return f"*Where:* {escape(event.location)}"


def person_line(person: SpeedEventParticipant | None, fallback_id: str) -> str:
    """``*Ben Hughes* (mentor), Graduate Engineer, Globex``."""
    if person is None:
        return name_or_mention(None, fallback_id)
    name = name_or_mention(person.real_name, person.user_id)
    parts = [f"*{name}* ({ROLE_WORD.get(person.role, person.role)})"]
    if person.title:
        parts.append(escape(person.title))
    if person.organisation:
        parts.append(escape(person.organisation))
    return ", ".join(parts)


def _partners(meeting: Meeting, reader: str, people: Mapping[str, SpeedEventParticipant]) -> list[str]:
    return [person_line(people.get(p), p) for p in meeting.people if p != reader]


def _meeting_text(meeting: Meeting, reader: str, people: Mapping[str, SpeedEventParticipant]) -> str:
    others = _partners(meeting, reader, people)
    lines = "\n".join(f"• {line}" for line in others)
    trio = "\nYou are a trio this round: three people, one conversation." if meeting.is_trio else ""
    return f"*You are meeting:*\n{lines}{trio}"


# --------------------------------------------------------------------------------------------
# Setting up an event
# --------------------------------------------------------------------------------------------


def event_modal(creator_tz: str) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            "A reverse speed mentoring event: mentors (colleagues earlier in their careers) and mentees "
            "(senior leaders) from different organisations meet in groups of two pairs for short rounds, "
            "then swap. Everyone you pick is invited by DM and answers yes or no."
        ),
        input_block("name", "Event name", text_input(max_length=80, placeholder="Speed mentoring, spring")),
        input_block("day", "Date", date_picker()),
        input_block("start_time", "Start time", {"type": "timepicker", "initial_time": "14:00"}),
        input_block(
            "tz",
            "Time zone",
            text_input(creator_tz or "Europe/London", max_length=64),
            hint="An IANA time zone, such as Europe/London. Everyone sees times in their own zone.",
        ),
        input_block("round_minutes", "Round length (minutes)", number_input(30)),
        input_block(
            "rounds", "Number of rounds", number_input(2), hint="Between 1 and 6. Two rounds: meet, then swap."
        ),
        input_block(
            "briefing_minutes",
            "Briefing before round 1 (minutes)",
            number_input(15),
            hint="Confidentiality, and a safe and brave space. 0 for no briefing.",
        ),
        input_block("location", "Where", text_input(max_length=300, placeholder="A room, or a video link")),
        input_block(
            "lead_ids",
            "Event leads",
            users_select(placeholder="Choose leads"),
            optional=True,
            hint="Leads see the plan and the summary. Leave empty to lead it yourself.",
        ),
        input_block(
            "mentor_ids", "Mentors (junior colleagues)", users_select(placeholder="Choose mentors"), optional=True
        ),
        input_block(
            "mentee_ids", "Mentees (senior leaders)", users_select(placeholder="Choose mentees"), optional=True
        ),
        context(
            "Each person tells us their organisation when they say yes, so nobody meets someone from their own. "
            "You can also load people from a CSV: `python -m bot import-event participants.csv --event NAME`."
        ),
    ]
    return modal(EVENT_FORM, "New speed event", blocks, submit="Create and invite")


def event_created(event: SpeedEvent, invited: int) -> tuple[str, list[Block]]:
    times = timeline(event)
    name = escape(event.name)
    text = (
        f"*{name}* is set up for {day_and_time(times.starts_at, event.tz)}. "
        f"Invitations are on their way to {counted(invited, 'person', 'people')}. When people have answered, "
        f"review the rotation and publish it: `/mentoring event plan {name}`."
    )
    return text, [section(text), actions(button("Open the plan", "speed_open_plan", str(event.id), style="primary"))]


def lead_appointed(event: SpeedEvent, by: str) -> str:
    name = escape(event.name)
    return (
        f"<@{by}> has made you a lead of *{name}*, a reverse speed mentoring event. You review and publish "
        f"the rotation (`/mentoring event plan {name}`) and receive the event summary."
    )


# --------------------------------------------------------------------------------------------
# Invitation and RSVP
# --------------------------------------------------------------------------------------------


def invitation(content: Content, event: SpeedEvent, person: SpeedEventParticipant) -> tuple[str, list[Block]]:
    times = timeline(event)
    role_text = (
        "as a *mentor*: you share your experience of work with senior leaders from other organisations"
        if person.role == "mentor"
        else "as a *mentee*: you listen to and learn from colleagues earlier in their careers, from other organisations"
    )
    text = f"You're invited to {escape(event.name)}, a reverse speed mentoring event"
    body = (
        f"You're invited to *{escape(event.name)}*, a reverse speed mentoring event, {role_text}.\n"
        f"*When:* {day_and_time(times.starts_at, person.tz)}, about "
        f"{_minutes_between(times.starts_at, times.ends_at)} minutes in all\n{_where(event)}"
    )
    blocks = [
        header(content.speed_event.title),
        section(body),
        actions(
            button("Yes, I'll be there", "speed_rsvp_yes", str(event.id), style="primary"),
            button("No, I can't come", "speed_rsvp_no", str(event.id)),
            button(f"Read the {person.role} guide", "speed_guide", f"{event.id}:{person.role}"),
        ),
        context("Saying no needs no reason. If you say yes, we ask a couple of short questions first."),
    ]
    return text, blocks


def _minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def rsvp_modal(
    content: Content, event: SpeedEvent, person: SpeedEventParticipant, message: Mapping[str, str] | None
) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"Great, you're coming to *{escape(event.name)}*. Two short questions, so we can plan the rounds."),
        input_block(
            "organisation",
            "My organisation",
            text_input(person.organisation or None, max_length=150),
            hint="You only meet people from other organisations.",
        ),
    ]
    if person.role == "mentee":
        blocks += [
            input_block(
                "inclusion_statement",
                "The state of inclusion in my business",
                text_input(person.inclusion_statement or None, multiline=True, max_length=500),
                hint=f"A sentence or two, for you to bring to the conversations. {content.promise('speed-answer')}",
            ),
            input_block(
                "understanding_gap",
                "The gap I want to understand",
                text_input(person.understanding_gap or None, multiline=True, max_length=500),
                hint=f"What you hope to learn from the mentors. {content.promise('speed-answer')}",
            ),
        ]
    blocks.append(context(content.promise("speed-answers")))
    meta: dict[str, Any] = {"event_id": event.id}
    if message:
        meta.update({"channel": message.get("channel", ""), "ts": message.get("ts", "")})
    return modal(RSVP_FORM, "Before the event", blocks, submit="I'll be there", metadata=meta)


def guide(content: Content, role: str) -> tuple[str, list[Block]]:
    document = content.speed_event.guide_for(role)
    blocks: list[Block] = [header(document.title), section(document.intro)]
    blocks += [section(part.as_mrkdwn()) for part in document.sections]
    return document.title, blocks


def rsvp_yes_confirmation(
    content: Content, event: SpeedEvent, person: SpeedEventParticipant
) -> tuple[str, list[Block]]:
    times = timeline(event)
    text = f"Thank you, you're coming to {escape(event.name)}."
    title, guide_blocks = guide(content, person.role)
    blocks = [
        section(
            f"*Thank you, you're coming to {escape(event.name)}* on {day_and_time(times.starts_at, person.tz)}.\n"
            f"{_where(event)}\nYou'll hear who you are meeting once the lead publishes the rounds."
        ),
        *guide_blocks,
        actions(
            button(content.induction.event_start_label, INDUCTION_START, Scope.event(event.id).key, style="primary"),
            button("I can no longer come", "speed_rsvp_no", str(event.id)),
        ),
        context("If your plans change, tell us here: nobody needs a reason."),
    ]
    return f"{text} {title}", blocks


def rsvp_no_confirmation(event: SpeedEvent) -> tuple[str, list[Block]]:
    text = (
        f"Thanks for letting us know. You won't get any more messages about {escape(event.name)}. "
        "No reason is needed."
    )
    return text, [section(text), actions(button("I can come after all", "speed_rsvp_yes", str(event.id)))]


# --------------------------------------------------------------------------------------------
# Timed messages
# --------------------------------------------------------------------------------------------


def schedule_message(
    event: SpeedEvent,
    reader: SpeedEventParticipant,
    meetings: Sequence[Meeting],
    unplaced: Unplaced | None,
    people: Mapping[str, SpeedEventParticipant],
    *,
    changed: bool,
    from_round: int = 1,
) -> tuple[str, list[Block]]:
    times = timeline(event)
    by_round = {m.round: m for m in meetings}
    lines = []
    for round_number in range(from_round, event.rounds + 1):
        if reader.dropped_from_round is not None and round_number >= reader.dropped_from_round:
            continue
        when = clock(times.round_start(round_number), reader.tz)
        meeting = by_round.get(round_number)
        if meeting is not None:
            others = "; ".join(_partners(meeting, reader.user_id, people))
            lines.append(f"*Round {round_number}* ({when}): {others}")
        else:
            lines.append(f"*Round {round_number}* ({when}): you sit out this round.")
    name = escape(event.name)
    if changed:
        head = f"*Change of plan for {name}.* Someone's plans changed, so your rounds are now:"
        text = f"Change of plan for {name}: your rounds are updated"
    else:
        head = f"*Your rounds at {name}*, {day_and_time(times.starts_at, reader.tz)}:"
        text = f"Your rounds at {name} are ready"
    blocks = [section(head + "\n" + "\n".join(lines)), section(_where(event))]
    if unplaced is not None:
        blocks.append(section(escape(unplaced.message())))
    blocks.append(context("Times are in your time zone. You'll get a message as each round starts."))
    return text, blocks


def briefing_reminder(content: Content, event: SpeedEvent, reader: SpeedEventParticipant) -> tuple[str, list[Block]]:
    times = timeline(event)
    brief = content.speed_event.briefing
    starts = clock(times.starts_at, reader.tz)
    name = escape(event.name)
    if event.briefing_minutes:
        first = f"Reminder: {name} starts at {starts} your time with a {event.briefing_minutes}-minute briefing."
    else:
        first = f"Reminder: {name} starts at {starts} your time."
    blocks: list[Block] = [
        section(f"*{first}*\n{_where(event)}\nRound 1 starts at {clock(times.round_start(1), reader.tz)}."),
        header(brief.title),
        section(brief.intro),
        *[section(fill(part.as_mrkdwn(), minutes=event.round_minutes)) for part in brief.sections],
        actions(button(content.induction.event_start_label, INDUCTION_START, Scope.event(event.id).key)),
    ]
    return first, blocks


def round_start(
    content: Content,
    event: SpeedEvent,
    reader: SpeedEventParticipant,
    round_number: int,
    meeting: Meeting | None,
    unplaced: Unplaced | None,
    people: Mapping[str, SpeedEventParticipant],
    icebreaker: str | None,
    times: Timeline,
) -> tuple[str, list[Block]]:
    started = fill(content.speed_event.round_start, round=round_number, minutes=event.round_minutes)
    ends = clock(times.round_end(round_number), reader.tz)
    if meeting is None:
        reason = escape(unplaced.reason) if unplaced is not None else "There is no seat for you in this round."
        text = f"Round {round_number} has started. You sit out this round."
        blocks = [
            section(f"*Round {round_number} has started. You sit out this round.*\n{reason}"),
            context(
                "Please join the organisers, who will be glad of your company. "
                + (
                    f"Round {round_number + 1} starts at {clock(times.round_start(round_number + 1), reader.tz)}."
                    if round_number < event.rounds
                    else "Thank you for coming."
                )
            ),
        ]
        return text, blocks
    names = ", ".join(
        name_or_mention(people[p].real_name if p in people else None, p) for p in meeting.people if p != reader.user_id
    )
    text = f"Round {round_number} has started: you are meeting {names}."
    blocks = [
        section(f"{started}\nThe round ends at {ends} your time."),
        section(_meeting_text(meeting, reader.user_id, people)),
        section(_where(event)),
    ]
    if icebreaker:
        blocks.append(section(f"*An icebreaker to start with*\n{icebreaker}"))  # from the content: mrkdwn
    return text, blocks


def wrap_up(
    content: Content, event: SpeedEvent, reader: SpeedEventParticipant, round_number: int
) -> tuple[str, list[Block]]:
    ending = fill(content.speed_event.round_ending, minutes=WRAP_UP_MINUTES)
    text = f"Round {round_number}: {ending}"
    ends = clock(timeline(event).round_end(round_number), reader.tz)
    return text, [
        section(f"*Round {round_number}:* {ending}"),
        context(f"It ends at {ends}."),
    ]


def swap_now(
    content: Content,
    event: SpeedEvent,
    reader: SpeedEventParticipant,
    round_number: int,
    next_meeting: Meeting | None,
    unplaced: Unplaced | None,
    people: Mapping[str, SpeedEventParticipant],
) -> tuple[str, list[Block]]:
    nxt = round_number + 1
    starts = clock(timeline(event).round_start(nxt), reader.tz)
    if next_meeting is None:
        reason = escape(unplaced.reason) if unplaced is not None else "There is no seat for you in the next round."
        text = f"Round {round_number} is over. You sit out round {nxt}."
        return text, [section(f"*Round {round_number} is over. You sit out round {nxt}.*\n{reason}")]
    text = f"Time to swap: round {nxt} starts at {starts}."
    blocks = [
        section(content.speed_event.swap),
        section(
            f"*Next, in round {nxt} at {starts}:*\n"
            + "\n".join(f"• {line}" for line in _partners(next_meeting, reader.user_id, people))
        ),
    ]
    return text, blocks


def feedback_prompt(content: Content, event: SpeedEvent) -> tuple[str, list[Block]]:
    closing = content.speed_event.closing
    text = f"Thank you for taking part in {escape(event.name)}. Please share your feedback."
    return text, [
        section(closing),
        context(content.promise("speed-feedback-totals")),
        actions(button("Give feedback", "speed_feedback_open", str(event.id), style="primary")),
    ]


def feedback_modal(content: Content, event: SpeedEvent, *, min_group: int) -> dict[str, Any]:
    form = content.speed_event.feedback
    answers = [option(label, value) for value, label in ANSWER_LABELS.items()]
    blocks: list[Block] = [
        section(form.intro or content.promise("speed-feedback", min_group=min_group)),
        input_block(
            "usefulness",
            form.usefulness.label,
            static_select([option(f"{v}: {label}", str(v)) for v, label in form.usefulness.scale.options()]),
        ),
        input_block(
            "learned",
            form.learned.label,
            text_input(multiline=True, max_length=500, placeholder=form.learned.placeholder),
            hint=form.learned.hint or content.promise("speed-learned"),
        ),
        input_block(
            "action",
            form.action.label,
            text_input(multiline=True, max_length=500, placeholder=form.action.placeholder),
            optional=True,
        ),
        input_block("recommend", form.recommend_label, radio(answers)),
        input_block("start_programme", form.start_programme_label, radio(answers)),
        input_block(
            "interested",
            "A longer programme",
            checkbox(form.interested_option, "yes"),
            optional=True,
            hint=form.interested_hint,
        ),
    ]
    return modal(FEEDBACK_FORM, form.modal_title, blocks, submit=form.submit_label, metadata={"event_id": event.id})


def feedback_thanks(content: Content, event: SpeedEvent, first: bool) -> str:
    if first:
        return f"Thank you for your feedback on {escape(event.name)}. {content.promise('speed-feedback-totals')}"
    return f"Your feedback on {escape(event.name)} is updated."


# --------------------------------------------------------------------------------------------
# The lead's plan
# --------------------------------------------------------------------------------------------


NAMES_LISTED = 40


def _chunks(text: str, size: int = SECTION_CHUNK) -> list[str]:
    chunks, current = [], ""
    for line in text.splitlines():
        if len(current) + len(line) + 1 > size and current:
            chunks.append(current)
            current = ""
        current += line[:size] + "\n"
    if current.strip():
        chunks.append(current)
    return chunks


def plan_view(overview: PlanOverview, *, notice: str | None = None) -> dict[str, Any]:
    event = overview.event
    times = timeline(event)
    status = {
        "draft": "Draft: nobody has been told their rounds yet.",
        "published": "Published: everyone coming knows their rounds. Changes re-plan the rounds not yet started, "
        "and people whose rounds change are told.",
        "cancelled": "Called off.",
    }.get(event.status, event.status)
    mentors = sum(1 for p in overview.attending if p.role == "mentor")
    mentees = len(overview.attending) - mentors
    blocks: list[Block] = [
        header(f"Rotation for {event.name}"[:150]),
        context(f"{day_and_time(times.starts_at, event.tz)}. {status}"),
        section(
            f"*Coming:* {counted(mentors, 'mentor')} and {counted(mentees, 'mentee')}. "
            f"*Not answered yet:* {len(overview.waiting)}. *Not coming:* {len(overview.declined)}."
        ),
    ]
    invited = [*overview.attending, *overview.waiting]
    if invited:
        not_yet = [p for p in invited if p.user_id not in overview.briefing_read]
        line = f"*Briefing read:* {len(invited) - len(not_yet)} of {len(invited)}."
        if not_yet:
            line += " Not yet: " + ", ".join(name_or_mention(p.real_name, p.user_id) for p in not_yet[:40])
        blocks.append(context(line[:2000]))
    if notice:
        blocks.append(section(f":information_source: {notice}"))
    if overview.plan is None:
        blocks.append(section("There is no plan yet: it appears here once mentors and mentees have said yes."))
    else:
        summary = readable_summary(overview.plan, overview.names)
        # Plain text built from names and organisations: escaped as a whole, then fitted to sections.
        chunks = _chunks(escape(summary), SECTION_CHUNK - 10)
        blocks += [section(f"```{chunk.rstrip()}```") for chunk in chunks][:40]
    for label, people in (("Not answered yet (not in the plan)", overview.waiting), ("Not coming", overview.declined)):
        if people:
            names = ", ".join(name_or_mention(p.real_name, p.user_id) for p in people[:NAMES_LISTED])
            more = f", and {len(people) - NAMES_LISTED} more" if len(people) > NAMES_LISTED else ""
            blocks += sections(f"_{label}:_ {names}{more}")
    editable = event.status == "draft" or (event.status == "published" and overview.next_round is not None)
    if editable:
        blocks.append(
            actions(
                button("Swap two people", "speed_swap_open"),
                button("Mark someone absent", "speed_absent_open"),
                button("Plan again", "speed_plan_rerun"),
            )
        )
    submit = "Publish" if event.status == "draft" else None
    return modal(
        PLAN_VIEW,
        "Speed event plan",
        limit_blocks(blocks, VIEW_BLOCK_LIMIT, keep_last=1 if editable else 0),
        submit=submit,
        close="Close" if submit else "Done",
        metadata={"event_id": event.id},
    )


def swap_modal(event_id: int, parent_view_id: str, default_round: int, rounds: int) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            "Swap two mentors, or two mentees, from a round on. The rules still hold: nobody meets someone "
            "from their own organisation, or anyone twice."
        ),
        input_block("first", "First person", user_select()),
        input_block("second", "Second person", user_select()),
        input_block("from_round", "From round", number_input(default_round), hint=f"1 to {rounds}"),
    ]
    return modal(
        SWAP_FORM, "Swap two people", blocks, submit="Swap", metadata={"event_id": event_id, "parent": parent_view_id}
    )


def absent_modal(event_id: int, parent_view_id: str) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            "Someone can't come, or has had to leave. Once the plan is published, the rounds that have not "
            "started are re-planned and everyone affected is told."
        ),
        input_block("person", "Who can't come", user_select()),
    ]
    return modal(
        ABSENT_FORM,
        "Mark someone absent",
        blocks,
        submit="Mark absent",
        metadata={"event_id": event_id, "parent": parent_view_id},
    )


def published_notice(event: SpeedEvent, attending: int) -> str:
    return (
        f"*{escape(event.name)}* is published. {counted(attending, 'person', 'people')} "
        f"{'has' if attending == 1 else 'have'} been sent their rounds; each gets the briefing "
        "reminder and a message as each round starts, in their own time zone."
    )


def lead_update(event: SpeedEvent, payload: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, list[Block]]:
    reason = str(payload.get("reason") or "")
    person = payload.get("person")
    who = name_or_mention(names.get(str(person)), str(person)) if person else ""
    name = escape(event.name)
    first = {
        "dropped": f"{who} can no longer come to *{name}*.",
        "absent": f"{who} is marked absent from *{name}*.",
        "joined": f"{who} said yes to *{name}* after the plan was published (or changed their organisation).",
        "swap": f"The plan for *{name}* was adjusted by a swap.",
        "rerun": f"The plan for *{name}* was run again.",
    }.get(reason, f"The plan for *{name}* changed.")
    from_round = payload.get("from_round")
    notified = int(payload.get("notified") or 0)
    joined = [escape(names.get(p, p)) for p in payload.get("joined") or []]
    rest = f" I re-planned round {from_round} onwards; earlier rounds are unchanged. "
    rest += f"{counted(notified, 'person', 'people')} {'was' if notified == 1 else 'were'} told about their new rounds."
    if joined:
        rest += " Newly placed: " + ", ".join(joined) + "."
    text = first + rest
    return text.replace("*", ""), [
        section(text),
        actions(button("Open the plan", "speed_open_plan", str(event.id))),
    ]


# --------------------------------------------------------------------------------------------
# The event summary
# --------------------------------------------------------------------------------------------


def _counts(counts: Mapping[Any, int], labels: Mapping[Any, str]) -> str:
    return ", ".join(f"{labels.get(key, key)}: {count}" for key, count in counts.items())


def summary_blocks(content: Content, summary: EventSummary) -> tuple[str, list[Block]]:
    event = summary.event
    feedback = summary.feedback
    attendance = (
        f"*Attendance:* {summary.invited} invited, {summary.said_yes} said yes, {summary.said_no} said no, "
        f"{summary.absent} marked absent, {summary.not_answered} did not answer. "
        f"{summary.attended} took part in at least one round."
    )
    held = f"*Rounds held:* {summary.rounds_held} of {event.rounds}."
    if feedback.shown:
        scale = content.speed_event.feedback.usefulness.scale
        lines = [
            f"*Feedback* ({feedback.responses} responses)",
            "How useful: " + _counts(feedback.usefulness, {v: f"{v} {scale.label(v).lower()}" for v in range(1, 6)}),
            "Would recommend it: " + _counts(feedback.recommend, ANSWER_LABELS),
            "Would start a reverse mentoring programme: " + _counts(feedback.start_programme, ANSWER_LABELS),
        ]
        feedback_text = "\n".join(lines)
    else:
        feedback_text = (
            f"*Feedback:* not enough responses to show (fewer than {feedback.min_group}), so that nobody can "
            "be singled out."
        )
    blocks: list[Block] = [
        header(f"Summary of {event.name}"[:150]),
        section(attendance),
        section(held),
        section(feedback_text),
        divider(),
    ]
    if summary.programme_id is not None:
        blocks.append(
            section("A long reverse mentoring programme has been created from this event's interested attendees.")
        )
    elif summary.interested:
        names = ", ".join(escape(name) for _, name in summary.interested[:50])
        asked = f"*{counted(len(summary.interested), 'attendee')} asked to be invited to a longer programme:*"
        blocks += sections(f"{asked} {names}")
        blocks.append(
            actions(
                button(
                    f"Create a programme and invite {len(summary.interested)}",
                    "speed_create_programme",
                    str(event.id),
                    style="primary",
                )
            )
        )
    else:
        blocks.append(context("Nobody has asked to be invited to a longer programme yet."))
    text = (
        f"Summary of {escape(event.name)}: {summary.attended} took part, "
        f"{counted(summary.rounds_held, 'round')} held."
    )
    return text, blocks
