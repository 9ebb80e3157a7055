"""The history check's trade-off, measured: duplicates with and without it (README "Delivery and the
history check").

The same two scenarios as tests/test_dispatch_reliability.py, repeated, with the opt-in lookup
(``--history-check``, the emulator granted the history scopes) and without it (the default: the
manifest has no history scope):

1. **crash**: a dispatcher process (6 threads, 10 ms per post) is SIGKILLed mid-batch with 600 rows
   for 30 people; a second process finishes after the lease. Posts that Slack did while the process
   died, before their ts was written, are the ones that can go twice.
2. **lost answers**: one in-process dispatcher, 500 rows, 20% injected 429s and 5xx, and three
   answers dropped after Slack posted (freezegun moves the clock through the backoff).

    .venv/bin/python tests/benchmarks/bench_history_check.py [--runs 5] [--database sqlite|postgresql]

Prints a Markdown table and writes bench-results/history_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from freezegun import freeze_time  # noqa: E402

from bot import crypto, outbox  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.emulator import SlackEmulator  # noqa: E402
from bot.outbox.dispatcher import HISTORY_SCOPES, Dispatcher  # noqa: E402
from tests.conftest import PostgresSchema  # noqa: E402
from tests.dispatch_process import fill, runtime_for, unfinished  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Target:
    def __init__(self, kind: str) -> None:
        self.schema: PostgresSchema | None = None
        if kind == "postgresql":
            self.schema = PostgresSchema(os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))
            self.db = self.schema.database()
        else:
            self._dir = tempfile.TemporaryDirectory()
            self.db = Database(f"sqlite:///{self._dir.name}/history.db")
        self.db.migrate()

    def close(self) -> None:
        self.db.dispose()
        if self.schema is not None:
            self.schema.drop()
        else:
            self._dir.cleanup()


def emulator(history: bool) -> SlackEmulator:
    emu = SlackEmulator().start()
    emu.enforce_rate_limits(False)  # the scenarios inject their own faults
    if history:
        emu.set_scopes([*emu.bot_scopes, *HISTORY_SCOPES])
    return emu


def outcome(emu: SlackEmulator, db: Database, rows: int, prefix: str) -> dict[str, int]:
    posted = Counter(str(c.args.get("text")) for c in emu.calls_to("chat.postMessage") if c.ok)
    return {
        "duplicates": sum(n - 1 for n in posted.values() if n > 1),
        "losses": rows - len({t for t in posted if t.startswith(prefix)}),
        "unsent_rows": rows - outbox.counts_by_status(db).get("sent", 0),
        "history_calls": len(emu.calls_to("conversations.history")),
    }


def spawn(target: Target, emu: SlackEmulator, key: str, worker: str, history: bool, *extra: str) -> Any:
    command = [sys.executable, "-m", "tests.dispatch_process", "--db-url", target.db.url, "--api-url", emu.api_url,
               "--token", emu.bot_token, "--key", key, "--worker-id", worker, *extra]
    if target.schema is not None:
        command += ["--schema", target.schema.name]
    if history:
        command.append("--history-check")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def crash(database: str, key: str, history: bool) -> dict[str, int]:
    target, emu = Target(database), emulator(history)
    try:
        users = [emu.add_user(f"person{i}") for i in range(30)]
        fill(target.db, 600, users=users, prefix="note")
        emu.set_latency(0.01, "chat.postMessage")
        doomed = spawn(target, emu, key, "doomed", history, "--batch", "60", "--threads", "6", "--lease", "1")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = outbox.counts_by_status(target.db)
            if counts.get("sent", 0) >= 75 and counts.get("sending", 0) > 0:
                break
            time.sleep(0.005)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        emu.set_latency(0, "chat.postMessage")
        time.sleep(1.1)
        survivor = spawn(target, emu, key, "survivor", history, "--lease", "1")
        _, err = survivor.communicate(timeout=180)
        if survivor.returncode != 0:
            raise RuntimeError(err[-2000:])
        return outcome(emu, target.db, 600, "note")
    finally:
        emu.stop()
        target.close()


def lost_answers(database: str, history: bool, seed: int) -> dict[str, int]:
    target, emu = Target(database), emulator(history)
    try:
        users = [emu.add_user(f"person{i}") for i in range(20)]
        with freeze_time("2027-02-01 08:00:00") as clock:
            fill(target.db, 500, users=users, prefix="flaky")
            emu.fail_randomly(0.2, statuses=(429, 500, 503), seed=seed)
            emu.drop_next_connection("chat.postMessage", count=3, after_processing=True)
            dispatcher = Dispatcher(runtime_for(target.db, emu.api_url, emu.bot_token), per_conversation_interval=0,
                                    history_check=history)
            try:
                for _ in range(200):
                    dispatcher.run_until_idle()
                    if unfinished(target.db) == 0:
                        break
                    clock.tick(timedelta(seconds=20))
            finally:
                dispatcher.close()
        result = outcome(emu, target.db, 500, "flaky")
        result["answers_lost_after_posting"] = sum(
            1 for c in emu.calls_to("chat.postMessage") if c.ok and c.http_status == 0)
        return result
    finally:
        emu.stop()
        target.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args(argv)
    key = crypto.generate_key()
    crypto.configure([key])
    results: list[dict[str, Any]] = []
    for history in (False, True):
        for run in range(args.runs):
            results.append({"scenario": "crash", "history": history, "run": run,
                            **crash(args.database, key, history)})
            print(json.dumps(results[-1]), flush=True)
            results.append({"scenario": "lost answers", "history": history, "run": run,
                            **lost_answers(args.database, history, seed=7 + run)})
            print(json.dumps(results[-1]), flush=True)
    print(f"\n{args.runs} runs each on {args.database}:\n")
    print("| scenario | history check | duplicates per run | total | losses | history calls per run |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    for scenario in ("crash", "lost answers"):
        for history in (False, True):
            rows = [r for r in results if r["scenario"] == scenario and r["history"] == history]
            dupes = [r["duplicates"] for r in rows]
            print(f"| {scenario} | {'opt-in' if history else 'off (default)'} | {', '.join(map(str, dupes))} | "
                  f"{sum(dupes)} | {sum(r['losses'] + r['unsent_rows'] for r in rows)} | "
                  f"{', '.join(str(r['history_calls']) for r in rows)} |")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "history_check.json").write_text(json.dumps({"results": results}, indent=2) + "\n")
    ok = all(r["losses"] == 0 and r["unsent_rows"] == 0 for r in results) and not any(
        r["duplicates"] for r in results if r["history"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
