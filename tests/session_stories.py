"""Pairs ready to schedule, made straight in the database (matching is tested elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.emulator.server import message_text
from bot.local_slack import LocalSlack, Person
from bot.models import Enrolment, MentoringSession, OutboxMessage, Pair, Programme, ProgrammeLead


@dataclass
class PairWorld:
    programme_id: int
    pair_id: int
    mentor: Person
    mentee: Person
    lead: Person

    @property
    def group(self) -> tuple[str, str]:
        return (self.mentor.user_id, self.mentee.user_id)


def hhmm(value: str) -> time:
    return time.fromisoformat(value)


def make_pair(
    slack: LocalSlack,
    db: Database,
    *,
    mentor: tuple[str, str, str, str] = ("amara", "Europe/London", "09:00", "17:00"),
    mentee: tuple[str, str, str, str] = ("diana", "Europe/London", "09:00", "17:00"),
    lead_name: str = "lena",
    programme: str = "Inclusive Leadership",
    **programme_settings: Any,
) -> PairWorld:
    """A programme with a lead, and an approved pair: (name, tz, work start, work end) per person."""
    lead = slack.person(lead_name)
    people = {}
    for role, (name, tz, _, _) in (("mentor", mentor), ("mentee", mentee)):
        people[role] = slack.person(name, tz=tz)
    with db.session() as session:
        prog = Programme(name=programme, created_by=lead.user_id, **programme_settings)
        session.add(prog)
        session.flush()
        session.add(ProgrammeLead(programme_id=prog.id, user_id=lead.user_id))
        for role, (name, tz, start, end) in (("mentor", mentor), ("mentee", mentee)):
            session.add(
                Enrolment(
                    programme_id=prog.id,
                    user_id=people[role].user_id,
                    role=role,
                    status="matched",
                    real_name=name.title(),
                    organisation="Acme" if role == "mentor" else "Globex",
                    department="Finance",
                    tz=tz,
                    work_start=hhmm(start),
                    work_end=hhmm(end),
                    work_days=[0, 1, 2, 3, 4],
                    inclusion_statement="x" if role == "mentee" else None,
                    understanding_gap="y" if role == "mentee" else None,
                )
            )
        pair = Pair(
            programme_id=prog.id,
            mentor_user_id=people["mentor"].user_id,
            mentee_user_id=people["mentee"].user_id,
            approved_by=lead.user_id,
        )
        session.add(pair)
        session.flush()
        return PairWorld(prog.id, pair.id, people["mentor"], people["mentee"], lead)


def sessions_of(db: Database, pair_id: int) -> list[MentoringSession]:
    with db.session() as session:
        return list(
            session.scalars(
                select(MentoringSession).where(MentoringSession.pair_id == pair_id).order_by(MentoringSession.id)
            )
        )


def outbox_rows(db: Database, **filters: Any) -> list[OutboxMessage]:
    with db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.send_at, OutboxMessage.id)
        for name, value in filters.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


def group_messages(slack: LocalSlack, world: PairWorld) -> list[str]:
    channel = slack.emulator.group_dm(*world.group)
    if channel is None:
        return []
    return [text for m in slack.emulator.messages_in(channel) if (text := message_text(m))]


def private_texts(person: Person) -> list[str]:
    return [seen.text for seen in person.dms()]
