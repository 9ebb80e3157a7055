"""A slow or replayed submission makes one record: the concern form under a held lock, and replays.

Another process holds a write lock (SQLite) or a table lock (PostgreSQL) while a mentor sends a
concern. The app must answer inside Slack's 3 seconds with "not saved yet" and keep the form and the
words; once the lock is gone, sending again saves exactly one concern, with one receipt and one
alert per lead. Replaying the same signed submission makes nothing new either.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local_slack import LocalSlack, Person
from bot.models import Concern, OutboxMessage, Submission
from tests.factory import build_world, replay_submission

DETAILS = "What would you like the programme lead to know?"

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import create_engine, text
    url, seconds = sys.argv[1], float(sys.argv[2])
    engine = create_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock: no one else may write
        else:
            connection.execute(text("BEGIN"))
            connection.execute(text("LOCK TABLE concerns IN ACCESS EXCLUSIVE MODE"))
        print("locked", flush=True)
        time.sleep(seconds)
        connection.rollback()
    """
)


def hold_lock(db: Database, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, db.url, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        concerns = session.scalar(select(func.count()).select_from(Concern)) or 0
        receipts = session.scalar(select(func.count()).where(OutboxMessage.kind == "concern_receipt")) or 0
        alerts = session.scalar(select(func.count()).where(OutboxMessage.kind == "concern_alert")) or 0
        return int(concerns), int(receipts), int(alerts)


def open_concern_form(person: Person, details: str) -> None:
    person.command("/mentoring", "concern")
    assert person.modal is not None and person.modal["callback_id"] == "concern_form"
    person.fill({DETAILS: details, "How soon do you need a response?": "This week"})


@pytest.mark.parametrize("lock_seconds", [8, 35])
def test_a_held_lock_gets_not_saved_yet_in_time_and_one_concern_after(
    slack: LocalSlack, db: Database, lock_seconds: int
) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    open_concern_form(amara, "The sessions keep moving and I feel brushed off")
    holder = hold_lock(db, lock_seconds)
    try:
        first = amara.submit()
        # Bolt got an answer from the listener in time (it gives up at 3 s and answers 404).
        assert first.ok, (first.status, first.body)
        assert "Not saved yet" in amara.errors_by_label()[DETAILS]
        assert amara.modal is not None and amara.modal["callback_id"] == "concern_form", "the form stays open"
        if lock_seconds > 8:  # a long lock: pressing Send again while it lasts is refused just as kindly
            again = amara.submit()
            assert again.ok and "Not saved yet" in amara.errors_by_label()[DETAILS]
    finally:
        holder.terminate()  # a lock that lasts longer than the test needs is let go here
        holder.wait(timeout=60)
    assert counts(db) == (0, 0, 0), "nothing is half-saved"
    assert amara.submit().ok and not amara.last_errors, "the same form, sent again, goes through"
    with db.session() as session:
        [concern] = session.scalars(select(Concern)).all()
        assert concern.details == "The sessions keep moving and I feel brushed off", "the words were kept"
    assert counts(db) == (1, 1, 1), "one concern, one receipt, one alert for the lead (the backup is the second line)"


def test_a_replayed_or_doubled_submission_makes_one_concern(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    open_concern_form(amara, "Please keep this between us")
    assert amara.modal is not None
    view = dict(amara.modal)
    assert amara.submit().ok
    replay_submission(amara, view)  # the same view again: a double click, or Slack's retry
    replay_submission(amara, view)
    slack.deliver()
    assert counts(db) == (1, 1, 1)
    with db.session() as session:
        [receipt] = session.scalars(select(Submission)).all()
        assert receipt.kind == "concern"
    receipts = [seen for seen in amara.dms() if "your concern has gone" in seen.text.lower()]
    assert len(receipts) == 1, [seen.text for seen in receipts]
