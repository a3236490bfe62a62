"""The vocabulary every knowledge model is written in: a text in each language, ids, the frozen model base.

It lives apart from ``bot.core.knowledge`` so that the quiz and window models, which the knowledge base
contains, can use it without importing the knowledge base back (no import circle).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, StringConstraints

from bot.core.languages import Lang

ENTRY_ID_PATTERN: Final = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
EntryId = Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN)]


class FrozenModel(BaseModel):
    """Immutable, and refuses unknown keys, so a misspelt YAML key is an error rather than ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(FrozenModel):
    """A text in every language the bot speaks."""

    en: NonEmpty
    fr: NonEmpty
    nl: NonEmpty

    def __getitem__(self, lang: Lang) -> str:
        return str(getattr(self, lang))
