"""How a question fared, in the terms of the staff's question log."""

from __future__ import annotations

from typing import Final, Literal, get_args

from bot.core.matching import Answer, MatchResult, Suggestions

Outcome = Literal["answered", "suggested", "fallback", "redirect"]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)


def question_outcome(result: MatchResult) -> Outcome | None:
    """None for small talk, which staff need not review."""
    if isinstance(result, Answer):
        return {"answer": "answered", "redirect": "redirect"}.get(result.entry.kind)  # type: ignore[return-value]
    return "suggested" if isinstance(result, Suggestions) else "fallback"
