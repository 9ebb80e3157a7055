"""Dispatcher reliability with real processes: a SIGKILLed dispatcher loses nothing (and, with the
opt-in history check on retries, sends nothing twice; without it, at most the posts that were in
flight when it died go twice); two and four dispatcher processes on PostgreSQL send 10,000 rows
exactly once; 20% injected 429s and 5xx lose nothing (and a lost answer is posted again only
without the history check). README "Delivery and the history check" has the measured figures.
(A deactivated person's rows failing once with one lead alert: tests/test_outbox.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from bot import outbox
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.outbox.dispatcher import HISTORY_SCOPES, Dispatcher
from tests.conftest import TEST_KEY, PostgresSchema, postgres_url_or_skip
from tests.dispatch_process import fill, runtime_for, unfinished

ROOT = Path(__file__).resolve().parents[1]


class Target:
    def __init__(self, db: Database, schema: str | None) -> None:
        self.db, self.schema = db, schema


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'dispatch.db'}")
        db.migrate()
        yield Target(db, None)
        db.dispose()
        return
    schema = PostgresSchema(postgres_url_or_skip())
    db = schema.database()
    db.migrate()
    yield Target(db, schema.name)
    db.dispose()
    schema.drop()


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator().start()
    emu.enforce_rate_limits(False)  # this file injects its own 429s and 5xx
    yield emu
    emu.stop()


def spawn(target: Target, emu: SlackEmulator, worker: str, *extra: str) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "tests.dispatch_process",
        "--db-url", target.db.url, "--api-url", emu.api_url, "--token", emu.bot_token,
        f"--key={TEST_KEY}", "--worker-id", worker, *extra,  # a key may start with "-"
    ]
    if target.schema:
        command += ["--schema", target.schema]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def opt_in(emu: SlackEmulator, history: str) -> tuple[str, ...]:
    """The dispatcher's arguments for this mode; the opt-in also grants the history scopes (a reinstall)."""
    if history == "off":
        return ()
    emu.set_scopes([*emu.bot_scopes, *HISTORY_SCOPES])
    return ("--history-check",)


def posted_texts(emu: SlackEmulator) -> Counter[str]:
    return Counter(str(call.args.get("text")) for call in emu.calls_to("chat.postMessage") if call.ok)


@pytest.mark.parametrize("history", ["opt-in", "off"])
def test_a_killed_dispatcher_process_loses_nothing_and_sends_nothing_twice(
    target: Target, emulator: SlackEmulator, history: str
) -> None:
    users = [emulator.add_user(f"person{i}") for i in range(30)]
    fill(target.db, 600, users=users, prefix="note")
    emulator.set_latency(0.01, "chat.postMessage")
    mode = opt_in(emulator, history)
    doomed = spawn(target, emulator, "doomed", "--batch", "60", "--threads", "6", "--lease", "1", *mode)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until it is mid-batch: some rows sent, others claimed
        counts = outbox.counts_by_status(target.db)
        if counts.get("sent", 0) >= 75 and counts.get("sending", 0) > 0:
            break
        time.sleep(0.005)
    doomed.send_signal(signal.SIGKILL)  # mid-batch: rows claimed, some posted, not all recorded
    doomed.wait(timeout=10)
    assert doomed.returncode == -signal.SIGKILL
    counts = outbox.counts_by_status(target.db)
    assert counts.get("sending", 0) > 0, counts
    emulator.set_latency(0, "chat.postMessage")
    time.sleep(1.1)  # the dead worker's lease runs out
    survivor = spawn(target, emulator, "survivor", "--lease", "1", *mode)
    _, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err[-2000:]
    assert outbox.counts_by_status(target.db) == {"sent": 600}
    posted = posted_texts(emulator)
    assert set(posted) == {f"note {i}" for i in range(600)}, "nothing lost"
    twice = [text for text, n in posted.items() if n > 1]
    if history == "opt-in":
        assert twice == []
    else:  # only posts in flight when it died (Slack did them, their ts was never written): at most one per thread
        assert max(posted.values()) <= 2 and len(twice) <= 6, twice


@pytest.mark.parametrize("workers", [2, 4])
def test_several_dispatcher_processes_send_10000_rows_exactly_once(
    target: Target, emulator: SlackEmulator, workers: int
) -> None:
    if target.schema is None:
        pytest.skip("several dispatcher processes against one database: PostgreSQL (SKIP LOCKED)")
    users = [emulator.add_user(f"person{i}") for i in range(200)]
    fill(target.db, 10_000, users=users, prefix="bulk")
    processes = [spawn(target, emulator, f"w{i}", "--batch", "200", "--threads", "8") for i in range(workers)]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err[-2000:]
    sent_by = [int(out.split()[-1]) for out, _ in results]
    assert sum(sent_by) == 10_000 and all(n > 0 for n in sent_by), sent_by
    posted = posted_texts(emulator)
    assert len(posted) == 10_000 and max(posted.values()) == 1
    assert outbox.counts_by_status(target.db) == {"sent": 10_000}


@pytest.mark.parametrize("history", ["opt-in", "off"])
def test_twenty_percent_429s_and_5xx_lose_nothing(target: Target, emulator: SlackEmulator, history: str) -> None:
    users = [emulator.add_user(f"person{i}") for i in range(20)]
    opt_in(emulator, history)
    with freeze_time("2027-02-01 08:00:00") as clock:
        fill(target.db, 500, users=users, prefix="flaky")
        emulator.fail_randomly(0.2, statuses=(429, 500, 503), seed=7)
        emulator.drop_next_connection("chat.postMessage", count=3, after_processing=True)  # posted, answer lost
        runtime = runtime_for(target.db, emulator.api_url, emulator.bot_token)
        dispatcher = Dispatcher(runtime, per_conversation_interval=0, history_check=history == "opt-in")
        try:
            for _ in range(200):
                dispatcher.run_until_idle()
                if unfinished(target.db) == 0:
                    break
                clock.tick(timedelta(seconds=20))
        finally:
            dispatcher.close()
    assert outbox.counts_by_status(target.db) == {"sent": 500}
    posted = posted_texts(emulator)
    assert set(posted) == {f"flaky {i}" for i in range(500)}
    twice = sorted(text for text, n in posted.items() if n > 1)
    if history == "opt-in":
        assert twice == [], "retries after a lost answer check before posting again"
    else:  # each answer lost after Slack posted (a drop a random fault did not pre-empt) is posted again
        lost_after_posting = [c for c in emulator.calls_to("chat.postMessage") if c.ok and c.http_status == 0]
        assert len(twice) == len(lost_after_posting) <= 3 and max(posted.values()) <= 2, twice
    failures = [c for c in emulator.calls_to("chat.postMessage") if not c.ok]
    assert len(failures) > 50, "faults were really injected"
