"""Plain-text rendering of replies, for the console and the ``ask`` command."""

from __future__ import annotations

from bot.core import markup
from bot.core.conversation import reply_to_question
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.matching import MatchResult, answer_language
from bot.core.views import Reply


def reply_as_text(reply: Reply) -> str:
    lines = [markup.to_plain(reply.text)]
    numbered = [button for row in reply.buttons for button in row]
    if numbered:
        lines.append("")
        lines.extend(f"  [{index}] {button.label}" for index, button in enumerate(numbered, start=1))
    return "\n".join(lines)


def render_plain(result: MatchResult, knowledge: KnowledgeBase, lang: Lang | None = None) -> str:
    return reply_as_text(reply_to_question(knowledge, result, answer_language(result, chosen=lang)))
