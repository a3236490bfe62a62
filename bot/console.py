"""The bot's conversations in a terminal: try it, or test a knowledge edit, without Telegram."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.core import conversation, quiz_views
from bot.core.engine import Engine
from bot.core.languages import Lang, is_lang, resolve_lang
from bot.core.matching import answer_language
from bot.core.normalize import words
from bot.core.rendering import reply_as_text
from bot.core.views import Action, OpenLink, Reply

HELP = "Type a question, a number to press a button, /start for the menu, /lang en|fr|nl, or /quit."


class ConsoleChat:
    """One console conversation; ``handle`` takes a line and returns the reply text."""

    def __init__(self, engine: Engine, lang: Lang | None = None) -> None:
        self.engine = engine
        self.lang = lang
        self.buttons: list[Action | OpenLink] = []

    def handle(self, line: str) -> str:
        text = line.strip()
        knowledge = self.engine.snapshot.knowledge
        lang = resolve_lang(self.lang)
        if text.startswith("/lang"):
            choice = text.removeprefix("/lang").strip()
            if is_lang(choice):
                self.lang = choice
                return f"Language: {choice}"
            return "Usage: /lang en|fr|nl"
        if text in {"/start", "/menu"}:
            return self._show(conversation.welcome(knowledge, lang))
        if text.startswith("/eligible"):
            programme = text.removeprefix("/eligible").strip().lower() or None
            return self._show(quiz_views.start(knowledge, programme, lang))
        if text == "/help":
            return self._show(conversation.help_reply(lang))
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            action = self.buttons[int(text) - 1]
            if isinstance(action, OpenLink):
                return f"Open {action.url}"
            return self._show(conversation.respond_to(knowledge, action, lang))
        if text.startswith("/"):
            return self._show(conversation.unknown_command(lang))
        if not words(text):
            return self._show(conversation.no_words(lang))
        result = self.engine.snapshot.matcher.match(text)
        return self._show(conversation.reply_to_question(knowledge, result, answer_language(result, chosen=self.lang)))

    def _show(self, reply: Reply) -> str:
        self.buttons = [button.action for row in reply.buttons for button in row]
        return reply_as_text(reply)


def chat(
    settings: Settings,
    *,
    engine: Engine | None = None,
    knowledge_dir: Path | None = None,
    reason: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    require_terminal: Callable[[], bool] | None = None,
) -> int:
    """Run a console conversation until /quit or end of input."""
    if reason is not None and not (require_terminal or stdin.isatty)():
        print(
            f"{reason}, and there is no terminal for a console chat.\n"
            "To go live, set TELEGRAM_BOT_TOKEN (see .env.example); to try the bot, run it in a terminal "
            "or use 'python -m bot chat'.",
            file=sys.stderr,
        )
        return 2
    engine = engine or Engine(knowledge_dir or settings.knowledge_dir)
    session = ConsoleChat(engine)
    if reason is not None:
        print(f"{reason}: starting a console chat instead. To go live, set TELEGRAM_BOT_TOKEN (see .env.example).")
    print(HELP, file=stdout)
    print(session.handle("/start"), file=stdout)
    for line in stdin:
        if line.strip() in {"/quit", "/exit"}:
            break
        if line.strip():
            print(session.handle(line), file=stdout, flush=True)
    return 0
