"""Waking the alert dispatcher with python-telegram-bot's JobQueue (APScheduler underneath).

Jobs are not persisted: they are recomputed from the knowledge base at start-up and after a reload,
and what has been sent is in the database. A regular tick catches up after downtime and retries passing
failures; a one-off job wakes the dispatcher exactly when the next alert falls due; a broadcast wakes it
at once. A daily job forgets logged questions past their retention.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, ContextTypes, JobQueue

from bot.services.delivery import AlertDispatcher
from bot.storage import Storage
from bot.tg.sender import TelegramSender

log = logging.getLogger(__name__)

TICK = "alerts-tick"
NEXT = "alerts-next"
NOW = "alerts-now"
PURGE = "question-log-purge"


def schedule_alerts(
    application: Application,  # type: ignore[type-arg]
    dispatcher: AlertDispatcher,
    interval: timedelta,
) -> None:
    """(Re)schedule the dispatcher's jobs from the current knowledge base."""
    queue = _queue(application)
    for job in (*queue.get_jobs_by_name(TICK), *queue.get_jobs_by_name(NEXT)):
        job.schedule_removal()
    queue.run_repeating(_run, interval=interval, first=1, name=TICK, data=dispatcher)
    _schedule_next(queue, dispatcher)


def wake_dispatcher(application: Application, dispatcher: AlertDispatcher) -> None:  # type: ignore[type-arg]
    """Deliver what is pending now (after a broadcast is confirmed) rather than at the next tick."""
    _queue(application).run_once(_run, when=0, name=NOW, data=dispatcher)


def schedule_housekeeping(application: Application, storage: Storage, retention_days: int) -> None:  # type: ignore[type-arg]
    queue = _queue(application)
    for job in queue.get_jobs_by_name(PURGE):
        job.schedule_removal()

    async def purge(context: ContextTypes.DEFAULT_TYPE) -> None:
        removed = await storage.purge_questions_older_than(retention_days)
        if removed:
            log.info("question log: forgot %d questions older than %d days", removed, retention_days)

    queue.run_repeating(purge, interval=timedelta(days=1), first=10, name=PURGE)


async def _run(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    dispatcher: AlertDispatcher = context.job.data  # type: ignore[assignment]
    try:
        await dispatcher.run(TelegramSender(context.bot))
    finally:  # even when a run fails (database away), the next exact wake-up stays scheduled
        _schedule_next(_queue(context.application), dispatcher)


def _schedule_next(queue: JobQueue, dispatcher: AlertDispatcher) -> None:  # type: ignore[type-arg]
    for job in queue.get_jobs_by_name(NEXT):
        job.schedule_removal()
    wake_up = dispatcher.next_wake_up()
    if wake_up is not None:
        queue.run_once(_run, when=wake_up, name=NEXT, data=dispatcher)
        log.info("alerts: next one due at %s", wake_up.isoformat())


def _queue(application: Application) -> JobQueue:  # type: ignore[type-arg]
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    return application.job_queue
