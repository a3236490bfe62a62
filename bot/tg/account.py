"""/language, /privacy and /forget: a student's own settings and data."""

from __future__ import annotations

from telegram import Message

from bot.core.languages import Lang
from bot.core.views import Action, ChooseLanguage, ForgetMe
from bot.services.account import AccountService
from bot.tg.render import send_reply

ACCOUNT_ACTIONS = (ChooseLanguage, ForgetMe)


class AccountHandlers:
    """Renders the account service's replies; which chat they act for is decided by the caller."""

    def __init__(self, service: AccountService) -> None:
        self.service = service

    async def language(self, message: Message, lang: Lang) -> None:
        await send_reply(message, await self.service.language_menu(message.chat.id, lang), lang)

    async def privacy(self, message: Message, lang: Lang) -> None:
        await send_reply(message, self.service.privacy(lang), lang)

    async def forget(self, message: Message, lang: Lang) -> None:
        await send_reply(message, await self.service.forget(message.chat.id, confirmed=False, lang=lang), lang)

    async def on_button(self, message: Message, action: Action, lang: Lang, user_id: int | None = None) -> None:
        """A language or erasure button: it acts for whoever tapped it (``user_id``), keyed as their private
        chat; the handlers only pass these buttons on from a private chat."""
        chat_id = user_id if user_id is not None else message.chat.id
        if isinstance(action, ChooseLanguage):
            chosen = await self.service.choose_language(chat_id, action.language, lang)
            await send_reply(message, chosen.reply, chosen.lang, in_place=True)
        elif isinstance(action, ForgetMe):
            reply = await self.service.forget(chat_id, confirmed=action.confirmed, lang=lang)
            await send_reply(message, reply, lang, in_place=True)
