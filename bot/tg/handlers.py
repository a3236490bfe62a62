"""Telegram handlers: parse the update, ask the core, render the reply. No business rule lives here."""

from __future__ import annotations

import logging
import re
import time

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.error import RetryAfter
from telegram.ext import ContextTypes

from bot.core import conversation, quiz_views
from bot.core.engine import Engine
from bot.core.flood import FloodGuard, Verdict, slow_down
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang, lang_from_code, resolve_lang
from bot.core.questions import clean
from bot.core.views import (
    QUIZ_ACTIONS,
    ConfirmBroadcast,
    ConfirmPageChange,
    QuizRequirements,
    QuizStep,
    ShowDetails,
    ShowEntry,
    ShowMenu,
    ShowProgramme,
    ShowSources,
)
from bot.services.questions import QuestionService
from bot.storage import Storage, StorageError
from bot.storage.question_writer import QuestionWriter
from bot.tg.account_handlers import ACCOUNT_ACTIONS, AccountHandlers
from bot.tg.admin_handlers import AdminHandlers
from bot.tg.alert_handlers import SUBSCRIPTION_ACTIONS, AlertHandlers
from bot.tg.callback_data import unpack_with_lang
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.render import edit, send

log = logging.getLogger(__name__)


class Handlers:
    """The bot's handlers, with the engine injected rather than looked up in globals."""

    def __init__(
        self,
        engine: Engine,
        alerts: AlertHandlers | None = None,
        account: AccountHandlers | None = None,
        admin: AdminHandlers | None = None,
        storage: Storage | None = None,
        questions: QuestionWriter | None = None,
        flood: FloodGuard | None = None,
    ) -> None:
        """``questions``: the batched question log; without it each question is written on the reply's path."""
        self.engine = engine
        self.alerts = alerts
        self.account = account
        self.admin = admin
        self.storage = storage
        self.answers = QuestionService(engine, writer=questions, storage=storage)
        self.flood = flood or FloodGuard()

    async def _flooding(self, update: Update, lang: Lang | None = None) -> bool:
        """Whether to leave this message unanswered: its sender is past the burst (the first time they hear
        when the bot will answer again; after that, silence until then)."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return False
        decision = self.flood.check(user.id, time.monotonic())
        if decision.verdict is Verdict.ANSWER:
            return False
        if decision.verdict is Verdict.SLOW_DOWN:
            log.info("a user sends faster than the bot answers: their messages wait %d s", decision.seconds_left)
            await send(message, slow_down(decision.seconds_left, lang or await self._lang(update)))
        return True

    async def _lang(self, update: Update) -> Lang:
        """The user's explicit choice, else their Telegram app's language, else English."""
        chosen = await self._chosen(update)
        return chosen or _telegram_lang(update.effective_user)

    async def _chosen(self, update: Update) -> Lang | None:
        chat = update.effective_chat
        if self.account is None or chat is None or chat.type != ChatType.PRIVATE:
            return None
        try:
            return await self.account.service.seen(chat.id)
        except StorageError:  # the database being away must not stop the bot from answering
            log.warning("could not read a language choice; using the message's language", exc_info=True)
            return None

    async def _in_private(self, update: Update) -> Message | None:
        """The message, if it came in a private chat; in a group, a choice or an erasure would be the
        group's, not the student's, so the bot asks to be written to privately."""
        message = update.effective_message
        if message is not None and message.chat.type != ChatType.PRIVATE:
            await send(message, conversation.private_chat_only(await self._lang(update)))
            return None
        return message

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: choose the bot's language, or follow each message."""
        if self.account is not None and (message := await self._in_private(update)) is not None:
            await self.account.language(message, await self._lang(update))

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/privacy: what the bot keeps, why and for how long."""
        if update.effective_message is not None and self.account is not None:
            await self.account.privacy(update.effective_message, await self._lang(update))

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: erase everything linked to this user, after a confirmation."""
        if self.account is not None and (message := await self._in_private(update)) is not None:
            await self.account.forget(message, await self._lang(update))

    async def _staff_in_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """A staff command outside a private chat: statistics and students' questions must not be posted in a
        group, so staff are asked to write privately and anyone else gets the unknown-command answer."""
        message = update.effective_message
        if message is None or message.chat.type == ChatType.PRIVATE:
            return False
        user = update.effective_user
        if self.admin is not None and user is not None and user.id in self.admin.admin_ids:
            log.info("admin %s used a staff command in a group: asked to write privately", user.id)
            await send(message, conversation.private_chat_only(await self._lang(update)))
        else:
            await self.unknown_command(update, context)
        return True

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats, for staff."""
        message = update.effective_message
        if await self._staff_in_group(update, context):
            return
        if message is not None and self.admin is not None and self.admin.allowed(update.effective_user, "/stats"):
            await self.admin.stats(message, await self._lang(update))
        else:
            await self.unknown_command(update, context)

    async def unanswered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unanswered, for staff."""
        message = update.effective_message
        if await self._staff_in_group(update, context):
            return
        if message is not None and self.admin is not None and self.admin.allowed(update.effective_user, "/unanswered"):
            await self.admin.unanswered(message, await self._lang(update))
        else:
            await self.unknown_command(update, context)

    async def broadcast(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/broadcast PROGRAMME text, for staff: a preview to confirm."""
        message, user = update.effective_message, update.effective_user
        if await self._staff_in_group(update, context):
            return
        if (
            message is not None
            and user is not None
            and self.admin is not None
            and self.admin.allowed(user, "/broadcast")
        ):
            text = message.text or ""
            args = text.split(maxsplit=1)[1] if " " in text.strip() else ""
            await self.admin.broadcast(message, user, args, await self._lang(update))
        else:
            await self.unknown_command(update, context)

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/subscribe [programme]: deadline alerts."""
        if update.effective_message is not None and self.alerts is not None:
            lang = await self._lang(update)
            await self.alerts.subscribe(update.effective_message, list(context.args or []), lang)

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unsubscribe [programme|all]."""
        if update.effective_message is not None and self.alerts is not None:
            lang = await self._lang(update)
            await self.alerts.unsubscribe(update.effective_message, list(context.args or []), lang)

    async def deadlines(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/deadlines: the application windows."""
        if update.effective_message is not None and self.alerts is not None:
            await self.alerts.deadlines(update.effective_message, await self._lang(update))

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload, for staff; anyone else gets the unknown-command answer."""
        if await self._staff_in_group(update, context):
            return
        if self.alerts is None or not await self.alerts.reload(update, await self._lang(update)):
            await self.unknown_command(update, context)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, with an optional deep-link payload: a programme or an entry."""
        message = update.effective_message
        if message is None:
            return
        lang = await self._lang(update)
        if await self._flooding(update, lang):
            return
        knowledge = self.engine.snapshot.knowledge
        payload = " ".join(context.args or [])
        if message.chat.type != ChatType.PRIVATE:
            # The menu and the quiz are for a private chat: in a group, anyone could tap them.
            if payload.lower().startswith("eligible"):
                await self.eligible(update, context)
            else:
                await send(message, conversation.private_chat_only(lang))
            return
        reply = conversation.deep_link(knowledge, payload, lang) if payload else conversation.welcome(knowledge, lang)
        await send(message, reply, lang)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what the bot can do."""
        if update.effective_message is not None and not await self._flooding(update):
            await send(update.effective_message, conversation.help_reply(await self._lang(update)))

    async def eligible(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/eligible [programme]: the eligibility quiz, one question per message edit."""
        message = update.effective_message
        if message is None:
            return
        lang = await self._lang(update)
        programme = (context.args or [""])[0].lower() or None
        if message.chat.type != ChatType.PRIVATE:
            # The link is built only from a programme id the knowledge base has, never from what was typed.
            known = programme if programme and self.engine.snapshot.knowledge.quiz(programme) is not None else None
            link = f"https://t.me/{context.bot.username}?start=eligible" + (f"-{known}" if known else "")
            await send(message, quiz_views.private_only(lang, link if context.bot.username else None), lang)
            return
        await send(message, quiz_views.start(self.engine.snapshot.knowledge, programme, lang), lang)

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: end the eligibility quiz politely (its state lives only in the buttons)."""
        if update.effective_message is not None:
            lang = await self._lang(update)
            await send(update.effective_message, quiz_views.cancelled(lang), lang)

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
        if await self._flooding(update):
            return
        user = update.effective_user
        app_lang = lang_from_code(user.language_code if user else None)
        answered = self.answers.answer(text, chosen=await self._chosen(update), app_lang=app_lang)
        await send(message, answered.reply, answered.lang)
        await self.answers.log(answered)

    async def _count_verdict(self, knowledge: KnowledgeBase, step: QuizStep) -> None:
        status = quiz_views.finished_status(knowledge, step)
        if status is not None and self.storage is not None:
            try:
                await self.storage.record_quiz_verdict(step.programme_id, status)
            except StorageError:
                log.warning("could not count a quiz verdict", exc_info=True)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tap on one of our inline buttons."""
        query = update.callback_query
        if query is None:
            return
        knowledge = self.engine.snapshot.knowledge
        action, button_lang = unpack_with_lang(query.data)
        lang = button_lang or await self._lang(update)
        chat = query.message.chat if query.message is not None else None
        in_private = chat is not None and chat.type == ChatType.PRIVATE
        if isinstance(action, QUIZ_ACTIONS) and not in_private:
            # A quiz button in a group would let anyone answer someone else's quiz.
            await query.answer(quiz_views.private_only(lang, None).text, show_alert=True)
            return
        if isinstance(action, (*ACCOUNT_ACTIONS, ShowMenu, ShowProgramme)) and not in_private:
            # A language choice or an erasure would be the group's, and a menu would be posted for everyone.
            await query.answer(conversation.private_chat_only(lang).text, show_alert=True)
            return
        await query.answer()
        if isinstance(action, SUBSCRIPTION_ACTIONS) and self.alerts is not None:
            if isinstance(query.message, Message):
                await self.alerts.on_button(query.message, action, lang)
            return
        if isinstance(action, ACCOUNT_ACTIONS) and self.account is not None:
            if isinstance(query.message, Message):
                sender = update.effective_user.id if update.effective_user is not None else None
                await self.account.on_button(query.message, action, lang, sender)
            return
        if isinstance(action, ConfirmBroadcast) and self.admin is not None:
            if isinstance(query.message, Message):
                await self.admin.confirm(query.message, update.effective_user, action, lang)
            return
        if isinstance(action, ConfirmPageChange) and self.admin is not None:
            if isinstance(query.message, Message):
                await self.admin.confirm_page_change(query.message, update.effective_user, action, lang)
            return
        if action is None:
            log.info("stale or malformed button: %r", (query.data or "")[:64])
        reply = conversation.respond_to(knowledge, action, lang)
        if isinstance(action, QuizStep) and self.storage is not None:
            await self._count_verdict(knowledge, action)
        if not isinstance(query.message, Message):
            return
        # An answer stays in the chat, and so does a verdict under its "All requirements" list; a menu (or a dead
        # button's message) is replaced in place.
        opens_entry = isinstance(action, ShowEntry | ShowDetails | ShowSources) and action.entry_id in knowledge.by_id
        if opens_entry or isinstance(action, QuizRequirements) or (isinstance(action, ShowMenu) and action.below):
            await send(query.message, reply, lang)
        else:
            await edit(query.message, reply, lang)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like in a private chat."""
        message = update.effective_message
        if message is not None and message.chat.type == ChatType.PRIVATE:
            await send(message, conversation.not_text(await self._lang(update)))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not have (in groups only when addressed to this bot)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        command = message.text.split(maxsplit=1)[0]
        _, _, target = command.partition("@")
        if message.chat.type != ChatType.PRIVATE and target.lower() != (context.bot.username or "").lower():
            return
        await send(message, conversation.unknown_command(await self._lang(update)))

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log every error with its traceback; the user sees no traceback."""
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, RetryAfter):
            # The limiter waited out every 429 it was allowed to: the reply is lost, so staff must see it.
            chat = update.effective_chat if isinstance(update, Update) else None
            limiter = getattr(context.bot, "rate_limiter", None)
            if isinstance(limiter, PacedRateLimiter):
                limiter.dropped_replies += 1
            log.error(
                "a reply to chat %s was dropped (update %s): Telegram kept answering 429, last asking to wait %s",
                chat.id if chat is not None else "?",
                update_id,
                context.error.retry_after,
            )
            return
        log.error("error while handling update %s", update_id, exc_info=context.error)


def _telegram_lang(user: User | None) -> Lang:
    return resolve_lang(lang_from_code(user.language_code if user else None))


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
