"""Benchmark: what per-person data keys cost when sensitive text is written and read.

Run it from the project root (``make bench`` runs it with the other benchmarks):

    .venv/bin/python tests/benchmarks/bench_data_keys.py
    .venv/bin/python tests/benchmarks/bench_data_keys.py --baseline-root /tmp/base   # before / after

``--baseline-root`` is another checkout (``git archive <commit> | tar -x`` into a folder): the same
workload runs against it first, in a subprocess with that checkout first on ``sys.path``, then
against this one, and the table shows both.

The workload, on a throw-away SQLite database per run: ``--people`` people each save a profile
with an off-limits field and ``--reflections`` reflections of 300-character answers, one unit of
work per person (the ORM path the app uses); then all their reflections are read in one unit of
work (a report or matching reads a whole programme), and each person's own reflections and
profile are read in a unit of work of their own (their App Home). Medians of ``--repeats`` runs.
It prints a Markdown table. Not a pytest test: nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def workload(people: int, per_person: int, repeats: int) -> dict[str, float]:
    from sqlalchemy import select

    from bot import crypto
    from bot.db import Database
    from bot.models import Enrolment, MentoringSession, Pair, Programme, Reflection

    crypto.configure([crypto.generate_key()])
    db = Database(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    db.migrate()
    at = datetime(2027, 1, 1, tzinfo=UTC)
    with db.session() as session:
        programme = Programme(name="Bench", created_by="UOLU")
        session.add(programme)
        session.flush()
        pair = Pair(programme_id=programme.id, mentor_user_id="UM", mentee_user_id="UE", approved_by="UL")
        session.add(pair)
        session.flush()
        held = []
        for number in range(per_person):
            row = MentoringSession(
                pair_id=pair.id,
                programme_id=programme.id,
                number=number + 1,
                starts_at=at,
                ends_at=at + timedelta(hours=1),
                status="held",
                ics_uid=f"bench-{number}",
                booked_by="UM",
            )
            session.add(row)
            session.flush()
            held.append(row.id)
        programme_id, pair_id = programme.id, pair.id
    started = time.perf_counter()
    for person in range(people):
        with db.session() as session:
            session.add(
                Enrolment(
                    programme_id=programme_id,
                    user_id=f"U{person}",
                    role="mentor",
                    organisation="A",
                    department="B",
                    off_limits="private words",
                )
            )
            for session_id in held:
                session.add(
                    Reflection(
                        session_id=session_id,
                        pair_id=pair_id,
                        programme_id=programme_id,
                        author_user_id=f"U{person}",
                        role="mentor",
                        takeaways="x" * 300,
                        do_differently="y" * 300,
                    )
                )
    write = time.perf_counter() - started

    def read_all() -> float:
        began = time.perf_counter()
        with db.session() as session:
            assert all(r.takeaways for r in session.scalars(select(Reflection)))
        return time.perf_counter() - began

    def read_each() -> float:
        began = time.perf_counter()
        for person in range(people):
            with db.session() as session:
                mine = select(Reflection).where(Reflection.author_user_id == f"U{person}")
                assert all(r.takeaways for r in session.scalars(mine))
                assert session.scalars(select(Enrolment).where(Enrolment.user_id == f"U{person}")).one().off_limits
        return time.perf_counter() - began

    result = {
        "write_ms": write * 1000,
        "read_all_ms": statistics.median(read_all() for _ in range(repeats)) * 1000,
        "read_each_ms": statistics.median(read_each() for _ in range(repeats)) * 1000,
    }
    db.dispose()
    return result


def measure(root: Path, args: argparse.Namespace) -> dict[str, float]:
    code = (
        f"import sys, json; sys.path.insert(0, {str(root)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r});"
        f"import bench_data_keys as b; print(json.dumps(b.workload({args.people}, {args.reflections}, {args.repeats})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--reflections", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline-root", type=Path, help="another checkout to measure first, as the baseline")
    args = parser.parse_args(argv)
    results: list[tuple[str, dict[str, Any]]] = []
    if args.baseline_root:
        results.append(("before", measure(args.baseline_root.resolve(), args)))
    results.append(("after" if args.baseline_root else "this checkout", measure(ROOT, args)))
    n, k = args.people, args.reflections
    print(f"\n| measure ({n} people, {k} reflections each, SQLite) | " + " | ".join(r[0] for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for key, label in (
        ("write_ms", f"save {n} profiles and {n * k} reflections, one unit of work per person"),
        ("read_all_ms", f"read all {n * k} reflections in one unit of work"),
        ("read_each_ms", f"{n} units of work, each reading one person's reflections and profile"),
    ):
        print(f"| {label} | " + " | ".join(f"{r[1][key]:.0f} ms" for r in results) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
