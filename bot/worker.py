"""The worker process: APScheduler running the dispatcher and housekeeping.

APScheduler keeps its jobs in memory and they carry no arguments worth keeping: the outbox table
is the source of truth, so any number of workers can run and each due row is still sent once.
"""

from __future__ import annotations

import contextlib
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.events import forget_old_events
from bot.outbox.dispatcher import Dispatcher
from bot.runtime import Runtime
from bot.sessions.service import watch_new_pairs
from bot.submissions import forget_old_submissions

log = logging.getLogger(__name__)


def add_jobs(scheduler: BaseScheduler, runtime: Runtime) -> Dispatcher:
    dispatcher = Dispatcher(runtime)
    scheduler.add_job(
        dispatcher.run_once,
        "interval",
        seconds=runtime.settings.dispatch_interval_seconds,
        id="dispatch-outbox",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(forget_old_events, "interval", hours=1, args=[runtime.db], id="forget-old-events")
    scheduler.add_job(forget_old_submissions, "interval", hours=6, args=[runtime.db], id="forget-old-submissions")
    # Impact surveys due, programmes past their end date, sensitive text past its retention (issue 7).
    from bot.closeout.service import run_periodic_jobs

    scheduler.add_job(run_periodic_jobs, "interval", minutes=10, args=[runtime.db], id="closeout-housekeeping")
    # New pairs get their scheduling window watched (nudge, at-risk check): idempotent, cheap.
    scheduler.add_job(watch_new_pairs, "interval", minutes=5, args=[runtime.db], id="watch-new-pairs")
    return dispatcher


def run_worker(runtime: Runtime) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    dispatcher = add_jobs(scheduler, runtime)
    log.info("Worker started with jobs: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    dispatcher.close()


def start_background_worker(runtime: Runtime) -> BackgroundScheduler:
    """The same jobs inside the app process (the default for Socket Mode development)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, runtime)
    scheduler.start()
    log.info("Dispatcher running inside this process")
    return scheduler
