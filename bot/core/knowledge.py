"""The knowledge base as immutable models: programmes, entries, sources.

Staff write these as YAML in ``knowledge/`` (see ``knowledge/README.md``); ``bot.core.loading`` turns
the files into the models below and reports every problem with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints, field_validator

from bot.core.languages import LANGUAGES, Lang
from bot.core.quiz import Quiz
from bot.core.text import EntryId, FrozenModel, NonEmpty, Text
from bot.core.windows import WindowSpec

ANSWER_MAX_CHARS: Final = 3500
"""Room is left under Telegram's 4,096 characters for the title, the source line and HTML tags."""
FIRST_SCREEN_CHARS: Final = 700
"""An answer as shown (``markup.shown``) fits one phone screen with its title and source line; the rest of
what there is to say goes in ``details``, behind a "More details" button."""

EntryKind = Literal["answer", "redirect", "smalltalk"]
_AS_OF_WORD: Final = re.compile(r"(?<![A-Za-z])(?!J?FY\d)[^\W\d_]{2,}")
"""Two letters or more, other than a Japanese fiscal year's JFY/FY before its year ("JFY2019")."""
ThemeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class Examples(FrozenModel):
    """Example questions per language: the phrasings the matcher learns from."""

    en: tuple[NonEmpty, ...] = Field(min_length=1)
    fr: tuple[NonEmpty, ...] = Field(min_length=1)
    nl: tuple[NonEmpty, ...] = Field(min_length=1)

    def __getitem__(self, lang: Lang) -> tuple[str, ...]:
        value: tuple[str, ...] = getattr(self, lang)
        return value

    def items(self) -> Iterator[tuple[Lang, str]]:
        for lang in LANGUAGES:
            for question in self[lang]:
                yield lang, question


class Source(FrozenModel):
    """Where a fact comes from and which year or edition it describes."""

    title: NonEmpty
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    as_of: NonEmpty | Text = Field(
        description="Year or edition the fact applies to, shown to students: a year as it is written in every "
        "language ('2019-2020'), or words in each language ('undated page')."
    )
    quote: NonEmpty | None = Field(
        default=None,
        description="The source's own sentence the fact rests on, verbatim, so a reviewer can check it.",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _year_as_text(cls, value: object) -> object:
        # Staff naturally write `as_of: 2019` or `as_of: 2020-04-01`; YAML reads those as a number or a date.
        return str(value) if isinstance(value, int | date) and not isinstance(value, bool) else value

    @field_validator("as_of")
    @classmethod
    def _words_in_every_language(cls, value: str | Text) -> str | Text:
        # A year reads the same in French and Dutch; "undated page" shown under a Dutch answer does not.
        if isinstance(value, str) and _AS_OF_WORD.search(value):
            raise ValueError(
                f"as_of {value!r} has words, which students would read in English whatever their language: "
                "write it in each language, as_of: {en: …, fr: …, nl: …} (a year or a date alone needs no "
                "translation)"
            )
        return value

    @property
    def edition(self) -> str:
        """The ``as_of`` as written in English: what a kept page copy's ``# Edition:`` is compared with."""
        return self.as_of if isinstance(self.as_of, str) else self.as_of.en

    def as_of_in(self, lang: Lang) -> str:
        return self.as_of if isinstance(self.as_of, str) else self.as_of[lang]


class Entry(FrozenModel):
    """One knowledge entry: a topic a student can ask about, and its answer."""

    id: EntryId
    kind: EntryKind = "answer"
    title: Text
    answer: Text
    details: Text | None = Field(
        default=None,
        description="What does not fit the first screen: background and finer points, shown on request.",
    )
    questions: Examples
    keywords: tuple[NonEmpty, ...] = ()
    related: tuple[EntryId, ...] = ()
    sources: tuple[Source, ...] = ()
    theme: tuple[ThemeId, ...] = Field(
        default=(),
        description="What the entry is about, shared with the entry of another programme on the same thing "
        "(mirai.age and jet.age: 'age'), so that a question naming no programme is asked 'which one?'. One "
        "theme or a list: an entry on a programme's general criteria stands for several of another's.",
    )
    programme: str | None = Field(default=None, description="Set by the loader from the file's programme.")

    @field_validator("theme", mode="before")
    @classmethod
    def _one_theme_or_several(cls, value: object) -> object:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_as_text(cls, value: object) -> object:
        if isinstance(value, list):
            return [
                str(item) if isinstance(item, int | float) and not isinstance(item, bool) else item for item in value
            ]
        return value

    @property
    def main_source(self) -> Source | None:
        """The source shown under the answer; the others are listed on request."""
        return self.sources[0] if self.sources else None

    @property
    def is_answer(self) -> bool:
        """True for programme knowledge; redirects and small talk are not answers from the knowledge."""
        return self.kind == "answer"


class Programme(FrozenModel):
    """An exchange programme: its name, its one-line summary, and (in its file) its entries."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
    name: Text
    summary: Text
    keywords: tuple[NonEmpty, ...] = ()
    """Words that show a question is about this programme even when it does not name it ('cir', 'alt')."""


@dataclass(frozen=True)  # no slots: cached_property needs an instance __dict__
class KnowledgeBase:
    """The whole validated knowledge base; immutable, so a reload swaps it whole."""

    entries: tuple[Entry, ...]
    programmes: tuple[Programme, ...]
    version: str = field(default="")
    quizzes: tuple[Quiz, ...] = ()
    windows: tuple[WindowSpec, ...] = ()
    """Application windows of every programme, as staff wrote them (``bot.core.windows.resolve``)."""
    """A short digest of the files, so that stale buttons can be recognised after a reload."""

    @cached_property
    def by_id(self) -> Mapping[str, Entry]:
        return {entry.id: entry for entry in self.entries}

    def entry(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def programme(self, programme_id: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == programme_id), None)

    def quiz(self, programme_id: str) -> Quiz | None:
        return next((q for q in self.quizzes if q.programme == programme_id), None)

    def topics_of(self, programme_id: str | None) -> tuple[Entry, ...]:
        """The answer entries of a programme (None: the general ones), in file order."""
        return tuple(e for e in self.entries if e.programme == programme_id and e.is_answer)

    @property
    def answer_ids(self) -> frozenset[str]:
        return frozenset(e.id for e in self.entries if e.is_answer)
