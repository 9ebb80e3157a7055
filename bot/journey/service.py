"""The pair's journey after approval: introduction, role briefings, icebreakers, contract, agendas.

Plain data in, plain results out; nothing here talks to Slack. Timed messages are outbox rows
enqueued in the same transaction as the change that causes them; what they say is rendered from
the database when they are sent (see :mod:`bot.journey.notifications`).

Privacy: the contract's terms and agenda items are encrypted at rest and only ever returned to
the two people in the pair. The lead gets :func:`contract_status` / :func:`contract_statuses`,
which say whether a contract exists and when it was agreed, never what it says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import as_utc, now
from bot.content import DEPTHS, FIRST_MEETING_DEPTHS, Content, Icebreaker
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import Agenda, AgendaItem, Enrolment, MentoringSession, Pair, PairContract, PairIcebreaker, Programme

# Outbox kinds (rendered by bot.journey.notifications).
INTRODUCTION = "introduction"
ROLE_BRIEFING = "role_briefing"
CONTRACT_PROMPT = "contract_prompt"
CONTRACT_REVIEW = "contract_review"
CONTRACT_AGREED = "contract_agreed"
AGENDA_REQUEST = "agenda_request"

# A "working morning" is a working day between 09:00 and noon, local time. Introductions sent
# then are read that morning; otherwise they wait for 09:30 on the next working day.
MORNING_STARTS = time(9, 0)
MORNING_ENDS = time(12, 0)
INTRODUCE_AT = time(9, 30)
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)

CONTRACT_ANSWER_MAX = 1000
AGENDA_ITEM_MAX = 2000
AGENDA_ITEMS_MAX = 20  # a message holds at most 50 blocks; an agenda this long is a programme

NOT_A_MEMBER = "Only the two people in this pair can do that."
"""The words of ``journey.not_a_member``, for handlers that still show them as text (a test keeps
the two the same)."""


# ------------------------------------------------------------------------------------------
# Pairs and the people in them


@dataclass(frozen=True)
class PairPeople:
    """A pair with both people's enrolments (their profiles in this programme)."""

    pair: Pair
    programme: Programme
    mentor: Enrolment
    mentee: Enrolment

    @property
    def pair_id(self) -> int:
        return self.pair.id

    def role_of(self, user_id: str) -> str:
        if user_id == self.mentor.user_id:
            return "mentor"
        if user_id == self.mentee.user_id:
            return "mentee"
        raise NotAllowed("journey.not_a_member")

    def person(self, role: str) -> Enrolment:
        return self.mentor if role == "mentor" else self.mentee

    def partner_of(self, user_id: str) -> Enrolment:
        return self.mentee if self.role_of(user_id) == "mentor" else self.mentor

    @property
    def user_ids(self) -> tuple[str, str]:
        return (self.mentor.user_id, self.mentee.user_id)


def load_pair(session: Session, pair_id: int) -> PairPeople | None:
    pair = session.get(Pair, pair_id)
    if pair is None:
        return None
    people = {
        e.user_id: e
        for e in session.scalars(
            select(Enrolment).where(
                Enrolment.programme_id == pair.programme_id,
                Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
            )
        )
    }
    mentor, mentee = people.get(pair.mentor_user_id), people.get(pair.mentee_user_id)
    if mentor is None or mentee is None:
        return None
    return PairPeople(pair, pair.programme, mentor, mentee)


def _pair_for_member(session: Session, pair_id: int, user_id: str, *, active: bool = True) -> PairPeople:
    """The pair, if ``user_id`` is in it (and it is active); otherwise refuse, changing nothing."""
    people = load_pair(session, pair_id)
    if people is None:
        raise NotFound("journey.pair_not_found")
    people.role_of(user_id)  # raises NotAllowed for anyone else
    if active and people.pair.status != "active":
        raise NotAllowed("journey.pair_not_active")
    return people


def pair_for_member(db: Database, pair_id: int, user_id: str) -> PairPeople:
    with db.session() as session:
        return _pair_for_member(session, pair_id, user_id)


def current_pair_of(db: Database, user_id: str) -> PairPeople | None:
    """The person's most recent active pair (a person is in at most one per programme)."""
    with db.session() as session:
        pair_id = session.scalar(
            select(Pair.id)
            .where(Pair.status == "active", or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id))
            .order_by(Pair.created_at.desc(), Pair.id.desc())
            .limit(1)
        )
        return load_pair(session, pair_id) if pair_id is not None else None


def record_group_dm(db: Database, pair_id: int, channel_id: str) -> None:
    """Remember the pair's group DM (the bot, the mentor, the mentee) once it is known."""
    with db.session() as session:
        pair = session.get(Pair, pair_id)
        if pair is not None and pair.group_dm_channel_id != channel_id:
            pair.group_dm_channel_id = channel_id


# ------------------------------------------------------------------------------------------
# Introductions and role briefings


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_working_morning(at: datetime, tz: str, work_days: Iterable[int] = MONDAY_TO_FRIDAY) -> datetime:
    """When to introduce someone in time zone ``tz``, as a UTC datetime.

    ``at`` itself if it is already a working morning there (a working day, from 09:00 to before
    noon local time); otherwise 09:30 on the next working day: later today if it is a working day
    and not yet 09:00, else the next one. Working days are Monday to Friday unless given.
    """
    zone = _zone(tz)
    days = set(work_days) or set(MONDAY_TO_FRIDAY)
    local = as_utc(at).astimezone(zone)
    if local.weekday() in days and MORNING_STARTS <= local.time() < MORNING_ENDS:
        return as_utc(at)
    day: date = local.date() if local.time() < MORNING_STARTS else local.date() + timedelta(days=1)
    while day.weekday() not in days:
        day += timedelta(days=1)
    return datetime.combine(day, INTRODUCE_AT, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def introduction_key(pair_id: int) -> str:
    return f"{INTRODUCTION}:pair:{pair_id}"


def schedule_introduction(session: Session, pair: Pair, mentor: Enrolment, mentee: Enrolment) -> None:
    """Hand an approved pair to the introduction flow, in the approval's own transaction.

    The group introduction goes out on the mentee's next working morning; each person's private
    role briefing on their own next working morning. Keys are per pair, so a retried approval or
    a re-run dispatcher never introduces a pair twice.
    """
    if pair.id is None:
        session.flush()
    at = now()
    outbox.enqueue(
        session,
        kind=INTRODUCTION,
        key=introduction_key(pair.id),
        send_at=next_working_morning(at, mentee.tz, mentee.work_days),
        payload={"pair_id": pair.id},
        programme_id=pair.programme_id,
        pair_id=pair.id,
    )
    for person in (mentor, mentee):
        outbox.enqueue(
            session,
            kind=ROLE_BRIEFING,
            key=f"{ROLE_BRIEFING}:pair:{pair.id}:{person.user_id}",
            send_at=next_working_morning(at, person.tz, person.work_days),
            payload={"pair_id": pair.id},
            recipient_user_id=person.user_id,
            programme_id=pair.programme_id,
            pair_id=pair.id,
        )


def record_introduction_sent(session: Session, pair_id: int, channel_id: str | None) -> None:
    """The introduction opened the pair's group DM: remember it for everything after."""
    pair = session.get(Pair, pair_id)
    if pair is not None and channel_id and pair.group_dm_channel_id != channel_id:
        pair.group_dm_channel_id = channel_id


# ------------------------------------------------------------------------------------------
# Icebreakers


@dataclass(frozen=True)
class IcebreakerPick:
    """The next icebreaker for a pair, or ``icebreaker=None`` when nothing is left to draw.

    ``depth`` is the depth that was asked for (``None``: the gentle default, see
    :func:`next_icebreaker`); ``left`` counts the questions the pair has not seen, per depth, after
    this one, so the message can offer a lighter or a deeper one only when there is one.
    """

    people: PairPeople
    asked_by: str
    icebreaker: Icebreaker | None
    seen: int  # how many the pair has been shown, this one included
    total: int
    depth: str | None = None
    met: bool = False
    left: dict[str, int] = field(default_factory=dict)


def _insert_ignoring_duplicate(session: Session, model: Any, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either database; True if the row was inserted."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=unique).returning(model.id)
    return session.execute(statement).scalar() is not None


def pair_has_met(session: Session, pair_id: int) -> bool:
    """True once the pair has held a session (someone said it happened)."""
    held = select(MentoringSession.id).where(MentoringSession.pair_id == pair_id, MentoringSession.status == "held")
    return session.scalar(held.limit(1)) is not None


def icebreaker_depths(depth: str | None, met: bool) -> frozenset[str]:
    """What a draw may pick from: the depth asked for, or by default light and personal questions
    until the pair has met (questions that seek differences come after), then any depth."""
    if depth is not None:
        if depth not in DEPTHS:
            raise ValueError(f"unknown icebreaker depth {depth!r}")
        return frozenset({depth})
    return frozenset(DEPTHS) if met else FIRST_MEETING_DEPTHS


def next_icebreaker(
    db: Database, content: Content, pair_id: int, user_id: str, depth: str | None = None
) -> IcebreakerPick:
    """Pick an icebreaker this pair has never been shown, and record it as shown.

    Without ``depth`` the draw is gentle: light and personal questions only until the pair has
    held a session, then any depth. With ``depth`` (the pair asked for a lighter or a deeper one)
    only that depth, whether or not they have met. ``content`` is the programme's content, so a
    programme that replaces or extends the bank gets its own questions. Two clicks at once cannot
    show the same question: the (pair, question) pair is unique, and the loser of that race simply
    picks again.
    """
    total = len(content.icebreakers.questions)
    for _attempt in range(5):
        with db.session() as session:
            people = _pair_for_member(session, pair_id, user_id)
            met = pair_has_met(session, pair_id)
            allowed = icebreaker_depths(depth, met)
            shown = set(session.scalars(select(PairIcebreaker.icebreaker_id).where(PairIcebreaker.pair_id == pair_id)))
            # Seeded by pair and progress: a spread of kinds, repeatable in tests, different per pair.
            candidates = content.icebreakers_for(
                count=1, exclude=shown, seed=f"{pair_id}:{len(shown)}", depths=allowed
            )
            if not candidates:
                left = _left_by_depth(content, shown)
                return IcebreakerPick(people, user_id, None, len(shown & _ids(content)), total, depth, met, left)
            question = candidates[0]
            inserted = _insert_ignoring_duplicate(
                session,
                PairIcebreaker,
                {"pair_id": pair_id, "icebreaker_id": question.id, "asked_by": user_id, "shown_at": now()},
                ["pair_id", "icebreaker_id"],
            )
            if inserted:
                left = _left_by_depth(content, shown | {question.id})
                seen = len(shown & _ids(content)) + 1
                return IcebreakerPick(people, user_id, question, seen, total, depth, met, left)
    raise RuntimeError("could not pick an icebreaker after several attempts")


def _left_by_depth(content: Content, shown: set[str]) -> dict[str, int]:
    left: dict[str, int] = dict.fromkeys(DEPTHS, 0)
    for question in content.icebreakers.questions:
        if question.id not in shown:
            left[question.depth] += 1
    return left


def _ids(content: Content) -> set[str]:
    return {q.id for q in content.icebreakers.questions}


def icebreakers_shown(db: Database, pair_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(PairIcebreaker.icebreaker_id)
                .where(PairIcebreaker.pair_id == pair_id)
                .order_by(PairIcebreaker.id)
            )
        )


# ------------------------------------------------------------------------------------------
# Contracting


@dataclass(frozen=True)
class PinnedMessage:
    channel_id: str
    ts: str


@dataclass(frozen=True)
class ContractState:
    """The contract as one of the two people sees it."""

    people: PairPeople
    viewer_role: str
    terms: dict[str, str]
    version: int  # 0: nothing drafted yet
    mentor_agreed: bool
    mentee_agreed: bool
    agreed_at: datetime | None
    updated_by: str | None = None

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def agreed(self) -> bool:
        return self.agreed_at is not None

    @property
    def viewer_agreed(self) -> bool:
        return self.mentor_agreed if self.viewer_role == "mentor" else self.mentee_agreed


@dataclass(frozen=True)
class ContractSaved:
    state: ContractState
    changed: bool
    superseded: PinnedMessage | None  # the pinned, agreed version this edit replaced


@dataclass(frozen=True)
class ContractAgreement:
    state: ContractState
    newly_agreed: bool  # this confirmation was the second one: the contract now counts


@dataclass(frozen=True)
class ContractStatus:
    """What a programme lead may know about a pair's contract: never its terms."""

    pair_id: int
    exists: bool
    agreed: bool
    agreed_at: datetime | None
    first_agreed_at: datetime | None


def _contract_row(session: Session, pair_id: int, *, lock: bool = False) -> PairContract | None:
    query = select(PairContract).where(PairContract.pair_id == pair_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def _terms(contract: PairContract | None) -> dict[str, str]:
    if contract is None:
        return {}
    value = json.loads(contract.terms or "{}")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _state(people: PairPeople, viewer: str, contract: PairContract | None) -> ContractState:
    if contract is None:
        return ContractState(people, people.role_of(viewer), {}, 0, False, False, None)
    return ContractState(
        people=people,
        viewer_role=people.role_of(viewer),
        terms=_terms(contract),
        version=contract.version,
        mentor_agreed=contract.mentor_agreed_version == contract.version,
        mentee_agreed=contract.mentee_agreed_version == contract.version,
        agreed_at=as_utc(contract.agreed_at) if contract.agreed_at else None,
        updated_by=contract.updated_by,
    )


def contract_for(db: Database, pair_id: int, user_id: str) -> ContractState:
    """The contract for one of the two people in the pair (an empty draft if there is none yet)."""
    with db.session() as session:
        people = _pair_for_member(session, pair_id, user_id)
        return _state(people, user_id, _contract_row(session, pair_id))


def validate_contract(content: Content, answers: Mapping[str, str]) -> dict[str, str]:
    """Each prompt's answer, trimmed; raises FieldErrors (keyed by prompt id) for bad input."""
    errors: dict[str, Problem] = {}
    cleaned: dict[str, str] = {}
    for prompt in content.contracting.prompts:
        text = str(answers.get(prompt.id) or "").strip()
        if prompt.required and not text:
            errors[prompt.id] = Problem("journey.contract_answer_required")
        elif len(text) > CONTRACT_ANSWER_MAX:
            errors[prompt.id] = Problem("journey.contract_answer_too_long", max=CONTRACT_ANSWER_MAX, length=len(text))
        cleaned[prompt.id] = text
    if errors:
        raise FieldErrors(errors)
    return cleaned


def save_contract(
    db: Database,
    content: Content,
    pair_id: int,
    user_id: str,
    answers: Mapping[str, str],
    *,
    opened_version: int,
    submission: str | None = None,
) -> ContractSaved:
    """Either person drafts or edits the contract.

    Any change means both must agree again. ``opened_version`` is the version the form showed:
    if the partner saved in between, the edit is refused rather than silently overwriting theirs.
    ``submission`` names the submitted form: the same form delivered again (a replay, a double
    click, a resubmit after Slack gave up) shows what was saved and changes nothing.
    """
    cleaned = validate_contract(content, answers)
    first_field = content.contracting.prompts[0].id
    with db.session() as session:
        people = _pair_for_member(session, pair_id, user_id)
        contract = _contract_row(session, pair_id, lock=True)
        if contract is not None and submissions.earlier_result(session, submission) is not None:
            return ContractSaved(_state(people, user_id, contract), False, None)
        current_version = contract.version if contract else 0
        if opened_version != current_version:
            raise FieldErrors.on(first_field, "journey.contract_changed_while_open")
        at = now()
        if contract is None:
            contract = PairContract(
                pair_id=pair_id, terms=json.dumps(cleaned), version=1, updated_by=user_id, created_at=at, updated_at=at
            )
            session.add(contract)
            session.flush()
            submissions.remember(session, submission, "contract", contract.id)
            return ContractSaved(_state(people, user_id, contract), True, None)
        if _terms(contract) == cleaned:
            return ContractSaved(_state(people, user_id, contract), False, None)
        superseded = None
        if contract.pinned_channel_id and contract.pinned_ts:
            superseded = PinnedMessage(contract.pinned_channel_id, contract.pinned_ts)
        contract.terms = json.dumps(cleaned)
        contract.version += 1
        contract.updated_by = user_id
        contract.updated_at = at
        contract.mentor_agreed_version = contract.mentee_agreed_version = None
        contract.agreed_at = None
        contract.pinned_channel_id = contract.pinned_ts = None
        session.flush()
        submissions.remember(session, submission, "contract", contract.id)
        return ContractSaved(_state(people, user_id, contract), True, superseded)


def agree_to_contract(db: Database, pair_id: int, user_id: str, version: int) -> ContractAgreement:
    """One person confirms ("I agree") the version they read. When both have, it counts.

    Agreeing to an older version than the current one is refused: they must read the latest.
    The agreed contract is posted and pinned in the pair's DM through the outbox, once per version.
    """
    with db.session() as session:
        people = _pair_for_member(session, pair_id, user_id)
        contract = _contract_row(session, pair_id, lock=True)
        if contract is None:
            raise NotFound("journey.no_contract_yet")
        if version != contract.version:
            raise NotAllowed("journey.contract_changed")
        if people.role_of(user_id) == "mentor":
            contract.mentor_agreed_version = version
        else:
            contract.mentee_agreed_version = version
        newly_agreed = False
        both = contract.mentor_agreed_version == contract.mentee_agreed_version == version
        if both and contract.agreed_at is None:
            at = now()
            contract.agreed_at = at
            contract.first_agreed_at = contract.first_agreed_at or at
            newly_agreed = True
            outbox.enqueue(
                session,
                kind=CONTRACT_AGREED,
                key=f"{CONTRACT_AGREED}:pair:{pair_id}:v{version}",
                payload={"pair_id": pair_id, "version": version},
                programme_id=people.pair.programme_id,
                pair_id=pair_id,
                any_hour=True,  # the agreement they have just made, pinned for them
            )
        session.flush()
        return ContractAgreement(_state(people, user_id, contract), newly_agreed)


def record_contract_pinned(
    session: Session, pair_id: int, version: int, channel_id: str | None, ts: str | None
) -> None:
    """The agreed version was posted and pinned: remember where, so a later edit can unpin it."""
    contract = _contract_row(session, pair_id)
    if contract is not None and contract.version == version and channel_id and ts:
        contract.pinned_channel_id, contract.pinned_ts = channel_id, ts


def agreed_contract(session: Session, pair_id: int, version: int) -> tuple[PairPeople, dict[str, str], datetime] | None:
    """The agreed terms of ``version``, for posting into the pair's DM; None if no longer current."""
    people = load_pair(session, pair_id)
    contract = _contract_row(session, pair_id)
    if people is None or contract is None or contract.version != version or contract.agreed_at is None:
        return None
    return people, _terms(contract), as_utc(contract.agreed_at)


def contract_status(db: Database, pair_id: int) -> ContractStatus:
    """For the programme lead: whether the pair has a contract and when it was agreed. No terms."""
    return contract_statuses(db, [pair_id])[pair_id]


def contract_statuses(db: Database, pair_ids: Iterable[int]) -> dict[int, ContractStatus]:
    """:func:`contract_status` for many pairs in one query (the lead's dashboard)."""
    with db.session() as session:
        return contract_statuses_in(session, pair_ids)


def contract_status_in(session: Session, pair_id: int) -> ContractStatus:
    return contract_statuses_in(session, [pair_id])[pair_id]


def contract_statuses_in(session: Session, pair_ids: Iterable[int]) -> dict[int, ContractStatus]:
    ids = list(pair_ids)
    rows = session.execute(
        select(PairContract.pair_id, PairContract.agreed_at, PairContract.first_agreed_at).where(
            PairContract.pair_id.in_(ids)
        )
    ).all()
    found = {
        pair_id: ContractStatus(
            pair_id,
            True,
            agreed_at is not None,
            as_utc(agreed_at) if agreed_at else None,
            as_utc(first) if first else None,
        )
        for pair_id, agreed_at, first in rows
    }
    return {pair_id: found.get(pair_id, ContractStatus(pair_id, False, False, None, None)) for pair_id in ids}


def enqueue_contract_prompt(session: Session, pair_id: int, when: datetime) -> bool:
    """Post the contracting prompts to the pair's DM at ``when`` (e.g. after their first session).

    Once per pair: a second call does nothing. Skipped at send time if the pair has already
    agreed a contract or is no longer active. Call inside your own transaction.
    """
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound("journey.pair_not_found")
    return outbox.enqueue(
        session,
        kind=CONTRACT_PROMPT,
        key=f"{CONTRACT_PROMPT}:pair:{pair_id}",
        send_at=when,
        payload={"pair_id": pair_id},
        programme_id=pair.programme_id,
        pair_id=pair_id,
    )


def enqueue_contract_review(session: Session, pair_id: int, when: datetime) -> bool:
    """At the programme's midpoint, prompt the pair to revisit their contract and goals. Once per pair."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound("journey.pair_not_found")
    return outbox.enqueue(
        session,
        kind=CONTRACT_REVIEW,
        key=f"{CONTRACT_REVIEW}:pair:{pair_id}",
        send_at=when,
        payload={"pair_id": pair_id},
        programme_id=pair.programme_id,
        pair_id=pair_id,
    )


# ------------------------------------------------------------------------------------------
# Agendas


@dataclass(frozen=True)
class AgendaEntry:
    author_user_id: str
    author_name: str
    author_role: str
    text: str


@dataclass(frozen=True)
class AgendaView:
    agenda_id: int
    people: PairPeople
    session_id: int | None
    session_starts_at: datetime | None
    entries: list[AgendaEntry] = field(default_factory=list)
    channel_id: str | None = None
    message_ts: str | None = None

    @property
    def is_full(self) -> bool:
        return len(self.entries) >= AGENDA_ITEMS_MAX


@dataclass(frozen=True)
class AgendaStart:
    """What `/mentoring agenda` should open for this person."""

    people: PairPeople
    role: str
    latest_agenda_id: int | None
    next_session_id: int | None = None  # the pair's next booked session, which the agenda is for
    next_session_starts_at: datetime | None = None


def session_starts_at(session: Session, session_id: int | None, pair_id: int) -> datetime | None:
    """When a pair's session starts, if it is still on (booked or proposed)."""
    if session_id is None:
        return None
    meeting = session.get(MentoringSession, session_id)
    if meeting is None or meeting.pair_id != pair_id or meeting.status not in {"booked", "proposed"}:
        return None
    return as_utc(meeting.starts_at)


def _agenda_view(session: Session, people: PairPeople, agenda: Agenda) -> AgendaView:
    names = {people.mentor.user_id: people.mentor, people.mentee.user_id: people.mentee}
    entries = []
    # The mentee's own part leads, whenever it was written; then additions in the order made.
    ordered = sorted(agenda.items, key=lambda item: (item.author_user_id != people.mentee.user_id, item.id or 0))
    for item in ordered:
        author = names.get(item.author_user_id)
        entries.append(
            AgendaEntry(
                item.author_user_id,
                (author.real_name if author else "") or item.author_user_id,
                author.role if author else "",
                item.text,
            )
        )
    return AgendaView(
        agenda.id,
        people,
        agenda.session_id,
        session_starts_at(session, agenda.session_id, people.pair_id),
        entries,
        agenda.channel_id,
        agenda.message_ts,
    )


def _clean_agenda_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise FieldErrors.on("items", "journey.agenda_required")
    if len(cleaned) > AGENDA_ITEM_MAX:
        raise FieldErrors.on("items", "journey.agenda_too_long", max=AGENDA_ITEM_MAX, length=len(cleaned))
    return cleaned


def agenda_start(db: Database, user_id: str) -> AgendaStart | None:
    """For `/mentoring agenda`: the person's pair, their role, and the latest agenda (if any)."""
    people = current_pair_of(db, user_id)
    if people is None:
        return None
    with db.session() as session:
        latest = session.scalar(
            select(Agenda.id).where(Agenda.pair_id == people.pair_id).order_by(Agenda.id.desc()).limit(1)
        )
        upcoming = session.execute(
            select(MentoringSession.id, MentoringSession.starts_at)
            .where(
                MentoringSession.pair_id == people.pair_id,
                MentoringSession.status == "booked",
                MentoringSession.starts_at > now(),
            )
            .order_by(MentoringSession.starts_at)
            .limit(1)
        ).first()
    if upcoming is None:
        return AgendaStart(people, people.role_of(user_id), latest)
    return AgendaStart(people, people.role_of(user_id), latest, upcoming[0], as_utc(upcoming[1]))


def agenda_form_context(
    db: Database, pair_id: int, user_id: str, session_id: int | None = None
) -> tuple[PairPeople, datetime | None]:
    """For the mentee's agenda form: the pair, and when the session starts (if it is one)."""
    with db.session() as session:
        people = _pair_for_member(session, pair_id, user_id)
        if people.role_of(user_id) != "mentee":
            raise NotAllowed("journey.agenda_mentee_first")
        return people, session_starts_at(session, session_id, pair_id)


def set_agenda(
    db: Database,
    pair_id: int,
    user_id: str,
    text: str,
    *,
    session_id: int | None = None,
    submission: str | None = None,
) -> AgendaView:
    """The mentee sets the agenda. For a known session, setting it again replaces the mentee's part;
    without one (before sessions are booked) each agenda is new. A replay of the same submission
    returns the agenda it made."""
    cleaned = _clean_agenda_text(text)
    with db.session() as session:
        people = _pair_for_member(session, pair_id, user_id)
        earlier = submissions.earlier_result(session, submission)
        if earlier is not None and (made := session.get(Agenda, earlier.result_id)) is not None:
            return _agenda_view(session, people, made)
        if people.role_of(user_id) != "mentee":
            raise NotAllowed("journey.agenda_mentee_first")
        agenda = None
        if session_id is not None:
            if session_starts_at(session, session_id, pair_id) is None:
                raise FieldErrors.on("items", "journey.agenda_session_not_booked")
            agenda = session.scalar(
                select(Agenda).where(Agenda.pair_id == pair_id, Agenda.session_id == session_id).limit(1)
            )
        if agenda is None:
            agenda = Agenda(pair_id=pair_id, session_id=session_id, created_by=user_id, created_at=now())
            session.add(agenda)
            agenda.items.append(AgendaItem(author_user_id=user_id, text=cleaned, created_at=now()))
        else:
            own = next((item for item in agenda.items if item.author_user_id == user_id), None)
            if own is None:
                agenda.items.append(AgendaItem(author_user_id=user_id, text=cleaned, created_at=now()))
            else:
                own.text = cleaned
        session.flush()
        submissions.remember(session, submission, "agenda", agenda.id)
        return _agenda_view(session, people, agenda)


def _agenda_for_member(session: Session, agenda_id: int, user_id: str) -> tuple[Agenda, PairPeople]:
    agenda = session.get(Agenda, agenda_id)
    if agenda is None:
        raise NotFound("journey.agenda_not_found")
    return agenda, _pair_for_member(session, agenda.pair_id, user_id)


def agenda_for(db: Database, agenda_id: int, user_id: str) -> AgendaView:
    with db.session() as session:
        agenda, people = _agenda_for_member(session, agenda_id, user_id)
        return _agenda_view(session, people, agenda)


def add_to_agenda(
    db: Database, agenda_id: int, user_id: str, text: str, *, submission: str | None = None
) -> AgendaView:
    """Either person adds an item to a posted agenda (the mentor's way to shape the session too).
    A replay of the same submission adds nothing."""
    cleaned = _clean_agenda_text(text)
    with db.session() as session:
        agenda, people = _agenda_for_member(session, agenda_id, user_id)
        if submissions.earlier_result(session, submission) is not None:
            return _agenda_view(session, people, agenda)
        submissions.remember(session, submission, "agenda_item", agenda.id)
        if len(agenda.items) >= AGENDA_ITEMS_MAX:
            raise FieldErrors.on("items", "journey.agenda_full")

        agenda.items.append(AgendaItem(author_user_id=user_id, text=cleaned, created_at=now()))
        session.flush()
        return _agenda_view(session, people, agenda)


def record_agenda_message(db: Database, agenda_id: int, channel_id: str, ts: str) -> None:
    with db.session() as session:
        agenda = session.get(Agenda, agenda_id)
        if agenda is not None:
            agenda.channel_id, agenda.message_ts = channel_id, ts


def agenda_exists_for_session(session: Session, pair_id: int, session_id: int) -> bool:
    return (
        session.scalar(select(Agenda.id).where(Agenda.pair_id == pair_id, Agenda.session_id == session_id).limit(1))
        is not None
    )


def enqueue_agenda_request(session: Session, pair_id: int, when: datetime, *, session_id: int | None = None) -> bool:
    """Ask the mentee privately, at ``when``, for the agenda of a session (a few days before it).

    Once per session (or per ``when`` without one). With a ``session_id`` the row's topic is
    ``session:<id>``, so cancelling or moving the session cancels or moves the request with it.
    """
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound("journey.pair_not_found")
    suffix = f"session:{session_id}" if session_id is not None else f"at:{as_utc(when).isoformat()}"
    return outbox.enqueue(
        session,
        kind=AGENDA_REQUEST,
        key=f"{AGENDA_REQUEST}:pair:{pair_id}:{suffix}",
        send_at=when,
        payload={"pair_id": pair_id, "session_id": session_id},
        recipient_user_id=pair.mentee_user_id,
        programme_id=pair.programme_id,
        pair_id=pair_id,
        topic=f"session:{session_id}" if session_id is not None else None,
    )
