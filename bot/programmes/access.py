"""Who can do what: admins create programmes and appoint leads; leads run their programmes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import encryptor
from bot.errors import NotAllowed
from bot.models import DeletedParticipant, ProgrammeLead

LEAD_ONLY = "Only this programme's leads can do that."
"""The words of ``programmes.lead_only``, for handlers that still show them as text (a test keeps
the two the same)."""


def is_admin(user_id: str, *, workspace_admin: bool, configured_admins: Collection[str]) -> bool:
    """Slack workspace admins and owners, and anyone in the ADMINS setting."""
    return workspace_admin or user_id in configured_admins


def is_lead(session: Session, programme_id: int, user_id: str) -> bool:
    return (
        session.scalar(
            select(ProgrammeLead.id).where(ProgrammeLead.programme_id == programme_id, ProgrammeLead.user_id == user_id)
        )
        is not None
    )


def require_lead(session: Session, programme_id: int, user_id: str, *, admin: bool = False) -> None:
    """Leads (and admins, who appoint them) may act on a programme; everyone else is refused."""
    if not (admin or is_lead(session, programme_id, user_id)):
        raise NotAllowed("programmes.lead_only")



def led_programme_ids(session: Session, user_id: str) -> list[int]:
    return list(session.scalars(select(ProgrammeLead.programme_id).where(ProgrammeLead.user_id == user_id)))


def asked_for_deletion(session: Session, programme_id: int, user_id: str) -> bool:
    """Whether this person asked for their data to be deleted from the programme (recognised by a keyed hash)."""
    digests = encryptor().subject_digests(user_id)
    return (
        session.scalar(
            select(DeletedParticipant.id).where(
                DeletedParticipant.programme_id == programme_id, DeletedParticipant.subject.in_(digests)
            )
        )
        is not None
    )
