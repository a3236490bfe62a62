"""Button actions packed into Telegram callback data and unpacked again, refusing anything else."""

from __future__ import annotations

import pytest

from bot.core.loading import load_knowledge
from bot.core.quiz import MAX_DEPTH, paths
from bot.core.quiz_views import choose_programme, show
from bot.core.views import (
    CancelQuiz,
    ChooseLanguage,
    ChooseQuiz,
    ConfirmBroadcast,
    ForgetMe,
    QuizRequirements,
    QuizStep,
    ShowDeadlines,
    ShowDetails,
    ShowEntry,
    ShowMenu,
    ShowProgramme,
    ShowSources,
    ShowSubscriptions,
    ToggleSubscription,
    Unsubscribe,
)
from bot.tg.callback_data import MAX_BYTES, CallbackDataTooLong, pack, unpack, unpack_with_lang
from tests.core.fixtures import SHIPPED_KNOWLEDGE, load


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (ShowMenu(), "m"),
        (ShowMenu(below=True), "M"),
        (ShowSubscriptions(), "S"),
        (ShowDeadlines(), "d"),
        (ShowDeadlines(calendar=True), "D"),
        (ToggleSubscription("mirai"), "s|mirai"),
        (Unsubscribe("jet"), "u|jet"),
        (ChooseLanguage("fr"), "l|fr"),
        (ChooseLanguage("auto"), "l|auto"),
        (ForgetMe(), "f"),
        (ForgetMe(confirmed=True), "F"),
        (ConfirmBroadcast(42), "b|42"),
        (ShowEntry("mirai.age"), "e|mirai.age"),
        (ShowEntry("jet.belgian_eligibility"), "e|jet.belgian_eligibility"),
        (ShowEntry("bot.privacy"), "e|bot.privacy"),
        (ShowEntry("a"), "e|a"),
        (ShowEntry("x2.y_3.z"), "e|x2.y_3.z"),
        (ShowProgramme("mirai"), "p|mirai"),
        (ShowDetails("mirai.about"), "i|mirai.about"),
        (ShowDetails("jet.belgian_eligibility"), "i|jet.belgian_eligibility"),
        (ShowSources("mirai.about"), "r|mirai.about"),
        (ShowSources("x2.y_3.z"), "r|x2.y_3.z"),
        (ShowProgramme("jet"), "p|jet"),
    ],
)
def test_pack_and_unpack_round_trip(action, data):
    """Every action packs to a short prefixed string that unpacks to an equal action."""
    assert pack(action) == data
    assert unpack(data) == action


def test_the_longest_entry_id_that_fits_round_trips():
    """An entry id that fills the 64 bytes exactly still packs and unpacks."""
    action = ShowEntry("a" * (MAX_BYTES - len("e|")))

    data = pack(action)

    assert len(data.encode()) == MAX_BYTES
    assert unpack(data) == action


@pytest.mark.parametrize(
    "action",
    [
        ShowEntry("a" * (MAX_BYTES - 1)),
        ShowProgramme("p" * MAX_BYTES),
        ShowEntry("é" * 32),  # 32 characters, but 64 bytes of UTF-8 after the prefix
    ],
)
def test_pack_refuses_what_does_not_fit_in_64_bytes(action):
    """An action over Telegram's 64 bytes of callback data raises CallbackDataTooLong, counted in bytes."""
    with pytest.raises(CallbackDataTooLong, match="over 64 bytes"):
        pack(action)


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_every_shipped_entry_s_details_and_sources_buttons_fit(lang):
    """The 'More details' and 'Sources' buttons of every shipped entry pack, with the language, in 64 bytes."""
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    for entry in knowledge.entries:
        for action in (ShowDetails(entry.id), ShowSources(entry.id)):
            assert unpack_with_lang(pack(action, lang)) == (action, lang)


def test_callback_data_too_long_is_a_value_error():
    """CallbackDataTooLong is a ValueError, so callers handling bad values catch it too."""
    assert issubclass(CallbackDataTooLong, ValueError)


@pytest.mark.parametrize(
    "data",
    [
        None,
        1,
        b"m",
        b"e|mirai.age",
        ["m"],
        ("e", "mirai.age"),
        ShowMenu(),
    ],
)
def test_unpack_refuses_what_is_not_a_string(data):
    """Callback data that is not a str (absent, bytes, a list…) unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize(
    "data",
    [
        "",
        "e",
        "e|",
        "p|",
        "|mirai.age",
        "e:mirai.age",
        "emirai.age",
        "m|",
        "mm",
        " m",
        "m ",
        "mM",
        "E|mirai.age",
        "e |mirai.age",
        "e| mirai.age",
        "e|mirai.age ",
        "e|Mirai.Age",
        "e|mirai-age",
        "e|mirai..age",
        "e|.mirai",
        "e|mirai.",
        "e|1mirai",
        "e|_mirai",
        "e|mïrai.âge",
        "p|JET",
        "i|",
        "r|",
        "i|Mirai.About",
        "r|mirai..about",
        "i|../../etc/passwd",
        "r|mirai.about ",
        "I|mirai.about",
    ],
)
def test_unpack_refuses_malformed_data(data):
    """Anything that is not exactly what pack produces (case, blanks, separators, id shape) unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize("prefix", ["x", "q", "a", "s", "ee", "pe", "menu"])
def test_unpack_refuses_unknown_prefixes(prefix):
    """A well-formed id behind a prefix pack never produces unpacks to None."""
    assert unpack(f"{prefix}|mirai.age") is None


@pytest.mark.parametrize(
    "data",
    [
        "e|mirai.age|extra",
        "e|mirai.age;DROP TABLE users",
        "e|../../etc/passwd",
        "e|mirai/age",
        "e|<b>mirai</b>",
        "e|mirai.age%00",
        "e|mirai.age\x00",
        "e|mirai.age\r",
        "e|mirai.age\u200b",
        "p|jet|e|mirai.age",
        "m|e|mirai.age",
        "e|{entry_id}",
        "e|__class__",
    ],
)
def test_unpack_refuses_injection_attempts(data):
    """Forged data carrying paths, markup, control characters or a second action unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize("data", ["e|mirai.age\n", "p|jet\n"])
def test_unpack_refuses_a_trailing_newline(data):
    """Data with a newline after the id is not what pack produces, and unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize(
    "data",
    [
        "e|" + "a" * (MAX_BYTES - 1),  # 65 bytes
        "e|" + "a" * 1000,
        "m" + " " * MAX_BYTES,
    ],
)
def test_unpack_refuses_oversized_data(data):
    """Data longer than Telegram's 64 bytes cannot have come from pack and unpacks to None."""
    assert len(data.encode()) > MAX_BYTES
    assert unpack(data) is None


# --- the eligibility quiz: its state travels whole in the callback data ----------------------------------

LONGEST_PROGRAMME = "abcdefghijklmnop"  # 16 characters, the most a programme id may have


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (ChooseQuiz(), "Q"),
        (CancelQuiz(), "x"),
        (QuizStep("mirai", "0a1b2c"), "q|mirai|0a1b2c|"),
        (QuizStep("mirai", "0a1b2c", (0,)), "q|mirai|0a1b2c|0"),
        (QuizStep("jet", "ffffff", (1, 0, 2, 8)), "q|jet|ffffff|1028"),
        (QuizStep("a_1", "123456", (0,) * 24), "q|a_1|123456|" + "0" * 24),
        (QuizRequirements("mirai", "0a1b2c", (0, 1, 2)), "a|mirai|0a1b2c|012"),
        (QuizRequirements("jet", "ffffff", (8,) * 24), "a|jet|ffffff|" + "8" * 24),
    ],
)
def test_quiz_actions_round_trip(action, data):
    """Quiz actions pack to a short string (a step or a verdict's full list: programme, version, one digit per
    answer) and back."""
    assert pack(action) == data
    assert unpack(data) == action


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
@pytest.mark.parametrize(
    "action", [ChooseQuiz(), CancelQuiz(), QuizStep("mirai", "0a1b2c"), QuizStep("mirai", "0a1b2c", (2, 0, 1))]
)
def test_quiz_actions_round_trip_with_the_language(action, lang):
    """With the message's language appended, a quiz action unpacks to the same action and that language."""
    data = pack(action, lang)

    assert data.endswith(f"|{lang}")
    assert unpack_with_lang(data) == (action, lang)


@pytest.mark.parametrize("kind", [QuizStep, QuizRequirements])
def test_the_longest_quiz_state_fits_in_64_bytes(kind):
    """A 16-character programme id, 24 answers of the highest option and a language still fit and round-trip."""
    action = kind(LONGEST_PROGRAMME, "abcdef", (8,) * MAX_DEPTH)

    data = pack(action, "nl")

    assert len(data.encode()) <= MAX_BYTES
    assert unpack_with_lang(data) == (action, "nl")


@pytest.mark.parametrize(
    "data",
    [
        "q|mirai|0a1b2c|019",  # 9 is no option: a question has at most 9, numbered 0-8
        "q|mirai|0a1b2c|-1",
        "q|mirai|0a1b2c|1a",
        "q|mirai|0a1b2c|١",  # an Arabic-Indic digit one
        "q|mirai|0A1B2C|0",
        "q|MIRAI|0a1b2c|0",
        "Q|mirai|0a1b2c|0",
        "q|mirai|0a1b2|0",
        "q|mirai|0a1b2c3|0",
        "q|mirai|ghijkl|0",
        "q|mirai|0a1b2c",
        "q|mirai|0a1b2c|0|1",
        "q|mirai||0a1b2c|0",
        "q||0a1b2c|0",
        "q|mirai|0a1b2c||",
        "q|mirai|0a1b2c|0|",
        "|q|mirai|0a1b2c|0",
        "q|mirai.age|0a1b2c|0",
        "q|1mirai|0a1b2c|0",
        "q|_mirai|0a1b2c|0",
        "q|mirai|0a1b2c|0 ",
        "q|mirai|0a1b2c|0\n",
        "q|mirai|0a1b2c|0|de",
        "q|mirai|0a1b2c|0|fr|fr",
        "q|mirai|0a1b2c|" + "0" * (MAX_DEPTH + 1),
        f"q|{LONGEST_PROGRAMME}q|0a1b2c|0",
        "Q|",
        "QQ",
        "q",
        "x|",
        "xx",
        "X",
        "x|mirai",
        "a|mirai|0a1b2c|",  # "All requirements" is only under a verdict: a state with answers
        "a|mirai|0a1b2c|019",
        "A|mirai|0a1b2c|0",
        "a|mirai|0a1b2c|0|",
        "aq|mirai|0a1b2c|0",
        "a|mirai|0a1b2c|" + "0" * (MAX_DEPTH + 1),
    ],
)
def test_unpack_refuses_forged_quiz_data(data):
    """Quiz data pack would never produce (a 9, a bad version, capitals, extra separators…) unpacks to None."""
    assert unpack(data) is None
    assert unpack_with_lang(data) == (None, None)


def test_no_packed_quiz_step_is_read_as_a_language():
    """A step with no answers ends in a separator, so a programme or version cannot pass for a language."""
    action = QuizStep("nl", "abcdef")

    assert unpack_with_lang(pack(action)) == (action, None)
    assert unpack_with_lang(pack(action, "fr")) == (action, "fr")


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_every_button_of_the_fixture_quizzes_round_trips(tmp_path, lang):
    """Every button on every screen of both fixture quizzes packs within 64 bytes and unpacks to itself."""
    knowledge = load(tmp_path)
    screens = [choose_programme(knowledge, lang)]
    for quiz in knowledge.quizzes:
        for progress in paths(quiz):
            answers = progress.answers
            screens.extend(
                show(knowledge, QuizStep(quiz.programme, quiz.version, answers[:n]), lang)
                for n in range(len(answers) + 1)
            )
    buttons = [button for screen in screens for row in screen.buttons for button in row]

    assert len(buttons) > 100
    for button in buttons:
        assert unpack_with_lang(pack(button.action, lang)) == (button.action, lang)
