"""Staff commands: /stats, /unanswered and /broadcast. Only ADMIN_IDS may use them; every use is logged."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime

from telegram import Message, User

from bot.core import staff_views
from bot.core.engine import Engine
from bot.core.languages import Lang
from bot.core.views import Button, ConfirmBroadcast, ConfirmPageChange, Reply
from bot.services.staff import StaffService
from bot.storage import Storage
from bot.storage.question_writer import QuestionWriter
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

UNANSWERED_DAYS = 30


class AdminHandlers:
    def __init__(
        self,
        engine: Engine,
        storage: Storage,
        staff: StaffService,
        admin_ids: frozenset[int],
        wake_up: Callable[[], None],
        *,
        watch_url: str | None = None,
        questions: QuestionWriter | None = None,
    ) -> None:
        self.engine = engine
        self.storage = storage
        self.staff = staff
        self.admin_ids = admin_ids
        self.wake_up = wake_up
        self.watch_url = watch_url
        self.questions = questions

    def allowed(self, user: User | None, command: str) -> bool:
        if user is None or user.id not in self.admin_ids:
            if user is not None:
                log.info("user %s tried the staff command %s", user.id, command)
            return False
        log.info("admin %s used %s", user.id, command)
        return True

    async def stats(self, message: Message) -> None:
        if self.questions is not None:
            await self.questions.flush()  # count every question asked so far; a failure is logged and shown below
        stats = await self.storage.stats()
        lines = ["<b>Statistics</b>", f"Users: {stats.users} ({stats.active_users} reachable)"]
        for programme, count in sorted(stats.subscribers.items()):
            lines.append(f"Subscribers, {html.escape(programme)}: {count}")
        for label, counts in (("7 days", stats.questions_last_7_days), ("30 days", stats.questions_last_30_days)):
            total = sum(counts.values())
            shares = ", ".join(f"{outcome} {_share(n, total)}" for outcome, n in sorted(counts.items()))
            lines.append(f"Questions, last {label}: {total}" + (f" ({shares})" if total else ""))
        deliveries = ", ".join(f"{state} {n}" for state, n in sorted(stats.deliveries.items())) or "none"
        lines.append(f"Alerts and announcements delivered: {deliveries}")
        verdicts = ", ".join(f"{key} {n}" for key, n in sorted(stats.quiz_verdicts_last_30_days.items())) or "none"
        lines.append(f"Quiz verdicts, last 30 days: {html.escape(verdicts)}")
        limiter = getattr(message.get_bot(), "rate_limiter", None)
        if isinstance(limiter, PacedRateLimiter):
            lines.append(f"Replies dropped since start (Telegram kept answering 429): {limiter.dropped_replies}")
        if self.questions is not None:
            q = self.questions
            lines.append(
                f"Questions not logged since start: {q.dropped} (log queue full), {q.refused} (refused by the"
                f" database); waiting to be written: {q.waiting}"
            )
        lines.extend(await self._page_watch_lines())
        await message.reply_text("\n".join(lines))

    async def _page_watch_lines(self) -> list[str]:
        """How the watch of the embassy's page goes: its last success and its last error."""
        if self.watch_url is None:
            return ["Page watch: off (WATCH_URL is empty)"]
        page = await self.storage.watched_page(self.watch_url)
        if page is None:
            return [f"Page watch: {html.escape(self.watch_url)}, not checked yet"]
        error = f"{_when(page.error_at)}: {html.escape(page.error or '')}" if page.error_at is not None else "none"
        lines = [f"Page watch: last success {_when(page.succeeded_at)}; last error {error}"]
        if waiting := await self.storage.unconfirmed_page_changes(self.watch_url):
            lines.append(f"Page changes not passed on to subscribers: {waiting}")
        return lines

    async def unanswered(self, message: Message, lang: Lang) -> None:
        groups = await self.staff.unanswered(UNANSWERED_DAYS, limit=15, most_recent=5000)
        await send_reply(message, staff_views.unanswered(groups, UNANSWERED_DAYS, lang), lang)

    async def broadcast(self, message: Message, user: User, args_text: str) -> None:
        """`/broadcast PROGRAMME text…`: a draft with a preview and the number of recipients, to confirm."""
        programme, _, text = args_text.strip().partition(" ")
        knowledge = self.engine.snapshot.knowledge
        if not programme or not text.strip() or knowledge.programme(programme.lower()) is None:
            known = ", ".join(p.id for p in knowledge.programmes)
            await message.reply_text(
                "Usage: /broadcast PROGRAMME text of the announcement (several lines allowed; **bold** and links "
                f"work as in the knowledge base). Programmes: {known}."
            )
            return
        programme = programme.lower()
        draft = await self.storage.create_broadcast(programme, text.strip(), user.id)
        recipients = len(await self.storage.subscribers(programme))
        log.info("admin %s drafted broadcast %d to %s (%d recipients)", user.id, draft.id, programme, recipients)
        preview = Reply(
            f"Preview of the announcement to {_subscribers(recipients)} of {programme}:\n\n{draft.text}",
            ((Button(f"Send to {_subscribers(recipients)}", ConfirmBroadcast(draft.id)),),),
        )
        await send_reply(message, preview)

    async def confirm(self, message: Message, user: User | None, action: ConfirmBroadcast) -> None:
        if not self.allowed(user, "broadcast confirmation"):
            return
        queued = await self.storage.confirm_broadcast(action.broadcast_id)
        if queued is None:
            await message.reply_text("This announcement no longer exists.")
        elif queued == 0:
            await message.reply_text("This announcement was already sent (or has no recipients).")
        else:
            log.info(
                "admin %s confirmed broadcast %d: %d queued", user.id if user else "?", action.broadcast_id, queued
            )
            self.wake_up()
            await message.reply_text(f"Sending to {_subscribers(queued)} now, within Telegram's limits.")

    async def confirm_page_change(self, message: Message, user: User | None, action: ConfirmPageChange) -> None:
        """Staff's "Tell subscribers" under a change of the embassy's page: queue the notice, once."""
        if user is None or not self.allowed(user, "page change confirmation"):
            return
        queued = await self.storage.confirm_page_change(action.change_id, user.id)
        if queued is None:
            await message.reply_text("This page change no longer exists.")
        elif queued == 0:
            await message.reply_text("Subscribers were already told about this change (or there are none).")
        else:
            log.info("admin %s confirmed page change %d: %d queued", user.id, action.change_id, queued)
            self.wake_up()
            await message.reply_text(f"Telling {_subscribers(queued)} now, within Telegram's limits.")


def _when(instant: datetime | None) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC") if instant is not None else "never"


def _subscribers(count: int) -> str:
    return "1 subscriber" if count == 1 else f"{count} subscribers"


def _share(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%" if total else "0%"
