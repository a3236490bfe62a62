"""Staff commands: /stats, /unanswered and /broadcast. Only ADMIN_IDS may use them; every use is logged."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Message, User

from bot.core import staff_views
from bot.core.engine import Engine
from bot.core.languages import Lang
from bot.core.views import Button, ConfirmBroadcast, ConfirmPageChange, Reply
from bot.services.staff import StaffService
from bot.storage import Storage
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
    ) -> None:
        self.engine = engine
        self.storage = storage
        self.staff = staff
        self.admin_ids = admin_ids
        self.wake_up = wake_up

    def allowed(self, user: User | None, command: str) -> bool:
        if user is None or user.id not in self.admin_ids:
            if user is not None:
                log.info("user %s tried the staff command %s", user.id, command)
            return False
        log.info("admin %s used %s", user.id, command)
        return True

    async def stats(self, message: Message, lang: Lang) -> None:
        limiter = getattr(message.get_bot(), "rate_limiter", None)
        dropped = limiter.dropped_replies if isinstance(limiter, PacedRateLimiter) else None
        await send_reply(message, await self.staff.stats(lang, dropped_replies=dropped), lang)

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


def _subscribers(count: int) -> str:
    return "1 subscriber" if count == 1 else f"{count} subscribers"
