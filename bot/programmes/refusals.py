""""No thanks" to an invitation: recorded (who, which programme, when), never chased, never undone.

A later ``/mentoring invite`` or CSV import skips the person and says so to whoever ran it. A
person who said no can still join of their own accord with ``/mentoring join``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import now
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.models import Enrolment, InvitationRefusal, OutboxMessage, Programme

INVITATION_KINDS = ("import_invitation",)


def refused_in(session: Session, programme_id: int, user_ids: Iterable[str]) -> set[str]:
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(InvitationRefusal.user_id).where(
                InvitationRefusal.programme_id == programme_id, InvitationRefusal.user_id.in_(ids)
            )
        )
    )


def refused(db: Database, programme_id: int, user_ids: Iterable[str]) -> set[str]:
    with db.session() as session:
        return refused_in(session, programme_id, user_ids)


def say_no_thanks(db: Database, programme_id: int, user_id: str) -> Programme:
    """Record the refusal (once). An imported place the person never confirmed is removed with it."""
    with db.session() as session:
        programme = session.get(Programme, programme_id)
        if programme is None:
            raise NotFound("programmes.not_found")
        enrolment = session.scalar(
            select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
        )
        if enrolment is not None and enrolment.status != "left" and enrolment.privacy_confirmed_at is not None:
            raise NotAllowed("refusals.already_taking_part", programme=programme.name)
        if enrolment is not None and enrolment.privacy_confirmed_at is None:
            session.delete(enrolment)  # loaded from a CSV, never agreed to: nothing of it is kept
        if not refused_in(session, programme_id, [user_id]):
            session.add(InvitationRefusal(programme_id=programme_id, user_id=user_id, refused_at=now()))
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.programme_id == programme_id,
                OutboxMessage.recipient_user_id == user_id,
                OutboxMessage.kind.in_(INVITATION_KINDS),
                OutboxMessage.status == "pending",
            )
            .values(status="cancelled", last_error="the person said no thanks")
        )
        return programme
