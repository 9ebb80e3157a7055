"""Benchmark: the programme lead's App Home for a programme of 5,000 pairs.

Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_home.py [--pairs 10 1000 5000] [--repeats 7]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each size it seeds a programme (two held sessions per pair, every seventh pair at risk, half
with an agreed contract, reflections, open concerns, people waiting), then builds the lead's Home
(the dashboard's queries plus the Block Kit view) ``--repeats`` times and reports the median and
worst time, the number of database queries (counted with a ``before_cursor_execute`` listener:
it must not grow with the number of pairs) and the number of blocks (Slack's limit is 100).
Prints a Markdown table for the README and writes ``bench-results/home.json``.

Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from bot import crypto  # noqa: E402
from bot.content import load_content  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.emulator.blockkit import validate_view  # noqa: E402
from bot.home import service as dashboard  # noqa: E402
from bot.home.blocks import MAX_BLOCKS, home_view  # noqa: E402
from tests.factory import seed_programme  # noqa: E402


def measure(db: Database, programme_id: int, repeats: int) -> dict[str, Any]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    times: list[float] = []
    queries: list[int] = []
    blocks = 0
    view: dict[str, Any] = {}
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(repeats):
            statements.clear()
            started = time.perf_counter()
            with db.session() as session:
                board = dashboard.lead_dashboard(session, programme_id, page_size=15)
            view = home_view(load_content(), boards=[board])
            times.append(time.perf_counter() - started)
            queries.append(len(statements))
            blocks = len(view["blocks"])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    errors = validate_view(view)
    return {
        "median_ms": round(median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "queries": max(queries),
        "queries_min": min(queries),
        "blocks": blocks,
        "valid": not errors and blocks <= MAX_BLOCKS,
        "view_bytes": len(json.dumps(view)),
    }


def run(kind: str, url: str, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    db = Database(url)
    db.migrate()
    rows = []
    try:
        for size in sizes:
            seeded = time.perf_counter()
            programme_id = seed_programme(db, size, name=f"Bench {size}", lead=f"UBENCH{size}")
            seed_s = time.perf_counter() - seeded
            result = measure(db, programme_id, repeats)
            rows.append({"database": kind, "pairs": size, "seed_s": round(seed_s, 1), **result})
            print(
                f"  {kind:10} {size:>6,} pairs: median {result['median_ms']} ms, "
                f"{result['queries']} queries, {result['blocks']} blocks",
                flush=True,
            )
    finally:
        db.dispose()
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[10, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args(argv)
    crypto.configure([crypto.generate_key()])
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-home-") as folder:
        rows += run("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.pairs, args.repeats)
    if args.postgres.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            rows += run(
                "PostgreSQL", f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args.pairs, args.repeats
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()

    print("\n| Database | Pairs | Render (median) | Render (worst) | DB queries | Blocks | Valid view |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(
            f"| {row['database']} | {row['pairs']:,} | {row['median_ms']} ms | {row['max_ms']} ms | "
            f"{row['queries']} | {row['blocks']} | {'yes' if row['valid'] else 'NO'} |"
        )
    fixed = all(
        len({r["queries"] for r in rows if r["database"] == kind}) == 1 for kind in {r["database"] for r in rows}
    )
    print(f"\nQueries independent of the number of pairs: {'yes' if fixed else 'NO'}")
    out = ROOT / "bench-results" / "home.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {"benchmark": "lead App Home", "repeats": args.repeats, "fixed_queries": fixed, "results": rows}, indent=2
        )
        + "\n"
    )
    print(f"Wrote {out.relative_to(ROOT)}")
    return 0 if fixed and all(r["valid"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
