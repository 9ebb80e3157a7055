"""The dispatcher, driven directly with a frozen clock against the local Slack emulator.

Pins what tests/test_outbox.py (pacing off) leaves open: per-conversation pacing with its burst,
the exact backoff per attempt, the attempt limit, a stalled worker whose lease was taken over, a
crash after the post (found again through message metadata), and a failed file upload or pin
after the post (done on the retry without posting the message a second time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.content import Content, load_content
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.models import ConversationPacing, OutboxMessage, Programme, ProgrammeLead
from bot.outbox import Kind, OutboxFile, Rendered, Skip
from bot.outbox.dispatcher import HISTORY_SCOPES, MAX_RATE_LIMITED, PACING_BURST, PERMANENT_ERRORS, Dispatcher
from bot.outbox.notifications import REASONS, failure_reason
from bot.outbox.pacing import FORGET_AFTER, SharedPacing
from bot.registry import outbox_kinds
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack_gateway import SlackGateway

T0 = "2027-02-01 09:00:00"  # a Monday morning
NOTE = "dispatch_note"
on_sent_calls: list[tuple[str, str | None]] = []  # (row key, ts) for every on_sent call


def render_note(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    payload = row.payload
    file = payload.get("file")
    return Rendered(
        text=str(payload["text"]),
        user_id=row.recipient_user_id,
        channel=row.channel_id,
        file=OutboxFile(str(file), b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "Your invite") if file else None,
        pin=bool(payload.get("pin")),
    )


def record_sent(session: Session, row: OutboxMessage, ts: str | None) -> None:
    on_sent_calls.append((row.key, ts))


KINDS = outbox_kinds({NOTE: Kind(render_note, on_sent=record_sent)})


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator().start()
    # The dispatcher's own pacing is under test here, so the emulator's limits (on by default) stay out of it.
    emu.enforce_rate_limits(False)
    yield emu
    emu.stop()


@pytest.fixture
def runtime(db: Database, emulator: SlackEmulator) -> Runtime:
    on_sent_calls.clear()
    settings = Settings(slack_bot_token=emulator.bot_token, slack_api_url=emulator.api_url, database_url=db.url)
    gateway = SlackGateway.connect(emulator.bot_token, emulator.api_url)
    return Runtime(settings, db, gateway, load_content(), kinds=KINDS)


@pytest.fixture
def dispatcher(runtime: Runtime) -> Iterator[Callable[..., Dispatcher]]:
    """Dispatchers with this module's kinds and Slack's default pacing unless a test says otherwise."""
    made: list[Dispatcher] = []

    def make(worker_id: str = "w1", **options: Any) -> Dispatcher:
        made.append(Dispatcher(runtime, worker_id=worker_id, threads=2, kinds=KINDS, **options))
        return made[-1]

    yield make
    for each in made:
        each.close()


def note(db: Database, key: str, user: str, text: str, *, programme_id: int | None = None, **payload: Any) -> None:
    with db.session() as session:
        assert outbox.enqueue(
            session,
            kind=NOTE,
            key=key,
            recipient_user_id=user,
            programme_id=programme_id,
            payload={"text": text, **payload},
        )


def row_of(db: Database, key: str) -> OutboxMessage:
    with db.session() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert row is not None
        session.expunge(row)
        return row


def dm_texts(emulator: SlackEmulator, user: str) -> list[str]:
    channel = emulator.im_channel(user)
    return [m.text for m in emulator.messages_in(channel) if m.text] if channel else []


def post_times(emulator: SlackEmulator, user: str) -> list[float]:
    """When (on the frozen clock) each message to this person's DM was posted, relative to T0."""
    channel = emulator.im_channel(user)
    start = datetime.fromisoformat(T0 + "+00:00").timestamp()
    return [
        round(call.at - start, 3)
        for call in emulator.calls_to("chat.postMessage")
        if call.ok and call.args.get("channel") == channel
    ]


def programme_with_lead(db: Database, lead: str) -> int:
    with db.session() as session:
        programme = Programme(name="Pilot", created_by=lead)
        session.add(programme)
        session.flush()
        session.add(ProgrammeLead(programme_id=programme.id, user_id=lead))
        return programme.id


# ------------------------------------------------------------------------------------ pacing


def test_one_conversation_gets_a_burst_then_one_message_a_second_others_are_not_held_back(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara, bola, chen = (emulator.add_user(name) for name in ("amara", "bola", "chen"))
    with freeze_time(T0) as clock:
        for index in range(6):
            note(db, f"amara-{index}", amara, f"to amara {index}")
        for index in range(2):
            note(db, f"bola-{index}", bola, f"to bola {index}")
        note(db, "chen-0", chen, "to chen")
        worker = dispatcher()  # the default pacing: Slack's one message a second per conversation
        for step in range(32):  # eight seconds, a pass every quarter second
            if step == 2:  # a newcomer for the busy conversation waits behind the queue, it does not jump it
                note(db, "amara-late", amara, "to amara late")
            worker.run_once()
            clock.tick(0.25)
    assert PACING_BURST == 2
    assert post_times(emulator, amara) == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    texts = dm_texts(emulator, amara)  # the burst's two go out together, on two threads: in either order
    assert sorted(texts[:2]) == ["to amara 0", "to amara 1"]
    assert texts[2:] == [*(f"to amara {i}" for i in range(2, 6)), "to amara late"]
    assert post_times(emulator, bola) == [0.0, 0.0]
    assert post_times(emulator, chen) == [0.0]
    assert set(outbox.counts_by_status(db)) == {"sent"}


def test_after_a_quiet_spell_the_burst_is_available_again(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        worker = dispatcher(per_conversation_interval=1.0)
        note(db, "first", amara, "first")
        worker.run_once()
        clock.tick(10)  # quiet: the bucket refills, but never beyond the burst
        for index in range(4):
            note(db, f"again-{index}", amara, f"again {index}")
        for _ in range(16):
            worker.run_once()
            clock.tick(0.25)
    assert post_times(emulator, amara) == [0.0, 10.0, 10.0, 11.0, 12.0]


# ------------------------------------------------------------------------------------ backoff and the limit


def test_backoff_doubles_from_five_seconds_and_is_capped_at_ten_minutes() -> None:
    expected = [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600, 600]
    assert [outbox.backoff(attempt).total_seconds() for attempt in range(1, 13)] == expected
    assert outbox.backoff(0) == timedelta(seconds=5)


@given(st.integers(min_value=1, max_value=200))
def test_backoff_never_shrinks_and_never_passes_the_cap(attempt: int) -> None:
    assert outbox.backoff(attempt) <= outbox.backoff(attempt + 1) <= timedelta(minutes=10)
    assert outbox.backoff(attempt + 1) in {outbox.backoff(attempt) * 2, timedelta(minutes=10)}


def fail_until_done(db: Database, worker: Dispatcher, key: str, clock: Any, limit: int = 40) -> list[float]:
    """Run the row's attempts, moving the clock to each retry; returns the delay chosen after each."""
    delays: list[float] = []
    for _ in range(limit):
        worker.run_once()
        row = row_of(db, key)
        if row.status != "pending":
            break
        delays.append((as_utc(row.send_at) - now()).total_seconds())
        clock.move_to(as_utc(row.send_at))
    return delays


def test_a_server_error_is_retried_after_exactly_the_backoff_for_its_attempt(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara = emulator.add_user("amara")
    emulator.fail_next("chat.postMessage", status=503, count=4)
    with freeze_time(T0) as clock:
        note(db, "flaky", amara, "hello")
        delays = fail_until_done(db, dispatcher(per_conversation_interval=0), "flaky", clock)
    assert delays == [5, 10, 20, 40]
    row = row_of(db, "flaky")
    assert (row.status, row.attempts) == ("sent", 5)
    assert dm_texts(emulator, amara) == ["hello"]


def test_a_row_fails_on_exactly_the_last_attempt_and_the_leads_are_told_once(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara, lena = emulator.add_user("amara"), emulator.add_user("lena")
    programme_id = programme_with_lead(db, lena)
    assert outbox.MAX_ATTEMPTS == 12  # with the backoff: about fifty minutes of a Slack outage
    emulator.fail_next("chat.postMessage", status=503, count=outbox.MAX_ATTEMPTS)  # the 13th would go through
    with freeze_time(T0) as clock:
        note(db, "doomed", amara, "hello", programme_id=programme_id)
        worker = dispatcher(per_conversation_interval=0)
        delays = fail_until_done(db, worker, "doomed", clock)
        given_up_after = now() - datetime.fromisoformat(T0 + "+00:00")
        worker.run_until_idle()  # the leads' alert
    assert delays == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]  # eleven retries, then no more
    row = row_of(db, "doomed")
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert row.last_error is not None and row.last_error.startswith("gave up after 12 attempts")
    assert given_up_after == timedelta(seconds=sum(delays))
    attempts = [c for c in emulator.calls_to("chat.postMessage") if c.args.get("channel") == emulator.im_channel(amara)]
    assert len(attempts) == outbox.MAX_ATTEMPTS and not any(c.ok for c in attempts)
    assert dm_texts(emulator, amara) == []
    alerts = dm_texts(emulator, lena)
    assert len(alerts) == 1 and "couldn't deliver" in alerts[0] and "Pilot" in alerts[0]


# ------------------------------------------------------------------------------------ leases


def test_a_stalled_worker_cannot_overwrite_a_row_another_worker_took_over(db: Database) -> None:
    with freeze_time(T0) as clock:
        note(db, "contested", "U0AMARA", "hello")
        [stalled] = outbox.claim_due(db, "worker-a")
        clock.tick(outbox.LEASE - timedelta(seconds=1))
        assert outbox.claim_due(db, "worker-b") == []  # the lease still holds
        clock.tick(timedelta(seconds=2))
        [taken] = outbox.claim_due(db, "worker-b")  # A stalled past its lease: B takes the row over
        assert (taken.id, taken.attempts, taken.leased_by) == (stalled.id, 2, "worker-b")

        # A wakes up while B is still sending: nothing A does may touch B's row.
        assert not outbox.mark_failed(db, stalled, "worker-a", "late failure")
        outbox.retry_later(db, stalled, "worker-a", now() + timedelta(minutes=5), "late retry")
        outbox.mark_skipped(db, stalled, "worker-a", "late skip")
        outbox.note_posted(db, stalled, "worker-a", "1000.000001")
        outbox.mark_sent(db, stalled, "worker-a", "1000.000002", on_sent=record_sent)
        held = row_of(db, "contested")
        # B's note says A may or may not have posted it (so an opted-in history check looks first).
        assert (held.status, held.leased_by, held.slack_ts, held.last_error) == (
            "sending", "worker-b", None, outbox.LEASE_EXPIRED)
        assert as_utc(held.send_at) == datetime.fromisoformat(T0 + "+00:00")
        assert held.lease_until is not None and held.attempts == 2
        assert on_sent_calls == []

        outbox.mark_sent(db, taken, "worker-b", "2000.000001", on_sent=record_sent)
        # ... and after B has finished, A's late answers change nothing either.
        assert not outbox.mark_failed(db, stalled, "worker-a", "later still")
        outbox.retry_later(db, stalled, "worker-a", now(), "later still")
        outbox.mark_sent(db, stalled, "worker-a", "1000.000003", on_sent=record_sent)
    done = row_of(db, "contested")
    assert (done.status, done.slack_ts, done.last_error, done.lease_until) == ("sent", "2000.000001", None, None)
    assert on_sent_calls == [("contested", "2000.000001")]


def test_a_worker_whose_lease_was_taken_over_cannot_refund_or_reschedule_many_rows(db: Database) -> None:
    with freeze_time(T0) as clock:
        note(db, "paced", "U0AMARA", "hello")
        [stalled] = outbox.claim_due(db, "worker-a")
        clock.tick(outbox.LEASE + timedelta(seconds=1))
        outbox.claim_due(db, "worker-b")
        outbox.retry_many(db, "worker-a", [(stalled, now() + timedelta(seconds=30))], "paced")
    row = row_of(db, "paced")
    assert (row.status, row.leased_by, row.attempts) == ("sending", "worker-b", 2)


def test_a_rate_limit_puts_the_row_back_for_retry_after_without_using_an_attempt(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara = emulator.add_user("amara")
    emulator.fail_next("chat.postMessage", status=429, retry_after=7, count=2)
    with freeze_time(T0) as clock:
        note(db, "limited", amara, "hello")
        delays = fail_until_done(db, dispatcher(per_conversation_interval=0), "limited", clock)
    assert delays == [7, 7]
    row = row_of(db, "limited")
    assert (row.status, row.attempts) == ("sent", 1)


# ------------------------------------------------------------------------------------ crashes and partial sends


def opt_in_to_history(emulator: SlackEmulator) -> None:
    """What an operator does to opt in: add the history scopes to the manifest and reinstall."""
    emulator.set_scopes([*emulator.bot_scopes, *HISTORY_SCOPES])


def test_the_app_holds_no_history_scope_and_does_not_read_history_by_default(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    assert not [scope for scope in emulator.bot_scopes if scope.endswith(":history")]
    assert dispatcher().history_check is False
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        note(db, "lost", amara, "hello")
        emulator.drop_next_connection("chat.postMessage")  # not processed, and the answer is lost
        worker = dispatcher(per_conversation_interval=0)
        worker.run_once()
        clock.tick(timedelta(seconds=5))
        worker.run_once()
    assert dm_texts(emulator, amara) == ["hello"]
    assert emulator.calls_to("conversations.history") == []


@pytest.mark.parametrize("history", ["off", "opt-in"])
def test_a_crash_after_the_ts_is_recorded_is_not_posted_again_history_or_not(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], monkeypatch: pytest.MonkeyPatch,
    history: str,
) -> None:
    """The cheaper way: the post's ts is written before anything else can fail, so a crash after it
    (here: while recording the send) finishes the row on the retry without a second post or a lookup."""
    amara = emulator.add_user("amara")
    if history == "opt-in":
        opt_in_to_history(emulator)
    with freeze_time(T0) as clock:
        note(db, "crash", amara, "only once")
        with monkeypatch.context() as patch:
            patch.setattr(outbox, "mark_sent", lambda *args, **kwargs: None)  # the process died here
            dispatcher("doomed", history_check=history == "opt-in").run_once()
        crashed = row_of(db, "crash")
        [first_post] = emulator.messages_in(emulator.im_channel(amara) or "")
        assert (crashed.status, crashed.leased_by, crashed.slack_ts) == ("sending", "doomed", first_post.ts)
        clock.tick(outbox.LEASE + timedelta(seconds=1))
        dispatcher("survivor", history_check=history == "opt-in").run_once()
    assert dm_texts(emulator, amara) == ["only once"]
    row = row_of(db, "crash")
    assert (row.status, row.slack_ts, row.attempts) == ("sent", first_post.ts, 2)
    assert on_sent_calls == [("crash", first_post.ts)]
    assert emulator.calls_to("conversations.history") == []
    assert len(emulator.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("history", ["off", "opt-in"])
def test_a_crash_between_the_post_and_its_ts_posts_twice_unless_the_history_check_is_on(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], monkeypatch: pytest.MonkeyPatch,
    history: str,
) -> None:
    """What remains without history: the post went through and the process died before writing its ts.
    With the opt-in the retry finds its own message by metadata; without it, it posts again."""
    amara = emulator.add_user("amara")
    if history == "opt-in":
        opt_in_to_history(emulator)
    with freeze_time(T0) as clock:
        note(db, "crash", amara, "only once")
        with monkeypatch.context() as patch:
            patch.setattr(outbox, "note_posted", lambda *args, **kwargs: None)  # died before the ts was written
            patch.setattr(outbox, "mark_sent", lambda *args, **kwargs: None)
            dispatcher("doomed", history_check=history == "opt-in").run_once()
        assert row_of(db, "crash").slack_ts is None
        [first_post] = emulator.messages_in(emulator.im_channel(amara) or "")
        clock.tick(outbox.LEASE + timedelta(seconds=1))
        dispatcher("survivor", history_check=history == "opt-in").run_once()
    row = row_of(db, "crash")
    if history == "opt-in":
        assert dm_texts(emulator, amara) == ["only once"]
        assert (row.status, row.slack_ts, row.attempts) == ("sent", first_post.ts, 2)
        [lookup] = emulator.calls_to("conversations.history")
        assert str(lookup.args.get("include_all_metadata")).lower() in {"1", "true"}
        assert len(emulator.calls_to("chat.postMessage")) == 1
    else:
        assert dm_texts(emulator, amara) == ["only once", "only once"]  # the stated trade-off
        assert row.status == "sent" and row.slack_ts != first_post.ts
        assert emulator.calls_to("conversations.history") == []


def test_an_opt_in_without_the_scopes_still_delivers(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    """DISPATCH_HISTORY_CHECK on but the scopes not added: Slack says missing_scope, the row is posted."""
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        note(db, "lost", amara, "hello")
        emulator.drop_next_connection("chat.postMessage")
        worker = dispatcher(per_conversation_interval=0, history_check=True)
        worker.run_once()
        clock.tick(timedelta(seconds=5))
        worker.run_once()
    assert dm_texts(emulator, amara) == ["hello"]
    [lookup] = emulator.calls_to("conversations.history")
    assert lookup.error == "missing_scope"


def test_an_earlier_post_of_another_row_is_not_mistaken_for_this_one(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    amara = emulator.add_user("amara")
    opt_in_to_history(emulator)
    with freeze_time(T0) as clock:
        note(db, "earlier", amara, "earlier note")
        dispatcher("first").run_once()
        note(db, "lost", amara, "lost note")
        emulator.drop_next_connection("chat.postMessage")  # not processed, and the answer is lost
        worker = dispatcher("second", per_conversation_interval=0, history_check=True)
        worker.run_once()
        clock.tick(timedelta(seconds=5))
        worker.run_once()
    assert dm_texts(emulator, amara) == ["earlier note", "lost note"]
    assert row_of(db, "lost").status == "sent"


@pytest.mark.parametrize("history", ["off", "opt-in", "opt-in without the scopes"])
def test_a_failed_file_upload_is_done_on_the_retry_without_posting_the_message_again(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], history: str
) -> None:
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        note(db, "invite", amara, "Your session invite", file="session.ics")
        emulator.fail_next("files.getUploadURLExternal", status=503)
        if history == "opt-in":
            opt_in_to_history(emulator)
        worker = dispatcher(per_conversation_interval=0, history_check=history != "off")
        worker.run_once()
        half_done = row_of(db, "invite")
        assert half_done.status == "pending" and half_done.slack_ts
        clock.tick(outbox.backoff(1))
        worker.run_once()
    channel = emulator.im_channel(amara) or ""
    messages = emulator.messages_in(channel)
    assert [m.text for m in messages if m.text] == ["Your session invite"]
    assert [emulator.file(f).name for m in messages for f in m.files] == ["session.ics"]  # type: ignore[union-attr]
    row = row_of(db, "invite")
    assert (row.status, row.slack_ts) == ("sent", half_done.slack_ts)
    assert len(emulator.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("history", ["off", "opt-in", "opt-in without the scopes"])
def test_a_failed_pin_is_done_on_the_retry_without_posting_the_message_again(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], history: str
) -> None:
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        note(db, "contract", amara, "Your agreement", pin=True)
        emulator.fail_next("pins.add", status=503)
        if history == "opt-in":
            opt_in_to_history(emulator)
        worker = dispatcher(per_conversation_interval=0, history_check=history != "off")
        worker.run_once()
        assert row_of(db, "contract").status == "pending"
        clock.tick(outbox.backoff(1))
        worker.run_once()
    [message] = emulator.messages_in(emulator.im_channel(amara) or "")
    assert (message.text, message.pinned) == ("Your agreement", True)
    row = row_of(db, "contract")
    assert (row.status, row.slack_ts) == ("sent", message.ts)
    assert len(emulator.calls_to("chat.postMessage")) == 1


def test_a_pin_whose_answer_was_lost_is_not_retried_until_the_leads_hear_of_a_failure(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara, lena = emulator.add_user("amara"), emulator.add_user("lena")
    programme_id = programme_with_lead(db, lena)
    with freeze_time(T0) as clock:
        note(db, "pinned", amara, "Your agreement", pin=True, programme_id=programme_id)
        emulator.drop_next_connection("pins.add", after_processing=True)  # pinned, but the answer is lost
        worker = dispatcher(per_conversation_interval=0)
        fail_until_done(db, worker, "pinned", clock)
        worker.run_until_idle()
    [message] = emulator.messages_in(emulator.im_channel(amara) or "")
    assert (message.text, message.pinned) == ("Your agreement", True)
    assert row_of(db, "pinned").status == "sent"
    assert dm_texts(emulator, lena) == []


# ------------------------------------------------------------------------------------ pacing shared by every worker


def fill_conversation(db: Database, user: str, count: int, prefix: str = "to amara") -> None:
    for index in range(count):
        note(db, f"{prefix}-{index}", user, f"{prefix} {index}")


def test_two_dispatchers_on_one_conversation_share_its_pace(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    """Each worker claims half the backlog; the bucket lives in the database, so together they still
    post a burst of two, then one a second, in order, and never both at once."""
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        fill_conversation(db, amara, 8)
        first, second = dispatcher("w1", batch=4), dispatcher("w2", batch=4)
        for _ in range(40):  # ten seconds, both workers every quarter second
            first.run_once()
            second.run_once()
            clock.tick(0.25)
    assert post_times(emulator, amara) == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    texts = dm_texts(emulator, amara)
    assert sorted(texts[:2]) == ["to amara 0", "to amara 1"] and texts[2:] == [f"to amara {i}" for i in range(2, 8)]
    assert set(outbox.counts_by_status(db)) == {"sent"}
    with db.session() as session:  # the shared state names no one
        keys = list(session.scalars(select(ConversationPacing.key)))
    assert keys and not any(amara in key or "dm:" in key for key in keys)


def test_the_old_per_process_pacing_lets_two_workers_post_twice_as_fast(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    """The baseline the benchmark compares with: each worker has a bucket of its own."""
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        fill_conversation(db, amara, 8)
        first, second = dispatcher("w1", batch=4, pacing="process"), dispatcher("w2", batch=4, pacing="process")
        for _ in range(40):
            first.run_once()
            second.run_once()
            clock.tick(0.25)
    times = post_times(emulator, amara)
    assert len(times) == 8 and times.count(0.0) == 4  # two bursts at once: over Slack's limit


def test_a_newcomer_from_another_worker_waits_behind_the_queue(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        fill_conversation(db, amara, 4)
        first, second = dispatcher("w1"), dispatcher("w2")
        first.run_once()  # two now, two put back at 1 s and 2 s
        note(db, "late", amara, "late")
        second.run_once()  # the newcomer takes the first turn nobody holds: 3 s
        for _ in range(20):
            first.run_once()
            second.run_once()
            clock.tick(0.25)
    assert post_times(emulator, amara) == [0.0, 0.0, 1.0, 2.0, 3.0]
    assert dm_texts(emulator, amara)[2:] == ["to amara 2", "to amara 3", "late"]


def test_idle_buckets_are_forgotten_and_a_forgotten_bucket_is_full(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    amara = emulator.add_user("amara")
    with freeze_time(T0) as clock:
        worker = dispatcher()
        fill_conversation(db, amara, 2)
        worker.run_once()
        clock.tick(FORGET_AFTER + timedelta(seconds=1))
        assert isinstance(worker.pacing, SharedPacing) and worker.pacing.forget_idle() == 1
        fill_conversation(db, amara, 3, prefix="again")
        for _ in range(8):
            worker.run_once()
            clock.tick(0.25)
    start = (FORGET_AFTER + timedelta(seconds=1)).total_seconds()
    assert post_times(emulator, amara) == [0.0, 0.0, start, start, start + 1.0]


# ------------------------------------------------------------------------------------ the leads hear the real reason


def lead_alerts(emulator: SlackEmulator, lead: str) -> list[str]:
    return [text for text in dm_texts(emulator, lead) if text.startswith("I couldn't deliver")]


def expected_alert(content: Content, who: str, reason: str, **values: str) -> str:
    template = getattr(content.messages.delivery_failure_reasons, reason)
    return content.message(
        "delivery_failed", who=who, programme="Pilot", reason=template.format(**{"error": "", "needed": "", **values})
    )


def channel_note(db: Database, key: str, channel: str, text: str, programme_id: int) -> None:
    with db.session() as session:
        outbox.enqueue(
            session, kind=NOTE, key=key, channel_id=channel, programme_id=programme_id, payload={"text": text}
        )


def run_to_the_end(db: Database, worker: Dispatcher, key: str, clock: Any) -> None:
    for _ in range(60):
        worker.run_once()
        row = row_of(db, key)
        if row.status != "pending":
            break
        clock.move_to(as_utc(row.send_at))
    worker.run_until_idle()  # the leads' alert


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("public channel, no chat:write.public, bot not invited", "not_in_channel"),
        ("private channel the bot was not invited to", "channel_not_found"),
        ("archived channel", "is_archived"),
    ],
)
def test_a_channel_the_app_cannot_post_in_is_named_with_the_real_reason(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], runtime: Runtime,
    case: str, reason: str,
) -> None:
    lena = emulator.add_user("lena")
    programme_id = programme_with_lead(db, lena)
    if reason == "not_in_channel":
        emulator.set_scopes([s for s in emulator.bot_scopes if s != "chat:write.public"])
        channel = emulator.add_channel("thanks", members=[lena])
    elif reason == "channel_not_found":
        channel = emulator.add_channel("leads", is_private=True, members=[lena])
    else:
        channel = emulator.add_channel("old", members=[lena], bot_member=True, is_archived=True)
    with freeze_time(T0) as clock:
        channel_note(db, "thanks", channel, "Thank you, mentors", programme_id)
        run_to_the_end(db, dispatcher(per_conversation_interval=0), "thanks", clock)
    assert (row_of(db, "thanks").status, row_of(db, "thanks").last_error) == ("failed", reason)
    assert lead_alerts(emulator, lena) == [expected_alert(runtime.content, f"<#{channel}>", reason)]
    assert "deactivated" not in lead_alerts(emulator, lena)[0]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("deactivated account (conversations.open)", "account_inactive"),
        ("account_inactive from chat.postMessage", "account_inactive"),
        ("unknown account", "user_not_found"),
        ("a bot", "cannot_dm_bot"),
        ("workspace forbids it", "restricted_action"),
        ("Slack refuses the message", "message_refused"),
        ("the app lacks chat:write", "missing_scope"),
        ("Slack still rate limiting after the limit", "rate_limited"),
        ("Slack down for an hour", "slack_unavailable"),
        ("Slack unreachable for an hour", "unreachable"),
        ("an error nobody has seen", "unknown"),
    ],
)
def test_a_person_who_cannot_be_reached_is_named_with_the_real_reason(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher], runtime: Runtime,
    case: str, reason: str,
) -> None:
    amara, lena = emulator.add_user("amara"), emulator.add_user("lena")
    programme_id = programme_with_lead(db, lena)
    values: dict[str, str] = {}
    recipient = amara
    if case.startswith("deactivated"):
        emulator.set_user(amara, deleted=True)
    elif case.startswith("account_inactive"):
        emulator.fail_next("chat.postMessage", error="account_inactive")
    elif case == "unknown account":
        recipient = "U0NOBODY1"
    elif case == "a bot":
        emulator.fail_next("chat.postMessage", error="cannot_dm_bot")
    elif reason == "restricted_action":
        emulator.fail_next("chat.postMessage", error="restricted_action")
    elif reason == "message_refused":
        emulator.fail_next("chat.postMessage", error="msg_too_long")
        values["error"] = "msg_too_long"
    elif reason == "missing_scope":
        emulator.set_scopes([s for s in emulator.bot_scopes if s != "chat:write"])
        values["needed"] = "chat:write"
    elif reason == "rate_limited":
        emulator.fail_next("chat.postMessage", status=429, retry_after=30, count=MAX_RATE_LIMITED)
    elif reason == "slack_unavailable":
        emulator.fail_next("chat.postMessage", status=503, count=outbox.MAX_ATTEMPTS)
        values["error"] = "service_unavailable"
    elif reason == "unreachable":
        emulator.drop_next_connection("chat.postMessage", count=outbox.MAX_ATTEMPTS)
    else:
        emulator.fail_next("chat.postMessage", error="brand_new_error", count=outbox.MAX_ATTEMPTS)
        values["error"] = "brand_new_error"
    with freeze_time(T0) as clock:
        note(db, "note", recipient, "hello", programme_id=programme_id)
        if reason == "missing_scope":  # the leads' alert cannot be posted either: restore the scope first
            worker = dispatcher(per_conversation_interval=0)
            worker.run_once()
            emulator.set_scopes([*emulator.bot_scopes, "chat:write"])
            worker.run_until_idle()
        else:
            run_to_the_end(db, dispatcher(per_conversation_interval=0), "note", clock)
    assert row_of(db, "note").status == "failed"
    assert dm_texts(emulator, amara) == []
    assert lead_alerts(emulator, lena) == [expected_alert(runtime.content, f"<@{recipient}>", reason, **values)]


def test_a_render_error_past_the_attempt_limit_says_the_app_is_at_fault(
    db: Database, emulator: SlackEmulator, runtime: Runtime
) -> None:
    lena = emulator.add_user("lena")
    programme_id = programme_with_lead(db, lena)

    def broken(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
        raise ValueError("a bug")

    kinds = outbox_kinds({NOTE: Kind(render_note), "broken_note": Kind(broken)})
    worker = Dispatcher(runtime, worker_id="w1", threads=2, kinds=kinds, per_conversation_interval=0)
    try:
        with freeze_time(T0) as clock:
            with db.session() as session:
                outbox.enqueue(session, kind="broken_note", key="broken", recipient_user_id="U0AMARA01",
                               programme_id=programme_id, payload={})
            run_to_the_end(db, worker, "broken", clock)
    finally:
        worker.close()
    assert lead_alerts(emulator, lena) == [expected_alert(runtime.content, "<@U0AMARA01>", "render_error")]


def test_the_reason_for_every_code_the_dispatcher_gives_up_on_has_words() -> None:
    from bot.content import DeliveryFailureReasons

    fields = set(DeliveryFailureReasons.model_fields)
    assert {failure_reason(code) for code in PERMANENT_ERRORS} <= fields - {"unknown"}
    assert set(REASONS.values()) <= fields
    assert failure_reason("gave up after 12 attempts: connection: URLError") == "unreachable"
    assert failure_reason("gave up after 12 attempts: http 502") == "slack_unavailable"
    assert failure_reason("gave up after 12 attempts: render error: KeyError") == "render_error"


def test_a_token_is_spent_once_however_many_workers_ask_for_it(db: Database) -> None:
    """The binding step: a conditional UPDATE per post, refilling and spending at once."""
    first, second = SharedPacing(db, 1.0), SharedPacing(db, 1.0)
    with freeze_time(T0) as clock:
        first.pace({"dm:U0AMARA01": []})  # creates the full bucket
        assert [first.take("dm:U0AMARA01"), second.take("dm:U0AMARA01"), first.take("dm:U0AMARA01")] == [
            True, True, False]
        clock.tick(0.5)
        assert not second.take("dm:U0AMARA01")
        clock.tick(0.5)
        assert second.take("dm:U0AMARA01") and not first.take("dm:U0AMARA01")
        clock.tick(-5)  # a worker whose clock lags cannot mint tokens by moving the bucket's time back
        assert not first.take("dm:U0AMARA01")
        clock.tick(5 + 10)
        assert [first.take("dm:U0AMARA01") for _ in range(3)] == [True, True, False]  # never past the burst
    assert not SharedPacing(db, 1.0).take("dm:U0NEVERSEEN")  # no bucket yet: the plan makes it first


def test_the_opted_in_check_reads_history_only_after_an_unclear_end(
    db: Database, emulator: SlackEmulator, dispatcher: Callable[..., Dispatcher]
) -> None:
    """A 503 or a 429 is a clear "not posted": the retry posts without a read. A dropped connection is
    not: the retry reads first (and a failed read keeps it unclear, so the next attempt reads again)."""
    amara, bola = emulator.add_user("amara"), emulator.add_user("bola")
    opt_in_to_history(emulator)
    with freeze_time(T0) as clock:
        note(db, "clear", amara, "after a 503")
        emulator.fail_next("chat.postMessage", status=503)
        worker = dispatcher(per_conversation_interval=0, history_check=True)
        worker.run_once()
        clock.tick(outbox.backoff(1))
        worker.run_once()
        assert dm_texts(emulator, amara) == ["after a 503"] and emulator.calls_to("conversations.history") == []
        note(db, "unclear", bola, "after a drop")
        emulator.drop_next_connection("chat.postMessage", after_processing=True)
        worker.run_once()
        assert row_of(db, "unclear").last_error == "connection: RemoteDisconnected"
        emulator.fail_next("conversations.history", status=503)
        clock.tick(outbox.backoff(1))
        worker.run_once()
        assert row_of(db, "unclear").last_error == "unclear: service_unavailable"
        clock.tick(outbox.backoff(2))
        worker.run_once()
    assert dm_texts(emulator, bola) == ["after a drop"]
    assert len(emulator.calls_to("conversations.history")) == 2 and row_of(db, "unclear").status == "sent"


def test_a_worker_whose_clock_lags_cannot_mint_tokens(db: Database) -> None:
    ahead, behind = SharedPacing(db, 1.0), SharedPacing(db, 1.0)
    with freeze_time(T0) as clock:
        ahead.pace({"dm:U0AMARA01": []})  # a full bucket: two tokens, counted at T0
        assert ahead.take("dm:U0AMARA01")  # one left
        clock.tick(-5)
        assert behind.take("dm:U0AMARA01")  # the token that is there: none left, still counted at T0
        clock.tick(5)
        assert not ahead.take("dm:U0AMARA01")  # nothing refilled (a count moved back to T0-5 would mint two)
        clock.tick(1)
        assert ahead.take("dm:U0AMARA01")


def test_a_clock_set_back_far_starts_the_bucket_afresh(db: Database) -> None:
    """A story replayed on a simulated clock (or a host's wrong clock corrected) moves time back a
    day: the conversation's bucket, counted a day ahead, must not hold its posts for a day."""
    pacing = SharedPacing(db, 1.0)
    with freeze_time(T0) as clock:
        pacing.pace({"dm:U0AMARA01": []})
        assert pacing.take("dm:U0AMARA01") and pacing.take("dm:U0AMARA01") and not pacing.take("dm:U0AMARA01")
        clock.tick(-timedelta(days=1))
        assert pacing.take("dm:U0AMARA01")  # afresh (full) at the current time, not a day from now
        assert pacing.take("dm:U0AMARA01") and not pacing.take("dm:U0AMARA01")  # and never past the burst
        clock.tick(-timedelta(days=1))
        note(db, "back", "U0AMARA01", "after the clock went back")
        row = row_of(db, "back")
        go, later = pacing.pace({"dm:U0AMARA01": [row]})
        assert [r.id for r in go] == [row.id] and later == []
        assert pacing.take("dm:U0AMARA01") and pacing.take("dm:U0AMARA01")
        clock.tick(-FORGET_AFTER + timedelta(seconds=5))  # only a lag a worker may have: nothing minted
        assert not pacing.take("dm:U0AMARA01")
