"""The page watch in Telegram: a named repeating job checks the page; staff (ADMIN_IDS) get each change with
a "Tell subscribers" button. Subscribers hear of it only through that button (``bot.tg.staff``), via the
outbox, like an announcement.

One process takes each change (marked in the database before sending, so that several bot processes do not
all tell staff); one that could not reach every admin (network, flood control) is handed back and offered
again after the next check, and at start-up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Final

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.core.page_watch_views import staff_change_message
from bot.services.delivery import SendOutcome
from bot.storage import Storage, StorageError
from bot.tg.sender import TelegramSender
from bot.watcher import PageWatcher

log = logging.getLogger(__name__)

WATCH: Final = "page-watch"
STAFF: Final = "page-watch-staff"
#: The first check after start-up, when the page was never checked or is due: soon, not during start-up.
FIRST_CHECK: Final = timedelta(seconds=30)


class StaffNotifier:
    """Tells every admin about the page changes they have not been told about yet."""

    def __init__(self, storage: Storage, admin_ids: frozenset[int]) -> None:
        self.storage = storage
        self.admin_ids = admin_ids

    async def notify(self, bot: Bot) -> int:
        """Send each pending change to every admin; how many changes were told."""
        pending = await self.storage.page_changes_to_notify()
        if pending and not self.admin_ids:
            log.warning("page watch: %d page changes to tell staff, but ADMIN_IDS is empty", len(pending))
            return 0
        sender = TelegramSender(bot)
        told = 0
        for change in pending:
            if not await self.storage.mark_staff_notified(change.id):
                continue  # another bot process is telling staff about it
            recipients = await self.storage.page_change_recipients(change.programmes)
            reply = staff_change_message(change.id, change.url, change.diff, change.programmes, recipients)
            outcomes = [await sender.send(admin, reply, "en") for admin in sorted(self.admin_ids)]
            if SendOutcome.RETRY in outcomes:
                await self.storage.unmark_staff_notified(change.id)
                log.warning("page watch: change %d could not reach every admin; offered again later", change.id)
                continue
            told += 1
            log.info("page watch: change %d shown to %d admins", change.id, outcomes.count(SendOutcome.SENT))
        return told


async def first_delay(storage: Storage, url: str, interval: timedelta, now: datetime | None = None) -> timedelta:
    """When the first check after start-up is due: a restart does not fetch the page again before its time."""
    stored = await storage.watched_page(url)
    if stored is None or stored.checked_at is None:
        return FIRST_CHECK
    due = stored.checked_at + interval - (now or datetime.now(UTC))
    return max(due, FIRST_CHECK)


async def schedule_page_watch(
    application: Application,  # type: ignore[type-arg]
    watcher: PageWatcher,
    notifier: StaffNotifier,
    interval: timedelta,
) -> None:
    """(Re)schedule the named repeating job that checks the page, then tells staff of any change."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    for job in queue.get_jobs_by_name(WATCH):
        job.schedule_removal()
    first = await first_delay(watcher.storage, watcher.url, interval)
    queue.run_repeating(_check, interval=interval, first=first, name=WATCH, data=(watcher, notifier))
    # A change found before a restart and not yet shown to staff need not wait for the next check.
    queue.run_once(_notify, when=FIRST_CHECK, name=STAFF, data=notifier)
    log.info("page watch: %s every %s, next check in %s", watcher.url, interval, first)


async def _check(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    assert isinstance(context.job.data, tuple)
    watcher, notifier = context.job.data
    await watcher.check()
    await _tell_staff(notifier, context.bot)


async def _notify(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    assert isinstance(context.job.data, StaffNotifier)
    await _tell_staff(context.job.data, context.bot)


async def _tell_staff(notifier: StaffNotifier, bot: Bot) -> None:
    try:
        await notifier.notify(bot)
    except StorageError as exc:  # the database away: the changes wait in it for the next run
        log.error("page watch: could not tell staff of page changes: %s", exc)
