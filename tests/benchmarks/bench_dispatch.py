"""Dispatch benchmark: 10,000 due outbox rows sent to the local Slack emulator by real dispatcher
processes on PostgreSQL.

1. Throughput: one worker, then two, rows per second (no rate limits).
2. Memory: one worker's peak RSS with a 2,000-row and a 10,000-row backlog (claims are batched,
   so it should not grow with the backlog).
3. Slack's per-channel posting limit enforced by the emulator (``enforce_rate_limits``, sped up
   2x by default, 40 channels, so the floor is about two minutes): total time against the floor, with zero
   duplicates and zero losses. Goal: within 10% of the floor.

    .venv/bin/python tests/benchmarks/bench_dispatch.py [--rows 10000] [--speedup 2] [--channels 40]

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


def rate_limited(url: str, key: str, rows: int, channels: int, speedup: float, burst: int) -> dict[str, Any]:
    schema, db = fresh(url)
    per_channel = rows // channels
    interval = 1.0 / speedup
    # Slack's limit: about one message per second per channel (here sped up), after a small burst.
    floor = (per_channel - burst) * interval
    with SlackEmulator() as emu:
        ids = [emu.add_channel(f"bench-{i}") for i in range(channels)]
        fill(db, per_channel * channels, channels=ids, prefix="paced")
        emu.enforce_rate_limits(True, speedup=speedup, post_message_burst=burst)
        elapsed, sent, peak = run_workers(
            url, schema.name, emu, key, 1, "--batch", "200", "--threads", "16", "--interval", f"{interval}"
        )
        duplicates, losses = check(emu, db, per_channel * channels)
        limited = sum(1 for c in emu.calls_to("chat.postMessage") if c.http_status == 429)
    db.dispose()
    schema.drop()
    return {
        "scenario": f"{per_channel * channels:,} rows over {channels} channels, per-channel limit x{speedup:g}",
        "rows": per_channel * channels, "workers": 1, "seconds": round(elapsed, 2),
        "rows_per_second": round(per_channel * channels / elapsed, 1), "floor_seconds": round(floor, 2),
        "over_floor_percent": round(100 * (elapsed - floor) / floor, 1), "http_429s": limited,
        "sent_by_worker": sent, "duplicates": duplicates, "losses": losses, "peak_rss_mb": round(peak, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--speedup", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=3)
    args = parser.parse_args(argv)
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    key = crypto.generate_key()
    crypto.configure([key])
    results = [
        throughput(url, key, args.rows, 1),
        throughput(url, key, args.rows, 2),
        throughput(url, key, max(args.rows // 5, 1), 1),
        rate_limited(url, key, args.rows, args.channels, args.speedup, args.burst),
    ]
    print("\n| scenario | seconds | rows/s | floor s | over floor | dupes | losses | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        floor = f"{r['floor_seconds']}" if "floor_seconds" in r else ""
        over = f"{r['over_floor_percent']}%" if "over_floor_percent" in r else ""
        print(
            f"| {r['scenario']} | {r['seconds']} | {r['rows_per_second']} | {floor} | {over} | "
            f"{r['duplicates']} | {r['losses']} | {r['peak_rss_mb']} |"
        )
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "dispatch.json").write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(f"\nWrote {out / 'dispatch.json'}")
    ok = all(r["duplicates"] == 0 and r["losses"] == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
