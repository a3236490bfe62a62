"""The eligibility quiz: /eligible, /cancel and the quiz's buttons (its state lives only in the buttons)."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.core import conversation, quiz_views
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.views import QUIZ_ACTIONS, QuizRequirements, QuizStep
from bot.logs import in_context
from bot.storage import Storage, StorageError
from bot.tg import callback_data
from bot.tg.common import NEW_MESSAGES, Handler, Users, refused_in_group
from bot.tg.render import edit, send

log = logging.getLogger(__name__)


def handlers(engine: Engine, storage: Storage, users: Users) -> list[Handler]:
    async def eligible(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/eligible [programme]: the eligibility quiz, one question per message edit."""
        message = update.effective_message
        if message is None:
            return
        lang = await users.lang(update)
        programme = (context.args or [""])[0].lower() or None
        if message.chat.type != ChatType.PRIVATE:
            await send_private_link(message, engine.snapshot.knowledge, programme, context.bot.username, lang)
            return
        await send(message, quiz_views.start(engine.snapshot.knowledge, programme, lang), lang)

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: end the eligibility quiz politely."""
        if update.effective_message is not None:
            lang = await users.lang(update)
            await send(update.effective_message, quiz_views.cancelled(lang), lang)

    async def quiz_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tap on a quiz button: the next question or the verdict, in place."""
        if (tapped := await users.tapped(update)) is None:
            return
        query, action, lang = tapped
        knowledge = engine.snapshot.knowledge
        # A quiz button in a group would let anyone answer someone else's quiz.
        if await refused_in_group(query, quiz_views.private_only(lang, None).text):
            return
        await query.answer()
        reply = conversation.respond_to(knowledge, action, lang)
        if isinstance(action, QuizStep):
            await _count_verdict(storage, knowledge, action)
        if not isinstance(query.message, Message):
            return
        # A verdict stays in the chat under its "All requirements" list; a question is replaced in place.
        if isinstance(action, QuizRequirements):
            await send(query.message, reply, lang)
        else:
            await edit(query.message, reply, lang)

    return [
        CommandHandler("eligible", in_context(eligible), filters=NEW_MESSAGES),
        CommandHandler("cancel", in_context(cancel), filters=NEW_MESSAGES),
        CallbackQueryHandler(in_context(quiz_button), pattern=is_quiz_button),
    ]


def is_quiz_button(data: object) -> bool:
    return isinstance(callback_data.unpack(data), QUIZ_ACTIONS)


async def send_private_link(
    message: Message, knowledge: KnowledgeBase, programme: str | None, username: str | None, lang: Lang
) -> None:
    """In a group the quiz's answers would be public: a link to a private chat that starts it instead."""
    # The link is built only from a programme id the knowledge base has, never from what was typed.
    known = programme if programme and knowledge.quiz(programme) is not None else None
    link = f"https://t.me/{username}?start=eligible" + (f"-{known}" if known else "")
    await send(message, quiz_views.private_only(lang, link if username else None), lang)


async def _count_verdict(storage: Storage, knowledge: KnowledgeBase, step: QuizStep) -> None:
    status = quiz_views.finished_status(knowledge, step)
    if status is not None:
        try:
            await storage.record_quiz_verdict(step.programme_id, status)
        except StorageError:
            log.warning("could not count a quiz verdict", exc_info=True)
