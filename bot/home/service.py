"""What App Home shows: the programme lead's dashboard and a participant's own view.

The lead's dashboard is built from a **fixed number of aggregate queries per programme**, however
many pairs it has (DESIGN section 8): one for the programme, one for the stage counts, one for a
page of pairs (at risk first), one each for waiting people, open concerns, reflections and
survey responses. Nothing here loops over pairs with a query, and no text written by a
participant (reflections, concerns, contracts) is ever read for the lead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from bot.clock import as_utc, now
from bot.db import Database
from bot.impact import surveys
from bot.induction import service as induction
from bot.models import (
    Concern,
    Enrolment,
    InductionCompletion,
    MentoringSession,
    Pair,
    PairContract,
    PairSchedule,
    Programme,
    ProgrammeLead,
    Reflection,
)
from bot.programmes import pauses

DEFAULT_PAGE_SIZE = 15
MAX_IN_LIST = 2000  # a bigger page (the CSV export) reads the whole programme instead
SHOWN_PAIR_STATUSES = ("active", "paused", "ended")  # declined pairs never started
DEFAULT_ROADMAP = 6  # as the sessions feature: a programme without a plan has six sessions
OPEN_CONCERN_STATUSES = ("open", "acknowledged")
URGENCY_ORDER = ("today", "this-week", "fyi")


def roadmap(programme_planned: int | None) -> int:
    return programme_planned or DEFAULT_ROADMAP


@dataclass(frozen=True)
class PairRow:
    pair_id: int
    mentor_name: str
    mentee_name: str
    status: str
    introduced: bool
    contract_agreed_at: datetime | None
    held: int
    planned: int
    last_session: datetime | None
    next_session: datetime | None
    at_risk: bool
    at_risk_reason: str | None
    at_risk_since: datetime | None
    pause_note: str | None = None  # who is taking a break, and until when (for the lead)


@dataclass(frozen=True)
class ConcernBucket:
    """Open concerns of one urgency: how many, how many not yet acknowledged, the oldest one's age."""

    urgency: str
    count: int
    unacknowledged: int
    oldest: datetime | None


@dataclass
class LeadDashboard:
    programme_id: int
    name: str
    status: str
    planned_sessions: int
    end_date: date | None
    closed_at: datetime | None
    pairs_total: int = 0
    pairs_by_status: dict[str, int] = field(default_factory=dict)
    introduced: int = 0
    contract_agreed: int = 0
    sessions_held: int = 0
    sessions_planned: int = 0
    at_risk: int = 0
    waiting: dict[str, int] = field(default_factory=dict)
    concerns: list[ConcernBucket] = field(default_factory=list)
    reflections_written: int = 0
    reflections_expected: int = 0
    surveys: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (asked, answered)
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    rows: list[PairRow] = field(default_factory=list)
    require_induction: bool = False
    induction_people: int = 0  # participants taking part (not left)
    induction_completed: int = 0  # of them, how many have completed the induction

    @property
    def pages(self) -> int:
        return max(1, -(-self.pairs_total // self.page_size))

    @property
    def reflection_rate(self) -> float | None:
        if not self.reflections_expected:
            return None
        return min(1.0, self.reflections_written / self.reflections_expected)

    @property
    def open_concerns(self) -> int:
        return sum(bucket.count for bucket in self.concerns)


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _session_stats(programme_id: int, at: datetime, pair_ids: list[int]) -> Any:
    """Per pair (of one page): sessions held, the last held and the next booked, in one grouped query.

    Kept out of the big joins on purpose: joined to every pair, a grouped subquery is at the mercy of
    the planner's statistics (a nested loop over it is quadratic right after a bulk insert)."""
    return (
        select(
            MentoringSession.pair_id.label("pair_id"),
            func.sum(case((MentoringSession.status == "held", 1), else_=0)).label("held"),
            func.max(case((MentoringSession.status == "held", MentoringSession.starts_at), else_=None)).label(
                "last_held"
            ),
            func.min(
                case(
                    (
                        and_(MentoringSession.status == "booked", MentoringSession.starts_at >= at),
                        MentoringSession.starts_at,
                    ),
                    else_=None,
                )
            ).label("next_at"),
        )
        .where(
            MentoringSession.programme_id == programme_id,
            MentoringSession.pair_id.in_(pair_ids) if len(pair_ids) <= MAX_IN_LIST else true(),
        )
        .group_by(MentoringSession.pair_id)
    )


def lead_dashboard(
    session: Session,
    programme_id: int,
    *,
    page: int = 0,
    page_size: int = DEFAULT_PAGE_SIZE,
    at: datetime | None = None,
) -> LeadDashboard:
    """The lead's view of one programme in a fixed number of queries (twelve), whatever its size."""
    at = at or now()
    # 1. The programme (columns only: no relationship loading).
    row = session.execute(
        select(
            Programme.id,
            Programme.name,
            Programme.status,
            Programme.planned_sessions,
            Programme.end_date,
            Programme.closed_at,
            Programme.require_induction,
        ).where(Programme.id == programme_id)
    ).one()
    planned = roadmap(row.planned_sessions)
    board = LeadDashboard(
        programme_id=row.id,
        name=row.name,
        status=row.status,
        planned_sessions=planned,
        end_date=row.end_date,
        closed_at=_aware(row.closed_at),
        page_size=max(1, page_size),
        require_induction=bool(row.require_induction),
    )
    contract_agreed = PairContract.first_agreed_at.isnot(None)
    in_scope = and_(Pair.programme_id == programme_id, Pair.status.in_(SHOWN_PAIR_STATUSES))

    # 2. Pairs by stage and status, in one aggregate.
    summary = session.execute(
        select(
            Pair.status,
            func.count(Pair.id),
            func.sum(case((Pair.group_dm_channel_id.isnot(None), 1), else_=0)),
            func.sum(case((contract_agreed, 1), else_=0)),
            func.sum(case((and_(PairSchedule.at_risk.is_(True), Pair.status == "active"), 1), else_=0)),
        )
        .select_from(Pair)
        .outerjoin(PairContract, PairContract.pair_id == Pair.id)
        .outerjoin(PairSchedule, PairSchedule.pair_id == Pair.id)
        .where(in_scope)
        .group_by(Pair.status)
    ).all()
    for status, count, introduced, agreed, risky in summary:
        board.pairs_by_status[status] = int(count)
        board.pairs_total += int(count)
        board.introduced += int(introduced or 0)
        board.contract_agreed += int(agreed or 0)
        board.at_risk += int(risky or 0)
    # 3. Sessions held across the programme (declined pairs never meet).
    board.sessions_held = int(
        session.scalar(
            select(func.count())
            .select_from(MentoringSession)
            .where(MentoringSession.programme_id == programme_id, MentoringSession.status == "held")
        )
        or 0
    )
    board.sessions_planned = board.pairs_total * planned

    # 4. One page of pairs: at risk first (longest at risk first), then the rest in order.
    risky = and_(PairSchedule.at_risk.is_(True), Pair.status == "active")
    pages = max(1, -(-board.pairs_total // board.page_size))
    board.page = min(max(0, page), pages - 1)
    rows = session.execute(
        select(
            Pair.id,
            Pair.status,
            Pair.group_dm_channel_id,
            Pair.mentor_user_id,
            Pair.mentee_user_id,
            PairContract.first_agreed_at,
            case((risky, 1), else_=0).label("risky"),
            PairSchedule.at_risk_reason,
            PairSchedule.at_risk_since,
        )
        .select_from(Pair)
        .outerjoin(PairContract, PairContract.pair_id == Pair.id)
        .outerjoin(PairSchedule, PairSchedule.pair_id == Pair.id)
        .where(in_scope)
        .order_by(
            case((risky, 0), else_=1),
            case((Pair.status == "active", 0), (Pair.status == "paused", 1), else_=2),
            PairSchedule.at_risk_since,
            Pair.id,
        )
        .limit(board.page_size)
        .offset(board.page * board.page_size)
    ).all()
    # 5. Names of the people on this page only (joined to every pair, the sort would pay for all of them).
    people = [user for r in rows for user in (r[3], r[4])]
    names: dict[str, str] = (
        dict(
            session.execute(
                select(Enrolment.user_id, Enrolment.real_name).where(
                    Enrolment.programme_id == programme_id,
                    Enrolment.user_id.in_(people) if len(people) <= MAX_IN_LIST else true(),
                )
            ).all()
        )
        if people
        else {}
    )
    # 6. Sessions of the pairs on this page only.
    page_ids = [r[0] for r in rows]
    stats: dict[int, tuple[int, datetime | None, datetime | None]] = {
        pair_id: (int(held or 0), last_held, next_at)
        for pair_id, held, last_held, next_at in (
            session.execute(_session_stats(programme_id, at, page_ids)).all() if page_ids else []
        )
    }
    # 7. Open pauses of the pairs on this page (who is taking a break, until when).
    breaks = pauses.open_pauses(session, page_ids) if page_ids else {}
    for (
        pair_id,
        status,
        group_dm,
        mentor_id,
        mentee_id,
        agreed_at,
        is_risky,
        reason,
        since,
    ) in rows:
        held, last_held, next_at = stats.get(pair_id, (0, None, None))
        board.rows.append(
            PairRow(
                pair_id=pair_id,
                mentor_name=names.get(mentor_id) or "(a former participant)",
                mentee_name=names.get(mentee_id) or "(a former participant)",
                status=status,
                introduced=group_dm is not None,
                contract_agreed_at=_aware(agreed_at),
                held=int(held or 0),
                planned=planned,
                last_session=_aware(last_held),
                next_session=_aware(next_at),
                at_risk=bool(is_risky),
                at_risk_reason=reason if is_risky else None,
                at_risk_since=_aware(since) if is_risky else None,
                pause_note=_pause_note(breaks.get(pair_id, []), names, mentor_id),
            )
        )

    # 8. People waiting for a match, by role; and, in the same aggregate, everyone taking part and how
    # many of them have completed the induction (an outer join on the completions of this programme).
    done = InductionCompletion.id.isnot(None)
    board.waiting = {}
    for role, status, count, completed in session.execute(
        select(Enrolment.role, Enrolment.status, func.count(Enrolment.id), func.sum(case((done, 1), else_=0)))
        .select_from(Enrolment)
        .outerjoin(
            InductionCompletion,
            and_(
                InductionCompletion.scope == induction.Scope.programme(programme_id).key,
                InductionCompletion.user_id == Enrolment.user_id,
            ),
        )
        .where(Enrolment.programme_id == programme_id, Enrolment.status != "left")
        .group_by(Enrolment.role, Enrolment.status)
    ).all():
        if status == "waiting":
            board.waiting[role] = board.waiting.get(role, 0) + int(count)
        board.induction_people += int(count)
        board.induction_completed += int(completed or 0)

    # 9. Open concerns by urgency and age: counts and dates only, never a word of what they say.
    buckets = session.execute(
        select(
            Concern.urgency,
            func.count(),
            func.sum(case((Concern.status == "open", 1), else_=0)),
            func.min(Concern.created_at),
        )
        .where(Concern.programme_id == programme_id, Concern.status.in_(OPEN_CONCERN_STATUSES))
        .group_by(Concern.urgency)
    ).all()
    order = {urgency: position for position, urgency in enumerate(URGENCY_ORDER)}
    board.concerns = sorted(
        (ConcernBucket(u, int(c), int(o or 0), _aware(oldest)) for u, c, o, oldest in buckets),
        key=lambda bucket: order.get(bucket.urgency, len(order)),
    )

    # 10. Reflection completion: reflections written for held sessions, out of two per held session.
    board.reflections_written = int(
        session.scalar(
            select(func.count(Reflection.id))
            .join(MentoringSession, MentoringSession.id == Reflection.session_id)
            .where(Reflection.programme_id == programme_id, MentoringSession.status == "held")
        )
        or 0
    )
    board.reflections_expected = 2 * board.sessions_held

    # 11 and 12. Surveys asked and answered (counts only).
    board.surveys = surveys.response_counts(session, programme_id)

    return board


def lead_dashboards(
    db: Database, user_id: str, *, pages: dict[int, int] | None = None, page_size: int = DEFAULT_PAGE_SIZE
) -> list[LeadDashboard]:
    """Every programme this person leads: active ones first."""
    pages = pages or {}
    with db.session() as session:
        ids = session.execute(
            select(Programme.id)
            .join(ProgrammeLead, ProgrammeLead.programme_id == Programme.id)
            .where(ProgrammeLead.user_id == user_id)
            .order_by(case((Programme.status == "active", 0), else_=1), Programme.name)
        ).scalars()
        return [
            lead_dashboard(session, programme_id, page=pages.get(programme_id, 0), page_size=page_size)
            for programme_id in list(ids)
        ]


# ------------------------------------------------------------------------------------------
# A participant's own view


@dataclass(frozen=True)
class ReflectionNote:
    written_at: datetime
    session_number: int | None
    takeaways: str


@dataclass
class ParticipantView:
    programme_id: int
    programme_name: str
    programme_status: str
    role: str
    status: str  # waiting | matched
    enrolment_id: int
    partner_name: str | None = None
    partner_title: str | None = None
    partner_organisation: str | None = None
    pair_id: int | None = None
    pair_status: str | None = None
    group_dm_channel_id: str | None = None
    next_session_id: int | None = None
    next_session_at: datetime | None = None
    next_session_ends: datetime | None = None
    sessions_held: int = 0
    planned: int = DEFAULT_ROADMAP
    contract_exists: bool = False
    contract_agreed_at: datetime | None = None
    my_goals: str | None = None
    reflections_count: int = 0
    recent_reflections: list[ReflectionNote] = field(default_factory=list)
    tz: str = "UTC"
    on_break: bool = False  # this person is taking a break of their own
    break_ends: datetime | None = None
    induction_done: frozenset[str] = frozenset()  # the steps of their induction they have completed
    induction_completed: bool = False
    require_induction: bool = False


def participant_views(db: Database, user_id: str, *, at: datetime | None = None) -> list[ParticipantView]:
    """What this person sees of their own programmes: only their own words, and their partner's profile."""
    at = at or now()
    views: list[ParticipantView] = []
    with db.session() as session:
        enrolments = session.execute(
            select(Enrolment, Programme)
            .join(Programme, Programme.id == Enrolment.programme_id)
            .where(Enrolment.user_id == user_id, Enrolment.status != "left")
            .order_by(case((Programme.status == "active", 0), else_=1), Programme.name)
        ).all()
        for enrolment, programme in enrolments:
            view = ParticipantView(
                programme_id=programme.id,
                programme_name=programme.name,
                programme_status=programme.status,
                role=enrolment.role,
                status=enrolment.status,
                enrolment_id=enrolment.id,
                planned=roadmap(programme.planned_sessions),
                tz=enrolment.tz,
            )
            pair = session.scalar(
                select(Pair)
                .where(
                    Pair.programme_id == programme.id,
                    or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
                    Pair.status.in_(("active", "paused", "ended")),
                )
                .order_by(case((Pair.status == "active", 0), (Pair.status == "paused", 1), else_=2), Pair.id.desc())
                .limit(1)
            )
            if pair is not None and (pair.status != "ended" or programme.status == "closed"):
                _fill_pair(session, view, pair, user_id, at)
            scope = induction.Scope.programme(programme.id)
            view.induction_done = frozenset(induction.steps_done_by(session, scope, [user_id]).get(user_id, ()))
            view.induction_completed = bool(induction.completed_user_ids(session, scope, [user_id]))
            view.require_induction = programme.require_induction
            own = pauses.open_pause_of(session, programme.id, user_id)
            if own is not None:
                view.on_break, view.break_ends = True, as_utc(own.ends_at) if own.ends_at else None
            views.append(view)
    return views


def _pause_note(open_: list[pauses.PauseInfo], names: dict[str, str], mentor_id: str) -> str | None:
    notes = []
    for info in open_:
        if info.by_lead:
            notes.append("paused by a lead")
            continue
        role = "mentor" if info.user_id == mentor_id else "mentee"
        until = f"until {info.ends_at:%d %b}" if info.ends_at else "until they resume"
        notes.append(f"{names.get(info.user_id) or 'the ' + role} ({role}) is taking a break {until}")
    return "; ".join(notes) or None


def _fill_pair(session: Session, view: ParticipantView, pair: Pair, user_id: str, at: datetime) -> None:
    partner_id = pair.mentee_user_id if pair.mentor_user_id == user_id else pair.mentor_user_id
    partner = session.scalar(
        select(Enrolment).where(Enrolment.programme_id == pair.programme_id, Enrolment.user_id == partner_id)
    )
    view.pair_id, view.pair_status, view.group_dm_channel_id = pair.id, pair.status, pair.group_dm_channel_id
    if partner is not None:
        view.partner_name = partner.real_name or None
        view.partner_title = partner.title or None
        view.partner_organisation = partner.organisation or None
    upcoming = session.execute(
        select(MentoringSession.id, MentoringSession.starts_at, MentoringSession.ends_at)
        .where(
            MentoringSession.pair_id == pair.id,
            MentoringSession.status == "booked",
            MentoringSession.starts_at >= at,
        )
        .order_by(MentoringSession.starts_at)
        .limit(1)
    ).first()
    if upcoming is not None:
        view.next_session_id, view.next_session_at, view.next_session_ends = (
            upcoming[0],
            as_utc(upcoming[1]),
            as_utc(upcoming[2]),
        )
    view.sessions_held = int(
        session.scalar(
            select(func.count())
            .select_from(MentoringSession)
            .where(MentoringSession.pair_id == pair.id, MentoringSession.status == "held")
        )
        or 0
    )
    contract = session.scalar(select(PairContract).where(PairContract.pair_id == pair.id))
    if contract is not None:
        view.contract_exists = True
        view.contract_agreed_at = _aware(contract.first_agreed_at)
        view.my_goals = goals_from_terms(contract.terms, view.role)
    reflections = session.execute(
        select(Reflection.created_at, MentoringSession.number, Reflection.takeaways)
        .outerjoin(MentoringSession, MentoringSession.id == Reflection.session_id)
        .where(Reflection.pair_id == pair.id, Reflection.author_user_id == user_id)  # own reflections only
        .order_by(Reflection.created_at.desc())
    ).all()
    view.reflections_count = len(reflections)
    view.recent_reflections = [ReflectionNote(as_utc(at_), number, text or "") for at_, number, text in reflections[:3]]


def goals_from_terms(terms: str | None, role: str) -> str | None:
    """A person's own goals from their pair's contract (prompt ``mentor-goals`` or ``mentee-goals``)."""
    try:
        value = json.loads(terms or "{}")
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    goals = value.get(f"{role}-goals")
    return str(goals).strip() or None if goals else None
