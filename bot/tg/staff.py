"""Staff commands: /stats, /unanswered and /broadcast. Only ADMIN_IDS may use them; every use is logged."""

from __future__ import annotations

import logging

from telegram import Message, User

from bot.core import staff_views
from bot.core.languages import Lang
from bot.core.views import ConfirmBroadcast, ConfirmPageChange
from bot.services.staff import StaffService
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

UNANSWERED_DAYS = 30


class AdminHandlers:
    """The staff commands' adapter: who may use them (every use logged), then the staff service's reply."""

    def __init__(self, staff: StaffService, admin_ids: frozenset[int]) -> None:
        self.staff = staff
        self.admin_ids = admin_ids

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

    async def broadcast(self, message: Message, user: User, args_text: str, lang: Lang) -> None:
        """`/broadcast PROGRAMME text…`: a draft with a preview and the number of recipients, to confirm."""
        # The preview's button carries no language: whoever confirms reads the answer in their own.
        await send_reply(message, await self.staff.draft_broadcast(args_text, user.id, lang))

    async def confirm(self, message: Message, user: User | None, action: ConfirmBroadcast, lang: Lang) -> None:
        if self.allowed(user, "broadcast confirmation"):
            admin_id = user.id if user is not None else None
            await send_reply(message, await self.staff.confirm_broadcast(action.broadcast_id, admin_id, lang), lang)

    async def confirm_page_change(
        self, message: Message, user: User | None, action: ConfirmPageChange, lang: Lang
    ) -> None:
        """Staff's "Tell subscribers" under a change of the embassy's page: queue the notice, once."""
        if user is not None and self.allowed(user, "page change confirmation"):
            await send_reply(message, await self.staff.confirm_page_change(action.change_id, user.id, lang), lang)
