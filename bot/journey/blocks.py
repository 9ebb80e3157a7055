"""Messages and forms for the pair's journey: introduction, briefings, icebreakers, contract, agendas.

Plain data in, Block Kit out. Everything people wrote or their profiles hold (names, titles,
contract terms, agenda items) goes into mrkdwn through :func:`bot.blockkit.escape`, so it shows as
written and can never mention or notify anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    counted,
    date,
    divider,
    escape,
    header,
    limit_blocks,
    section,
    sections,
)
from bot.blockkit.forms import input_block, modal, text_input
from bot.clock import as_utc
from bot.content import Content, fill
from bot.journey.service import (
    AGENDA_ITEM_MAX,
    CONTRACT_ANSWER_MAX,
    AgendaView,
    ContractState,
    IcebreakerPick,
    PairPeople,
)
from bot.models import Enrolment, Programme

CONTRACT_FORM = "contract_form"
CONTRACT_VIEW = "contract_view"
AGENDA_FORM = "agenda_form"
AGENDA_ADDITION_FORM = "agenda_addition_form"

# action_ids: the buttons people press along the journey.
SCHEDULE_SESSION = "schedule_session"  # handled by the sessions feature
SHOW_ICEBREAKER = "show_icebreaker"
ANOTHER_ICEBREAKER = "another_icebreaker"
DEPTH_ICEBREAKER = {depth: f"icebreaker_{depth}" for depth in ("light", "personal", "deeper")}
READ_MY_GUIDE = "read_my_guide"
START_CONTRACTING = "start_contracting"
OPEN_CONTRACT = "open_contract"
AGREE_CONTRACT = "agree_contract"
EDIT_CONTRACT = "edit_contract"
OPEN_AGENDA = "open_agenda"
ADD_TO_AGENDA = "add_to_agenda"

SECTION_MAX = 3000
ROLE_WORDS = {"mentor": "mentor", "mentee": "mentee"}


def clip(text: str, limit: int = SECTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when_text(at: datetime, tz: str) -> str:
    """A time shown in each reader's own time zone by Slack, with a readable fallback."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = as_utc(at).astimezone(zone)
    fallback = f"{local:%A} {local.day} {local:%B} at {local:%H:%M} ({tz})"
    return date(as_utc(at), "{date_long_pretty} at {time}", fallback)


def _describe(person: Enrolment, *, with_mention: bool = True) -> str:
    """*Name* (pronouns), Title at Organisation: what the partner may know after matching."""
    name = f"*{escape(person.real_name or 'Your partner')}*"
    if with_mention:
        name += f" (<@{person.user_id}>)"
    if person.pronouns:
        name += f", {escape(person.pronouns)}"
    work = " at ".join(escape(part) for part in (person.title, person.organisation) if part)
    return f"{name}, {work}" if work else name


# ------------------------------------------------------------------------------------------
# Introduction


def _weeks(days: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    return words.get(days // 7, str(days // 7))


def programme_shape(programme: Programme) -> str:
    """'Six sessions, every three to four weeks, about an hour each' from the programme's settings."""
    low, high = programme.cadence_min_days, programme.cadence_max_days
    if low % 7 == 0 and high % 7 == 0:
        every = (
            ("every week" if low == 7 else f"every {_weeks(low)} weeks")
            if low == high
            else f"every {_weeks(low)} to {_weeks(high)} weeks"
        )
    else:
        every = f"every {low} days" if low == high else f"every {low} to {high} days"
    minutes = programme.session_minutes
    if minutes == 60:
        length = "about an hour"
    elif minutes % 60 == 0:
        length = f"about {minutes // 60} hours"
    elif minutes > 60:
        length = f"about {minutes // 60} hour{'s' if minutes >= 120 else ''} {minutes % 60} minutes"
    else:
        length = f"about {minutes} minutes"
    sessions = counted(programme.planned_sessions, "session") if programme.planned_sessions else "A series of sessions"
    shape = f"{sessions}, {every}, {length} each"
    if programme.end_date:
        shape += f", until {programme.end_date.day} {programme.end_date:%B %Y}"
    return shape + "."


def introduction_message(content: Content, people: PairPeople) -> tuple[str, list[Block]]:
    mentor, mentee, programme = people.mentor, people.mentee, people.programme
    pair = str(people.pair_id)
    intro = (
        f"Welcome to *{escape(programme.name)}*, <@{mentor.user_id}> and <@{mentee.user_id}>! "
        "You've been matched, and this is your own conversation: just the two of you and me.\n\n"
        f"• *The mentor:* {_describe(mentor)}. Their experience is the expertise here.\n"
        f"• *The mentee:* {_describe(mentee)}. The senior leader, here to listen and learn."
    )
    blocks: list[Block] = [header("Meet your reverse mentoring partner"), section(clip(intro))]
    for person in (mentor, mentee):
        hopes = []
        if person.can_bring:
            hopes.append(f"_What I can bring:_ {escape(person.can_bring)}")
        if person.hope_to_get:
            hopes.append(f"_What I hope to get out of it:_ {escape(person.hope_to_get)}")
        if hopes:
            name = escape(person.real_name or ROLE_WORDS[person.role])
            blocks += sections(f"*{name} in their own words*\n" + "\n".join(hopes))
    blocks.append(section(f"*How the programme works*\n{programme_shape(programme)}"))
    guidance = content.first_meeting
    blocks += [divider(), section(clip(f"*{guidance.title}*\n{guidance.intro}"))]
    blocks += [section(part.as_mrkdwn()) for part in guidance.sections]
    blocks.append(
        actions(
            button("Schedule our first session", SCHEDULE_SESSION, pair, style="primary"),
            button("Show an icebreaker", SHOW_ICEBREAKER, pair),
            button("Agree our ways of working", START_CONTRACTING, pair),
            button("Read the guide for my role", READ_MY_GUIDE, pair),
        )
    )
    blocks.append(context(content.promise("pair-conversation")))
    blocks = limit_blocks(blocks, MESSAGE_BLOCK_LIMIT, keep_last=2)
    text = (
        f"Meet your reverse mentoring partner: {escape(mentor.real_name)} (mentor) and "
        f"{escape(mentee.real_name)} (mentee), in {escape(programme.name)}"
    )
    return text, blocks


# ------------------------------------------------------------------------------------------
# Role briefings and guides


def _partner_notes(people: PairPeople, role: str) -> list[str]:
    """What the partner shared privately at enrolment, for this person's eyes only."""
    partner = people.mentee if role == "mentor" else people.mentor
    name = escape(partner.real_name or "Your partner")
    notes = []
    if partner.off_limits and partner.off_limits.strip():
        notes.append(f"{name} has asked not to discuss: {escape(partner.off_limits.strip())}")
    if role == "mentor" and partner.inclusion_statement and partner.inclusion_statement.strip():
        notes.append(
            f"How {name} sees the state of inclusion in their part of the business today: "
            f"{escape(partner.inclusion_statement.strip())}"
        )
    if role == "mentor" and partner.understanding_gap and partner.understanding_gap.strip():
        notes.append(f"The gap in understanding {name} hopes to close: {escape(partner.understanding_gap.strip())}")
    return notes


def role_briefing_message(content: Content, people: PairPeople, role: str) -> tuple[str, list[Block]]:
    guide = content.guide_for(role)
    partner = people.mentee if role == "mentor" else people.mentor
    opener = (
        f"In *{escape(people.programme.name)}*, you're paired with {_describe(partner)}. "
        f"Here is what being the *{ROLE_WORDS[role]}* is about. I'll introduce you both in a group message, "
        "with ideas for your first meeting."
    )
    blocks: list[Block] = [header(guide.title), section(clip(opener)), section(guide.intro)]
    blocks += [section(content.with_setting_values(part.as_mrkdwn())) for part in guide.sections]
    notes = _partner_notes(people, role)
    if notes:
        blocks += sections("*Before you meet*\n" + "\n\n".join(notes))
    blocks.append(context(f"{content.promise('this-message')} {content.promise('briefing-notes')}"))
    blocks = limit_blocks(blocks, MESSAGE_BLOCK_LIMIT, keep_last=1)
    return f"{guide.title}: your briefing for {escape(people.programme.name)}", blocks


def guide_message(content: Content, role: str) -> tuple[str, list[Block]]:
    guide = content.guide_for(role)
    blocks: list[Block] = [header(guide.title), section(guide.intro)]
    blocks += [section(content.with_setting_values(part.as_mrkdwn())) for part in guide.sections]
    blocks.append(context(content.promise("this-reply")))
    return guide.title, blocks


# ------------------------------------------------------------------------------------------
# Icebreakers


DEPTH_WORDS = {"light": "light", "personal": "personal", "deeper": "deeper"}
DEPTH_BUTTONS = {"light": "A light one", "personal": "A personal one", "deeper": "A deeper one"}


def _depth_buttons(pick: IcebreakerPick, *, with_another: bool) -> list[Block]:
    """"Another one" (the gentle default draw) and one button per depth that still has questions."""
    pair = str(pick.people.pair_id)
    buttons = [button("Another one", ANOTHER_ICEBREAKER, pair)] if with_another else []
    buttons += [
        button(DEPTH_BUTTONS[depth], DEPTH_ICEBREAKER[depth], pair)
        for depth in DEPTH_BUTTONS
        if pick.left.get(depth, 0) > 0
    ]
    return [actions(*buttons)] if buttons else []


def icebreaker_message(content: Content, pick: IcebreakerPick) -> tuple[str, list[Block]]:
    remaining = sum(pick.left.values())
    if pick.icebreaker is None and remaining == 0:
        text = (
            f"You've explored all {pick.total} icebreakers I have. That's a lot of getting to know each other! "
            "From here, your own questions will be better than mine: what would you like to understand about "
            "each other's lives and work that you haven't asked yet?"
        )
        return "You've used every icebreaker", [section(text)]
    if pick.icebreaker is None:
        if pick.depth is not None:
            text = f"You've had every {DEPTH_WORDS[pick.depth]} icebreaker I have. Pick another kind below."
        else:
            text = (
                "You've had every light and personal icebreaker I have. The deeper ones bring out your differences "
                "and are usually best once you've met. Ask for one whenever you're both ready."
            )
        return text, [section(text), *_depth_buttons(pick, with_another=False)]
    question = pick.icebreaker
    kind = content.icebreaker_kind_label(question.kind)
    if question.depth == "deeper":
        why = "Take turns to answer: differences are where the learning is."
    elif pick.met or pick.depth is not None:
        why = "Take turns to answer."
    else:
        why = (
            "Take turns to answer. Until you've met, I pick light and personal questions; ones that bring out your "
            "differences come after your first session."
        )
    blocks: list[Block] = [
        section(f"*Icebreaker* · {kind} · {DEPTH_WORDS[question.depth]}\n>{question.text}"),
        context(f"Asked for by <@{pick.asked_by}>. {why} Question {pick.seen} of {pick.total}."),
        *_depth_buttons(pick, with_another=True),
    ]
    return f"Icebreaker: {question.text}", blocks


# ------------------------------------------------------------------------------------------
# Contracting


def contract_prompts_message(content: Content, pair_id: int) -> tuple[str, list[Block]]:
    contracting = content.contracting
    blocks: list[Block] = [header("Agreeing how you'll work together"), section(contracting.intro)]
    for prompt in contracting.prompts:
        blocks.append(section(clip(f"*{prompt.title}*\n{prompt.prompt}")))
    blocks.append(actions(button("Open our contract", OPEN_CONTRACT, str(pair_id), style="primary")))
    blocks.append(context("Either of you can draft it. It counts once you have both agreed to it."))
    blocks.append(context(content.promise("contract")))
    return "Time to agree how you'll work together: open your mentoring contract", blocks


def _status_line(state: ContractState) -> str:
    if not state.exists:
        return "Nothing drafted yet."
    mentor, mentee = state.people.mentor, state.people.mentee

    def mark(person: Enrolment, agreed: bool) -> str:
        name = escape(person.real_name or ROLE_WORDS[person.role])
        return f"{name} has agreed" if agreed else f"{name} hasn't agreed yet"

    if state.agreed and state.agreed_at:
        return f":white_check_mark: Agreed by you both on {when_text(state.agreed_at, state.people.mentee.tz)}."
    return f"Version {state.version}: {mark(mentor, state.mentor_agreed)}; {mark(mentee, state.mentee_agreed)}."


def contract_view(content: Content, state: ContractState, notice: str | None = None) -> dict[str, Any]:
    """The contract to read, with "I agree" for whoever hasn't yet, and "Edit"."""
    contracting = content.contracting
    pair = str(state.people.pair_id)
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {notice}"))
    blocks.append(context(_status_line(state)))
    for prompt in contracting.prompts:
        answer = state.terms.get(prompt.id) or ""
        blocks += sections(f"*{prompt.title}*\n{escape(answer) if answer else '_Nothing written yet_'}")
    buttons = []
    if not state.viewer_agreed:
        buttons.append(button(contracting.confirm_button, AGREE_CONTRACT, f"{pair}:{state.version}", style="primary"))
    buttons.append(button("Edit the contract", EDIT_CONTRACT, pair))
    blocks.append(actions(*buttons))
    blocks.append(context(content.promise("contract")))
    return modal(
        CONTRACT_VIEW,
        contracting.modal_title,
        limit_blocks(blocks, VIEW_BLOCK_LIMIT, keep_last=2),
        submit=None,
        close="Close",
        metadata={"pair_id": state.people.pair_id, "version": state.version},
    )


def contract_form(content: Content, state: ContractState) -> dict[str, Any]:
    """Draft or edit the contract: one field per contracting prompt (block_id = prompt id)."""
    contracting = content.contracting
    blocks: list[Block] = [section(contracting.intro)]
    for prompt in contracting.prompts:
        blocks.append(context(prompt.prompt))
        element = text_input(
            state.terms.get(prompt.id), multiline=True, max_length=CONTRACT_ANSWER_MAX, placeholder=prompt.placeholder
        )
        blocks.append(input_block(prompt.id, prompt.title, element, optional=not prompt.required, hint=prompt.hint))
    if state.exists:
        blocks.append(context("Saving a change means you both need to agree to the contract again."))
    return modal(
        CONTRACT_FORM,
        contracting.modal_title,
        blocks,
        submit=contracting.submit_label,
        metadata={"pair_id": state.people.pair_id, "version": state.version},
    )


def contract_saved_message(state: ContractState, editor: str) -> tuple[str, list[Block]]:
    pair = str(state.people.pair_id)
    first = state.version == 1
    what = "drafted your contract" if first else "changed your contract"
    text = (
        f"<@{editor}> has {what}. Please each read it, and agree to it if it's right for you: "
        "it counts once you both have."
    )
    if not first:
        text += " Any earlier agreement no longer counts."
    blocks: list[Block] = [section(text), actions(button("Open our contract", OPEN_CONTRACT, pair, style="primary"))]
    return f"Your contract has been {'drafted' if first else 'changed'}: please read it and agree", blocks


def contract_half_agreed_message(state: ContractState, agreer: str) -> tuple[str, list[Block]]:
    partner = state.people.partner_of(agreer)
    text = f"<@{agreer}> has agreed to your contract. <@{partner.user_id}>, it's recorded once you agree too."
    blocks: list[Block] = [
        section(text),
        actions(button("Open our contract", OPEN_CONTRACT, str(state.people.pair_id))),
    ]
    return "Your partner has agreed to your contract", blocks


def agreed_contract_message(
    content: Content, people: PairPeople, terms: dict[str, str], agreed_at: datetime
) -> tuple[str, list[Block]]:
    """The agreed contract, posted and pinned in the pair's DM."""
    contracting = content.contracting
    blocks: list[Block] = [header("Our mentoring contract"), section(contracting.recorded)]
    for prompt in contracting.prompts:
        answer = terms.get(prompt.id) or ""
        blocks += sections(f"*{prompt.title}*\n{escape(answer) if answer else '_Nothing agreed_'}")
    blocks.append(
        context(
            f"Agreed by <@{people.mentor.user_id}> and <@{people.mentee.user_id}> on "
            f"{when_text(agreed_at, people.mentee.tz)}. {content.promise('contract-pinned')}"
        )
    )
    blocks.append(actions(button("Open our contract", OPEN_CONTRACT, str(people.pair_id))))
    blocks = limit_blocks(blocks, MESSAGE_BLOCK_LIMIT, keep_last=2)
    return "Your mentoring contract is agreed and pinned in this conversation", blocks


def superseded_contract_message(changed_at: datetime, tz: str) -> tuple[str, list[Block]]:
    text = (
        f"An earlier version of your contract was here. It was changed on {when_text(changed_at, tz)}, "
        "so the new version counts once you have both agreed to it."
    )
    return "An earlier version of your contract was replaced", [context(text)]


def contract_review_message(content: Content, people: PairPeople, has_agreed_contract: bool) -> tuple[str, list[Block]]:
    pair = str(people.pair_id)
    if has_agreed_contract:
        text = (
            f"You're about halfway through *{escape(people.programme.name)}*. A good moment to look again at "
            "your contract and your goals, together: are they still the right ones, for *both* of you? "
            "Is the feedback flowing both ways? Change anything that no longer fits."
        )
    else:
        text = (
            f"You're about halfway through *{escape(people.programme.name)}* and haven't agreed a contract yet. "
            "Agreeing how you work together, and goals for *both* of you, helps make the second half count."
        )
    blocks: list[Block] = [
        section(text),
        actions(button("Open our contract", OPEN_CONTRACT, pair, style="primary")),
        context(content.promise("contract")),
    ]
    return "Halfway there: time to revisit your contract and goals", blocks


# ------------------------------------------------------------------------------------------
# Agendas


def _ideas(ideas: Sequence[str]) -> str:
    return "*Ideas*\n" + "\n".join(f"• {idea}" for idea in ideas)


def agenda_form(
    content: Content, people: PairPeople, *, session_id: int | None, starts_at: datetime | None
) -> dict[str, Any]:
    side = content.agenda.mentee
    partner = escape(people.mentor.real_name or "your mentor")
    if starts_at is not None:
        intro = fill(side.request, partner=partner, when=when_text(starts_at, people.mentee.tz))
    else:
        intro = (
            f"What would you like to explore with {partner} next time? Setting the agenda is your part as mentee: "
            f"a few questions or themes are plenty, and {partner} can add items too."
        )
    blocks: list[Block] = [
        section(clip(intro)),
        context(clip(_ideas(side.ideas), 2000)),
        input_block(
            "items",
            side.field.label,
            text_input(multiline=True, max_length=AGENDA_ITEM_MAX, placeholder=side.field.placeholder),
            hint=side.field.hint or content.promise("agenda-mentee-hint"),
        ),
    ]
    return modal(
        AGENDA_FORM,
        content.agenda.modal_title,
        blocks,
        submit=content.agenda.submit_label,
        metadata={"pair_id": people.pair_id, "session_id": session_id},
    )


def _entries(view: AgendaView) -> list[Block]:
    blocks: list[Block] = []
    for entry in view.entries:
        role = ROLE_WORDS.get(entry.author_role, "partner")
        blocks += sections(f"*{escape(entry.author_name)}* ({role})\n{escape(entry.text)}")
    return blocks


def agenda_addition_form(content: Content, view: AgendaView, role: str) -> dict[str, Any]:
    side = content.agenda.for_role(role)
    blocks: list[Block] = [section("*The agenda so far*"), *limit_blocks(_entries(view), VIEW_BLOCK_LIMIT - 3)]
    blocks += [
        context(clip(_ideas(side.ideas), 2000)),
        input_block(
            "items",
            side.field.label,
            text_input(multiline=True, max_length=AGENDA_ITEM_MAX, placeholder=side.field.placeholder),
            hint=side.field.hint or content.promise("agenda-mentor-hint"),
        ),
    ]
    return modal(
        AGENDA_ADDITION_FORM,
        content.agenda.modal_title,
        blocks,
        submit="Add",
        metadata={"agenda_id": view.agenda_id},
    )


def agenda_message(view: AgendaView) -> tuple[str, list[Block]]:
    """The agenda as posted in the pair's DM; updated in place as items are added."""
    people = view.people
    title = "Agenda for your next session"
    blocks: list[Block] = [header(title)]
    if view.session_starts_at is not None:
        blocks.append(context(f"Your session on {when_text(view.session_starts_at, people.mentee.tz)}"))
    blocks += _entries(view)
    if view.is_full:
        blocks.append(context("This agenda is full: keep anything else for next time."))
    else:
        blocks.append(actions(button("Add to the agenda", ADD_TO_AGENDA, str(view.agenda_id))))
    blocks.append(
        context(
            f"<@{people.mentee.user_id}> sets the agenda as mentee; <@{people.mentor.user_id}>, add anything "
            "you'd like to talk about too."
        )
    )
    blocks = limit_blocks(blocks, MESSAGE_BLOCK_LIMIT, keep_last=2)
    return f"{title}, from {escape(people.mentee.real_name)}", blocks


def agenda_request_message(
    content: Content, people: PairPeople, *, session_id: int | None, starts_at: datetime | None
) -> tuple[str, list[Block]]:
    side = content.agenda.mentee
    partner = escape(people.mentor.real_name or "your mentor")
    if starts_at is not None:
        text = fill(side.request, partner=partner, when=when_text(starts_at, people.mentee.tz))
    else:
        text = (
            f"Your next session with {partner} is coming up. What would you like to explore? Setting the agenda "
            f"is your part as mentee: a few questions or themes are plenty, and {partner} can add items too."
        )
    value = f"{people.pair_id}:{session_id if session_id is not None else ''}"
    blocks: list[Block] = [
        section(clip(text)),
        context(clip(_ideas(side.ideas), 2000)),
        actions(button("Set the agenda", OPEN_AGENDA, value, style="primary")),
        context(f"{content.promise('this-message')} {content.promise('agenda-request')}"),
    ]
    return "What would you like to talk about at your next session?", blocks
