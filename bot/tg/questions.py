"""Free-text questions: in a private chat every text, in a group only one addressed to the bot."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.core.languages import lang_from_code
from bot.core.questions import clean
from bot.logs import in_context
from bot.services.questions import QuestionService
from bot.tg.common import NEW_MESSAGES, Handler, Users
from bot.tg.render import send


def handlers(answers: QuestionService, users: Users) -> list[Handler]:
    async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A free-text question: match it and answer, suggest, or fall back honestly."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = clean(message.text)
        if message.chat.type != ChatType.PRIVATE:
            addressed = _addressed_text(message, text, context.bot.username)
            if addressed is None:
                return
            text = addressed
        if await users.flooding(update):
            return
        user = update.effective_user
        app_lang = lang_from_code(user.language_code if user else None)
        answered = answers.answer(text, chosen=await users.chosen(update), app_lang=app_lang)
        await send(message, answered.reply, answered.lang)
        await answers.log(answered)

    # A text with no command at its start: a command handler would not match it anyway.
    return [MessageHandler(NEW_MESSAGES & filters.TEXT & ~filters.COMMAND, in_context(question))]


def _addressed_text(message: Message, text: str, username: str | None) -> str | None:
    """In a group: the text without the @mention when the bot is mentioned or replied to, else None.

    Only a whole mention of exactly this bot counts: '@EmbassyTestBotFan' or an e-mail address that
    contains the name do not.
    """
    if username:
        mention = re.compile(rf"(?<![\w@.])@{re.escape(username)}(?![\w@])", re.IGNORECASE)
        if mention.search(text):
            return mention.sub(" ", text).strip()
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.username == username:
        return text
    return None
