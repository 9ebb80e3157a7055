"""The outbox and dispatcher: each due row is sent once, failures lose nothing, leads hear of dead ends."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot import outbox
from bot.clock import as_utc
from bot.db import Database
from bot.local_slack import LocalSlack
from bot.models import OutboxMessage, Programme
from bot.outbox import Kind, Rendered, Skip
from bot.outbox.dispatcher import HISTORY_SCOPES, Dispatcher
from bot.registry import outbox_kinds
from tests.factory import create_programme


def render_note(session: object, row: OutboxMessage, content: object) -> Rendered | Skip:
    if row.payload.get("skip"):
        return Skip("the note was withdrawn")
    time.sleep(float(row.payload.get("slow_to_render", 0)))  # real time: a render that takes a while
    return Rendered(text=str(row.payload["text"]), user_id=row.recipient_user_id)


TEST_KINDS = outbox_kinds(
    {"test_note": Kind(render_note), "test_reminder": Kind(render_note, skip_if_later_than=timedelta(hours=1))}
)


@pytest.fixture(autouse=True)
def test_kinds(request: pytest.FixtureRequest) -> None:
    """The app's kinds plus this module's notes, on the running app when a test has one."""
    if "slack" in request.fixturenames:
        slack = request.getfixturevalue("slack")
        slack.runtime.kinds = slack.dispatcher.kinds = TEST_KINDS


def note(
    db: Database, key: str, user: str, text: str, *, at: object = None, kind: str = "test_note", **extra: object
) -> bool:
    with db.session() as session:
        return outbox.enqueue(
            session,
            kind=kind,
            key=key,
            send_at=at,  # type: ignore[arg-type]
            recipient_user_id=user,
            payload={"text": text, **extra},
            **{k: v for k, v in extra.items() if k in {"programme_id", "topic"}},  # type: ignore[arg-type]
        )


def statuses(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {row.key: row.status for row in session.scalars(select(OutboxMessage))}


def sent_at(db: Database, key: str) -> datetime:
    with db.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        assert row.sent_at is not None
        return as_utc(row.sent_at)


def dm_texts(slack: LocalSlack, user: str) -> list[str]:
    return [seen.text for seen in slack.emulator.seen_by(user) if seen.kind == "im"]


def test_a_key_is_scheduled_once(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    assert note(db, "k1", amara.user_id, "hello")
    assert not note(db, "k1", amara.user_id, "hello again")
    assert slack.deliver() == 1
    assert slack.deliver() == 0
    assert dm_texts(slack, amara.user_id) == ["hello"]


def test_rows_wait_for_their_time(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    with freeze_time("2027-02-01 08:00:00") as clock:
        note(db, "later", amara.user_id, "at nine", at=outbox.now() + timedelta(hours=1))
        assert slack.deliver() == 0
        clock.tick(timedelta(hours=1))
        assert slack.deliver() == 1
    assert dm_texts(slack, amara.user_id) == ["at nine"]


def test_skips_and_overdue_policy_are_recorded(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    with freeze_time("2027-02-01 08:00:00") as clock:
        note(db, "withdrawn", amara.user_id, "x", skip=True)
        note(db, "stale-reminder", amara.user_id, "late reminder", kind="test_reminder")
        note(db, "still-worth-it", amara.user_id, "late note")
        clock.tick(timedelta(hours=5))  # the app was down
        slack.deliver()
    assert statuses(db) == {"withdrawn": "skipped", "stale-reminder": "skipped", "still-worth-it": "sent"}
    assert dm_texts(slack, amara.user_id) == ["late note"]


def test_a_burst_to_one_person_is_paced_to_slacks_limit_without_a_429(slack: LocalSlack, db: Database) -> None:
    """Slack's limits are on in every journey: five notes due at once for one DM go two at once (the
    burst), then one a second, none refused; the story's clock is where it was once they are out."""
    amara = slack.person("amara")
    with freeze_time("2027-02-01 08:00:00"):
        start = outbox.now()
        for index in range(5):
            note(db, f"burst-{index}", amara.user_id, f"note {index}")
        assert slack.deliver() == 5
        assert outbox.now() == start
    assert sorted(dm_texts(slack, amara.user_id)) == [f"note {i}" for i in range(5)]
    assert [call.error for call in slack.emulator.calls_to("chat.postMessage")] == [None] * 5
    offsets = sorted((sent_at(db, f"burst-{i}") - start).total_seconds() for i in range(5))
    assert offsets == [0, 0, 1, 2, 3]


def test_rows_for_one_conversation_arrive_in_their_order(slack: LocalSlack, db: Database) -> None:
    """Conversations are sent in parallel, but one conversation's rows due in the same pass go one
    after another in their order, even when the first takes longer to render (an introduction and a
    nudge due together must not arrive the wrong way round)."""
    amara = slack.person("amara")
    with freeze_time("2027-02-01 08:00:00"):
        note(db, "first", amara.user_id, "first", at=outbox.now() - timedelta(minutes=2), slow_to_render=0.3)
        note(db, "second", amara.user_id, "second", at=outbox.now() - timedelta(minutes=1))
        assert slack.deliver() == 2
    assert dm_texts(slack, amara.user_id) == ["first", "second"]


def test_rate_limits_and_server_errors_lose_nothing(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    with freeze_time("2027-02-01 08:00:00") as clock:
        note(db, "a", amara.user_id, "one")
        slack.emulator.fail_next("chat.postMessage", status=429, retry_after=3)
        assert slack.deliver() == 1  # it waited the three seconds Slack asked for (simulated), then posted
        [refused, posted] = slack.emulator.calls_to("chat.postMessage")
        assert refused.error == "ratelimited" and posted.ok
        assert timedelta(seconds=3) <= sent_at(db, "a") - outbox.now() < timedelta(seconds=4)
        note(db, "b", amara.user_id, "two")
        slack.emulator.fail_next("chat.postMessage", status=503, count=2)
        for _ in range(4):
            slack.deliver()
            clock.tick(timedelta(seconds=30))
    assert dm_texts(slack, amara.user_id) == ["one", "two"]
    with db.session() as session:
        rate_limited = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "a"))
        assert rate_limited is not None and rate_limited.attempts == 1  # a 429 does not use up an attempt


def test_a_deactivated_person_fails_once_and_leads_hear_once(slack: LocalSlack, db: Database) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot")
    gone = slack.person("gone")
    slack.emulator.set_user(gone.user_id, deleted=True)
    with db.session() as session:
        programme_id = session.scalar(select(Programme.id).where(Programme.name == "Pilot"))
    for index in range(3):
        note(db, f"to-gone-{index}", gone.user_id, "hello", programme_id=programme_id)
    slack.deliver()
    assert [statuses(db)[f"to-gone-{i}"] for i in range(3)] == ["failed"] * 3
    alerts = [text for text in dm_texts(slack, lead.user_id) if "couldn't deliver" in text]
    assert len(alerts) == 1 and "Pilot" in alerts[0]


def test_a_crashed_dispatcher_loses_nothing(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    assert slack.runtime is not None
    with freeze_time("2027-02-01 08:00:00") as clock:
        for index in range(5):
            note(db, f"n{index}", amara.user_id, f"note {index}")
        crashed = outbox.claim_due(db, "crashed-worker", limit=3)  # claimed, then the process died
        assert len(crashed) == 3
        assert slack.deliver() == 2  # the others are leased
        clock.tick(outbox.LEASE + timedelta(seconds=1))
        assert slack.deliver() == 3
    assert sorted(dm_texts(slack, amara.user_id)) == [f"note {i}" for i in range(5)]


def test_cancelling_a_topic_stops_its_rows(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    note(db, "r1", amara.user_id, "reminder", topic="session:1")
    note(db, "r2", amara.user_id, "other", topic="session:2")
    with db.session() as session:
        assert outbox.cancel(session, topic="session:1") == 1
    slack.deliver()
    assert dm_texts(slack, amara.user_id) == ["other"]


@pytest.mark.parametrize("workers", [2, 4])
def test_several_dispatchers_send_each_row_exactly_once(slack: LocalSlack, db: Database, workers: int) -> None:
    assert slack.runtime is not None
    people = [slack.person(f"p{i}") for i in range(10)]
    with db.session() as session:
        for index in range(300):
            outbox.enqueue(
                session,
                kind="test_note",
                key=f"bulk-{index}",
                recipient_user_id=people[index % 10].user_id,
                payload={"text": f"bulk {index}"},
            )
    slack.emulator.enforce_rate_limits(False)  # concurrency here; pacing: test_dispatcher.py, the benchmark
    dispatchers = [
        Dispatcher(slack.runtime, worker_id=f"w{i}", batch=25, per_conversation_interval=0, kinds=TEST_KINDS)
        for i in range(workers)
    ]
    deadline = time.monotonic() + 120

    def work(dispatcher: Dispatcher) -> None:
        # Until every row is sent: a row put back after a hiccup (backoff) is waited for, not dropped.
        while time.monotonic() < deadline and set(statuses(db).values()) != {"sent"}:
            if dispatcher.run_once() == 0:
                time.sleep(0.05)

    threads = [threading.Thread(target=work, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    for dispatcher in dispatchers:
        dispatcher.close()
    posted = [call.args.get("text") for call in slack.emulator.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted(f"bulk {i}" for i in range(300))
    assert set(statuses(db).values()) == {"sent"}


def opt_in_to_history(slack: LocalSlack) -> None:
    """DISPATCH_HISTORY_CHECK=true, with the history scopes added to the app and reinstalled."""
    assert slack.dispatcher is not None
    slack.dispatcher.history_check = True
    slack.emulator.set_scopes([*slack.emulator.bot_scopes, *HISTORY_SCOPES])


def test_without_history_access_a_retry_still_delivers(slack: LocalSlack, db: Database) -> None:
    """Opted in, a lost answer, then no permission to read history: post again rather than never deliver."""
    amara = slack.person("amara")
    opt_in_to_history(slack)
    with freeze_time("2027-02-01 08:00:00") as clock:
        note(db, "h1", amara.user_id, "hello")
        slack.emulator.drop_next_connection("chat.postMessage")  # not processed, answer lost
        slack.deliver()
        slack.emulator.fail_next("conversations.history", error="missing_scope")
        clock.tick(timedelta(minutes=1))
        slack.deliver()
    assert dm_texts(slack, amara.user_id) == ["hello"]
    assert statuses(db) == {"h1": "sent"}


def test_a_transient_error_reading_history_is_retried_not_posted_twice(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    opt_in_to_history(slack)
    with freeze_time("2027-02-01 08:00:00") as clock:
        note(db, "h2", amara.user_id, "once")
        slack.emulator.drop_next_connection("chat.postMessage", after_processing=True)  # posted, answer lost
        slack.deliver()
        slack.emulator.fail_next("conversations.history", status=503)
        clock.tick(timedelta(minutes=1))
        slack.deliver()
        clock.tick(timedelta(minutes=5))
        slack.deliver()
    assert dm_texts(slack, amara.user_id) == ["once"]
    assert statuses(db) == {"h2": "sent"}
