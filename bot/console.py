"""The whole bot in a terminal: the Telegram Application itself, on an in-process Bot API.

Nothing here decides what the bot says. Each typed line becomes the Telegram update a student's message
would be, and goes through the Application that ``bot.app.build_application`` builds: the same handlers,
services, storage and job queue as on Telegram, so alerts arrive while the chat runs and missed ones are
caught up at the next start (the console keeps its own SQLite database in ``DATA_DIR/console``, never the
Telegram bot's). This module only turns lines into updates
and the Bot API calls the bot makes into text:

* a message's HTML as readable text (bold stays bold in a terminal, a link shows its address);
* its buttons numbered: typing a number presses that button of the latest message with buttons;
* an edited message is drawn again, marked as such; a document (the ``.ics`` of /deadlines) is written to
  a file whose path is printed; a button's pop-up alert is printed with a "!".

The console user is ``CONSOLE_USER_ID`` (1 unless set): list it in ``ADMIN_IDS`` to try the staff commands.
The terminal's language (``LANG``, e.g. ``nl_BE.UTF-8``) stands for the Telegram app's language, which the
bot uses until /language sets one, where the message's own language does not decide. What the console
cannot show: a real Telegram client (no tap, no link preview, no menu button), groups, stickers and photos.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.app import build_application, build_services
from bot.config import Settings
from bot.core.engine import Engine
from bot.core.languages import lang_from_code
from bot.tg.inprocess import ApiCall, InProcessBotApi, deliver, html_to_text

HELP = (
    "Console chat: the bot as on Telegram. Type a message or a /command; a number presses that button of "
    "the latest message with buttons; /quit (or Ctrl-D) ends."
)
PROMPT = "you> "
QUIT = frozenset({"/quit", "/exit"})
_BUTTON_NUMBER = re.compile(r"\d{1,2}")


class Screen:
    """Renders the bot's calls to the console user's chat; remembers the buttons a number presses."""

    def __init__(self, out: TextIO, chat_id: int, documents: Path, *, terminal: bool) -> None:
        self.out = out
        self.chat_id = chat_id
        self.documents = documents
        self.terminal = terminal
        self.typing = False
        """True while a line is being read: output then goes above the line being typed."""
        self._buttons: dict[int, list[dict[str, Any]]] = {}  # message id -> its buttons, in sending order
        self._lock = threading.Lock()

    def latest_buttons(self) -> tuple[int, list[dict[str, Any]]] | None:
        """The latest message that has buttons, and its buttons in reading order."""
        for message_id in reversed(self._buttons):
            if self._buttons[message_id]:
                return message_id, self._buttons[message_id]
        return None

    def on_call(self, call: ApiCall) -> None:
        if call.chat_id != self.chat_id and call.method != "answerCallbackQuery":
            return  # an alert or a staff notice to some other chat in the same database
        if call.method == "sendMessage":
            self._message(call.result, str(call.params.get("text") or ""), edited=False, html=_is_html(call))
        elif call.method == "editMessageText" and isinstance(call.result, dict):
            self._message(call.result, str(call.params.get("text") or ""), edited=True, html=_is_html(call))
        elif call.method == "editMessageReplyMarkup" and isinstance(call.result, dict):
            self._message(call.result, str(call.result.get("text") or ""), edited=True, html=False)
        elif call.method == "deleteMessage":
            self._buttons.pop(int(call.params.get("message_id") or 0), None)
        elif call.method == "sendDocument" and call.files:
            filename, content = next(iter(call.files.values()))
            self.documents.mkdir(parents=True, exist_ok=True)
            path = (self.documents / Path(filename).name).resolve()
            path.write_bytes(content)
            self.show(f"bot> [file {filename}, written to {path}]")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.show(f"bot> ! {call.params['text']}")

    def _message(self, message: dict[str, Any], text: str, *, edited: bool, html: bool) -> None:
        bold = ("\033[1m", "\033[0m") if self.terminal else ("", "")
        body = html_to_text(text, html_mode=html, bold=bold).strip()
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [button for row in rows for button in row]
        self._buttons.pop(message["message_id"], None)  # an edit moves it to the end: it is the latest drawn
        self._buttons[message["message_id"]] = buttons
        lines = [("bot> (edited) " if edited else "bot> ") + body]
        number = 0
        for row in rows:
            labels = []
            for button in row:
                number += 1
                url = f" ({button['url']})" if button.get("url") else ""
                labels.append(f"[{number}] {button.get('text', '')}{url}")
            lines.append("     " + "   ".join(labels))
        self.show("\n".join(lines))

    def show(self, text: str) -> None:
        """Print above the line being typed, if one is, and give the typed text back (readline-safe)."""
        with self._lock:
            if self.typing and self.terminal:
                self.out.write("\r\033[K" + text + "\n\n" + PROMPT + _line_buffer())
            else:
                self.out.write(text + "\n\n")
            self.out.flush()


CONSOLE_DIR = "console"


def console_settings(settings: Settings) -> Settings:
    """The settings, for a chat that no Telegram client sees.

    Its own SQLite database in ``DATA_DIR/console``, never the Telegram bot's (``DATABASE_URL`` or
    ``DATA_DIR``'s): the console's job queue delivers every due alert it finds, so on the real bot's database
    it would mark real subscribers' alerts as delivered to a terminal. No page watch: staff would be told of
    page changes in chats nobody reads here."""
    console_dir = settings.data_dir / CONSOLE_DIR
    return settings.model_copy(update={"watch_url": None, "database_url": None, "data_dir": console_dir})


class ConsoleChat:
    """One console conversation on the real Application; ``say`` and ``press`` return once the bot is done."""

    def __init__(self, settings: Settings, engine: Engine, screen: Screen, *, language_code: str | None = None) -> None:
        self.settings = console_settings(settings)
        self.user_id = settings.console_user_id
        self.language_code = language_code
        """What Telegram would send as the user's app language; the console takes the terminal's locale."""
        self.screen = screen
        self.api = InProcessBotApi()
        self.api.listeners.append(screen.on_call)
        self.services = build_services(self.settings, engine)
        self.application = build_application(self.settings, engine, self.services, in_process=self.api)

    async def __aenter__(self) -> ConsoleChat:
        application = self.application
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)  # migrations, alert jobs, the command lists
        await application.start()  # the job queue: alerts while the chat runs
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.services.dispatcher.stop()  # as on Telegram: in-flight deliveries finish, no new ones start
        await self.application.stop()
        if self.application.post_shutdown is not None:
            await self.application.post_shutdown(self.application)
        await self.application.shutdown()

    async def say(self, text: str) -> None:
        update = self.api.text_update(text, user_id=self.user_id, language_code=self.language_code)
        await deliver(self.application, update)

    async def press(self, number: int) -> bool:
        """Press button ``number`` of the latest message with buttons; False if there is no such button."""
        latest = self.screen.latest_buttons()
        if latest is None or not 1 <= number <= len(latest[1]):
            return False
        message_id, buttons = latest
        button = buttons[number - 1]
        if button.get("url"):
            self.screen.show(f"bot> [a link: open {button['url']} in a browser]")
            return True
        data = str(button.get("callback_data"))
        update = self.api.callback_update(
            self.user_id, message_id, data, user_id=self.user_id, language_code=self.language_code
        )
        await deliver(self.application, update)
        return True

    async def handle(self, line: str) -> None:
        """A typed line: a button's number, or a message."""
        text = line.strip()
        if _BUTTON_NUMBER.fullmatch(text) and await self.press(int(text)):
            return
        await self.say(text)


def chat(
    settings: Settings,
    *,
    engine: Engine | None = None,
    knowledge_dir: Path | None = None,
    reason: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    require_terminal: Callable[[], bool] | None = None,
) -> int:
    """Run a console conversation until /quit or the end of input."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    if reason is not None and not (require_terminal or stdin.isatty)():
        print(
            f"{reason}, and there is no terminal for a console chat.\n"
            "To go live, set TELEGRAM_BOT_TOKEN (see .env.example); to try the bot, run it in a terminal "
            "or use 'python -m bot chat'.",
            file=sys.stderr,
        )
        return 2
    if knowledge_dir is not None:
        settings = settings.model_copy(update={"knowledge_dir": knowledge_dir})
    engine = engine or Engine(settings.knowledge_dir)
    if reason is not None:
        print(f"{reason}: starting a console chat instead. To go live, set TELEGRAM_BOT_TOKEN (see .env.example).")
    terminal = stdin.isatty() and stdout.isatty()
    if terminal:
        with contextlib.suppress(ImportError):  # line editing and history for input(), where available
            import readline  # noqa: F401
    console_dir = console_settings(settings).data_dir
    screen = Screen(stdout, settings.console_user_id, console_dir, terminal=terminal)
    # In a terminal the log would interleave with the chat: it goes to a file (piped, it stays on stderr).
    logs = _logs_to(console_dir / "console.log") if terminal else contextlib.nullcontext()
    with logs, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_converse(settings, engine, screen, stdin))
    return 0


@contextlib.contextmanager
def _logs_to(path: Path) -> Iterator[None]:
    """The root logger writes to ``path`` for the chat's duration, with the format set up for the bot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.FileHandler(path, encoding="utf-8")
    if saved and saved[0].formatter is not None:
        handler.setFormatter(saved[0].formatter)
    for existing in saved:
        for kept in existing.filters:  # the filter that hides the token, among others
            handler.addFilter(kept)
    root.handlers = [handler]
    print(f"(the bot's log goes to {path})")
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()


async def _converse(settings: Settings, engine: Engine, screen: Screen, stdin: TextIO) -> None:
    screen.show(HELP)
    async with ConsoleChat(settings, engine, screen, language_code=terminal_language()) as session:
        await session.say("/start")
        while (line := await _read_line(stdin, screen)) is not None:
            if line.strip() in QUIT:
                break
            if line.strip():
                await session.handle(line)


async def _read_line(stdin: TextIO, screen: Screen) -> str | None:
    """The next line, read in a thread so that the job queue keeps running (alerts) while the user types;
    None at the end of input. A daemon thread: Ctrl-C must not wait for a line that never comes."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        try:
            if screen.terminal:
                line: str | None = input(PROMPT)
            else:
                line = stdin.readline() or None
        except EOFError:
            line = None
        except BaseException as exc:  # handed to the event loop, which raises it
            loop.call_soon_threadsafe(_set_exception, future, exc)
            return
        loop.call_soon_threadsafe(_set_result, future, line)

    screen.typing = True
    threading.Thread(target=read, name="console-input", daemon=True).start()
    try:
        return await future
    finally:
        screen.typing = False


def _set_result(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def _set_exception(future: asyncio.Future[str | None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def terminal_language() -> str | None:
    """The terminal's language (LC_ALL, LC_MESSAGES, LANG: "nl_BE.UTF-8" -> "nl"), standing for the Telegram
    app's language, which the bot follows until the user picks one with /language."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".", 1)[0]
        if value:
            return lang_from_code(value)
    return None


def _is_html(call: ApiCall) -> bool:
    return str(call.params.get("parse_mode") or "").lower() == "html"


def _line_buffer() -> str:
    """What the user has typed so far on the prompt line (readline keeps it), to draw it again."""
    try:
        import readline
    except ImportError:  # Windows: no readline; the typed text stays in the terminal's own line editor
        return ""
    return readline.get_line_buffer()
