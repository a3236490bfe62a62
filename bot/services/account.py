"""A student's own settings and data: the language choice, what is kept, erasure. Free of Telegram."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core import account_views
from bot.core.languages import Lang, is_lang
from bot.core.views import Reply
from bot.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LangReply:
    """A reply and the language it is written in (its buttons answer in that language)."""

    reply: Reply
    lang: Lang


class AccountService:
    """What the bot keeps about one chat, read and changed on the student's behalf."""

    def __init__(self, storage: Storage, retention_days: int) -> None:
        """``retention_days``: how long the anonymous question log is kept, as the privacy notice says."""
        self.storage = storage
        self.retention_days = retention_days

    async def language_of(self, chat_id: int) -> Lang | None:
        """The user's explicit language choice, if any (nothing is written)."""
        user = await self.storage.get_user(chat_id)
        return user.language if user is not None else None

    async def seen(self, chat_id: int) -> Lang | None:
        """A private message from ``chat_id``: a user who had blocked the bot (Telegram answered 403) and is
        writing again can get alerts again. Returns their language choice, read on the way, since every
        private message needs it and one read serves both."""
        user = await self.storage.get_user(chat_id)
        if user is None:
            return None
        if not user.active:
            await self.storage.reactivate(chat_id)
        return user.language

    async def language_menu(self, chat_id: int, lang: Lang) -> Reply:
        """/language: the choices, the current one marked."""
        return account_views.language_menu(await self.language_of(chat_id), lang)

    def privacy(self, lang: Lang) -> Reply:
        """/privacy: what the bot keeps, why and for how long."""
        return account_views.privacy(self.retention_days, lang)

    async def choose_language(self, chat_id: int, choice: str, lang: Lang) -> LangReply:
        """Keep ``choice`` (a language, or anything else for "follow my messages") and say so in the new
        language. "Follow my messages" for a chat the bot keeps nothing about stores nothing."""
        chosen: Lang | None = choice if is_lang(choice) else None
        if chosen is not None or await self.storage.get_user(chat_id) is not None:
            await self.storage.set_language(chat_id, chosen)
        reply_lang = chosen or lang
        return LangReply(account_views.language_chosen(chosen, reply_lang), reply_lang)

    async def forget(self, chat_id: int, *, confirmed: bool, lang: Lang) -> Reply:
        """/forget asks first; once confirmed, every row linked to the chat is erased."""
        if not confirmed:
            return account_views.forget_confirm(lang)
        erased = await self.storage.forget(chat_id)
        log.info("a user erased their data (%s)", "rows removed" if erased else "nothing was stored")
        return account_views.forgotten(erased, lang)
