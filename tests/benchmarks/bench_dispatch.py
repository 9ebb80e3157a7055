"""Dispatch benchmark: 10,000 due outbox rows sent to the local Slack emulator by real dispatcher
processes on PostgreSQL.

1. Throughput: one worker, then two, rows per second (no rate limits).
2. Memory: one worker's peak RSS with a 2,000-row and a 10,000-row backlog (claims are batched,
   so it should not grow with the backlog).
3. Slack's per-channel posting limit enforced by the emulator (``enforce_rate_limits``, sped up
   2x by default, 10 channels, 100 rows each, so 20 posts a second in all: what a 2-core machine
   shared with other work sustains with room to spare): 1, 2 and 4 worker processes, first with the old
   per-process pacing (the baseline), then with the pacing shared through the database, in the same
   run. The floor is Slack's own: each channel takes its burst (3) at once, then one post per
   interval, so (100 - 3) x 0.5 s. Measured from the first post to the last (process start-up is
   shown apart). Goal for shared pacing: 0 rate-limit answers, 0 duplicates, 0 losses, within 5% of
   the floor, whatever the number of workers.

    .venv/bin/python tests/benchmarks/bench_dispatch.py [--rows 10000] [--paced-rows 4000] [--speedup 2]
        [--channels 40] [--workers 1,2,4] [--only paced]

Needs PostgreSQL at TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Prints a Markdown table and writes bench-results/dispatch.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot import crypto, outbox  # noqa: E402
from bot.emulator import SlackEmulator  # noqa: E402
from tests.conftest import PostgresSchema  # noqa: E402
from tests.dispatch_process import fill  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run_workers(
    url: str, schema: str, emu: SlackEmulator, key: str, workers: int, *extra: str
) -> tuple[float, list[int], float]:
    """Start ``workers`` dispatcher processes; wait until all rows are done. (seconds, sent by each, peak MB)"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "tests.dispatch_process", "--db-url", url, "--schema", schema,
        "--api-url", emu.api_url, "--token", emu.bot_token, "--key", key, *extra,
    ]
    started = time.perf_counter()
    processes = [
        subprocess.Popen([*command, "--worker-id", f"bench-{i}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for i in range(workers)
    ]
    peak = 0.0
    watched = [psutil.Process(p.pid) for p in processes]
    while any(p.poll() is None for p in processes):
        for proc in watched:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, proc.memory_info().rss / 2**20)
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    sent = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"a dispatcher failed: {err[-2000:]}")
        sent.append(int(out.split()[-1]))
    return elapsed, sent, peak


def fresh(url: str) -> tuple[PostgresSchema, Any]:
    schema = PostgresSchema(url)
    db = schema.database()
    db.migrate()
    return schema, db


def check(emu: SlackEmulator, db: Any, rows: int) -> tuple[int, int]:
    """(duplicates, losses) as Slack saw them."""
    posted = Counter(str(c.args.get("text")) for c in emu.calls_to("chat.postMessage") if c.ok)
    duplicates = sum(n - 1 for n in posted.values() if n > 1)
    counts = outbox.counts_by_status(db)
    losses = rows - min(len(posted), counts.get("sent", 0))
    return duplicates, losses


def throughput(url: str, key: str, rows: int, workers: int) -> dict[str, Any]:
    schema, db = fresh(url)
    with SlackEmulator() as emu:
        users = [emu.add_user(f"person{i}") for i in range(500)]
        fill(db, rows, users=users, prefix="bench")
        elapsed, sent, peak = run_workers(url, schema.name, emu, key, workers, "--batch", "200", "--threads", "8")
        duplicates, losses = check(emu, db, rows)
    db.dispose()
    schema.drop()
    return {
        "scenario": f"{rows:,} rows, {workers} worker(s), no rate limit",
        "rows": rows, "workers": workers, "seconds": round(elapsed, 2), "rows_per_second": round(rows / elapsed, 1),
        "sent_by_worker": sent, "duplicates": duplicates, "losses": losses, "peak_rss_mb": round(peak, 1),
    }


def rate_limited(
    url: str, key: str, rows: int, channels: int, speedup: float, burst: int, workers: int, pacing: str,
    dispatcher_burst: int | None = None,
) -> dict[str, Any]:
    schema, db = fresh(url)
    per_channel = rows // channels
    interval = 1.0 / speedup
    # Slack's limit: about one message per second per channel (here sped up), after a small burst.
    floor = (per_channel - burst) * interval
    with SlackEmulator() as emu:
        ids = [emu.add_channel(f"bench-{i}", bot_member=True) for i in range(channels)]
        fill(db, per_channel * channels, channels=ids, prefix="paced")
        emu.enforce_rate_limits(True, speedup=speedup, post_message_burst=burst)
        elapsed, sent, peak = run_workers(
            url, schema.name, emu, key, workers, "--batch", "200", "--threads", "16", "--interval", f"{interval}",
            "--pacing", pacing, *(["--burst", str(dispatcher_burst)] if dispatcher_burst else []),
        )
        duplicates, losses = check(emu, db, per_channel * channels)
        posts = emu.calls_to("chat.postMessage")
        limited = sum(1 for c in posts if c.http_status == 429)
        done = [c.at for c in posts if c.ok]
        span = max(done) - min(done) if done else 0.0
    db.dispose()
    schema.drop()
    return {
        "scenario": f"{per_channel * channels:,} rows over {channels} channels, {workers} worker(s), "
                    f"{'shared' if pacing == 'shared' else 'per-process (old)'} pacing",
        "rows": per_channel * channels, "workers": workers, "pacing": pacing, "seconds": round(span, 2),
        "wall_seconds": round(elapsed, 2), "rows_per_second": round(per_channel * channels / span, 1) if span else 0,
        "floor_seconds": round(floor, 2), "over_floor_percent": round(100 * (span - floor) / floor, 1),
        "http_429s": limited, "sent_by_worker": sent, "duplicates": duplicates, "losses": losses,
        "peak_rss_mb": round(peak, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--paced-rows", type=int, default=1_000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--speedup", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=3, help="the emulator's (Slack's) burst per channel")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for the rate-limited runs")
    parser.add_argument("--only", choices=["throughput", "paced"], default=None)
    parser.add_argument("--pacings", default="process,shared", help="process (the old baseline) and/or shared")
    parser.add_argument("--dispatcher-burst", type=int, default=None, help="the dispatcher's burst (default: its own)")
    args = parser.parse_args(argv)
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    key = crypto.generate_key()
    crypto.configure([key])
    results = []
    if args.only != "paced":
        results += [
            throughput(url, key, args.rows, 1),
            throughput(url, key, args.rows, 2),
            throughput(url, key, max(args.rows // 5, 1), 1),
        ]
    paced = []
    if args.only != "throughput":
        for pacing in args.pacings.split(","):  # the old baseline first, in the same run
            for workers in (int(w) for w in args.workers.split(",")):
                paced.append(rate_limited(url, key, args.paced_rows, args.channels, args.speedup, args.burst,
                                          workers, pacing, args.dispatcher_burst))
                print(json.dumps(paced[-1]), flush=True)
    if results:
        print("\n| scenario | seconds | rows/s | dupes | losses | peak RSS MB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            print(f"| {r['scenario']} | {r['seconds']} | {r['rows_per_second']} | {r['duplicates']} | "
                  f"{r['losses']} | {r['peak_rss_mb']} |")
    if paced:
        print("\n| pacing | workers | first to last post s | floor s | over floor | 429s | dupes | losses | wall s |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in paced:
            name = "shared (database)" if r["pacing"] == "shared" else "per process (old)"
            print(f"| {name} | {r['workers']} | {r['seconds']} | {r['floor_seconds']} | {r['over_floor_percent']}% | "
                  f"{r['http_429s']} | {r['duplicates']} | {r['losses']} | {r['wall_seconds']} |")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "dispatch.json").write_text(json.dumps({"results": results + paced}, indent=2) + "\n")
    print(f"\nWrote {out / 'dispatch.json'}")
    ok = all(r["duplicates"] == 0 and r["losses"] == 0 for r in results + paced)
    shared = [r for r in paced if r["pacing"] == "shared"]
    goals = all(r["http_429s"] == 0 and r["over_floor_percent"] <= 5.0 for r in shared)
    print("Shared pacing goals (0 rate-limit answers, within 5% of the floor):", "met" if goals else "MISSED")
    return 0 if ok and goals else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
