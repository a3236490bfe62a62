"""/language, /privacy and /forget: a student's own settings and data."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.core import conversation
from bot.core.views import ChooseLanguage, ForgetMe
from bot.logs import in_context
from bot.services.account import AccountService
from bot.tg import callback_data
from bot.tg.common import NEW_MESSAGES, Handler, Users, private_commands, refused_in_group
from bot.tg.render import send_reply

ACCOUNT_ACTIONS = (ChooseLanguage, ForgetMe)


def handlers(account: AccountService, users: Users) -> list[Handler]:
    async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: choose the bot's language, or follow each message."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            await send_reply(message, await account.language_menu(message.chat.id, lang), lang)

    async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/privacy: what the bot keeps, why and for how long (the same in a group: nothing personal)."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            await send_reply(message, account.privacy(lang), lang)

    async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: erase everything linked to this user, after a confirmation."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            await send_reply(message, await account.forget(message.chat.id, confirmed=False, lang=lang), lang)

    async def account_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A language or erasure button: it acts for whoever tapped it, keyed as their private chat."""
        if (tapped := await users.tapped(update)) is None:
            return
        query, action, lang = tapped
        # In a group, a language choice or an erasure would be the group's.
        if await refused_in_group(query, conversation.private_chat_only(lang).text):
            return
        await query.answer()
        if not isinstance(query.message, Message):
            return
        message = query.message
        chat_id = update.effective_user.id if update.effective_user is not None else message.chat.id
        if isinstance(action, ChooseLanguage):
            chosen = await account.choose_language(chat_id, action.language, lang)
            await send_reply(message, chosen.reply, chosen.lang, in_place=True)
        elif isinstance(action, ForgetMe):
            reply = await account.forget(chat_id, confirmed=action.confirmed, lang=lang)
            await send_reply(message, reply, lang, in_place=True)

    return [
        *private_commands(users, {"language": language, "forget": forget}),
        CommandHandler("privacy", in_context(privacy), filters=NEW_MESSAGES),
        CallbackQueryHandler(in_context(account_button), pattern=is_account_button),
    ]


def is_account_button(data: object) -> bool:
    return isinstance(callback_data.unpack(data), ACCOUNT_ACTIONS)
