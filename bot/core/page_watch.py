"""Watching the embassy's page, the pure part: HTML to comparable text, its hash, a short readable diff,
which programmes a change mentions, and whether a fetch is plausible enough to compare at all.

The fetcher (``bot.watcher``) brings the HTML; storage keeps the last accepted text; this module decides.
A false alarm to every subscriber costs more than a change noticed one interval late, so anything that
looks like an error page, an empty page or a page suddenly much shorter is refused, not compared.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

#: Elements whose content is not page text: code, and the site's chrome that changes without the page
#: changing (menus, banners, footers with "last updated" stamps).
SKIPPED: Final = frozenset(
    "script style noscript template svg head nav header footer aside form select button iframe object".split()
)
#: Elements that end a line of text.
BLOCKS: Final = frozenset(
    (
        "address article blockquote br caption dd details div dl dt fieldset figcaption figure h1 h2 h3 h4 h5 h6 "
        "hr li main ol p pre section summary table tbody td tfoot th thead tr ul"
    ).split()
)
#: Fewer words than this is an empty page, whatever the server says (the real page has several hundred).
MIN_WORDS: Final = 40
#: A page that loses more than this share of its text at once is suspect: an error or a half-served page
#: far more often than an edit. The same shorter text seen ``CONFIRMATIONS`` times in a row is accepted.
MAX_SHRINK: Final = 0.5
CONFIRMATIONS: Final = 3
#: Titles of error pages rather than of the page watched.
ERROR_TITLE: Final = re.compile(
    r"\b(40[0-9]|50[0-9]|not found|error|forbidden|access denied|unavailable|maintenance|bad gateway|"
    r"just a moment|attention required)\b",
    re.IGNORECASE,
)
#: How much of a diff staff and students read: enough to see what changed, short enough for a phone.
DIFF_LINES: Final = 10
LINE_CHARS: Final = 280

_SPACE: Final = re.compile(r"\s+")
_WORD: Final = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class PageText:
    """A page reduced to what a reader sees: its title and its lines of text, whitespace normalised."""

    title: str
    text: str

    @property
    def digest(self) -> str:
        return text_hash(self.text)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.title: list[str] = []
        self.skipping: list[str] = []  # the open skipped elements, innermost last
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in SKIPPED:
            self.skipping.append(tag)
        elif tag in BLOCKS:
            self._end_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:  # <br/>, <hr/>: a line break, never an element left open
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in SKIPPED:
            if tag in self.skipping:  # an unmatched end tag closes nothing
                while self.skipping.pop() != tag:
                    pass
        elif tag in BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.current.append(data)

    def _end_line(self) -> None:
        line = _clean("".join(self.current))
        if line:
            self.lines.append(line)
        self.current = []

    def close(self) -> None:
        super().close()
        self._end_line()


def _clean(text: str) -> str:
    """NFKC (no-break and other odd spaces become spaces), whitespace runs collapsed, ends trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def page_text(html: str) -> PageText:
    """The text a reader sees on an HTML page, one block per line; the same page always gives the same text,
    whatever its indentation, line wrapping or markup around the words."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return PageText(title=_clean("".join(parser.title)), text="\n".join(parser.lines))


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text, in hex: what is compared between two fetches."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# Plausibility


def implausible(page: PageText, previous: str | None) -> str | None:
    """Why this fetch must not be compared with ``previous`` (the last accepted text), or None if it may be.

    The reasons are what staff read in /stats and the log."""
    if ERROR_TITLE.search(page.title):
        return f"the page looks like an error page (title {page.title[:80]!r})"
    words = word_count(page.text)
    if words < MIN_WORDS:
        return f"the page is empty or nearly ({words} words)"
    if previous is not None and len(page.text) < (1 - MAX_SHRINK) * len(previous):
        return f"the page is much shorter than before ({len(page.text)} characters instead of {len(previous)})"
    return None


def shrink_only(reason: str) -> bool:
    """Whether a refusal is only for being shorter: that one, seen ``CONFIRMATIONS`` times alike, is accepted."""
    return reason.startswith("the page is much shorter")


# Differences


@dataclass(frozen=True, slots=True)
class PageDiff:
    """What changed, line by line, trimmed for a message: the lines removed and added, in page order, and how
    many more changed lines were left out."""

    removed: tuple[str, ...]
    added: tuple[str, ...]
    omitted: int = 0

    @property
    def empty(self) -> bool:
        return not self.removed and not self.added


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """Every removed and every added line (difflib over lines), untrimmed."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    removed: list[str] = []
    added: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(old_lines[i1:i2])
        if tag in ("replace", "insert"):
            added.extend(new_lines[j1:j2])
    return removed, added


def page_diff(old: str, new: str, *, max_lines: int = DIFF_LINES, line_chars: int = LINE_CHARS) -> PageDiff:
    """A short readable diff: added lines first (what students wait for), then removed ones, at most
    ``max_lines`` in all, each cut to ``line_chars`` around where it differs from its counterpart."""
    removed, added = changed_lines(old, new)
    kept_added = [_excerpt(line, removed, line_chars) for line in added[:max_lines]]
    room = max_lines - len(kept_added)
    kept_removed = [_excerpt(line, added, line_chars) for line in removed[:room]]
    omitted = len(added) + len(removed) - len(kept_added) - len(kept_removed)
    return PageDiff(tuple(kept_removed), tuple(kept_added), omitted)


def _excerpt(line: str, others: Sequence[str], limit: int) -> str:
    """``line`` cut to ``limit`` characters; a long line is cut around its first difference from the most
    similar of ``others``, so that a one-word edit in a long paragraph stays visible."""
    if len(line) <= limit:
        return line
    closest = max(others, key=lambda other: difflib.SequenceMatcher(a=line, b=other).quick_ratio(), default="")
    start = next(
        (i for i, (a, b) in enumerate(zip(line, closest, strict=False)) if a != b), min(len(line), len(closest))
    )
    begin = max(0, min(start - limit // 3, len(line) - limit))
    text = line[begin : begin + limit - 2].strip()
    return ("…" if begin > 0 else "") + text + ("…" if begin + limit - 2 < len(line) else "")


# Programmes


def programmes_mentioned(lines: Iterable[str], programmes: Mapping[str, Collection[str]]) -> tuple[str, ...]:
    """The programmes whose name appears (as a whole word, any case) in the changed lines; all of them when
    none or every one is named: a change that names no programme may concern any of them.

    ``programmes``: programme id -> the names it goes by ("mirai": ["MIRAI"], "jet": ["JET", "JET Programme"]).
    """
    text = "\n".join(lines)
    named = tuple(
        sorted(
            programme
            for programme, names in programmes.items()
            if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) for name in (programme, *names))
        )
    )
    return named or tuple(sorted(programmes))


# The decision


@dataclass(frozen=True, slots=True)
class Baseline:
    """The first accepted fetch: kept, nobody told."""


@dataclass(frozen=True, slots=True)
class Unchanged:
    pass


@dataclass(frozen=True, slots=True)
class Changed:
    diff: PageDiff
    programmes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Refused:
    """Not compared: kept as the watcher's last error, tried again at the next interval."""

    reason: str


Verdict = Baseline | Unchanged | Changed | Refused


def judge(
    page: PageText,
    previous: str | None,
    programmes: Mapping[str, Collection[str]],
    *,
    suspect_hash: str | None = None,
    suspect_count: int = 0,
) -> Verdict:
    """What a fetch means, given the last accepted text (None before the first).

    ``suspect_hash`` and ``suspect_count``: the text refused last time only for being shorter, and how many
    times in a row it was seen; seen ``CONFIRMATIONS`` times (this one included), it is a real edit.
    """
    reason = implausible(page, previous)
    if reason is not None:
        confirmed = shrink_only(reason) and suspect_hash == page.digest and suspect_count + 1 >= CONFIRMATIONS
        if not confirmed:
            return Refused(reason)
    if previous is None:
        return Baseline()
    if text_hash(previous) == page.digest:
        return Unchanged()
    removed, added = changed_lines(previous, page.text)
    return Changed(page_diff(previous, page.text), programmes_mentioned([*removed, *added], programmes))
