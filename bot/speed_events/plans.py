"""The rotation plan of a speed mentoring event: stored as JSON of ids, reviewed and swapped by the
lead, published (which schedules everyone's timed messages) and re-planned after a change.

The plan is stored on the event as JSON of Slack user ids, roles, organisations and the planner's
plain-language reasons (:func:`plan_to_json`); nothing a person wrote in confidence goes into it.
The rounds themselves are worked out by :mod:`bot.speed_events.rotation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed
from bot.induction import service as induction
from bot.models import (
    SpeedEvent,
    SpeedEventParticipant,
)
from bot.speed_events.records import (
    BRIEFING_KIND,
    BRIEFING_REMINDER_BEFORE,
    DEFAULT_MIN_GROUP,
    FEEDBACK_KIND,
    LEAD_UPDATE_KIND,
    ROUND_START_KIND,
    SCHEDULE_KIND,
    SUMMARY_AFTER,
    SUMMARY_KIND,
    SWAP_KIND,
    WRAP_UP_KIND,
    WRAP_UP_MINUTES,
    as_attendees,
    coming,
    event_participants,
    event_topic,
    require_event_lead,
    timeline,
)
from bot.speed_events.rotation import (
    Attendee,
    Group,
    Meeting,
    RotationPlan,
    Unplaced,
    adjust_swap,
    plan_rotation,
    replan_after_dropouts,
)


@dataclass
class PlanChange:
    """What a change to a published plan did, for the lead."""

    from_round: int | None
    notified: list[str] = field(default_factory=list)  # user ids told about their new rounds
    dropped: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)


@dataclass
class PlanOverview:
    """Everything the lead's plan view shows."""

    event: SpeedEvent
    plan: RotationPlan | None
    names: dict[str, str]
    attending: list[SpeedEventParticipant]
    waiting: list[SpeedEventParticipant]  # invited, not answered yet
    declined: list[SpeedEventParticipant]  # said no, or marked absent
    next_round: int | None
    briefing_read: set[str] = field(default_factory=set)  # who has read every step of the briefing

    @property
    def published(self) -> bool:
        return self.event.status == "published"


def _meeting_json(meeting: Meeting) -> dict[str, Any]:
    return {"round": meeting.round, "mentors": list(meeting.mentor_ids), "mentees": list(meeting.mentee_ids)}


def _meeting_from(raw: Mapping[str, Any]) -> Meeting:
    return Meeting(int(raw["round"]), tuple(raw["mentors"]), tuple(raw["mentees"]))


def plan_to_json(plan: RotationPlan) -> dict[str, Any]:
    return {
        "rounds": plan.rounds,
        "seed": plan.seed,
        "attendees": [[a.person_id, a.role, a.organisation] for a in plan.attendees],
        "groups": [
            {
                "number": g.number,
                "rounds": list(g.rounds),
                "mentors": list(g.mentor_ids),
                "mentees": list(g.mentee_ids),
                "meetings": [_meeting_json(m) for m in g.meetings],
            }
            for g in plan.groups
        ],
        "unplaced": [
            {"person": u.person_id, "rounds": list(u.rounds), "reason": u.reason, "partial": u.partial}
            for u in plan.unplaced
        ],
        "notes": list(plan.notes),
        "keep_apart": [sorted(pair) for pair in plan.keep_apart],
        "dropped": dict(plan.dropped),
    }


def plan_from_json(raw: Mapping[str, Any]) -> RotationPlan:
    return RotationPlan(
        rounds=int(raw["rounds"]),
        attendees=tuple(Attendee(str(p), role, str(org)) for p, role, org in raw["attendees"]),
        groups=tuple(
            Group(
                number=int(g["number"]),
                rounds=tuple(int(r) for r in g["rounds"]),
                mentor_ids=tuple(g["mentors"]),
                mentee_ids=tuple(g["mentees"]),
                meetings=tuple(_meeting_from(m) for m in g["meetings"]),
            )
            for g in raw["groups"]
        ),
        unplaced=tuple(
            Unplaced(str(u["person"]), tuple(int(r) for r in u["rounds"]), str(u["reason"]), bool(u["partial"]))
            for u in raw["unplaced"]
        ),
        notes=tuple(raw.get("notes") or ()),
        keep_apart=frozenset(frozenset(pair) for pair in raw.get("keep_apart") or ()),
        dropped={str(k): int(v) for k, v in (raw.get("dropped") or {}).items()},
        seed=int(raw.get("seed") or 0),
    )


def current_plan(event: SpeedEvent) -> RotationPlan | None:
    return plan_from_json(event.plan) if event.plan else None


def meeting_in_round(plan: RotationPlan, person_id: str, round_number: int) -> Meeting | None:
    return next((m for m in plan.meetings_for(person_id) if m.round == round_number), None)


def partners_in(meeting: Meeting, person_id: str) -> list[str]:
    """Everyone else at the table, mentors first (the mentor is the junior colleague)."""
    return [p for p in meeting.people if p != person_id]


def refresh_draft_plan(session: Session, event: SpeedEvent, participants: list[SpeedEventParticipant]) -> None:
    """Keep a draft plan in step with who is coming (the lead's swaps survive where they still fit)."""
    attendees = as_attendees(coming(participants))
    plan = current_plan(event)
    if plan is not None and sorted(plan.attendees, key=lambda a: a.person_id) == sorted(
        attendees, key=lambda a: a.person_id
    ):
        return
    if not attendees:
        event.plan = None
        return
    fresh = plan_rotation(attendees, event.rounds, seed=event.seed, previous=plan)
    event.plan = plan_to_json(fresh)


def plan_overview(db: Database, event_id: int, *, by: str, admin: bool, rerun: bool = False) -> PlanOverview:
    """The lead's view of the plan. In a draft, the plan follows the RSVPs; ``rerun`` plans afresh
    (a draft) or re-plans the rounds not yet started with whoever is coming now (published)."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        participants = event_participants(session, event_id)
        if event.status == "draft":
            if rerun:
                event.plan = None
                event.seed += 1
            refresh_draft_plan(session, event, participants)
        elif rerun and event.status == "published":
            replan_published(session, event, reason="rerun", person=None)
        session.flush()
        return _overview(session, event, participants)


def _overview(session: Session, event: SpeedEvent, participants: list[SpeedEventParticipant]) -> PlanOverview:
    names = {p.user_id: p.real_name or p.user_id for p in participants}
    return PlanOverview(
        event=event,
        plan=current_plan(event),
        names=names,
        attending=coming(participants),
        waiting=[p for p in participants if p.rsvp == "invited"],
        declined=[p for p in participants if p.rsvp in ("no", "absent") or p.dropped_from_round is not None],
        next_round=timeline(event).next_round(now()),
        briefing_read=induction.completed_user_ids(session, induction.Scope.event(event.id)),
    )


def swap_people(
    db: Database, event_id: int, first: str, second: str, from_round: int | None, *, by: str, admin: bool
) -> tuple[PlanOverview, PlanChange | None]:
    """The lead swaps two mentors (or two mentees) from a round on; errors name the form fields."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        participants = event_participants(session, event_id)
        if event.status == "draft":
            refresh_draft_plan(session, event, participants)
        plan = current_plan(event)
        if plan is None:
            raise FieldErrors.on("first", "speed_events.no_plan_yet")
        earliest = 1 if event.status == "draft" else timeline(event).next_round(now())
        if earliest is None:
            raise FieldErrors.on("from_round", "speed_events.every_round_started")
        start = from_round or earliest
        if start < earliest:
            raise FieldErrors.on("from_round", "speed_events.round_started", round=start, earliest=earliest)
        if start > event.rounds:
            raise FieldErrors.on("from_round", "speed_events.no_such_round", rounds=event.rounds)
        names = {p.user_id: p.real_name or p.user_id for p in participants}
        result = adjust_swap(plan, first, second, from_round=start)
        if isinstance(result, list):
            problems = _readable("; ".join(result), names)
            raise FieldErrors.on("second", "speed_events.swap_breaks_rules", problems=problems)
        change = None
        if event.status == "published":
            change = _apply_published(session, event, plan, result, start, participants, reason="swap", person=None)
        else:
            event.plan = plan_to_json(result)
        session.flush()
        return _overview(session, event, participants), change


def publish(db: Database, event_id: int, *, by: str, admin: bool, min_group: int = DEFAULT_MIN_GROUP) -> PlanOverview:
    """Publish the plan: everyone coming gets their rounds now and their timed messages later."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        if event.status == "published":
            raise NotAllowed("speed_events.already_published")
        if event.status != "draft":
            raise NotAllowed("speed_events.publish_called_off")
        if timeline(event).round_start(1) <= now():
            raise NotAllowed("speed_events.publish_too_late")
        participants = event_participants(session, event_id)
        refresh_draft_plan(session, event, participants)
        plan = current_plan(event)
        if plan is None or not plan.meetings():
            raise NotAllowed("speed_events.nobody_to_place")
        event.status = "published"
        event.published_at = now()
        event.plan_version = 1
        for participant in coming(participants):
            _schedule_person(session, event, participant)
            _enqueue_schedule(session, event, participant.user_id)
        for lead in event.leads:
            outbox.enqueue(
                session,
                kind=SUMMARY_KIND,
                key=f"speed:{event.id}:summary:{lead.user_id}",
                send_at=timeline(event).ends_at + SUMMARY_AFTER,
                recipient_user_id=lead.user_id,
                topic=event_topic(event.id),
                payload={"event_id": event.id, "min_group": min_group},
            )
        session.flush()
        return _overview(session, event, participants)


def _enqueue_schedule(
    session: Session, event: SpeedEvent, user_id: str, *, changed: bool = False, from_round: int = 1
) -> None:
    outbox.enqueue(
        session,
        kind=SCHEDULE_KIND,
        key=f"speed:{event.id}:v{event.plan_version}:schedule:{user_id}",
        recipient_user_id=user_id,
        topic=event_topic(event.id),
        payload={"event_id": event.id, "version": event.plan_version, "changed": changed, "from_round": from_round},
    )


def _schedule_person(session: Session, event: SpeedEvent, participant: SpeedEventParticipant) -> None:
    """Every timed message for one attendee that is still ahead (idempotent: keys per generation)."""
    times = timeline(event)
    at = now()
    base = f"speed:{event.id}:{participant.user_id}:g{participant.generation}"

    def add(kind: str, what: str, when: datetime, **payload: Any) -> None:
        if when < at - timedelta(seconds=1):
            return
        outbox.enqueue(
            session,
            kind=kind,
            key=f"{base}:{what}",
            send_at=when,
            recipient_user_id=participant.user_id,
            topic=event_topic(event.id),
            payload={"event_id": event.id, "generation": participant.generation, **payload},
        )

    if at < times.starts_at:
        add(BRIEFING_KIND, "briefing", max(at, times.starts_at - BRIEFING_REMINDER_BEFORE))
    for round_number in range(1, event.rounds + 1):
        add(ROUND_START_KIND, f"round:{round_number}", times.round_start(round_number), round=round_number)
        if event.round_minutes > WRAP_UP_MINUTES:
            add(WRAP_UP_KIND, f"wrap:{round_number}", times.wrap_up(round_number), round=round_number)
        if round_number < event.rounds:
            add(SWAP_KIND, f"swap:{round_number}", times.round_end(round_number), round=round_number)
    add(FEEDBACK_KIND, "feedback", times.ends_at)


def replan_published(session: Session, event: SpeedEvent, *, reason: str, person: str | None) -> PlanChange:
    """Re-plan the rounds of a published event that have not started, with whoever is coming now."""
    participants = event_participants(session, event.id)
    plan = current_plan(event)
    from_round = timeline(event).next_round(now())
    if plan is None or from_round is None:
        return PlanChange(from_round=None, dropped=[person] if person and reason != "joined" else [])
    attending = coming(participants)
    attendees = as_attendees(attending)
    current_ids = {a.person_id for a in attendees}
    # People coming back after leaving are expected again.
    returning = {p for p in plan.dropped if p in current_ids}
    if returning:
        plan = replace(plan, dropped={p: r for p, r in plan.dropped.items() if p not in returning})
    dropped = {a.person_id for a in plan.attendees} - current_ids
    new_plan = replan_after_dropouts(plan, attendees, dropped, event.rounds, from_round)
    return _apply_published(session, event, plan, new_plan, from_round, participants, reason=reason, person=person)


def _signature(plan: RotationPlan, person_id: str, from_round: int) -> tuple[Any, ...]:
    meetings = tuple(
        (m.round, tuple(sorted(m.mentor_ids)), tuple(sorted(m.mentee_ids)))
        for m in plan.meetings_for(person_id)
        if m.round >= from_round
    )
    entry = plan.unplaced_for(person_id)
    out = tuple(r for r in entry.rounds if r >= from_round) if entry else ()
    return meetings, out


def _apply_published(
    session: Session,
    event: SpeedEvent,
    old: RotationPlan,
    new: RotationPlan,
    from_round: int,
    participants: list[SpeedEventParticipant],
    *,
    reason: str,
    person: str | None,
) -> PlanChange:
    event.plan = plan_to_json(new)
    event.plan_version += 1
    change = PlanChange(from_round=from_round)
    old_ids = {a.person_id for a in old.attendees if a.person_id not in old.dropped}
    attending = coming(participants)
    for participant in attending:
        user_id = participant.user_id
        if user_id not in old_ids:
            # Timed messages do not depend on the plan (they are rendered from it when due), so
            # only a newcomer needs rows; everyone else keeps theirs.
            _schedule_person(session, event, participant)
            change.joined.append(user_id)
            _enqueue_schedule(session, event, user_id, from_round=from_round)
        elif _signature(old, user_id, from_round) != _signature(new, user_id, from_round):
            change.notified.append(user_id)
            _enqueue_schedule(session, event, user_id, changed=True, from_round=from_round)
    change.dropped = sorted(old_ids - {p.user_id for p in attending})
    for lead in event.leads:
        outbox.enqueue(
            session,
            kind=LEAD_UPDATE_KIND,
            key=f"speed:{event.id}:v{event.plan_version}:lead:{lead.user_id}",
            recipient_user_id=lead.user_id,
            topic=event_topic(event.id),
            payload={
                "event_id": event.id,
                "version": event.plan_version,
                "reason": reason,
                "person": person,
                "from_round": from_round,
                "notified": len(change.notified),
                "joined": change.joined,
                "dropped": change.dropped,
            },
        )
    return change


def _readable(text: str, names: Mapping[str, str]) -> str:
    """The planner's texts name people by id; show names instead."""
    for person_id in sorted(names, key=len, reverse=True):
        text = text.replace(person_id, names[person_id])
    return text


def readable_summary(plan: RotationPlan, names: Mapping[str, str]) -> str:
    return _readable(plan.summary(names), names)
