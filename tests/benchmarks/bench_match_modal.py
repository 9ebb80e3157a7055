"""Benchmark: how soon the lead sees a modal after `/mentoring match`, by programme size.

Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_match_modal.py [--sizes 200 1000 2000]

Each size runs in a fresh process (so numpy and scipy load cold, as on a server's first match):
the real app over HTTP against the local Slack emulator, on a new SQLite file, with N mentors and
N + 10 mentees waiting. A simulated lead sends `/mentoring match`; the emulator's record of
``views.open`` (the small "working on it" modal) and ``views.update`` (the proposal) gives the two
times. The baseline, measured in the same process, is the old order: the proposal worked out
first (``compute_proposal``'s own time, the delay before ``views.open`` used to be called), which
past 3 seconds leaves Slack's trigger id expired. Prints a Markdown table for the README.

Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def one(size: int) -> dict[str, Any]:
    from sqlalchemy import insert

    from bot import crypto
    from bot.db import Database
    from bot.local_slack import LocalSlack
    from bot.matching import proposals
    from bot.models import Enrolment
    from bot.programmes import service as programmes

    crypto.configure([crypto.generate_key()])
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.migrate()
        world = LocalSlack(db).start(admins=[])
        try:
            lead = world.person("lena", real_name="Lena Lead")
            programme = programmes.create_programme(
                db, programmes.ProgrammeInput(name="Everyone", cross_organisation=True, lead_ids=[lead.user_id]),
                created_by="UADMIN", by_admin=True,
            )
            at = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
            rows = [
                {"programme_id": programme.id, "user_id": f"U{prefix}{n:06d}", "role": role, "status": "waiting",
                 "real_name": f"{role.title()} {n}", "organisation": f"Org {n % 20}", "department": f"Dept {n % 15}",
                 "topics": [], "privacy_confirmed_at": at, "created_at": at, "updated_at": at}
                for role, prefix, count in (("mentor", "MTR", size), ("mentee", "MTE", size + 10))
                for n in range(count)
            ]
            with db.session() as session:
                session.execute(insert(Enrolment), rows)

            real = proposals.compute_proposal
            computing: list[float] = []

            def timed(*args: Any, **kwargs: Any) -> proposals.Proposal:
                started = time.perf_counter()
                try:
                    return real(*args, **kwargs)
                finally:
                    computing.append(time.perf_counter() - started)

            proposals.compute_proposal = timed  # type: ignore[assignment]
            sent = time.time()
            answer = lead.command("/mentoring", "match")
            opened = world.emulator.calls_to("views.open")
            updated = world.emulator.calls_to("views.update")
            shown = lead.modal or {}
            return {
                "size": size,
                "ack_ms": round(answer.elapsed * 1000, 1),
                "modal_ms": round((opened[0].at - sent) * 1000, 1),
                "open_ok": opened[0].ok,
                "proposal_s": round(updated[0].at - sent, 2),
                "update_ok": updated[0].ok and shown.get("callback_id") == "match_proposal",
                "compute_s": round(computing[0], 2),
                "old_order_trigger_ok": computing[0] < 3.0,
            }
        finally:
            world.stop()
            db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| mentors × mentees | ack | \"working on it\" modal open | proposal shown | "
          "old order: views.open after | trigger id then |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        print(f"| {r['size']:,} × {r['size'] + 10:,} | {r['ack_ms']} ms | {r['modal_ms']} ms | {r['proposal_s']} s | "
              f"{r['compute_s']} s | {'valid' if r['old_order_trigger_ok'] else 'expired'} |")
    ok = all(r["open_ok"] and r["update_ok"] for r in results)
    print("every modal opened and every proposal was shown" if ok else "FAILED: a modal or a proposal was refused")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
