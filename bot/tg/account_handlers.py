"""/language, /privacy and /forget: a student's own settings and data."""

from __future__ import annotations

import logging

from telegram import Message

from bot.core import account_views
from bot.core.languages import Lang, is_lang
from bot.core.views import Action, ChooseLanguage, ForgetMe
from bot.storage import Storage
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

ACCOUNT_ACTIONS = (ChooseLanguage, ForgetMe)


class AccountHandlers:
    def __init__(self, storage: Storage, retention_days: int) -> None:
        self.storage = storage
        self.retention_days = retention_days

    async def chosen_language(self, chat_id: int) -> Lang | None:
        """The user's explicit choice, if any. Called for every private message, so it also notices a user
        who had blocked the bot (Telegram answered 403) and is writing again: alerts may reach them again."""
        user = await self.storage.get_user(chat_id)
        if user is None:
            return None
        if not user.active:
            await self.storage.reactivate(chat_id)
        return user.language

    async def language(self, message: Message, lang: Lang) -> None:
        current = await self.chosen_language(message.chat.id)
        await send_reply(message, account_views.language_menu(current, lang), lang)

    async def privacy(self, message: Message, lang: Lang) -> None:
        await send_reply(message, account_views.privacy(self.retention_days, lang), lang)

    async def forget(self, message: Message, lang: Lang) -> None:
        await send_reply(message, account_views.forget_confirm(lang), lang)

    async def on_button(self, message: Message, action: Action, lang: Lang, user_id: int | None = None) -> None:
        """A language or erasure button: it acts for whoever tapped it (``user_id``), keyed as their private
        chat; the handlers only pass these buttons on from a private chat."""
        chat_id = user_id if user_id is not None else message.chat.id
        if isinstance(action, ChooseLanguage):
            chosen: Lang | None = action.language if is_lang(action.language) else None
            if chosen is None and await self.storage.get_user(chat_id) is None:
                pass  # "follow my messages" for a chat we keep nothing about: nothing to store
            else:
                await self.storage.set_language(chat_id, chosen)
            reply_lang = chosen or lang
            await send_reply(message, account_views.language_chosen(chosen, reply_lang), reply_lang, in_place=True)
        elif isinstance(action, ForgetMe):
            if not action.confirmed:
                await send_reply(message, account_views.forget_confirm(lang), lang, in_place=True)
                return
            erased = await self.storage.forget(chat_id)
            log.info("a user erased their data (%s)", "rows removed" if erased else "nothing was stored")
            await send_reply(message, account_views.forgotten(erased, lang), lang, in_place=True)
