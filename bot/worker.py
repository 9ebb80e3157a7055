"""The worker process: APScheduler running the app's periodic jobs."""

from __future__ import annotations

import contextlib
import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from bot.runtime import Runtime
from bot.services.events import forget_old_events

log = logging.getLogger(__name__)


def build_jobs(scheduler: BlockingScheduler, runtime: Runtime) -> None:
    # Jobs hold no sensitive arguments and are kept in memory: the database is the source of truth.
    scheduler.add_job(forget_old_events, "interval", hours=1, args=[runtime.db], id="forget-old-events")


def run_worker(runtime: Runtime) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    build_jobs(scheduler, runtime)
    log.info("Worker started with jobs: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
