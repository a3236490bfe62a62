"""Composition root: builds the engine and the python-telegram-bot Application, and runs it."""

from __future__ import annotations

import logging
import sys

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.core.engine import Engine
from bot.core.errors import KnowledgeError
from bot.core.i18n import N_, t
from bot.core.languages import LANGUAGES, Lang
from bot.logs import setup_logging
from bot.tg.handlers import Handlers

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Main menu")),
    ("eligible", N_("Check your eligibility")),
    ("help", N_("How to use this bot")),
)


def build_application(settings: Settings, engine: Engine) -> Application:  # type: ignore[type-arg]
    """The Application with every handler registered; nothing is started."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                # A group question deleted before the answer goes out still gets its answer.
                allow_sending_without_reply=True,
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(_post_init)
        .build()
    )
    register_handlers(application, Handlers(engine))
    return application


def register_handlers(application: Application, handlers: Handlers) -> None:  # type: ignore[type-arg]
    new_messages = filters.UpdateType.MESSAGE  # edits and channel posts are not questions
    application.add_handler(CommandHandler("start", handlers.start, filters=new_messages))
    application.add_handler(CommandHandler("help", handlers.help, filters=new_messages))
    application.add_handler(CommandHandler("eligible", handlers.eligible, filters=new_messages))
    application.add_handler(CommandHandler("cancel", handlers.cancel, filters=new_messages))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(new_messages & filters.COMMAND, handlers.unknown_command))
    application.add_handler(MessageHandler(new_messages & filters.TEXT, handlers.question))
    application.add_handler(MessageHandler(new_messages & ~filters.TEXT, handlers.not_text))
    application.add_error_handler(handlers.error)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Register the command list with Telegram, in each language the bot speaks."""
    await application.bot.set_my_commands(_commands("en"))
    for lang in LANGUAGES:
        if lang != "en":
            await application.bot.set_my_commands(_commands(lang), language_code=lang)


def _commands(lang: Lang) -> list[BotCommand]:
    return [BotCommand(name, t(lang, description)) for name, description in COMMANDS]


def run(settings: Settings) -> int:
    """Run the bot with long polling until interrupted; without a token, offer the console chat."""
    setup_logging(settings.log_level, settings.log_format)
    try:
        engine = Engine(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        print("The bot did not start: fix the knowledge base (python -m bot check-knowledge).", file=sys.stderr)
        return 1
    if settings.telegram_bot_token is None:
        from bot.console import chat

        return chat(settings, engine=engine, reason="TELEGRAM_BOT_TOKEN is not set")
    application = build_application(settings, engine)
    snapshot = engine.snapshot
    log.info("starting: %d entries, knowledge version %s", len(snapshot.knowledge.entries), snapshot.knowledge.version)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
