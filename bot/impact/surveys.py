"""Impact surveys: a baseline when a match is approved, a pulse at the midpoint and an end survey.

Each is different for mentors and mentees (``content/surveys.yml``), delivered privately through
the outbox with one reminder, and answered in a modal. The invitation and the reminder are rendered
when they are sent, so someone who has answered, left or deleted their data is not asked again.

The baseline ("before you start") is asked of both people as their match is confirmed
(:func:`invite_baseline`, from the mentor's acceptance), so it arrives before their first session;
it is never sent, nor its reminder, once a session of theirs has started
(:func:`sessions_started`). :func:`schedule_due_surveys` is the periodic job (run by the worker)
that catches up baselines for pairs made any other way and invites people to the midpoint survey;
the end survey goes out at close-out (:mod:`bot.closeout.service`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import as_utc, now
from bot.content import Content
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import Enrolment, MentoringSession, OutboxMessage, Pair, Programme, SurveyResponse

KINDS = ("baseline", "midpoint", "end")
INVITATION_KIND = "survey_invitation"
REMINDER_KIND = "survey_reminder"
REMINDER_AFTER = timedelta(days=4)
COMMENT_MAX = 2000
# The questions asking how safe someone feels (content/surveys.yml): a 1 or 2 there offers that
# person, privately, support and a concern (``bot.concerns.service.felt_unsafe``).
SAFETY_QUESTIONS = frozenset({"pulse-safe"})


def lowest_safety(answers: dict[str, int]) -> int | None:
    """The lowest answer to a safety question in these answers (None if the survey has none)."""
    ratings = [value for question, value in answers.items() if question in SAFETY_QUESTIONS]
    return min(ratings) if ratings else None


def topic(programme_id: int, kind: str) -> str:
    return f"survey:{programme_id}:{kind}"


def invite(session: Session, programme_id: int, user_id: str, kind: str, *, at: datetime | None = None) -> bool:
    """Ask one person for one survey (and remind them once); a second call does nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown survey {kind!r}")
    when = at or now()
    key = f"survey:{programme_id}:{kind}:{user_id}"
    payload = {"programme_id": programme_id, "survey": kind}
    new = outbox.enqueue(
        session,
        kind=INVITATION_KIND,
        key=key,
        send_at=when,
        payload=payload,
        recipient_user_id=user_id,
        programme_id=programme_id,
        topic=topic(programme_id, kind),
    )
    outbox.enqueue(
        session,
        kind=REMINDER_KIND,
        key=key + ":reminder",
        send_at=when + REMINDER_AFTER,
        payload=payload,
        recipient_user_id=user_id,
        programme_id=programme_id,
        topic=topic(programme_id, kind) + ":reminder",
    )
    return new


def invite_baseline(session: Session, pair: Pair) -> int:
    """Ask both people of a newly confirmed pair for the baseline survey (each once, ever)."""
    return sum(
        invite(session, pair.programme_id, user_id, "baseline")
        for user_id in (pair.mentor_user_id, pair.mentee_user_id)
    )


def sessions_started(session: Session, programme_id: int, user_id: str, at: datetime | None = None) -> bool:
    """Whether any session of this person's pairs in the programme has started (booked, held or missed)."""
    pairs = select(Pair.id).where(
        Pair.programme_id == programme_id, (Pair.mentor_user_id == user_id) | (Pair.mentee_user_id == user_id)
    )
    started = session.scalar(
        select(MentoringSession.id)
        .where(
            MentoringSession.pair_id.in_(pairs),
            MentoringSession.status.in_(["booked", "held", "missed"]),
            MentoringSession.starts_at <= (at or now()),
        )
        .limit(1)
    )
    return started is not None


def _not_invited(programme_id: int, kind: str) -> object:
    return ~exists().where(
        OutboxMessage.topic == topic(programme_id, kind), OutboxMessage.recipient_user_id == Enrolment.user_id
    )


def schedule_due_surveys(db: Database, at: datetime | None = None) -> int:
    """Invite everyone now due a baseline or midpoint survey (idempotent); returns how many were invited.

    - Baseline: both people of an active pair whose sessions have not started, if not yet asked
      (a pair made through consent was asked on confirmation; this catches up the others).
    - Midpoint: both people of an active pair once it has held half its planned sessions or, for a
      programme with an end date and no session plan, once half the time from matching to the end
      date has passed.
    """
    at = at or now()
    invited = 0
    with db.session() as session:
        programmes = session.scalars(select(Programme).where(Programme.status == "active")).all()
        for programme in programmes:
            active = (Pair.programme_id == programme.id, Pair.status == "active")
            paired = select(Pair.mentor_user_id).where(*active).union(select(Pair.mentee_user_id).where(*active))
            baseline_due = session.scalars(
                select(Enrolment.user_id).where(
                    Enrolment.programme_id == programme.id,
                    Enrolment.status != "left",
                    Enrolment.privacy_confirmed_at.isnot(None),
                    Enrolment.user_id.in_(paired),
                    _not_invited(programme.id, "baseline"),  # type: ignore[arg-type]
                )
            ).all()
            for user_id in baseline_due:
                if not sessions_started(session, programme.id, user_id, at):
                    invited += invite(session, programme.id, user_id, "baseline", at=at)
            for user_id in _midpoint_due(session, programme, at):
                invited += invite(session, programme.id, user_id, "midpoint", at=at)
    return invited


def _midpoint_due(session: Session, programme: Programme, at: datetime) -> list[str]:
    held = (
        select(MentoringSession.pair_id, func.count().label("held"))
        .where(MentoringSession.programme_id == programme.id, MentoringSession.status == "held")
        .group_by(MentoringSession.pair_id)
        .subquery()
    )
    rows = session.execute(
        select(Pair.mentor_user_id, Pair.mentee_user_id, Pair.created_at, func.coalesce(held.c.held, 0))
        .outerjoin(held, held.c.pair_id == Pair.id)
        .where(Pair.programme_id == programme.id, Pair.status == "active")
    ).all()
    due: list[str] = []
    for mentor, mentee, created_at, held_count in rows:
        if programme.planned_sessions:
            ready = held_count >= math.ceil(programme.planned_sessions / 2)
        elif programme.end_date is not None:
            start = as_utc(created_at)
            end = datetime.combine(programme.end_date, datetime.min.time(), tzinfo=start.tzinfo)
            ready = at >= start + (end - start) / 2
        else:
            ready = False
        if ready:
            due.extend((mentor, mentee))
    if not due:
        return []
    already = set(
        session.scalars(
            select(OutboxMessage.recipient_user_id).where(
                OutboxMessage.topic == topic(programme.id, "midpoint"), OutboxMessage.recipient_user_id.in_(due)
            )
        )
    )
    active = set(
        session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.programme_id == programme.id, Enrolment.user_id.in_(due), Enrolment.status != "left"
            )
        )
    )
    return [user for user in dict.fromkeys(due) if user not in already and user in active]


@dataclass(frozen=True)
class SurveyTask:
    """A survey waiting for one person."""

    programme_id: int
    programme_name: str
    kind: str
    role: str


def survey_for(session: Session, programme_id: int, user_id: str, kind: str) -> tuple[Programme, Enrolment]:
    """The programme and the person's enrolment, if they may answer this survey."""
    if kind not in KINDS:
        raise NotFound("surveys.not_found")
    programme = session.get(Programme, programme_id)
    enrolment = session.scalar(
        select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
    )
    if programme is None or enrolment is None:
        raise NotFound("surveys.not_in_programme")
    if enrolment.status == "left":
        raise NotAllowed("surveys.left_programme")
    return programme, enrolment


def open_survey(db: Database, programme_id: int, user_id: str, kind: str) -> SurveyTask:
    with db.session() as session:
        programme, enrolment = survey_for(session, programme_id, user_id, kind)
        return SurveyTask(programme.id, programme.name, kind, enrolment.role)


def pending_surveys(db: Database, user_id: str) -> list[SurveyTask]:
    """Surveys this person has been asked for and not yet answered (for their App Home)."""
    with db.session() as session:
        answered = set(
            session.execute(
                select(SurveyResponse.programme_id, SurveyResponse.kind).where(SurveyResponse.user_id == user_id)
            ).all()
        )
        rows = session.execute(
            select(OutboxMessage.programme_id, OutboxMessage.payload, Programme.name, Enrolment.role)
            .join(Programme, Programme.id == OutboxMessage.programme_id)
            .join(
                Enrolment,
                and_(Enrolment.programme_id == OutboxMessage.programme_id, Enrolment.user_id == user_id),
            )
            .where(
                OutboxMessage.kind == INVITATION_KIND,
                OutboxMessage.recipient_user_id == user_id,
                OutboxMessage.status == "sent",
                Enrolment.status != "left",
            )
            .order_by(OutboxMessage.send_at)
        ).all()
        tasks = []
        for programme_id, payload, name, role in rows:
            kind = str((payload or {}).get("survey"))
            if (programme_id, kind) not in answered and kind in KINDS:
                tasks.append(SurveyTask(int(programme_id), name, kind, role))
        return tasks


def has_answered(session: Session, programme_id: int, user_id: str, kind: str) -> bool:
    return (
        session.scalar(
            select(SurveyResponse.id).where(
                SurveyResponse.programme_id == programme_id,
                SurveyResponse.user_id == user_id,
                SurveyResponse.kind == kind,
            )
        )
        is not None
    )


def record_response(
    db: Database,
    content: Content,
    programme_id: int,
    user_id: str,
    kind: str,
    answers: dict[str, int | None],
    comment: str | None,
    *,
    submission: str | None = None,
) -> SurveyResponse:
    """Save (or replace) a person's answers; every question needs a 1-5 answer, the comment is optional.

    The same form delivered again (``submission``: a replay, a double click, a resubmit after Slack
    gave up), or the very same answers sent again, change nothing: an answer already released to the
    leads stays released, so a repeat never counts as a new answer towards the next release.
    """
    with db.session() as session:
        _, enrolment = survey_for(session, programme_id, user_id, kind)
        survey = content.survey(kind, enrolment.role)
        errors: dict[str, Problem] = {}
        clean: dict[str, int] = {}
        for question in survey.questions:
            value = answers.get(question.id)
            if value is None or not 1 <= int(value) <= 5:
                errors[f"q:{question.id}"] = Problem("surveys.answer_required", min=1, max=5)
            else:
                clean[question.id] = int(value)
        text = (comment or "").strip()
        if len(text) > COMMENT_MAX:
            errors["comment"] = Problem("surveys.comment_too_long", max=COMMENT_MAX)

        if errors:
            raise FieldErrors(errors)
        response = session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.programme_id == programme_id,
                SurveyResponse.user_id == user_id,
                SurveyResponse.kind == kind,
            )
        )
        if response is not None and (
            submissions.earlier_result(session, submission) is not None
            or (response.answers == clean and (response.comment or None) == (text or None))
        ):
            return response
        if response is None:
            response = SurveyResponse(programme_id=programme_id, user_id=user_id, kind=kind)
            session.add(response)
        response.role = enrolment.role
        response.answers = clean
        response.comment = text or None
        response.submitted_at = now()
        response.released = False  # new (or changed) answers wait for the next release of figures
        session.flush()
        submissions.remember(session, submission, "survey", response.id)
        return response


def response_counts(session: Session, programme_id: int) -> dict[str, tuple[int, int]]:
    """Per survey: (people asked, people who answered). Counts only, one query each."""
    asked = dict(
        session.execute(
            select(OutboxMessage.topic, func.count())
            .where(OutboxMessage.programme_id == programme_id, OutboxMessage.kind == INVITATION_KIND)
            .group_by(OutboxMessage.topic)
        ).all()
    )
    answered = dict(
        session.execute(
            select(SurveyResponse.kind, func.count())
            .where(SurveyResponse.programme_id == programme_id)
            .group_by(SurveyResponse.kind)
        ).all()
    )
    return {kind: (int(asked.get(topic(programme_id, kind), 0)), int(answered.get(kind, 0))) for kind in KINDS}
