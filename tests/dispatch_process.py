"""A dispatcher in a process of its own, for the reliability tests and the dispatch benchmark.

    python -m tests.dispatch_process --db-url URL [--schema S] --api-url URL --token T [--lease 2] ...

Runs the real :class:`bot.outbox.dispatcher.Dispatcher` against the given database until no row is
pending or in flight, then prints how many rows it sent. Rows of kind ``bench_note`` go to the
channel or person named in the row, with the text in its payload.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot import crypto
from bot.clock import now
from bot.content import Content, load_content
from bot.db import Database
from bot.models import OutboxMessage
from bot.outbox import Kind, Rendered, Skip
from bot.outbox.dispatcher import Dispatcher
from bot.registry import outbox_kinds
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack_gateway import SlackGateway

KIND = "bench_note"


def render_note(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    text = str(row.payload["text"])
    if row.channel_id:
        return Rendered(text=text, channel=row.channel_id)
    return Rendered(text=text, user_id=row.recipient_user_id)



NOTE_KINDS = outbox_kinds({KIND: Kind(render_note)})


def database(url: str, schema: str | None) -> Database:
    if schema:
        return Database(url, connect_args={"options": f"-csearch_path={schema}"})
    return Database(url)


def runtime_for(db: Database, api_url: str, token: str) -> Runtime:
    settings = Settings(slack_bot_token=token, slack_api_url=api_url, database_url=db.url)
    return Runtime(settings, db, SlackGateway.connect(token, api_url), load_content(), kinds=NOTE_KINDS)


def fill(
    db: Database,
    count: int,
    *,
    users: Sequence[str] = (),
    channels: Sequence[str] = (),
    programme_id: int | None = None,
    prefix: str = "row",
    chunk: int = 2000,
) -> None:
    """``count`` due rows, spread round-robin over the people (DMs) or channels, in bulk."""
    at = now()
    targets: Sequence[str] = channels or users
    for first in range(0, count, chunk):
        rows: list[dict[str, Any]] = []
        for index in range(first, min(first + chunk, count)):
            target = targets[index % len(targets)]
            rows.append(
                {
                    "key": f"{prefix}-{index}",
                    "kind": KIND,
                    "payload": {"text": f"{prefix} {index}"},
                    "recipient_user_id": None if channels else target,
                    "channel_id": target if channels else None,
                    "programme_id": programme_id,
                    "send_at": at,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": at,
                }
            )
        with db.session() as session:
            session.execute(insert(OutboxMessage), rows)


def unfinished(db: Database) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(["pending", "sending"]))
            )
            or 0
        )


def drain(dispatcher: Dispatcher, db: Database, *, deadline: float = 600.0) -> int:
    """Dispatch until every row is finished (rows leased by a dead worker come back after the lease)."""
    sent, started = 0, time.monotonic()
    while time.monotonic() - started < deadline:
        done = dispatcher.run_once()
        sent += done
        if done == 0:
            if unfinished(db) == 0:
                break
            time.sleep(0.02)
    return sent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--schema", default=None)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--key", default=None, help="an encryption key (rows hold no secrets; settings want one)")
    parser.add_argument("--worker-id", default=None)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.0, help="per-conversation pacing, seconds")
    parser.add_argument("--lease", type=float, default=120.0, help="seconds")
    parser.add_argument("--pacing", choices=["shared", "process"], default="shared",
                        help="pacing kept in the database (shared) or in this process (the old baseline)")
    parser.add_argument("--burst", type=int, default=None, help="the dispatcher's own burst per conversation")
    parser.add_argument("--history-check", action="store_true", help="opt in to the history lookup on retries")
    args = parser.parse_args(argv)
    crypto.configure([args.key or crypto.generate_key()])
    db = database(args.db_url, args.schema)
    dispatcher = Dispatcher(
        runtime_for(db, args.api_url, args.token),
        worker_id=args.worker_id,
        batch=args.batch,
        threads=args.threads,
        per_conversation_interval=args.interval,
        lease=timedelta(seconds=args.lease),
        pacing=args.pacing,
        **({"pacing_burst": args.burst} if args.burst else {}),
        history_check=args.history_check,
    )
    sent = drain(dispatcher, db)
    dispatcher.close()
    print(f"sent {sent}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
