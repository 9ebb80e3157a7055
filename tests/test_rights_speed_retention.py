"""Speed-event answers follow the retention rule: deleted once the event is over by its retention period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import Text, cast, func, select

from bot import crypto
from bot.closeout import service as closeout
from bot.db import Database
from bot.models import DataDeletion, DataKey, SpeedEvent, SpeedEventFeedback, SpeedEventParticipant
from bot.speed_events.records import timeline

STARTS = datetime(2027, 3, 1, 10, tzinfo=UTC)


def make_event(db: Database) -> int:
    with db.session() as session:
        event = SpeedEvent(name="Speed", starts_at=STARTS, created_by="ULENA", rounds=2, round_minutes=30)
        session.add(event)
        session.flush()
        session.add(
            SpeedEventParticipant(
                event_id=event.id,
                user_id="UDIANA",
                role="mentee",
                rsvp="yes",
                inclusion_statement="DIANA-INCLUSION-MARKER",
                understanding_gap="DIANA-GAP-MARKER",
            )
        )
        session.add(
            SpeedEventFeedback(
                event_id=event.id,
                user_id="UDIANA",
                role="mentee",
                usefulness=4,
                recommend="yes",
                start_programme="maybe",
                learned="LEARNED-MARKER",
                action="ACTION-MARKER",
            )
        )
        return event.id


def stored_text(db: Database) -> list[str | None]:
    with db.session() as session:
        participant = session.scalars(select(SpeedEventParticipant)).one()
        feedback = session.scalars(select(SpeedEventFeedback)).one()
        return [participant.inclusion_statement, participant.understanding_gap, feedback.learned, feedback.action]


def test_speed_event_answers_are_deleted_after_the_retention_period(db: Database) -> None:
    event_id = make_event(db)
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        assert event is not None
        ends = timeline(event).ends_at
    assert ends > STARTS + timedelta(minutes=75)  # briefing and two rounds
    assert closeout.purge_speed_event_text(db, at=ends + timedelta(days=89)) == []
    assert stored_text(db) == ["DIANA-INCLUSION-MARKER", "DIANA-GAP-MARKER", "LEARNED-MARKER", "ACTION-MARKER"]
    with db.session() as session:  # what a backup taken now would hold: tokens under Diana's event key
        old_copies = session.scalars(select(cast(SpeedEventFeedback.__table__.c.learned, Text))).all()
        assert old_copies and all(t.startswith(crypto.PERSONAL_PREFIX) for t in old_copies)
        assert session.scalar(select(func.count()).select_from(DataKey)) == 1

    with freeze_time(ends + timedelta(days=90, minutes=1)):
        closeout.run_periodic_jobs(db)  # the worker's housekeeping job
    assert stored_text(db) == [None, None, "", None]
    with db.session() as session:
        # The RSVP and the rating stay for the event's totals; the ciphertext of the answers is gone.
        assert session.scalar(select(SpeedEventParticipant.rsvp)) == "yes"
        assert session.scalar(select(SpeedEventFeedback.usefulness)) == 4
        tokens = session.scalars(select(cast(SpeedEventFeedback.__table__.c.learned, Text))).all()
        assert all(len(token) < 120 for token in tokens)  # a token of the empty string only
        record = session.scalars(select(DataDeletion).where(DataDeletion.scope == "speed_event")).one()
        assert record.counts == {
            "speed_event_participants.inclusion_statement": 1,
            "speed_event_participants.understanding_gap": 1,
            "speed_event_feedback.learned": 1,
            "speed_event_feedback.action": 1,
            "data_keys": 1,
        }
        # The event's data keys are destroyed: the old copies can no longer be decrypted.
        assert session.scalar(select(func.count()).select_from(DataKey)) == 0
        assert [crypto.decrypt_personal(token) for token in old_copies] == [""]
        event = session.get(SpeedEvent, event_id)
        assert event is not None and event.text_purged_at is not None
    assert closeout.purge_speed_event_text(db, at=ends + timedelta(days=200)) == []  # once
