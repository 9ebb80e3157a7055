"""Private reflections after each held session.

- When a session first counts as held, :func:`enqueue_reflection_prompts` (called by
  ``bot.sessions.service.on_session_held``, in its transaction) schedules a private prompt for
  each person and one reminder three days later; the reminder is skipped if they have reflected,
  and both stop if the pair is paused (``outbox.cancel(pair_id=...)``).
- A reflection belongs to its author: its text is encrypted at rest and only its author can read,
  edit or delete it. The key takeaways (and nothing else) go to the partner, in the pair's DM with
  the author's name, only if the author ticks the box (it starts unticked).
- Ratings reach a lead only as aggregates over at least :data:`MIN_GROUP` people
  (:func:`rating_aggregates`), and only as released in batches (:func:`release_ratings`): a role
  group's figures change only once at least the minimum group size of different people have given
  new or changed ratings since its last release, and the overall figure is the sum of the released
  role groups. So comparing the lead's report before and after one more reflection recovers
  nothing about it.
- A reflection is never lost: it is saved before the modal closes, a database failure becomes a
  field error (the modal stays open with everything typed), and follow-up messages are outbox rows
  whose failures never undo the save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import FieldErrors, NotFound, Problem
from bot.models import Enrolment, MentoringSession, Pair, Programme, RatingRelease, Reflection

log = logging.getLogger(__name__)

PROMPT_KIND = "reflection_prompt"
REMINDER_KIND = "reflection_reminder"
SHARED_KIND = "reflection_shared"
REMINDER_AFTER = timedelta(days=3)
TEXT_MAX = 3000
MIN_GROUP = 5
RATING_VALUES = (1, 2, 3, 4, 5)


# ------------------------------------------------------------------------------------ prompts


def topic(session_id: int) -> str:
    return f"reflection:{session_id}"


def enqueue_reflection_prompts(session: Session, pair: Pair, held: MentoringSession) -> None:
    """A private prompt for each person now, and one reminder in three days (in the caller's transaction)."""
    at = now()
    for user_id in (pair.mentor_user_id, pair.mentee_user_id):
        common: dict[str, Any] = {
            "recipient_user_id": user_id,
            "programme_id": pair.programme_id,
            "pair_id": pair.id,
            "topic": topic(held.id),
            "payload": {"session_id": held.id, "user_id": user_id},
        }
        outbox.enqueue(session, kind=PROMPT_KIND, key=f"reflection:{held.id}:{user_id}:prompt", send_at=at, **common)
        outbox.enqueue(
            session,
            kind=REMINDER_KIND,
            key=f"reflection:{held.id}:{user_id}:reminder",
            send_at=at + REMINDER_AFTER,
            **common,
        )


# ------------------------------------------------------------------------------------ input


@dataclass
class ReflectionInput:
    takeaways: str
    do_differently: str
    explore_next: str = ""
    safety: int | None = None
    usefulness: int | None = None
    share_takeaways: bool = False


def validate_reflection(data: ReflectionInput) -> None:
    """Empty or over-long answers get field errors; anything else (any script, emoji) is kept as typed."""
    errors: dict[str, Problem] = {}
    for name, required in (("takeaways", True), ("do_differently", True), ("explore_next", False)):
        text = getattr(data, name).strip()
        if required and not text:
            errors[name] = Problem("reflections.answer_required")
        elif len(text) > TEXT_MAX:
            errors[name] = Problem("reflections.answer_too_long", max=TEXT_MAX, length=len(text))
    for name in ("safety", "usefulness"):
        value = getattr(data, name)
        if value is not None and value not in RATING_VALUES:
            errors[name] = Problem("reflections.rating_out_of_range", min=RATING_VALUES[0], max=RATING_VALUES[-1])
    if errors:
        raise FieldErrors(errors)


# ------------------------------------------------------------------------------------ results


@dataclass
class ReflectionData:
    id: int
    session_id: int
    takeaways: str
    do_differently: str
    explore_next: str
    safety: int | None
    usefulness: int | None
    share_takeaways: bool
    shared_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass
class ReflectionTarget:
    """A held session someone may reflect on, and their reflection on it if they have one."""

    session_id: int
    session_number: int
    starts_at: datetime
    pair_id: int
    programme_id: int
    programme_name: str
    role: str
    partner_id: str
    partner_name: str
    existing: ReflectionData | None = None


@dataclass
class SavedReflection:
    id: int
    created: bool
    shared_now: bool
    partner_name: str
    programme_id: int = 0
    safety: int | None = None  # a low rating offers the author (only) support and a concern


@dataclass
class MyReflection:
    target: ReflectionTarget
    reflection: ReflectionData


def _data(row: Reflection) -> ReflectionData:
    return ReflectionData(
        id=row.id,
        session_id=row.session_id,
        takeaways=row.takeaways,
        do_differently=row.do_differently,
        explore_next=row.explore_next or "",
        safety=row.safety,
        usefulness=row.usefulness,
        share_takeaways=row.share_takeaways,
        shared_at=as_utc(row.shared_at) if row.shared_at else None,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def target_in_session(session: Session, held: MentoringSession, user_id: str) -> ReflectionTarget:
    pair = session.get(Pair, held.pair_id)
    if pair is None or user_id not in (pair.mentor_user_id, pair.mentee_user_id) or held.status != "held":
        raise NotFound("reflections.session_not_yours")
    role = "mentor" if user_id == pair.mentor_user_id else "mentee"
    partner_id = pair.mentee_user_id if role == "mentor" else pair.mentor_user_id
    partner_name = session.scalar(
        select(Enrolment.real_name).where(Enrolment.programme_id == pair.programme_id, Enrolment.user_id == partner_id)
    )
    programme = session.get(Programme, pair.programme_id)
    existing = session.scalar(
        select(Reflection).where(Reflection.session_id == held.id, Reflection.author_user_id == user_id)
    )
    return ReflectionTarget(
        session_id=held.id,
        session_number=held.number,
        starts_at=as_utc(held.starts_at),
        pair_id=pair.id,
        programme_id=pair.programme_id,
        programme_name=programme.name if programme else "",
        role=role,
        partner_id=partner_id,
        partner_name=partner_name or "your partner",
        existing=_data(existing) if existing else None,
    )


def reflection_target(db: Database, session_id: int, user_id: str) -> ReflectionTarget:
    """The session to reflect on, if ``user_id`` is in its pair and it was held."""
    with db.session() as session:
        held = session.get(MentoringSession, session_id)
        if held is None:
            raise NotFound("reflections.session_not_yours")
        return target_in_session(session, held, user_id)


def latest_reflection_target(db: Database, user_id: str) -> ReflectionTarget | None:
    """The most recent held session of any of this person's pairs (None if there is none yet)."""
    with db.session() as session:
        held = session.scalar(
            select(MentoringSession)
            .join(Pair, Pair.id == MentoringSession.pair_id)
            .where(
                or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
                MentoringSession.status == "held",
            )
            .order_by(MentoringSession.starts_at.desc(), MentoringSession.id.desc())
            .limit(1)
        )
        return target_in_session(session, held, user_id) if held is not None else None


def target_for_edit(db: Database, reflection_id: int, user_id: str) -> ReflectionTarget:
    """The author's own reflection, to edit. Anyone else gets :class:`NotFound`."""
    with db.session() as session:
        row = session.get(Reflection, reflection_id)
        if row is None or row.author_user_id != user_id:
            raise NotFound("reflections.not_yours")
        held = session.get(MentoringSession, row.session_id)
        if held is None:
            raise NotFound("reflections.not_yours")
        return target_in_session(session, held, user_id)


# ------------------------------------------------------------------------------------ saving


def save_reflection(db: Database, session_id: int, user_id: str, data: ReflectionInput) -> SavedReflection:
    """Create or update the author's reflection on a held session (one per person and session).

    Ticking "share" the first time sends the key takeaways to the partner (an outbox row rendered
    from the database at send time). A database failure becomes a field error, so the modal stays
    open with what was typed.
    """
    validate_reflection(data)
    try:
        with db.session() as session:
            held = session.get(MentoringSession, session_id)
            if held is None:
                raise NotFound("reflections.session_not_yours")
            target = target_in_session(session, held, user_id)
            row = session.scalar(
                select(Reflection)
                .where(Reflection.session_id == session_id, Reflection.author_user_id == user_id)
                .with_for_update()
            )
            created = row is None
            if row is None or (row.safety, row.usefulness) != (data.safety, data.usefulness):
                ratings_changed = True
            else:
                ratings_changed = False
            if row is None:
                row = Reflection(
                    session_id=session_id,
                    pair_id=target.pair_id,
                    programme_id=target.programme_id,
                    author_user_id=user_id,
                    role=target.role,
                    created_at=now(),
                )
                session.add(row)
            row.takeaways = data.takeaways.strip()
            row.do_differently = data.do_differently.strip()
            row.explore_next = data.explore_next.strip() or None
            row.safety = data.safety
            row.usefulness = data.usefulness
            if ratings_changed:
                row.ratings_released = False  # waits for the next release of the rating figures
            row.updated_at = now()
            shared_now = False
            if row.shared_at is None:
                row.share_takeaways = data.share_takeaways
                if data.share_takeaways:
                    row.shared_at = now()
                    shared_now = True
            session.flush()
            if shared_now:
                pair = session.get(Pair, target.pair_id)
                assert pair is not None
                outbox.enqueue(
                    session,
                    kind=SHARED_KIND,
                    key=f"reflection:{row.id}:shared",
                    channel_id=pair.group_dm_channel_id,
                    programme_id=pair.programme_id,
                    pair_id=pair.id,
                    topic=topic(session_id),
                    payload={"reflection_id": row.id},
                )
            return SavedReflection(
                row.id, created, shared_now, target.partner_name, target.programme_id, data.safety
            )
    except SQLAlchemyError:
        log.exception("Could not save a reflection (session %s)", session_id)
        raise FieldErrors.on("takeaways", "reflections.save_failed") from None



def my_reflections(db: Database, user_id: str) -> list[MyReflection]:
    """The author's own reflections, newest session first."""
    with db.session() as session:
        rows = session.scalars(
            select(Reflection)
            .join(MentoringSession, MentoringSession.id == Reflection.session_id)
            .where(Reflection.author_user_id == user_id)
            .order_by(MentoringSession.starts_at.desc(), Reflection.id.desc())
        ).all()
        result = []
        for row in rows:
            held = session.get(MentoringSession, row.session_id)
            if held is None:
                continue
            try:
                target = target_in_session(session, held, user_id)
            except NotFound:
                continue
            result.append(MyReflection(target, _data(row)))
        return result


def delete_reflection(db: Database, reflection_id: int, user_id: str) -> None:
    """The author deletes their reflection (and with it its ratings). Nobody else can."""
    with db.session() as session:
        row = session.get(Reflection, reflection_id)
        if row is None or row.author_user_id != user_id:
            raise NotFound("reflections.not_yours")
        session.delete(row)  # a pending shared-takeaways message then renders as skipped


def has_reflected(session: Session, session_id: int, user_id: str) -> bool:
    return (
        session.scalar(
            select(Reflection.id).where(Reflection.session_id == session_id, Reflection.author_user_id == user_id)
        )
        is not None
    )


# ------------------------------------------------------------------------------------ for leads


@dataclass
class RatingSummary:
    """One rating question over a group. ``suppressed`` when fewer than ``MIN_GROUP`` people answered:
    then no figure (mean, distribution) is given, only that there are too few to show."""

    question: str  # safety | usefulness
    people: int
    suppressed: bool
    responses: int | None = None
    mean: float | None = None
    distribution: dict[int, int] | None = None


@dataclass
class RatingAggregates:
    programme_id: int
    min_group: int
    overall: dict[str, RatingSummary] = field(default_factory=dict)
    by_role: dict[str, dict[str, RatingSummary]] = field(default_factory=dict)  # mentor | mentee -> question


QUESTIONS = ("safety", "usefulness")
ROLES = ("mentor", "mentee")


def _rated() -> Any:
    return or_(Reflection.safety.isnot(None), Reflection.usefulness.isnot(None))


def release_ratings(session: Session, programme_id: int, min_group: int = MIN_GROUP) -> list[str]:
    """Release new rating figures for each role group with new or changed ratings from at least
    ``min_group`` different people since its last release; returns the roles released now.

    Between two releases a group's figures stay exactly as they were, whatever arrives (or is
    deleted), so a report before and after one more reflection is the same. Counting people, not
    reflections, means one person's five new reflections never make a batch on their own.
    """
    k = max(min_group, MIN_GROUP)
    pending = session.execute(
        select(Reflection.role, func.count(func.distinct(Reflection.author_user_id)))
        .where(Reflection.programme_id == programme_id, Reflection.ratings_released.is_(False), _rated())
        .group_by(Reflection.role)
    ).all()
    released: list[str] = []
    for role, people in pending:
        if int(people) < k:
            continue
        for question in QUESTIONS:
            column = getattr(Reflection, question)
            mine = (Reflection.programme_id == programme_id, Reflection.role == role, column.isnot(None))
            who = int(session.scalar(select(func.count(func.distinct(Reflection.author_user_id))).where(*mine)) or 0)
            counts = {
                str(int(value)): int(n)
                for value, n in session.execute(select(column, func.count()).where(*mine).group_by(column)).all()
            }
            release = session.scalar(
                select(RatingRelease).where(
                    RatingRelease.programme_id == programme_id,
                    RatingRelease.role == role,
                    RatingRelease.question == question,
                )
            )
            if release is None:
                release = RatingRelease(programme_id=programme_id, role=role, question=question)
                session.add(release)
            release.people, release.distribution, release.released_at = who, counts, now()
        session.execute(
            update(Reflection)
            .where(Reflection.programme_id == programme_id, Reflection.role == role)
            .values(ratings_released=True)
        )
        released.append(str(role))
    session.flush()
    return released


def _summary(question: str, people: int, counts: dict[int, int], min_group: int, waiting: bool) -> RatingSummary:
    if people < min_group:
        return RatingSummary(question, 0, suppressed=people > 0 or waiting)
    responses = sum(counts.values())
    total = sum(value * n for value, n in counts.items())
    return RatingSummary(
        question,
        people,
        suppressed=False,
        responses=responses,
        mean=round(total / responses, 2) if responses else None,
        distribution={value: counts.get(value, 0) for value in RATING_VALUES},
    )


def rating_aggregates(session: Session, programme_id: int, *, min_group: int = MIN_GROUP) -> RatingAggregates:
    """Reflection ratings (safety, usefulness) for a programme's lead, only as released aggregates.

    Each figure covers at least ``min_group`` different people (never fewer than five); a group with
    fewer, or whose ratings wait for their first release, is ``suppressed`` and reports ``people=0``
    so not even its size singles anyone out. Figures come from the last release of each role group
    (:func:`release_ratings`, run first); the overall figure is the sum of those releases, never of
    live answers. The caller checks that the viewer leads the programme.
    """
    min_group = max(min_group, MIN_GROUP)
    release_ratings(session, programme_id, min_group)
    result = RatingAggregates(programme_id, min_group)
    released = {
        (r.role, r.question): r
        for r in session.scalars(select(RatingRelease).where(RatingRelease.programme_id == programme_id))
    }
    waiting = {
        str(role)
        for role in session.scalars(
            select(Reflection.role)
            .distinct()
            .where(Reflection.programme_id == programme_id, Reflection.ratings_released.is_(False), _rated())
        )
    }
    for question in QUESTIONS:
        overall_people, overall_counts = 0, {value: 0 for value in RATING_VALUES}
        for role in ROLES:
            release = released.get((role, question))
            counts = {int(v): int(n) for v, n in (release.distribution if release else {}).items()}
            people = release.people if release else 0
            result.by_role.setdefault(role, {})[question] = _summary(
                question, people, counts, min_group, waiting=role in waiting and release is None
            )
            if people >= min_group:  # only what is shown for a role counts in the overall figure
                overall_people += people
                for value, n in counts.items():
                    overall_counts[value] = overall_counts.get(value, 0) + n
        result.overall[question] = _summary(
            question, overall_people, overall_counts, min_group, waiting=bool(waiting) and not overall_people
        )
    # Complementary suppression: with the overall figure shown, one hidden role group could be worked
    # out as overall minus the other role, so the other role is hidden too.
    for question in QUESTIONS:
        hidden = [role for role in ROLES if result.by_role[role][question].suppressed]
        if len(hidden) == 1 and not result.overall[question].suppressed:
            other = "mentee" if hidden[0] == "mentor" else "mentor"
            result.by_role[other][question] = RatingSummary(question, 0, suppressed=True)
    return result


@dataclass(frozen=True)
class ReflectionCompletion:
    expected: int  # people asked to reflect (two per held session)
    completed: int  # reflections written

    @property
    def rate(self) -> float | None:
        return self.completed / self.expected if self.expected else None


def reflection_completion(session: Session, programme_id: int) -> ReflectionCompletion:
    """How many reflections were asked for and written in a programme (counts only, for the dashboard)."""
    held = int(
        session.scalar(
            select(func.count())
            .select_from(MentoringSession)
            .where(MentoringSession.programme_id == programme_id, MentoringSession.status == "held")
        )
        or 0
    )
    written = int(
        session.scalar(select(func.count()).select_from(Reflection).where(Reflection.programme_id == programme_id)) or 0
    )
    return ReflectionCompletion(expected=2 * held, completed=written)
