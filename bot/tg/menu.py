"""The menu: /start (with deep links), /help, the entry, menu, details and sources buttons, anything that is
not text, and the last word on a stale or malformed button."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.core import conversation
from bot.core.engine import Engine
from bot.core.views import ShowDetails, ShowEntry, ShowMenu, ShowProgramme, ShowSources
from bot.logs import in_context
from bot.tg import callback_data
from bot.tg.common import NEW_MESSAGES, Callback, Handler, Users, refused_in_group
from bot.tg.quiz import send_private_link
from bot.tg.render import edit, send

log = logging.getLogger(__name__)

MENU_ACTIONS = (ShowEntry, ShowDetails, ShowSources, ShowMenu, ShowProgramme)
_PRIVATE_ACTIONS = (ShowMenu, ShowProgramme)  # a menu in a group would be posted for everyone


def handlers(engine: Engine, users: Users) -> list[Handler]:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, with an optional deep-link payload: a programme or an entry."""
        message = update.effective_message
        if message is None:
            return
        lang = await users.lang(update)
        if await users.flooding(update, lang):
            return
        knowledge = engine.snapshot.knowledge
        payload = " ".join(context.args or [])
        if message.chat.type != ChatType.PRIVATE:
            # The menu and the quiz are for a private chat: in a group, anyone could tap them.
            if payload.lower().startswith("eligible"):
                programme = (context.args or [""])[0].lower() or None
                await send_private_link(message, knowledge, programme, context.bot.username, lang)
            else:
                await send(message, conversation.private_chat_only(lang))
            return
        reply = conversation.deep_link(knowledge, payload, lang) if payload else conversation.welcome(knowledge, lang)
        await send(message, reply, lang)

    async def help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what the bot can do."""
        if update.effective_message is not None and not await users.flooding(update):
            await send(update.effective_message, conversation.help_reply(await users.lang(update)))

    async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like in a private chat (in a group they are not for the bot)."""
        if update.effective_message is not None:
            await send(update.effective_message, conversation.not_text(await users.lang(update)))

    # A query with neither data nor a game matches any pattern in python-telegram-bot; the menu's buttons come
    # first among the features' so such a query gets the stale-button reply, as an unknown one does.
    return [
        CommandHandler("start", in_context(start), filters=NEW_MESSAGES),
        CommandHandler("help", in_context(help), filters=NEW_MESSAGES),
        CallbackQueryHandler(in_context(_buttons(engine, users)), pattern=is_menu_button),
        MessageHandler(NEW_MESSAGES & ~filters.TEXT & filters.ChatType.PRIVATE, in_context(not_text)),
    ]


def stale_buttons(engine: Engine, users: Users) -> list[Handler]:
    """The last button handler: whatever no feature claimed is out of date, and gets the menu again."""
    return [CallbackQueryHandler(in_context(_buttons(engine, users)))]


def _buttons(engine: Engine, users: Users) -> Callback:
    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A menu button, or (registered last, without a pattern) a button the bot no longer knows."""
        if (tapped := await users.tapped(update)) is None:
            return
        query, action, lang = tapped
        knowledge = engine.snapshot.knowledge
        if isinstance(action, _PRIVATE_ACTIONS) and await refused_in_group(
            query, conversation.private_chat_only(lang).text
        ):
            return
        await query.answer()
        if action is None:
            log.info("stale or malformed button: %r", (query.data or "")[:64])
        reply = conversation.respond_to(knowledge, action, lang)
        if not isinstance(query.message, Message):
            return
        # An answer stays in the chat; a menu (or a dead button's message) is replaced in place.
        opens_entry = isinstance(action, ShowEntry | ShowDetails | ShowSources) and action.entry_id in knowledge.by_id
        if opens_entry or (isinstance(action, ShowMenu) and action.below):
            await send(query.message, reply, lang)
        else:
            await edit(query.message, reply, lang)

    return button


def is_menu_button(data: object) -> bool:
    return isinstance(callback_data.unpack(data), MENU_ACTIONS)
