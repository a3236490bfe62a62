"""Every channel prepares a question the same way before matching."""

import sys
import unicodedata

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import LabelledQuestion, evaluate
from bot.core.questions import clean, match_question

NOISY = [
    ("how old must i be to join mirai", "how old must i be to join mirai jan.peeters@kuleuven.be"),
    ("wat doet een CIR precies", "wat doet een\u200bCIR precies 0470 12 34 56"),
]


def test_control_and_format_characters_become_spaces() -> None:
    """Zero-width and bidi characters would glue or split words; line breaks and tabs stay."""
    assert clean("mi\u200brai\u202eage\nok\t!") == "mi rai age\nok\t!"


def test_every_character_is_kept_or_dropped_by_its_unicode_category() -> None:
    """Whatever the shortcut for ordinary text, each code point is dropped exactly when its category is C
    (control, format, surrogate, private use, unassigned), line breaks and tabs excepted."""
    wrong = [
        code
        for code in range(sys.maxunicode + 1)
        if clean(f"a{chr(code)}b")
        != ("a b" if unicodedata.category(chr(code))[0] == "C" and chr(code) not in "\n\t" else f"a{chr(code)}b")
    ]
    assert wrong == []


@pytest.mark.parametrize(("plain", "noisy"), NOISY)
def test_personal_details_and_control_characters_do_not_change_the_match(
    engine: Engine, plain: str, noisy: str
) -> None:
    """An e-mail address, a phone number or a zero-width space says nothing about the question."""
    matcher = engine.snapshot.matcher

    assert match_question(matcher, noisy) == match_question(matcher, plain)
    assert matcher.match(noisy).score != matcher.match(plain).score  # unprepared, the noise would count


@pytest.mark.parametrize(("plain", "noisy"), NOISY)
def test_eval_scores_the_prepared_question(engine: Engine, plain: str, noisy: str) -> None:
    """eval goes through the same preparation, so its figures are the bot's."""
    item = LabelledQuestion(noisy, None, "no.such.entry")  # always a miss, so its score is reported
    report = evaluate(engine.snapshot.matcher, [item])

    assert report.misses[0].score == match_question(engine.snapshot.matcher, plain).score
