"""The shipped quizzes (knowledge/mirai.yaml, knowledge/jet.yaml) against tables written here from the sources.

Every path through each quiz is enumerated and its verdict compared with what the tables below say it must
be, worked out from the answers alone. The tables are written from the source page
(/work/shared/source/exchange-programs.txt, the MIRAI 2019-2020 requirements and "Belgian nationals are only
eligible for a position of CIR"; its copy in knowledge/sources/ when that is not on the machine) and the
additional facts (the JET criteria with their years), never from the YAML: a staff edit that changes an
outcome, drops a question or reorders them fails a test here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from bot.core import quiz_views
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import LANGUAGES, Lang
from bot.core.markup import shown
from bot.core.quiz import Progress, Quiz, Verdict, paths, replay, verdict
from bot.core.text import Text
from bot.core.views import Reply
from bot.tg.render import MESSAGE_LIMIT, html_chunks
from tests.fake_bot_api import parse_html

SOURCE_PAGE: Final = Path("/work/shared/source/exchange-programs.txt")
PAGE_COPY: Final = Path(__file__).resolve().parents[2] / "knowledge" / "sources" / "exchange-programs.txt"

# --- MIRAI: the page's nine requirements ---------------------------------------------------------------------

MIRAI_TABLE: Final[dict[str, tuple[int, str | None, str]]] = {
    # question id: (requirement number on the page, the answer that fails it, the answer that leaves it to check)
    "nationality": (1, "no", "unsure"),
    "enrolment": (2, "no", "unsure"),
    "passport": (3, "no", "unsure"),
    # Requirement 4 joins its two halves with "Or": each is asked on its own and fails nothing alone.
    "japan_residence": (4, None, "unsure"),  # "do not have experience of residing in Japan for more than six months"
    "earlier_exchange": (4, None, "unsure"),  # "Or had never be accepted Japanese government sponsored ... programs"
    "age": (5, "no", "unsure"),
    "grades": (6, "no", "unsure"),
    "english": (7, "no", "unsure"),
    "health": (8, "no", "unsure"),
    "sns": (9, "no", "unsure"),
}
REQUIREMENT_4_HALVES: Final = ("japan_residence", "earlier_exchange")
HALF_NOT_MET: Final = "yes"  # "yes, I have lived there that long" / "yes, I was accepted on one"
HALF_MET: Final = "no"
MIRAI_PAGE_WORDS: Final[dict[int, str]] = {
    # requirement number: words of that requirement on the page, so the numbers above are the page's own
    1: "Applicants have Belgian nationality and do not have Japanese nationality.",
    2: "belong to schools or institutions located in Belgium.",
    3: "Applicants have a valid passport that is validated during the entire period of the program",
    4: "Applicants do not have experience of residing in Japan for more than six months. Or had never be accepted "
    "Japanese government sponsored scholastic exchange programs before.",
    5: "Applicants must be aged 20 or over.",
    6: "Applicants submit photocopy of certification of your latest academic grade.",
    7: "Applicants can communicate with other participants in English without difficulty.",
    8: "Applicants must be healthy physically and mentally.",
    9: "through Social Networking Services, mainly Facebook with Open privacy status",
}
REQUIREMENT_WORD: Final = {"en": "requirement", "fr": "condition", "nl": "voorwaarde"}

# --- JET: CIR only for Belgians (the page), then the general criteria (additional facts) ---------------------

JET_POSITION: Final = "position"
JET_OPEN: Final = "cir"
JET_CLOSED: Final = ("alt", "sea")
JET_TABLE: Final[dict[str, tuple[str, str | None, str]]] = {
    # question id: (year of the source the requirement comes from, the failing answer, the 'to check' answer)
    "nationality": ("2015-2016", "no", "unsure"),  # nationality of the recruiting country (official JET site)
    "degree": ("2015-2016", "no", "unsure"),  # a bachelor's degree by the arrival date (official JET site)
    # Japanese for CIRs: the only source is the Embassy of Japan in India, for applicants from Bhutan (2025),
    # another country's route, never presented as Belgian: "no" is to check with the embassy, not a failure.
    "japanese": ("2025", None, "unsure"),
    "health": ("2015-2016", "no", "unsure"),  # mentally and physically healthy (official JET site)
    "adapt": ("2015-2016", "no", "unsure"),  # able to adapt to living and working in Japan (official JET site)
}
JET_POSITION_YEAR: Final = "2019-2020"  # the embassy page: "Belgian nationals are only eligible for ... CIR"
JET_OTHER_ROUTE: Final = {("japanese", "no")}  # answers left to check because their only source is another route


Expected = tuple[list[str], list[str], str]


def expected_verdict(
    answered: list[tuple[str, str]],
    table: dict[str, tuple[object, str | None, str]],
    also_checks: set[tuple[str, str]] | None = None,
) -> Expected:
    """Failures: the questions answered with their failing answer; checks: those answered 'unsure' (or one of
    ``also_checks``)."""
    failures = [q for q, answer in answered if answer == table[q][1]]
    checks = [q for q, answer in answered if answer == table[q][2] or (q, answer) in (also_checks or set())]
    return failures, checks, "not_eligible" if failures else "to_check" if checks else "eligible"


def mirai_expected(answered: list[tuple[str, str]]) -> Expected:
    """Requirements 1-3 and 5-9: 'no' fails, 'unsure' is to check. Requirement 4 (two halves joined by "Or"):
    both halves met passes; both not met fails (at the second half); exactly one not met is to check, as is
    'unsure'."""
    missed = [q for q, answer in answered if q in REQUIREMENT_4_HALVES and answer == HALF_NOT_MET]
    failures, checks = [], []
    for q, answer in answered:
        if answer == MIRAI_TABLE[q][1]:
            failures.append(q)
        if answer == MIRAI_TABLE[q][2] or (q in missed and len(missed) == 1):
            checks.append(q)
        if q == REQUIREMENT_4_HALVES[-1] and len(missed) == 2:
            failures.append(q)
    return failures, checks, "not_eligible" if failures else "to_check" if checks else "eligible"


def actual(result: Verdict) -> Expected:
    return [f.question.id for f in result.failures], [c.question.id for c in result.checks], result.status


def answered(progress: Progress) -> list[tuple[str, str]]:
    return [(step.question.id, step.option.answer) for step in progress.steps]


def reasons(quiz: Quiz) -> Iterator[tuple[str, str, Text]]:
    for question in quiz.questions:
        for option in question.options:
            for reason in (option.fails, option.check):
                if reason is not None:
                    yield question.id, option.answer, reason


@pytest.fixture(scope="module")
def knowledge(engine: Engine) -> KnowledgeBase:
    return engine.snapshot.knowledge


@pytest.fixture(scope="module")
def mirai(knowledge: KnowledgeBase) -> Quiz:
    quiz = knowledge.quiz("mirai")
    assert quiz is not None, "MIRAI has no quiz"
    return quiz


@pytest.fixture(scope="module")
def jet(knowledge: KnowledgeBase) -> Quiz:
    quiz = knowledge.quiz("jet")
    assert quiz is not None, "JET has no quiz"
    return quiz


@pytest.fixture(scope="module")
def mirai_paths(mirai: Quiz) -> list[Progress]:
    return list(paths(mirai))


@pytest.fixture(scope="module")
def jet_paths(jet: Quiz) -> list[Progress]:
    return list(paths(jet))


# --- MIRAI ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_path", [PAGE_COPY, SOURCE_PAGE], ids=["copy in the repository", "shared source"])
def test_the_page_lists_nine_requirements_with_the_words_of_the_table(page_path: Path) -> None:
    """The source page numbers nine MIRAI requirements, and each number in the table is the one with its words."""
    if not page_path.exists():
        assert page_path == SOURCE_PAGE, "the repository's copy of the page is missing"
        return  # the shared source lives outside the repository; the copy is always checked
    page = page_path.read_text(encoding="utf-8")
    section = page.split("Requirements for candidates:", 1)[1].split("The Japan Exchange and Teaching", 1)[0]
    numbered = dict(re.findall(r"^\s*(\d+)\.\s+(.+)$", section, re.MULTILINE))
    assert sorted(int(n) for n in numbered) == list(range(1, 10))
    for number, words in MIRAI_PAGE_WORDS.items():
        assert words in numbered[str(number)], (number, numbered[str(number)])


def test_the_mirai_questions_follow_the_nine_requirements_in_order(mirai: Quiz) -> None:
    """MIRAI asks one question per page requirement, in the page's order, and requirement 4 as its two halves."""
    assert [q.id for q in mirai.questions] == list(MIRAI_TABLE)
    numbers = [MIRAI_TABLE[q.id][0] for q in mirai.questions]
    assert numbers == [1, 2, 3, 4, 4, 5, 6, 7, 8, 9]
    assert set(numbers) == set(MIRAI_PAGE_WORDS)


def test_each_mirai_question_offers_yes_no_and_unsure(mirai: Quiz) -> None:
    """Every MIRAI question is answered yes, no or unsure, nothing else; none jumps or offers another answer."""
    for question in mirai.questions:
        assert sorted(o.answer for o in question.options) == sorted(("yes", "no", "unsure")), question.id
        assert all(o.then is None and o.instead is None for o in question.options), question.id


def test_each_mirai_failure_cites_its_page_requirement_in_every_language(mirai: Quiz) -> None:
    """The reason for failing a requirement names that requirement's number on the page, and no other; the
    halves of requirement 4 fail only together, with a reason citing 4."""
    for question in mirai.questions:
        number, failing, _ = MIRAI_TABLE[question.id]
        if failing is None:
            assert all(o.fails is None for o in question.options), question.id
            continue
        option = question.option(failing)
        assert option is not None
        assert option.fails is not None
        for lang in LANGUAGES:
            cited = re.findall(rf"\({REQUIREMENT_WORD[lang]} (\d+)\)", option.fails[lang])
            assert cited == [str(number)], (question.id, lang, option.fails[lang])
    (rule,) = mirai.fails_together
    assert rule.answers == dict.fromkeys(REQUIREMENT_4_HALVES, HALF_NOT_MET)
    for lang in LANGUAGES:
        assert re.findall(rf"\({REQUIREMENT_WORD[lang]} (\d+)\)", rule.fails[lang]) == ["4"], lang


def test_each_half_of_requirement_4_alone_quotes_the_page_and_its_or(mirai: Quiz) -> None:
    """Missing one half of requirement 4 is to check with the embassy, and the reason quotes the page's own
    sentence, "Or" included, in every language: the student sees why it is ambiguous."""
    for question_id in REQUIREMENT_4_HALVES:
        question = mirai.question(question_id)
        assert question is not None
        alone = question.option(HALF_NOT_MET)
        met = question.option(HALF_MET)
        assert alone is not None
        assert met is not None
        assert (met.fails, met.check) == (None, None)
        assert alone.fails is None
        assert alone.check is not None
        for lang in LANGUAGES:
            assert MIRAI_PAGE_WORDS[4] in alone.check[lang], (question_id, lang)
            assert "embass" in alone.check[lang] or "ambassade" in alone.check[lang], (question_id, lang)


def test_every_mirai_path_is_every_combination_of_answers(mirai_paths: list[Progress]) -> None:
    """MIRAI has 3^10 paths: every combination of the three answers to the ten questions, each once."""
    assert len(mirai_paths) == 3**10
    combinations = {tuple(answer for _, answer in answered(p)) for p in mirai_paths}
    assert combinations == set(itertools.product(("yes", "no", "unsure"), repeat=10))
    for progress in mirai_paths:
        assert [q for q, _ in answered(progress)] == list(MIRAI_TABLE)


def test_every_mirai_verdict_follows_the_requirements_table(mirai_paths: list[Progress]) -> None:
    """On every MIRAI path the verdict is the table's: 'no' fails and 'unsure' is to check, except requirement 4,
    which fails only when both halves are not met and is to check when one is."""
    statuses: dict[str, int] = {}
    for progress in mirai_paths:
        result = verdict(progress)
        path = answered(progress)
        assert actual(result) == mirai_expected(path), path
        assert result.alternatives == ()
        for finding in (*result.failures, *result.checks):
            assert all(finding.reason[lang].strip() for lang in LANGUAGES), path
        statuses[result.status] = statuses.get(result.status, 0) + 1
    # Without a failure: the eight other questions passed or unsure (2^8), and the halves anything but both
    # 'yes' (8 of 9). One of those passes everything; the rest are to check.
    assert statuses == {"eligible": 1, "to_check": 2**8 * 8 - 1, "not_eligible": 3**10 - 2**8 * 8}


def test_the_four_ways_through_requirement_4(mirai: Quiz) -> None:
    """Everything else passing: both halves met is eligible, both not met is not eligible, one not met is to
    check with the embassy (whichever it is)."""
    rest = {q: "yes" for q in MIRAI_TABLE if q not in REQUIREMENT_4_HALVES}
    for residence, exchange, status in [
        ("no", "no", "eligible"),
        ("yes", "yes", "not_eligible"),
        ("yes", "no", "to_check"),
        ("no", "yes", "to_check"),
    ]:
        chosen = {**rest, "japan_residence": residence, "earlier_exchange": exchange}
        answers = []
        for question in mirai.questions:
            option = question.option(chosen[question.id])
            assert option is not None
            answers.append(question.options.index(option))
        assert verdict(replay(mirai, tuple(answers))).status == status, (residence, exchange)


# --- JET -----------------------------------------------------------------------------------------------------


def test_jet_asks_the_position_first_then_one_question_per_criterion(jet: Quiz) -> None:
    """JET asks the position first, then the criteria of the table, in that order."""
    assert [q.id for q in jet.questions] == [JET_POSITION, *JET_TABLE]
    position = jet.questions[0]
    assert [o.answer for o in position.options] == [JET_OPEN, *JET_CLOSED]
    for question in jet.questions[1:]:
        assert sorted(o.answer for o in question.options) == sorted(("yes", "no", "unsure")), question.id


def test_alt_and_sea_end_at_once_as_not_eligible_offering_cir_instead(jet: Quiz, jet_paths: list[Progress]) -> None:
    """Choosing ALT or SEA ends the JET quiz at once: not eligible, the reason, and "answer CIR instead"."""
    for closed in JET_CLOSED:
        ended = [p for p in jet_paths if answered(p)[0] == (JET_POSITION, closed)]
        assert len(ended) == 1, closed
        result = verdict(ended[0])
        assert len(result.steps) == 1
        assert actual(result) == ([JET_POSITION], [], "not_eligible")
        ((step, alternative),) = result.alternatives
        assert (step.question.id, step.option.answer, alternative.answer) == (JET_POSITION, closed, JET_OPEN)
        assert alternative.fails is None
        assert alternative.check is None
        for lang in LANGUAGES:
            reason = result.failures[0].reason[lang]
            assert "CIR" in reason
            assert closed.upper() in reason
            assert JET_POSITION_YEAR in reason


def test_every_jet_path_as_cir_asks_every_criterion_and_follows_the_table(jet_paths: list[Progress]) -> None:
    """As CIR, every JET path asks all the criteria; its failures are the 'no' answers, its checks the 'unsure'."""
    as_cir = [p for p in jet_paths if answered(p)[0] == (JET_POSITION, JET_OPEN)]
    assert len(as_cir) == 3 ** len(JET_TABLE)
    assert len(jet_paths) == len(as_cir) + len(JET_CLOSED)
    combinations = set()
    for progress in as_cir:
        path = answered(progress)[1:]
        assert [q for q, _ in path] == list(JET_TABLE)
        combinations.add(tuple(answer for _, answer in path))
        result = verdict(progress)
        assert actual(result) == expected_verdict(path, JET_TABLE, JET_OTHER_ROUTE), path
        assert result.alternatives == ()
        for finding in (*result.failures, *result.checks):
            assert all(finding.reason[lang].strip() for lang in LANGUAGES), path
    assert combinations == set(itertools.product(("yes", "no", "unsure"), repeat=len(JET_TABLE)))


def test_each_jet_failure_names_the_year_of_its_source(jet: Quiz) -> None:
    """The reason for failing a JET criterion shows the year of the source it comes from, in every language; an
    answer left to check because its only source is another country's route names that route and its year."""
    for question in jet.questions[1:]:
        year, failing, _ = JET_TABLE[question.id]
        if failing is None:
            (other,) = [answer for q, answer in JET_OTHER_ROUTE if q == question.id]
            option = question.option(other)
            assert option is not None
            assert option.fails is None
            assert option.check is not None
            for lang in LANGUAGES:
                assert year in option.check[lang], (question.id, lang)
                assert "Bhutan" in option.check[lang] or "Bhoutan" in option.check[lang], (question.id, lang)
            continue
        option = question.option(failing)
        assert option is not None
        assert option.fails is not None
        for lang in LANGUAGES:
            assert year in option.fails[lang], (question.id, lang)


# --- both quizzes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
def test_every_question_explains_itself_in_an_existing_entry(knowledge: KnowledgeBase, programme_id: str) -> None:
    """Each question's `about` is an entry of the programme's own that exists, and so is its requirements entry."""
    quiz = knowledge.quiz(programme_id)
    assert quiz is not None
    for question in quiz.questions:
        assert question.about is not None, question.id
        assert knowledge.get(question.about) is not None, question.about
        assert question.about.startswith(f"{programme_id}."), question.about
    assert quiz.requirements is not None
    assert knowledge.get(quiz.requirements) is not None


@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
def test_every_reason_question_and_label_is_written_in_every_language(
    knowledge: KnowledgeBase, programme_id: str
) -> None:
    """Every question, reason, own label and the eligible text are non-empty in English, French and Dutch."""
    quiz = knowledge.quiz(programme_id)
    assert quiz is not None
    texts: list[tuple[str, Text]] = [("eligible", quiz.eligible)]
    texts += [(f"{q.id}: ask", q.ask) for q in quiz.questions]
    texts += [(f"{q}: {a}", reason) for q, a, reason in reasons(quiz)]
    texts += [(f"{q.id}: {o.answer} label", o.label) for q in quiz.questions for o in q.options if o.label]
    for where, text in texts:
        for lang in LANGUAGES:
            assert text[lang].strip(), (where, lang)
    texts += [("fails_together", rule.fails) for rule in quiz.fails_together]
    for question in quiz.questions:
        half = programme_id == "mirai" and question.id in REQUIREMENT_4_HALVES
        for option in question.options:
            elsewhere = programme_id == "jet" and (question.id, option.answer) in JET_OTHER_ROUTE
            fails = (option.answer == "no" and not half and not elsewhere) or (
                programme_id == "jet" and option.answer in JET_CLOSED
            )
            check = option.answer == "unsure" or (half and option.answer == HALF_NOT_MET) or elsewhere
            assert (option.fails is not None) == fails, (question.id, option.answer)
            assert (option.check is not None) == check, (question.id, option.answer)


# --- every screen fits one Telegram message, so each answer edits the quiz message in place -------------------


def longest_verdict_paths(all_paths: list[Progress]) -> list[Progress]:
    """The paths whose verdict may be the longest: no passing answer (a pass only drops a line), and all 'yes'.
    For the halves of MIRAI requirement 4 'yes' is a line too, so they take every answer."""

    def long(path: list[tuple[str, str]]) -> bool:
        return all(a != "yes" or q in REQUIREMENT_4_HALVES for q, a in path)

    return [p for p in all_paths if long(answered(p)) or all(a == "yes" for _, a in answered(p))]


@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
def test_every_screen_is_one_valid_telegram_message(
    knowledge: KnowledgeBase, mirai_paths: list[Progress], jet_paths: list[Progress], programme_id: str
) -> None:
    """Every question, the longest verdicts and their "All requirements" lists render as one message of valid
    Telegram HTML under 4096 characters."""
    quiz = knowledge.quiz(programme_id)
    assert quiz is not None
    all_paths = mirai_paths if programme_id == "mirai" else jet_paths
    finished = longest_verdict_paths(all_paths) if programme_id == "mirai" else all_paths
    assert finished
    states = question_states(all_paths)
    assert {question for question, _ in states.values()} == {q.id for q in quiz.questions}
    for lang in LANGUAGES:
        screens = [quiz_views.verdict_screen(knowledge, quiz, p, lang) for p in finished]
        screens += [quiz_views.requirements_screen(knowledge, quiz, p, lang) for p in finished]
        screens += [quiz_views.question_screen(knowledge, quiz, replay(quiz, a), lang) for a in states]
        for screen in screens:
            chunks = html_chunks(screen)
            assert len(chunks) == 1, (lang, screen.text[:100])
            text, _ = parse_html(chunks[0])  # raises as Telegram would on invalid HTML
            assert len(text) <= MESSAGE_LIMIT


def question_states(all_paths: list[Progress]) -> dict[tuple[int, ...], tuple[str, int]]:
    """One state (the answers so far) for each question screen a student can see: each question at each number."""
    found: dict[tuple[str, int], tuple[int, ...]] = {}
    for progress in all_paths:
        answers = progress.answers
        for number, step in enumerate(progress.steps):
            found.setdefault((step.question.id, number), answers[:number])
    return {answers: screen for screen, answers in found.items()}


# --- the verdict's first message fits one phone screen; the rest is under "All requirements" ----------------

PHONE_SCREEN: Final = 700
"""Characters of text, as Telegram shows them (a link as its label), on one phone screen."""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
def test_every_first_verdict_message_fits_one_phone_screen(
    knowledge: KnowledgeBase, mirai_paths: list[Progress], jet_paths: list[Progress], programme_id: str, lang: Lang
) -> None:
    """On every path, the verdict's first message is at most 700 characters as shown, tells each failure and point
    to check with its reason or counts it under "All requirements", says it is only an indication, and offers
    the full list; the longest one, read back from Telegram's HTML, is as long as measured."""
    quiz = knowledge.quiz(programme_id)
    assert quiz is not None
    more = re.compile(re.escape(t(lang, "{count} more under “All requirements”", count=999)).replace("999", r"\d+"))
    longest: tuple[int, str] = (0, "")
    for progress in mirai_paths if programme_id == "mirai" else jet_paths:
        reply = quiz_views.verdict_screen(knowledge, quiz, progress, lang)
        text = shown(reply.text)
        assert len(text) <= PHONE_SCREEN, (lang, answered(progress), len(text))
        result = verdict(progress)
        untold = [f for f in (*result.failures, *result.checks) if f.reason[lang].strip() not in text]
        assert not untold or more.search(text), (lang, answered(progress))
        assert text.endswith(t(lang, quiz_views.INDICATION)), (lang, answered(progress))
        assert t(lang, "All requirements") in [button.label for row in reply.buttons for button in row]
        longest = max(longest, (len(text), reply.text))
    chunks = html_chunks(Reply(longest[1]))
    assert len(parse_html(chunks[0])[0]) == longest[0]


def test_the_worst_mirai_path_counts_what_does_not_fit_and_lists_it_in_full(
    knowledge: KnowledgeBase, mirai: Quiz
) -> None:
    """Not sure of everything: the first message counts the reasons it cannot hold, and "All requirements" holds
    every question with its answer and every reason."""
    unsure = tuple(q.options.index(q.option("unsure")) for q in mirai.questions)  # type: ignore[arg-type]
    progress = replay(mirai, unsure)
    first = shown(quiz_views.verdict_screen(knowledge, mirai, progress, "en").text)
    assert "more under “All requirements”" in first
    full = quiz_views.requirements_screen(knowledge, mirai, progress, "en").text
    for question in mirai.questions:
        option = question.option("unsure")
        assert option is not None
        assert option.check is not None
        assert f"❔ {question.ask['en']} **I'm not sure**\n{option.check['en'].strip()}" in full
