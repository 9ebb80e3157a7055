"""Database models (SQLAlchemy 2, typed). Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, MetaData, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.clock import now
from bot.crypto import EncryptedText

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class ProcessedEvent(Base):
    """Slack delivers events at least once: an event_id seen here is not processed again."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=now)


class Programme(Base):
    """A reverse mentoring programme, run by one or more independent programme leads."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    cross_organisation: Mapped[bool] = mapped_column(default=False)
    cadence_min_days: Mapped[int] = mapped_column(default=21)
    cadence_max_days: Mapped[int] = mapped_column(default=28)
    session_minutes: Mapped[int] = mapped_column(default=60)
    planned_sessions: Mapped[int | None] = mapped_column(default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    alerts_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    support_resources: Mapped[str] = mapped_column(Text, default="")
    enrolment_open: Mapped[bool] = mapped_column(default=True)
    retention_days: Mapped[int] = mapped_column(default=90)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    leads: Mapped[list[ProgrammeLead]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", lazy="selectin"
    )


class ProgrammeLead(Base):
    __tablename__ = "programme_leads"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    is_backup: Mapped[bool] = mapped_column(default=False)

    programme: Mapped[Programme] = relationship(back_populates="leads")


class Enrolment(Base):
    """One person's place in one programme, as a mentor (junior) or a mentee (senior)."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting | matched | left
    real_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(150))
    department: Mapped[str] = mapped_column(String(150))
    title: Mapped[str] = mapped_column(String(150), default="")
    line_manager_id: Mapped[str | None] = mapped_column(String(32), default=None)
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    can_bring: Mapped[str] = mapped_column(Text, default="")
    hope_to_get: Mapped[str] = mapped_column(Text, default="")
    # Private to the person (and their partner after matching): encrypted at rest.
    off_limits: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    inclusion_statement: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    understanding_gap: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    do_not_pair_with: Mapped[str | None] = mapped_column(EncryptedText, default=None)  # JSON list of ids
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    work_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    # None until the person confirms the privacy notice (people loaded from a CSV confirm later).
    privacy_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    programme: Mapped[Programme] = relationship()


class MatchRule(Base):
    """A lead's pinned (always pair) or forbidden (never pair) mentor-mentee pair."""

    __tablename__ = "match_rules"
    __table_args__ = (UniqueConstraint("programme_id", "mentor_user_id", "mentee_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentor_user_id: Mapped[str] = mapped_column(String(32))
    mentee_user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # pin | forbid
    created_by: Mapped[str] = mapped_column(String(32))


class ProposedPair(Base):
    """The lead's current proposal: replaced on each run, turned into pairs on approval."""

    __tablename__ = "proposed_pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentor_user_id: Mapped[str] = mapped_column(String(32))
    mentee_user_id: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class Pair(Base):
    """A matched mentor and mentee, approved by the programme lead."""

    __tablename__ = "pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentor_user_id: Mapped[str] = mapped_column(String(32), index=True)
    mentee_user_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | paused | ended | declined
    score: Mapped[float] = mapped_column(default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    approved_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    group_dm_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)

    programme: Mapped[Programme] = relationship()


class WaitingNote(Base):
    """Why a person is not in the current proposal, for the lead (never shown to the person)."""

    __tablename__ = "waiting_notes"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class OutboxMessage(Base):
    """A message to send at a time: the database is the source of truth for every timed message.

    ``payload`` holds ids and plain parameters only, never sensitive text: the message is rendered
    from the database when it is sent, so a cancelled session or a paused pair sends nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency: one row per key, ever
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipient_user_id: Mapped[str | None] = mapped_column(String(32), default=None)  # a private DM
    channel_id: Mapped[str | None] = mapped_column(String(32), default=None)  # or a conversation
    programme_id: Mapped[int | None] = mapped_column(default=None, index=True)
    pair_id: Mapped[int | None] = mapped_column(default=None, index=True)
    topic: Mapped[str | None] = mapped_column(String(80), default=None, index=True)  # e.g. "session:12"
    send_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending sending sent failed skipped cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    leased_by: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    slack_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
