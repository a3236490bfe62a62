"""Waking the alert dispatcher with python-telegram-bot's JobQueue (APScheduler underneath).

Jobs are not persisted: they are recomputed from the knowledge base at start-up and after a reload,
and what has been sent is in the database. A regular tick catches up after downtime and retries passing
failures; a one-off job wakes the dispatcher exactly when the next alert falls due.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, ContextTypes

from bot.delivery import AlertDispatcher
from bot.tg.sender import TelegramSender

log = logging.getLogger(__name__)

TICK = "alerts-tick"
NEXT = "alerts-next"


def schedule_alerts(
    application: Application,  # type: ignore[type-arg]
    dispatcher: AlertDispatcher,
    interval: timedelta,
) -> None:
    """(Re)schedule the dispatcher's jobs from the current knowledge base."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    for job in (*queue.get_jobs_by_name(TICK), *queue.get_jobs_by_name(NEXT)):
        job.schedule_removal()
    sender = TelegramSender(application.bot)

    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        await dispatcher.run(sender)
        _schedule_next(application, dispatcher, run)

    queue.run_repeating(run, interval=interval, first=1, name=TICK)
    _schedule_next(application, dispatcher, run)


def _schedule_next(application: Application, dispatcher: AlertDispatcher, callback: object) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    assert queue is not None
    for job in queue.get_jobs_by_name(NEXT):
        job.schedule_removal()
    wake_up = dispatcher.next_wake_up()
    if wake_up is not None:
        queue.run_once(callback, when=wake_up, name=NEXT)  # type: ignore[arg-type]
        log.info("alerts: next one due at %s", wake_up.isoformat())
