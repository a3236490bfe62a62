"""The console chat: the same conversations as Telegram, in a terminal."""

import io

from bot.config import Settings
from bot.console import ConsoleChat, chat
from bot.core.engine import Engine


def test_a_question_gets_its_answer_and_numbered_buttons(engine: Engine) -> None:
    """A question shows the answer text and its related topics as numbered choices."""
    session = ConsoleChat(engine)

    out = session.handle("how old do you need to be for mirai")

    assert "20" in out
    assert "[1]" in out


def test_a_number_presses_a_button(engine: Engine) -> None:
    """Typing a button's number does what tapping it would do."""
    session = ConsoleChat(engine)
    menu = session.handle("/start")
    number = next(line.split("]")[0].strip(" [") for line in menu.splitlines() if line.endswith("] MIRAI"))

    assert "Choose a topic" in session.handle(number)


def test_without_a_terminal_the_fallback_chat_explains_how_to_go_live(engine: Engine, capsys) -> None:
    """When the bot has no token and no terminal, it exits with a message saying what to set."""
    code = chat(
        Settings(_env_file=None),
        engine=engine,
        reason="TELEGRAM_BOT_TOKEN is not set",
        stdin=io.StringIO(""),
        require_terminal=lambda: False,
    )

    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_piped_input_runs_a_whole_conversation(engine: Engine) -> None:
    """`python -m bot chat` reads questions line by line until /quit."""
    out = io.StringIO()

    chat(Settings(_env_file=None), engine=engine, stdin=io.StringIO("c'est quoi JET\n/quit\nignored\n"), stdout=out)

    assert "JET" in out.getvalue()


def test_the_eligibility_quiz_runs_in_the_console(engine: Engine) -> None:
    """/eligible mirai asks the first question; answering every question "Yes" ends with the eligible verdict."""
    session = ConsoleChat(engine)
    screen = session.handle("/eligible mirai")
    assert "1 of 9" in screen

    for _ in range(9):
        screen = session.handle("1")  # the first button is "Yes"

    assert "appear to meet every requirement" in screen
