"""The page watch's pure part: HTML to text, hash, diff, programmes mentioned, plausibility and the verdict."""

from __future__ import annotations

import pytest

from bot.core.page_watch import (
    CONFIRMATIONS,
    Baseline,
    Changed,
    PageDiff,
    PageText,
    Refused,
    Unchanged,
    changed_lines,
    implausible,
    judge,
    page_diff,
    page_text,
    programmes_mentioned,
    text_hash,
)

PROGRAMMES = {"mirai": ("MIRAI",), "jet": ("JET Programme", "Programme JET", "JET-programma")}
BODY = " ".join(f"word{i}" for i in range(60))  # enough words to be a page
PAGE = (
    "Exchange Programs\nThe Embassy of Japan in Belgium accepts applications for exchange programs.\n"
    "MIRAI: requirements for candidates.\nThe Japan Exchange and Teaching (JET) Program.\n" + BODY
)


def page(text: str, title: str = "Exchange Programs") -> PageText:
    return PageText(title, text)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hello   world</p>", "Hello world"),
        ("<p>Hello</p><p>world</p>", "Hello\nworld"),
        ("<p>Hello<br>world</p>", "Hello\nworld"),
        ("<p>Hello<br/>world</p>", "Hello\nworld"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<p>a&nbsp;b &amp; c</p>", "a b & c"),  # entities decoded, no-break space is a space
        ("<p>Ｍｉｒａｉ</p>", "Mirai"),  # NFKC: full-width letters
        ("<p>x</p><script>var x = '<p>no</p>';</script><style>p {}</style>", "x"),
        ("<nav><a>Home</a></nav><main><p>Body</p></main><footer>Updated 2026</footer>", "Body"),
        ("<head><title>T</title><meta charset=utf-8></head><body>Body</body>", "Body"),
        ("<div>\n   Line\n   wrapped\n   here\n</div>", "Line wrapped here"),
        ("<p>Hello <b>bold</b> and <a href='x'>link</a>.</p>", "Hello bold and link."),
        ("<p>unclosed <div>block", "unclosed\nblock"),
        ("<p>x</p></nav><p>y</p>", "x\ny"),  # a stray end tag of a skipped element hides nothing
        ("", ""),
    ],
)
def test_page_text(html: str, text: str) -> None:
    """page_text keeps what a reader sees, one block per line, whitespace normalised; code and chrome dropped."""
    assert page_text(html).text == text


def test_page_text_is_the_same_for_the_same_words_in_other_markup() -> None:
    """Reindented, rewrapped HTML with other attributes gives the same text and hash: no change."""
    one = "<html><body><p class='a'>Further details will appear on this page</p><p>as the time approaches</p>"
    two = "<html>\n <body>\n  <p>Further   details will appear\n on this page</p>\n\n<p id=x>as the time approaches</p>"
    assert page_text(one) == page_text(two)
    assert page_text(one).digest == page_text(two).digest


def test_page_text_keeps_the_title() -> None:
    assert page_text("<title> Exchange  Programs </title><p>x</p>").title == "Exchange Programs"


@pytest.mark.parametrize(("text", "other"), [("a", "b"), ("a\nb", "a b"), ("a", "a ")])
def test_text_hash_tells_texts_apart(text: str, other: str) -> None:
    assert text_hash(text) != text_hash(other)
    assert text_hash(text) == text_hash(text)
    assert len(text_hash(text)) == 64


@pytest.mark.parametrize(
    ("old", "new", "removed", "added"),
    [
        ("a\nb\nc", "a\nb\nc", [], []),
        ("a\nb\nc", "a\nB\nc", ["b"], ["B"]),
        ("a\nc", "a\nb\nc", [], ["b"]),
        ("a\nb\nc", "a\nc", ["b"], []),
        ("a\nb", "x\ny", ["a", "b"], ["x", "y"]),
    ],
)
def test_changed_lines(old: str, new: str, removed: list[str], added: list[str]) -> None:
    assert changed_lines(old, new) == (removed, added)


def test_page_diff_trims_to_a_few_lines_added_first() -> None:
    """Past the line budget, added lines go first and the rest is counted, not shown."""
    old = "\n".join(f"old {i}" for i in range(8))
    new = "\n".join(f"new {i}" for i in range(8))
    diff = page_diff(old, new, max_lines=10)
    assert diff.added == tuple(f"new {i}" for i in range(8))
    assert diff.removed == ("old 0", "old 1")
    assert diff.omitted == 6


def test_page_diff_shows_a_one_word_edit_in_a_long_line_around_the_edit() -> None:
    """A long paragraph with one word changed is cut around the change, not at its start."""
    before = "x " * 300
    old = before + "applications open in March " + "y " * 300
    new = before + "applications open in April " + "y " * 300
    diff = page_diff(old, new, line_chars=120)
    assert len(diff.added[0]) <= 120
    assert "April" in diff.added[0]
    assert "March" in diff.removed[0]
    assert diff.added[0].startswith("…")
    assert diff.added[0].endswith("…")


@pytest.mark.parametrize(
    ("lines", "programmes"),
    [
        (["MIRAI 2027: applications open on 1 March"], ("mirai",)),
        (["mirai applications"], ("mirai",)),
        (["The JET Programme recruits"], ("jet",)),
        (["JET-programma"], ("jet",)),
        (["MIRAI and JET"], ("jet", "mirai")),
        (["Applications open on 1 March"], ("jet", "mirai")),  # names neither: both
        (["JETTY MIRAIS"], ("jet", "mirai")),  # not the names, as whole words: both
        ([], ("jet", "mirai")),
    ],
)
def test_programmes_mentioned(lines: list[str], programmes: tuple[str, ...]) -> None:
    """Programmes named as whole words in the changed lines; all of them when the change names none."""
    assert programmes_mentioned(lines, PROGRAMMES) == programmes


@pytest.mark.parametrize(
    ("fetched", "previous", "reason"),
    [
        (page(PAGE), None, None),
        (page(PAGE), PAGE, None),
        (page(PAGE + " more"), PAGE, None),
        (page(""), None, "empty"),
        (page("Loading…"), PAGE, "empty"),
        (page(PAGE, title="404 Not Found"), None, "error page"),
        (page(PAGE, title="Service Unavailable"), PAGE, "error page"),
        (page(PAGE, title="Site under maintenance"), PAGE, "error page"),
        (page(BODY), PAGE + "\n" + PAGE, "much shorter"),
    ],
)
def test_implausible(fetched: PageText, previous: str | None, reason: str | None) -> None:
    """An error page, an empty page or a page suddenly much shorter is not compared."""
    found = implausible(fetched, previous)
    if reason is None:
        assert found is None
    else:
        assert found is not None
        assert reason in found


def test_judge_first_fetch_is_the_baseline() -> None:
    assert judge(page(PAGE), None, PROGRAMMES) == Baseline()


def test_judge_same_text_is_unchanged() -> None:
    assert judge(page(PAGE), PAGE, PROGRAMMES) == Unchanged()


def test_judge_a_change_with_its_diff_and_programmes() -> None:
    new = PAGE.replace("MIRAI: requirements for candidates.", "MIRAI 2027: applications open on 1 March.")
    verdict = judge(page(new), PAGE, PROGRAMMES)
    assert verdict == Changed(
        PageDiff(("MIRAI: requirements for candidates.",), ("MIRAI 2027: applications open on 1 March.",)),
        ("mirai",),
    )


def test_judge_refuses_an_error_page_even_as_the_first_fetch() -> None:
    verdict = judge(page(PAGE, title="403 Forbidden"), None, PROGRAMMES)
    assert isinstance(verdict, Refused)


def test_judge_accepts_a_shorter_page_seen_several_times_in_a_row() -> None:
    """A page that really lost half its text is accepted once the same text came back CONFIRMATIONS times."""
    previous = PAGE + "\n" + PAGE
    shorter = page(PAGE)
    for seen in range(CONFIRMATIONS - 1):
        assert isinstance(
            judge(shorter, previous, PROGRAMMES, suspect_hash=shorter.digest, suspect_count=seen), Refused
        )
    verdict = judge(shorter, previous, PROGRAMMES, suspect_hash=shorter.digest, suspect_count=CONFIRMATIONS - 1)
    assert isinstance(verdict, Changed)
    other = judge(shorter, previous, PROGRAMMES, suspect_hash="0" * 64, suspect_count=CONFIRMATIONS - 1)
    assert isinstance(other, Refused)


def test_judge_never_accepts_an_error_page_however_often_it_is_seen() -> None:
    error = page(PAGE, title="503 Service Unavailable")
    verdict = judge(error, PAGE, PROGRAMMES, suspect_hash=error.digest, suspect_count=10)
    assert isinstance(verdict, Refused)
