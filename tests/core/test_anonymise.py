"""anonymise(): what a question loses before it is kept for staff, and what it must keep."""

from __future__ import annotations

import pytest

from bot.core.anonymise import MAX_LENGTH, anonymise


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # e-mail addresses
        ("mail me at ana.peeters+mirai@student.kuleuven.be please", "mail me at <email> please"),
        ("Ana.Peeters@Gmail.COM, is MIRAI open?", "<email>, is MIRAI open?"),
        ("contact: jan_de-smet@ugent.be.", "contact: <email>."),
        # Belgian phone numbers, written the ways students write them
        ("call me on +32 470 12 34 56 please", "call me on <number> please"),
        ("call me on +32470123456", "call me on <number>"),
        ("my number is 0470 12 34 56", "my number is <number>"),
        ("my number is 0470/12.34.56", "my number is <number>"),
        ("tel. 02-513-23-40 after 5 pm", "tel. <number> after 5 pm"),
        # national register numbers, formatted or not
        ("my national number is 85.07.30-033.28", "my national number is <number>"),
        ("rijksregisternummer 85073003328", "rijksregisternummer <number>"),
        # addresses on the web
        ("see https://example.com/form?id=1234, is it right?", "see <link> is it right?"),
        ("http://ana-peeters.be", "<link>"),
        ("is www.studyinjapan.go.jp/en the right site", "is <link> the right site"),
        # Telegram and other @handles
        ("I am @ana_peeters on Telegram", "I am <handle> on Telegram"),
        ("ask @JanDeSmet1999 about MIRAI", "ask <handle> about MIRAI"),
        # several at once, and whitespace folded
        ("ana@example.com\n  +32 470 12 34 56\t@ana_p", "<email> <number> <handle>"),
    ],
)
def test_personal_details_are_removed(question: str, kept: str) -> None:
    """E-mail addresses, phone numbers, national numbers, links and @handles are replaced by a placeholder."""
    assert anonymise(question) == kept


@pytest.mark.parametrize(
    "question",
    [
        "Can I apply for MIRAI in 2027?",
        "I am 19, is that old enough for MIRAI?",
        "I was born in 2006 and I am 19",
        "Is the age limit 18 to 30 or 35?",
        "MIRAI programme, 10 days, how much does it cost?",
        "JET Programme 2026: when are the interviews?",
        "Kan ik in 2027 met MIRAI naar Japan als ik 20 ben?",
        "Quel âge faut-il avoir pour MIRAI ? J'ai 17 ans.",
        "Is the deadline on 15 March?",
    ],
)
def test_years_ages_and_programme_names_stay(question: str) -> None:
    """Years, ages, small numbers and programme names are what staff need: they are kept as written."""
    assert anonymise(question) == question


@pytest.mark.parametrize("question", ["Is MIRAI open for the 2026-2027 academic year?", "JET 2026/2027 deadline?"])
def test_academic_year_ranges_stay(question: str) -> None:
    """An academic year written as a range (2026-2027) is a year, not a personal number, and stays."""
    assert anonymise(question) == question


def test_a_telegram_profile_link_without_scheme_is_removed() -> None:
    """t.me/<username> identifies the student as surely as @username does, and is removed."""
    assert "ana_peeters" not in anonymise("my profile is t.me/ana_peeters, write me")


def test_long_questions_are_cut() -> None:
    """A question is kept to MAX_LENGTH characters."""
    assert len(anonymise("what about MIRAI " * 100)) == MAX_LENGTH
