"""Plain-text rendering of replies, for the ``ask`` command."""

from __future__ import annotations

from bot.core import markup
from bot.core.views import Reply


def reply_as_text(reply: Reply) -> str:
    lines = [markup.to_plain(reply.text)]
    numbered = [button for row in reply.buttons for button in row]
    if numbered:
        lines.append("")
        lines.extend(f"  [{index}] {button.label}" for index, button in enumerate(numbered, start=1))
    return "\n".join(lines)
