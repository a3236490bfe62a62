"""The console chat: the Telegram Application itself, on the in-process Bot API, fed by a pipe (no terminal).

Each test types what a student would and reads what the console prints. The console has no dispatch of its
own, so these tests also show that every feature is reachable without a token; the drift test compares
its replies with the replies the same bot gives over HTTP to the fake Telegram server.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.console import ConsoleChat, Screen, chat
from bot.core import conversation
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import LANGUAGES
from bot.core.matching import Suggestions
from bot.core.questions import match_question
from bot.core.views import Action
from bot.storage.database import SQLITE_FILE_NAME
from bot.tg.inprocess import ApiCall
from tests.conftest import polling, settings_for
from tests.console_chat import buttons, replies, typed
from tests.fake_bot_api import FakeBotApi
from tests.tg.alerts import Win, write_knowledge

UNKNOWN = "I don't know that command."
OPENS = "Applications are open: MIRAI"


class LiveChat:
    """`python -m bot chat` in a thread, reading a pipe a test writes to while the chat runs."""

    def __init__(self) -> None:
        read, self._write = os.pipe()
        self.stdin = os.fdopen(read, "r", encoding="utf-8")
        self.stdout = io.StringIO()
        self.code: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.code = chat(Settings(_env_file=None), stdin=self.stdin, stdout=self.stdout)  # type: ignore[call-arg]

    def __enter__(self) -> LiveChat:
        self._thread.start()
        return self

    def type(self, line: str) -> None:
        os.write(self._write, f"{line}\n".encode())

    def wait_for(self, text: str, seconds: float = 15) -> str:
        deadline = time.monotonic() + seconds
        while text not in self.stdout.getvalue():
            assert time.monotonic() < deadline, f"{text!r} never printed; the console showed:\n{self.stdout.getvalue()}"
            time.sleep(0.05)
        return self.stdout.getvalue()

    def __exit__(self, *exc_info: object) -> None:
        self.type("/quit")
        self._thread.join(timeout=20)
        os.close(self._write)
        self.stdin.close()
        assert self.code == 0


def window_opening_in(directory: Path, seconds: float) -> Path:
    """A copy of the shipped knowledge base whose MIRAI window opens ``seconds`` from now."""
    opens = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return write_knowledge(directory, Win("mirai-test", opens, opens + timedelta(days=30)))


# ---------------------------------------------------------------------------------------------- tests


def test_every_command_a_student_is_told_about_gets_its_real_reply(monkeypatch, capsys) -> None:
    """The commands of issue 14's table, typed into `python -m bot chat`: each gets its own reply. In two
    sittings on the same DATA_DIR (the subscription is kept between them), each at a human pace for the
    bot's flood control (no more than ten messages in ten seconds)."""
    first = typed(monkeypatch, capsys, "/help", "/start", "/language", "/subscribe mirai", "/deadlines")
    second = typed(monkeypatch, capsys, "/privacy", "/unsubscribe mirai", "/eligible", "/cancel", "/forget")
    shown = replies(first) + replies(second)
    assert len(shown) == 12  # the welcome at each start, then one reply per line
    assert not [block for block in shown if UNKNOWN in block]
    welcome, help_, start, language, subscribe, deadlines = shown[:6]
    welcome_again, privacy, unsubscribe, eligible, cancel, forget = shown[6:]
    assert "Welcome!" in welcome
    assert "Welcome!" in welcome_again
    assert "Welcome!" in start
    assert "How to use this bot" in help_
    assert {"English", "Français", "Nederlands", "✅ Follow my messages"} <= set(buttons(language))
    assert "Subscribed to MIRAI" in subscribe
    assert "✅ MIRAI" in buttons(subscribe)
    assert "Application deadlines" in deadlines
    assert "Send /forget to erase everything linked to you." in privacy
    assert "You will no longer get alerts about MIRAI." in unsubscribe
    assert "☐ MIRAI" in buttons(unsubscribe)
    assert "Which programme would you like to check?" in eligible
    assert "Eligibility check cancelled" in cancel
    assert "Erase your data?" in forget


def test_links_are_shown_with_their_address_and_html_is_not(monkeypatch, capsys) -> None:
    out = typed(monkeypatch, capsys, "how old do you need to be for mirai")
    answer = replies(out)[-1]

    assert "(https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html)" in answer
    assert "<a " not in answer
    assert "<b>" not in answer


def test_the_quiz_runs_to_a_verdict_with_numbers(monkeypatch, capsys, engine: Engine) -> None:
    """/eligible jet, then "1" (CIR, then Yes) to every question: each question redraws the message, then the
    verdict; its "All requirements" number prints every question with the answer below it."""
    quiz = next(quiz for quiz in engine.snapshot.knowledge.quizzes if quiz.programme == "jet")
    out = typed(monkeypatch, capsys, "/eligible jet", *["1"] * len(quiz.questions), "3")
    shown = replies(out)

    assert "Question 1 of" in shown[1]
    assert all(block.startswith("bot> (edited)") for block in shown[2:-1])
    assert "appear to meet every requirement" in shown[-2]
    assert "[3] All requirements" in shown[-2]
    assert not shown[-1].startswith("bot> (edited)"), "a new message below the verdict"
    assert all(f"✅ {question.ask['en']}" in shown[-1] for question in quiz.questions)


def test_language_choice_and_back_to_following_each_message(monkeypatch, capsys) -> None:
    """/language → Français answers in French; /language → "Follow my messages" answers English in English."""
    lines = ["/language", "2", "/help", "/language", "4", "/help"]
    out = typed(monkeypatch, capsys, *lines)
    _, _, chosen, help_fr, _, automatic, help_en = replies(out)

    assert chosen.startswith("bot> (edited)")
    assert t("fr", "How to use this bot") in help_fr
    assert automatic.startswith("bot> (edited)")
    assert "How to use this bot" in help_en


def test_the_terminal_language_stands_for_the_telegram_app_language(monkeypatch, capsys) -> None:
    """A Dutch terminal is a Dutch Telegram app: the welcome and /eligible are in Dutch."""
    out = typed(monkeypatch, capsys, "/eligible", LANG="nl_BE.UTF-8")
    welcome, eligible = replies(out)

    assert "Welkom!" in welcome
    assert t("nl", "**Eligibility check**\nWhich programme would you like to check?").split("\n")[-1] in eligible


def test_forget_erases_after_the_confirmation(monkeypatch, capsys) -> None:
    out = typed(monkeypatch, capsys, "/subscribe mirai", "/forget", "1", "/subscribe")
    forgotten, after = replies(out)[-2:]

    assert forgotten.startswith("bot> (edited)")
    assert "no longer holds anything linked to you" in forgotten
    assert "☐ MIRAI" in buttons(after)  # the subscription went with the rest


def test_did_you_mean_buttons_open_what_they_offer(monkeypatch, capsys, engine: Engine) -> None:
    """An unclear question offers choices (entries, or the programmes when they differ by programme); typing
    a choice's number does what tapping it does on Telegram."""
    question = "tell me about japan"
    knowledge = engine.snapshot.knowledge
    result = match_question(engine.snapshot.matcher, question)
    assert isinstance(result, Suggestions), f"pick a vaguer question: the matcher says {result}"
    expected = conversation.reply_to_question(knowledge, result, "en")
    first = expected.buttons[0][0]
    out = typed(monkeypatch, capsys, question, "1")
    choices, opened = replies(out)[-2:]

    assert list(buttons(choices)) == [button.label for row in expected.buttons for button in row]
    assert isinstance(first.action, Action)
    shown = conversation.respond_to(knowledge, first.action, "en")
    assert opened.removeprefix("bot> ").removeprefix("(edited) ").startswith(shown.text.split("\n")[0].strip("*"))


def test_a_staff_member_at_the_console_gets_the_staff_commands(monkeypatch, capsys) -> None:
    """CONSOLE_USER_ID listed in ADMIN_IDS makes /stats answer; anyone else gets the unknown-command reply."""
    staff = typed(monkeypatch, capsys, "/stats", CONSOLE_USER_ID="4242", ADMIN_IDS="4242")
    student = typed(monkeypatch, capsys, "/stats", CONSOLE_USER_ID="7", ADMIN_IDS="4242")

    assert UNKNOWN not in replies(staff)[-1]
    assert UNKNOWN in replies(student)[-1]


def test_deadlines_calendar_is_written_to_a_file(monkeypatch, capsys, tmp_path: Path) -> None:
    knowledge = window_opening_in(tmp_path / "knowledge", 3600)
    out = typed(monkeypatch, capsys, "/deadlines", KNOWLEDGE_DIR=str(knowledge))
    deadlines = replies(out)[-1]
    number = next(n for label, n in buttons(deadlines).items() if "calendar" in label.lower())

    out = typed(monkeypatch, capsys, "/deadlines", str(number), KNOWLEDGE_DIR=str(knowledge))
    path = Path(re.search(r"written to (\S+)\]", out).group(1))  # type: ignore[union-attr]
    assert path.name == "deadlines.ics"
    assert path.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_a_subscriber_sees_the_alert_when_a_window_opens_during_the_chat(monkeypatch, tmp_path: Path) -> None:
    """The job queue runs in the console: the opening alert arrives while the chat waits for input."""
    monkeypatch.setenv("KNOWLEDGE_DIR", str(window_opening_in(tmp_path / "knowledge", 3)))
    monkeypatch.setenv("ALERT_CHECK_SECONDS", "1")
    with LiveChat() as live:
        live.type("/subscribe mirai")
        live.wait_for("Subscribed to MIRAI")
        assert OPENS not in live.stdout.getvalue()
        shown = live.wait_for(OPENS)
    assert shown.count(OPENS) == 1


def test_a_missed_alert_is_caught_up_at_the_next_start(monkeypatch, capsys, tmp_path: Path) -> None:
    """Subscribed, console closed before the window opens; started again (same DATA_DIR) after: the alert comes."""
    monkeypatch.setenv("KNOWLEDGE_DIR", str(window_opening_in(tmp_path / "knowledge", 2)))
    monkeypatch.setenv("ALERT_CHECK_SECONDS", "1")
    first = typed(monkeypatch, capsys, "/subscribe mirai")
    assert OPENS not in first
    time.sleep(2.5)
    with LiveChat() as live:
        live.wait_for(OPENS)


def test_the_console_never_touches_the_telegram_bots_database(monkeypatch, capsys, tmp_path: Path) -> None:
    """Its job queue delivers whatever is due: on the real bot's database it would mark real subscribers'
    alerts as delivered to a terminal. So it keeps its own SQLite file under DATA_DIR/console."""
    data = tmp_path / "bot-data"
    out = typed(
        monkeypatch,
        capsys,
        "/subscribe mirai",
        DATA_DIR=str(data),
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:9/unreachable",  # would fail if it were used
    )

    assert "Subscribed to MIRAI" in out
    assert not (data / SQLITE_FILE_NAME).exists()
    assert (data / "console" / SQLITE_FILE_NAME).exists()


def test_without_a_terminal_the_fallback_chat_explains_how_to_go_live(engine: Engine, capsys) -> None:
    """When the bot has no token and no terminal, it exits with a message saying what to set."""
    code = chat(
        Settings(_env_file=None),  # type: ignore[call-arg]
        engine=engine,
        reason="TELEGRAM_BOT_TOKEN is not set",
        stdin=io.StringIO(""),
        require_terminal=lambda: False,
    )

    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- drift test


class Recorder:
    """The console's screen, keeping the bot's calls to the console user's chat."""

    def __init__(self, chat_id: int) -> None:
        self.screen = Screen(io.StringIO(), chat_id, Path("unused"), terminal=False)
        self.calls: list[ApiCall] = []

    def on_call(self, call: ApiCall) -> None:
        if call.method in ("sendMessage", "editMessageText") and call.chat_id == self.screen.chat_id:
            self.calls.append(call)
        self.screen.on_call(call)


def _shown(params: dict[str, Any]) -> tuple[str, Any]:
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return str(params["text"]), [
        [(b["text"], b.get("callback_data") or b.get("url")) for b in row] for row in rows or []
    ]


@pytest.fixture
def console_user(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("CONSOLE_USER_ID", "1001")
    return 1001


async def test_the_console_cannot_drift_from_telegram(engine: Engine, fake_api: FakeBotApi, console_user: int) -> None:
    """Every command the bot registers with Telegram, typed in each language's Telegram app, and every button
    of the main menu (in each language) get a real reply in the console: the same HTML and buttons as over HTTP
    to the fake Telegram server."""
    recorder = Recorder(console_user)
    session = ConsoleChat(Settings(), engine, recorder.screen)
    session.api.listeners = [recorder.on_call]
    steps: list[tuple[str, str | int, str]] = []
    console: list[list[tuple[str, Any]]] = []

    async def step(kind: str, value: str | int, lang: str) -> None:
        before = len(recorder.calls)
        session.language_code = lang
        if kind == "say":
            # A user of its own for each message (a button is pressed by the user it was sent to), as on the
            # HTTP side below: the bot's flood control would otherwise slow this quick typist down.
            session.user_id = recorder.screen.chat_id = session.user_id + 1
            await session.say(str(value))
        else:
            assert await session.press(int(value)), f"no button {value} in the main menu"
        new = recorder.calls[before:]
        assert new, f"{kind} {value} ({lang}): no reply"
        unknown = t(lang, "I don't know that command. Send /help to see what I can do.")
        assert not [c for c in new if unknown in str(c.params.get("text"))], f"{kind} {value} ({lang}): unknown"
        steps.append((kind, value, lang))
        console.append([_shown(call.params) for call in new])

    async with session:
        registered = {lang: session.api.commands[lang if lang != "en" else ""] for lang in LANGUAGES}
        assert {"start", "eligible", "subscribe", "deadlines", "language", "privacy", "help"} <= {
            command["command"] for command in registered["en"]
        }
        for lang, commands in registered.items():
            for command in commands:
                await step("say", f"/{command['command']}", lang)
        for lang in LANGUAGES:
            await step("say", "/start", lang)
            menu = session.screen.latest_buttons()
            assert menu is not None
            for number in range(1, len(menu[1]) + 1):
                await step("say", "/start", lang)
                await step("press", number, lang)

    application = build_application(settings_for(fake_api), engine)
    telegram: list[list[tuple[str, Any]]] = []
    async with polling(application):
        user = console_user
        for (kind, value, lang), seen in zip(steps, console, strict=True):
            if kind == "say":
                # A chat of its own for each message: the rate limiter keeps Telegram's pace of one message a
                # second in a chat, which would make this test slow; no step changes what a chat has stored.
                user += 1
                fake_api.send_text(str(value), user_id=user, language_code=lang)
            else:
                last = fake_api.last_bot_message(user)
                data = [b["callback_data"] for row in last["reply_markup"]["inline_keyboard"] for b in row]
                fake_api.send_callback(data[int(value) - 1], last, user_id=user, language_code=lang)
            telegram.append([_shown(await fake_api.next_reply(user)) for _ in seen])
    assert console == telegram
