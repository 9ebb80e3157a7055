"""Database models (SQLAlchemy 2, typed). Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
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


class Submission(Base):
    """A form submission that created something: a replay of the same view finds it here instead.

    ``key`` names the submitted view (its callback and Slack's view id); ``result_id`` is what it made.
    """

    __tablename__ = "submissions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    result_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)


class DataKey(Base):
    """A per-person data key, wrapped (encrypted) by the app key: see :mod:`bot.data_keys`.

    ``scope`` is what the key covers (``programme:<id>`` or ``event:<id>``); ``subject`` is a keyed
    hash of the person's Slack id, or ``pair:<id>`` for text two people share (a contract). Deleting
    the row makes every token made with the key unreadable, wherever a copy of it survives.
    """

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("scope", "subject"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=now)


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
    # Working days (in the mentor's own calendar) a mentor has to accept or decline a proposed match.
    consent_days: Mapped[int] = mapped_column(default=3, server_default="3")
    # Matching leaves out anyone who has not completed the induction for their role (issue 15).
    require_induction: Mapped[bool] = mapped_column(default=False, server_default=false())
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


class MatchOffer(Base):
    """A match the lead approved, offered privately to the mentor (the junior person) first.

    The mentee hears nothing until the mentor accepts: only then is a :class:`Pair` made and the
    introduction scheduled. A decline or a lapse leaves no trace the mentee can see; it becomes a
    private "not this pair" rule (a forbid :class:`MatchRule` created by ``consent``).
    """

    __tablename__ = "match_offers"
    __table_args__ = (Index("ix_match_offers_status_mentor", "status", "mentor_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentor_user_id: Mapped[str] = mapped_column(String(32))
    mentee_user_id: Mapped[str] = mapped_column(String(32), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    approved_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending accepted declined lapsed withdrawn
    offered_at: Mapped[datetime] = mapped_column(default=now)  # when the mentor is shown it
    deadline_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)


class InvitationRefusal(Base):
    """A person said "No thanks" to a programme's invitation: never chased, never re-invited or imported."""

    __tablename__ = "invitation_refusals"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    refused_at: Mapped[datetime] = mapped_column(default=now)


class ParticipationPause(Base):
    """A break from the programme: taken by a person (no reason needed) or by a lead for a pair.

    ``ends_at`` None: until resumed. While one is open (``ended_at`` None) the pair's status is
    "paused", so every timed message for the pair is skipped when it comes due.
    """

    __tablename__ = "participation_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), default=None, index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)  # whose pause (for a lead's: the lead)
    by_lead: Mapped[bool] = mapped_column(default=False)
    weeks: Mapped[int | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(default=now)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


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
    # How many times Slack answered this row with a rate limit (those do not use an attempt).
    rate_limited: Mapped[int] = mapped_column(default=0, server_default="0")


class ConversationPacing(Base):
    """Slack's posting limit, shared by every dispatcher process: one token bucket per conversation.

    ``key`` is a digest of the conversation (``dm:U…``, ``channel:C…``, ``pair:12``), so the table
    holds no Slack ids; a row idle long enough to be full again is deleted (a missing row is a full
    bucket). ``reserved_until`` is the first turn no waiting row holds yet (see bot/outbox/pacing.py).
    Times are epoch seconds on the app's clock, so one portable UPDATE refills and spends a token.
    """

    __tablename__ = "conversation_pacing"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column()
    refilled_at: Mapped[float] = mapped_column()
    reserved_until: Mapped[float] = mapped_column()


# ---------------------------------------------------------------------------------------------
# Sessions and scheduling (issue 5). Owned by the sessions feature: bot/sessions/service.py.


class MentoringSession(Base):
    """One meeting of a pair, numbered along the programme's roadmap (1, 2, ...).

    Times are UTC. ``ics_uid`` stays the same for the life of the session so calendar updates and
    cancellations replace the same event; ``ics_sequence`` goes up with every change.
    The did-you-meet answers are private to each person: they are never shown to the partner.
    """

    __tablename__ = "mentoring_sessions"
    __table_args__ = (Index("ix_mentoring_sessions_pair_starts", "pair_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="booked")  # proposed booked held missed cancelled
    ics_uid: Mapped[str] = mapped_column(String(120), unique=True)
    ics_sequence: Mapped[int] = mapped_column(default=0)
    booked_by: Mapped[str] = mapped_column(String(32))
    # Private answers to "Did you meet?": yes | moved | no (None: not answered).
    mentor_answer: Mapped[str | None] = mapped_column(String(8), default=None)
    mentee_answer: Mapped[str | None] = mapped_column(String(8), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class PairSchedule(Base):
    """A pair's scheduling health, for nudges and the lead's dashboard (at risk, and why)."""

    __tablename__ = "pair_schedules"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    window_starts: Mapped[datetime] = mapped_column()
    window_ends: Mapped[datetime] = mapped_column()
    at_risk: Mapped[bool] = mapped_column(default=False, index=True)
    at_risk_reason: Mapped[str | None] = mapped_column(String(40), default=None)  # no_session | missed_twice
    at_risk_since: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


# ---------------------------------------------------------------------------------------------
# The pair's journey (issue 4): icebreakers seen, the contract, agendas.
# Owned by the pair-journey feature: bot/journey/service.py.


class PairIcebreaker(Base):
    """An icebreaker a pair has been shown: a pair never gets the same question twice."""

    __tablename__ = "pair_icebreakers"
    __table_args__ = (UniqueConstraint("pair_id", "icebreaker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    icebreaker_id: Mapped[str] = mapped_column(String(64))
    asked_by: Mapped[str] = mapped_column(String(32))
    shown_at: Mapped[datetime] = mapped_column(default=now)


class PairContract(Base):
    """A pair's mentoring contract. It counts once both people agree to its current version.

    ``terms`` (a JSON object: contract prompt id -> the pair's answer) is encrypted at rest and is
    shown only to the two of them; the lead may see only that it exists and when it was agreed.
    """

    __tablename__ = "pair_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), unique=True)
    terms: Mapped[str] = mapped_column(EncryptedText)
    version: Mapped[int] = mapped_column(default=1)  # goes up with every change to the terms
    updated_by: Mapped[str] = mapped_column(String(32))
    mentor_agreed_version: Mapped[int | None] = mapped_column(default=None)
    mentee_agreed_version: Mapped[int | None] = mapped_column(default=None)
    agreed_at: Mapped[datetime | None] = mapped_column(default=None)  # both agreed the current version
    first_agreed_at: Mapped[datetime | None] = mapped_column(default=None)
    pinned_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    pinned_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Agenda(Base):
    """The agenda for one session of a pair: the mentee sets it, the mentor adds to it."""

    __tablename__ = "agendas"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    # No foreign key: the sessions table comes from a later migration. None: "the next session".
    session_id: Mapped[int | None] = mapped_column(default=None, index=True)
    created_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32), default=None)  # where it is posted
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="agenda", cascade="all, delete-orphan", lazy="selectin", order_by="AgendaItem.id"
    )


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agendas.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(EncryptedText)  # what a pair plans to discuss can be personal
    created_at: Mapped[datetime] = mapped_column(default=now)

    agenda: Mapped[Agenda] = relationship(back_populates="items")


# ---------------------------------------------------------------------------------------------
# Dashboards, impact surveys, close-out and data rights (issue 7).
# Owned by bot/impact, bot/closeout and bot/home.


class SurveyResponse(Base):
    """One person's answers to one impact survey (baseline, midpoint or end) in one programme.

    Answers are 1-5 per question id (ids are stable across baseline and end). They are shown to
    leads only as aggregates over groups of at least ``MIN_GROUP_SIZE`` respondents; the optional
    comment is encrypted at rest and shown only when its group is large enough.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("programme_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    kind: Mapped[str] = mapped_column(String(10))  # baseline | midpoint | end
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    submitted_at: Mapped[datetime] = mapped_column(default=now)
    # In the figures released to leads (see ImpactRelease); a changed answer is new again.
    released: Mapped[bool] = mapped_column(default=False)


class ImpactRelease(Base):
    """The survey figures last released to leads for one group (survey kind and role).

    A group's figures change only when at least ``MIN_GROUP_SIZE`` new or changed answers have
    arrived since its last release, so no difference between two reports isolates one person.
    ``figures`` maps a question id to ``[answers, total]``; comments are released with their batch
    (:attr:`SurveyResponse.released`) and are never copied here.
    """

    __tablename__ = "impact_releases"
    __table_args__ = (UniqueConstraint("programme_id", "kind", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # baseline | midpoint | end
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    respondents: Mapped[int] = mapped_column(default=0)
    figures: Mapped[dict[str, list[float]]] = mapped_column(JSON, default=dict)
    released_at: Mapped[datetime] = mapped_column(default=now)


class ProgrammeCloseout(Base):
    """How and when a programme was closed, where mentors may be thanked, and when its text was purged."""

    __tablename__ = "programme_closeouts"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    closed_by: Mapped[str] = mapped_column(String(32))  # a lead's user id, or "end_date"
    closed_at: Mapped[datetime] = mapped_column(default=now)
    recognition_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    text_purged_at: Mapped[datetime | None] = mapped_column(default=None)


class RecognitionConsent(Base):
    """A mentor's answer to "may we thank you by name in the programme's channel?" (None: not yet)."""

    __tablename__ = "recognition_consents"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentor_user_id: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(String(8), default=None)  # yes | no
    asked_at: Mapped[datetime] = mapped_column(default=now)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)


class DataDeletion(Base):
    """A record that data was deleted: what kind and how much, never whose or what it said."""

    __tablename__ = "data_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(default=None, index=True)
    scope: Mapped[str] = mapped_column(String(16))  # retention | person
    role: Mapped[str | None] = mapped_column(String(8), default=None)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[datetime] = mapped_column(default=now)


class DeletedParticipant(Base):
    """Someone who asked for their data to be deleted from a programme: an import never adds them back.

    ``subject`` is a keyed hash of their Slack id (:meth:`bot.crypto.Encryptor.subject_digests`),
    never the id itself. Only the person, by joining again themselves, takes part again.
    """

    __tablename__ = "deleted_participants"
    __table_args__ = (UniqueConstraint("programme_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime] = mapped_column(default=now)


# ---------------------------------------------------------------------------------------------
# Private reflections and concerns (issue 6).
# Owned by bot/reflections and bot/concerns.


class Reflection(Base):
    """One person's private reflection on one held session.

    The text is encrypted at rest and shown only to its author; ``share_takeaways`` (off unless the
    author ticks it) sends the key takeaways, and only them, to the partner. Ratings reach a lead
    only as aggregates over at least five people.
    """

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("session_id", "author_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("mentoring_sessions.id", ondelete="CASCADE"))
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    takeaways: Mapped[str] = mapped_column(EncryptedText)
    do_differently: Mapped[str] = mapped_column(EncryptedText)
    explore_next: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    safety: Mapped[int | None] = mapped_column(default=None)  # 1-5
    usefulness: Mapped[int | None] = mapped_column(default=None)  # 1-5
    share_takeaways: Mapped[bool] = mapped_column(default=False)
    shared_at: Mapped[datetime | None] = mapped_column(default=None)
    # In the rating figures released to leads (see RatingRelease); a changed rating is new again.
    ratings_released: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class RatingRelease(Base):
    """The reflection-rating figures last released to leads for one role group and question.

    Like survey releases (:class:`ImpactRelease`): a role group's figures change only once at least
    the minimum group size of *different people* have given new or changed ratings since its last
    release, and the overall figure is the sum of the released role groups, so no difference
    between two releases isolates one person. ``distribution`` maps a rating (1-5) to how many
    reflections gave it; ``people`` is how many different people those are.
    """

    __tablename__ = "rating_releases"
    __table_args__ = (UniqueConstraint("programme_id", "role", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    question: Mapped[str] = mapped_column(String(16))  # safety | usefulness
    people: Mapped[int] = mapped_column(default=0)
    distribution: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    released_at: Mapped[datetime] = mapped_column(default=now)


class Concern(Base):
    """A concern raised privately with a programme's independent leads. Never seen by the partner.

    ``reporter_user_id`` is kept (so the reporter hears back) but never shown to a lead when
    ``anonymous``. The details, what would help and the outcome note are encrypted at rest.
    """

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="SET NULL"), default=None)
    reporter_user_id: Mapped[str] = mapped_column(String(32), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[str] = mapped_column(String(12))  # today | this-week | fyi
    details: Mapped[str] = mapped_column(EncryptedText)
    what_would_help: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open acknowledged closed
    outcome_note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[str | None] = mapped_column(String(32), default=None)


class ConcernEvent(Base):
    """The append-only audit trail of a concern: every action, by whom and when.

    Rows are only ever inserted: the database refuses an UPDATE (a trigger on PostgreSQL and
    SQLite), and the ORM refuses updates and deletes (see ``bot.concerns.service``). They go only
    with their concern (retention, a person's deletion request), by the foreign key's cascade.
    ``actor_user_id`` is None for the app itself and for an anonymous reporter.
    """

    __tablename__ = "concern_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=now)
    actor_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)  # a lead's note, encrypted


class AlertAction(Base):
    """What a programme lead did about an alert on a pair (at risk, "did you meet?" answers that
    disagree...): who, what, when, for which pair and which alert.

    ``alert`` is the alert's key, shared by every copy of it (each lead's DM, the leads' channel).
    ``message`` is a check-in's private words to ``addressee_user_id``, encrypted at rest.
    """

    __tablename__ = "alert_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    # A declined or lapsed match never became a pair: its alert's actions name the offer instead.
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_offers.id", ondelete="CASCADE"), index=True, default=None
    )
    alert: Mapped[str] = mapped_column(String(200), index=True)
    alert_kind: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(24))  # check_in | paused | rematched | handled
    actor_user_id: Mapped[str] = mapped_column(String(32))
    addressee_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    message: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    at: Mapped[datetime] = mapped_column(default=now)


# ---------------------------------------------------------------------------------------------
# Reverse speed mentoring events (issue 8).
# Owned by bot/speed_events/ (records, service, plans, feedback); the rotation itself is rotation.py.


class SpeedEvent(Base):
    """A reverse speed mentoring event: timed rounds of mentors (junior) meeting mentees (senior).

    ``plan`` is the current rotation serialised as JSON of Slack user ids, roles, organisations and
    plain-language reasons (never anything a person typed in confidence). ``plan_version`` goes up
    each time a published plan changes.
    """

    __tablename__ = "speed_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    starts_at: Mapped[datetime] = mapped_column()  # UTC: the briefing (or round 1 without one)
    tz: Mapped[str] = mapped_column(String(64), default="UTC")  # the event's own time zone
    round_minutes: Mapped[int] = mapped_column(default=30)
    rounds: Mapped[int] = mapped_column(default=2)
    briefing_minutes: Mapped[int] = mapped_column(default=15)  # 0: no briefing
    location: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | published | cancelled
    seed: Mapped[int] = mapped_column(default=0)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    plan_version: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), default=None
    )  # the long programme created from interested attendees
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    # Attendees' answers (pre-event answers, feedback text) are deleted this long after the event ends.
    retention_days: Mapped[int] = mapped_column(default=90)
    text_purged_at: Mapped[datetime | None] = mapped_column(default=None)

    leads: Mapped[list[SpeedEventLead]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="selectin"
    )


class SpeedEventLead(Base):
    __tablename__ = "speed_event_leads"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("speed_events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)

    event: Mapped[SpeedEvent] = relationship(back_populates="leads")


class SpeedEventParticipant(Base):
    """One invited person: a mentor (junior) or a mentee (senior), their RSVP and pre-event answers.

    ``dropped_from_round`` is the first round a person who dropped out (or was marked absent)
    misses; ``generation`` goes up each time they come back, so their timed messages get new keys.
    """

    __tablename__ = "speed_event_participants"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("speed_events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor | mentee
    rsvp: Mapped[str] = mapped_column(String(8), default="invited")  # invited | yes | no | absent
    organisation: Mapped[str] = mapped_column(String(150), default="")
    real_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(150), default="")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    # Mentees, before the event: private to the person (encrypted at rest, never shown to a lead).
    inclusion_statement: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    understanding_gap: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    dropped_from_round: Mapped[int | None] = mapped_column(default=None)
    generation: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(8), default="slack")  # slack | csv
    invited_at: Mapped[datetime] = mapped_column(default=now)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)


class SpeedEventFeedback(Base):
    """One attendee's private feedback. Leads see only totals over at least five responses."""

    __tablename__ = "speed_event_feedback"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("speed_events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))
    usefulness: Mapped[int] = mapped_column()  # 1-5
    recommend: Mapped[str] = mapped_column(String(8))  # yes | maybe | no
    start_programme: Mapped[str] = mapped_column(String(8))  # yes | maybe | no
    interested: Mapped[bool] = mapped_column(default=False)  # invite me to a long programme
    learned: Mapped[str] = mapped_column(EncryptedText)
    action: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    submitted_at: Mapped[datetime] = mapped_column(default=now)


class InductionStepDone(Base):
    """One step of someone's induction, completed with a click: one row per person, step and scope, ever.

    ``scope`` is ``programme:<id>`` (a mentor's, mentee's or lead's induction) or ``event:<id>``
    (a speed event's briefing); the foreign keys delete the rows with their programme or event.
    """

    __tablename__ = "induction_steps"
    __table_args__ = (UniqueConstraint("scope", "user_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), default=None, index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("speed_events.id", ondelete="CASCADE"), default=None, index=True
    )
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(default=now)


class InductionCompletion(Base):
    """Someone completed every step of their induction (or read every step of an event's briefing)."""

    __tablename__ = "induction_completions"
    __table_args__ = (UniqueConstraint("scope", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), default=None, index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("speed_events.id", ondelete="CASCADE"), default=None, index=True
    )
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[datetime] = mapped_column(default=now)
