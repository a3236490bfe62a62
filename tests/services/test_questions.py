"""The question service: one answer to a question, whichever channel it comes through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.cli import main
from bot.core import conversation
from bot.core.engine import Engine
from bot.core.evaluation import load_questions
from bot.core.i18n import t
from bot.core.matching import Answer
from bot.core.rendering import reply_as_text
from bot.services.questions import NO_WORDS, QuestionService
from bot.tg.render import html_chunks, keyboard
from tests.fake_bot_api import FakeBotApi

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"
DEV_SET = KNOWLEDGE_DIR.parent / "benchmarks" / "data" / "dev-questions.yaml"
DEV_QUESTIONS = [item.question for item in load_questions(DEV_SET)]
FIRST_USER = 70_000


class Queue:
    """Stands in for the batched question writer: keeps what is submitted."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, str, str, str | None]] = []

    def submit(self, text: str, lang: str, outcome: str, entry_id: str | None = None) -> bool:
        self.submitted.append((text, lang, outcome, entry_id))
        return True


async def test_telegram_sends_what_the_service_answers_for_every_dev_question(
    running_bot: Application, fake_api: FakeBotApi, engine: Engine
) -> None:
    """For each dev-set question the Telegram bot (and so the console, which runs the same Application) sends
    the service's reply: the same HTML and the same buttons."""
    service = QuestionService(engine)
    for number, question in enumerate(DEV_QUESTIONS):
        user = FIRST_USER + number  # one student per question, so no one is slowed down by the flood guard
        fake_api.send_text(question, user_id=user, language_code=None)
        sent = await fake_api.next_reply(user)
        answered = service.answer(question)
        (html,) = html_chunks(answered.reply)
        markup = keyboard(answered.reply, answered.lang)
        assert sent["text"] == html, question
        assert sent.get("reply_markup") == (markup.to_dict() if markup is not None else None), question


def test_ask_prints_the_service_reply_for_every_dev_question(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot ask` prints, as text, the reply the service gives (and Telegram sends) for each dev-set
    question, in the same language."""
    service = QuestionService(engine)
    for question in DEV_QUESTIONS:
        assert main(["ask", question, "--knowledge", "knowledge"]) == 0
        assert capsys.readouterr().out == reply_as_text(service.answer(question).reply) + "\n", question


@pytest.mark.parametrize("chosen", [None, "en", "fr", "nl"])
def test_a_kept_reply_is_the_one_built_for_the_match(engine: Engine, chosen: str | None) -> None:
    """Each dev-set question, asked twice of one service (the second time from the replies it keeps), gets the
    reply the conversation builds for its match and language, whatever language was chosen."""
    service = QuestionService(engine)
    for _ in range(2):
        for question in DEV_QUESTIONS:
            answered = service.answer(question, chosen=chosen)  # type: ignore[arg-type]
            built = conversation.reply_to_question(engine.snapshot.knowledge, answered.result, answered.lang)
            assert answered.reply == built, question


def test_a_reload_replaces_the_kept_replies(tmp_path: Path) -> None:
    """After staff change an answer and reload, the question gets the new answer, not the one kept."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    engine = Engine(directory)
    service = QuestionService(engine)
    question = "what is the minimum age for MIRAI"
    assert "aged 20 or over" in service.answer(question).reply.text

    programme = directory / "mirai.yaml"
    text = programme.read_text(encoding="utf-8")
    assert text.count("Applicants must be **aged 20 or over**") == 1
    programme.write_text(text.replace("Applicants must be **aged 20 or over**", "Applicants must be **21**"))
    engine.reload()

    answered = service.answer(question)
    assert answered.entry_id == "mirai.age"
    assert "Applicants must be **21**" in answered.reply.text
    assert "aged 20 or over" not in answered.reply.text


def test_personal_details_do_not_change_the_answer(engine: Engine) -> None:
    """An e-mail address, a phone number and a zero-width space in a question leave its answer as it was."""
    service = QuestionService(engine)
    plain = service.answer("what is the minimum age for MIRAI")
    noisy = service.answer("what is the minimum age\u200b for MIRAI? ana.peeters@example.be +32 470 12 34 56")

    assert isinstance(plain.result, Answer)
    assert noisy.reply == plain.reply
    assert (noisy.entry_id, noisy.outcome) == ("mirai.age", "answered")


@pytest.mark.parametrize(
    ("chosen", "app_lang", "expected"),
    [(None, None, "en"), (None, "nl", "nl"), ("fr", "nl", "fr")],
)
def test_a_text_without_words_asks_for_words_in_the_users_language(
    engine: Engine, chosen: str | None, app_lang: str | None, expected: str
) -> None:
    """Only punctuation and emoji: the reply asks for words, in the chosen language, else the app's, else English."""
    answered = QuestionService(engine).answer("?! 🙂 …", chosen=chosen, app_lang=app_lang)  # type: ignore[arg-type]

    assert answered.reply.text == t(expected, "Please ask your question in words, in English, French or Dutch.")  # type: ignore[arg-type]
    assert (answered.lang, answered.result, answered.outcome) == (expected, NO_WORDS, None)


def test_the_chosen_language_comes_before_the_questions(engine: Engine) -> None:
    """A question in French from a user who chose Dutch is answered in Dutch."""
    answered = QuestionService(engine).answer("quel âge faut-il avoir pour MIRAI ?", chosen="nl")

    assert answered.lang == "nl"
    assert answered.entry_id == "mirai.age"


async def test_the_log_keeps_the_question_anonymised_with_its_outcome(engine: Engine) -> None:
    """The question log gets the text without personal details, the answer's language, outcome and entry."""
    queue = Queue()
    service = QuestionService(engine, writer=queue)
    await service.log(service.answer("quel âge pour MIRAI ? écrivez-moi à ana.peeters@example.be"))

    ((text, lang, outcome, entry_id),) = queue.submitted
    assert "ana.peeters@example.be" not in text
    assert (lang, outcome, entry_id) == ("fr", "answered", "mirai.age")


async def test_a_text_without_words_is_not_logged(engine: Engine) -> None:
    """Nothing for staff to review in '🙂': the log stays empty."""
    queue = Queue()
    service = QuestionService(engine, writer=queue)
    await service.log(service.answer("🙂"))

    assert queue.submitted == []
