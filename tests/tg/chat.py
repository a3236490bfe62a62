"""The user's side of a conversation with the bot through the fake Bot API: ask, tap, and what was seen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from tests.fake_bot_api import FakeBotApi, parse_html

App = Application[Any, Any, Any, Any, Any, Any]
JSON = dict[str, Any]
HELP = "How to use this bot"
USER = 1001
GROUP = -100123456789
MAIN_MENU = {"en": "◀ Main menu", "fr": "◀ Menu principal", "nl": "◀ Hoofdmenu"}
UNKNOWN_COMMAND = "I don't know that command."
OUT_OF_DATE = "This button is out of date. Here is the menu again."


@dataclass(frozen=True)
class Seen:
    """One bot message as the user sees it, with the request that produced it."""

    method: str
    """sendMessage for a new message, editMessageText for a message changed in place."""
    html: str
    """The text as the bot sent it (Telegram HTML)."""
    text: str
    """The text as Telegram shows it, after parsing the HTML."""
    entities: list[JSON]
    buttons: list[list[tuple[str, str]]]
    """Rows of (label, callback_data)."""
    message: JSON
    """The message as Telegram returned it (tap its buttons with ``tap``)."""
    reply_to: int | None
    """The message id this one quotes, if any."""

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def data(self, label: str) -> str:
        for row in self.buttons:
            for text, data in row:
                if text == label:
                    return data
        raise AssertionError(f"no button {label!r} in {self.labels}")

    @property
    def bold(self) -> list[str]:
        """The bold runs of the text, as the user sees them."""
        return [_utf16_slice(self.text, e["offset"], e["length"]) for e in self.entities if e["type"] == "bold"]


async def next_seen(api: FakeBotApi, chat_id: int, timeout: float = 5.0) -> Seen:  # noqa: ASYNC109
    """The bot's next message (or edit) in a chat; every one must be HTML that Telegram accepted."""
    params = await api.next_reply(chat_id, timeout)
    call = next(c for c in reversed(api.calls) if c.params is params)
    assert call.ok, call
    assert params.get("parse_mode") == "HTML", f"sent without parse_mode HTML: {call}"
    text, entities = parse_html(params["text"])
    markup = params.get("reply_markup") or {}
    buttons = [
        [(b["text"], action_of(b.get("callback_data", ""))) for b in row] for row in markup.get("inline_keyboard", [])
    ]
    reply = params.get("reply_parameters") or {}
    return Seen(
        method=call.method,
        html=params["text"],
        text=text,
        entities=entities,
        buttons=buttons,
        message=call.result,
        reply_to=reply.get("message_id"),
    )


async def ask(api: FakeBotApi, text: str, *, lang: str | None = "en", user: int = USER) -> Seen:
    """Send a private message and return the bot's reply."""
    api.send_text(text, user_id=user, language_code=lang)
    return await next_seen(api, user)


async def tap(api: FakeBotApi, seen: Seen, label: str, *, lang: str | None = "en", user: int = USER) -> Seen:
    """Tap the button ``label`` under ``seen`` and return what the bot does next in that chat."""
    raw = next(
        b["callback_data"]
        for row in seen.message.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
        if b["text"] == label
    )
    api.send_callback(raw, seen.message, user_id=user, language_code=lang)
    return await next_seen(api, seen.message["chat"]["id"])


async def assert_ignored(api: FakeBotApi, *chat_ids: int) -> None:
    """Check that what was just sent gets no reply: the bot's next message in the private chat must be its answer
    to a follow-up /help, and nothing may have gone to ``chat_ids``.

    Updates are handled in the order they come, so a reply to an ignored update would come before this one."""
    before = len(api.sent_messages(USER))
    api.send_text("/help", user_id=USER)
    seen = await next_seen(api, USER)
    assert HELP in seen.text, f"expected only the answer to /help, got {seen.text[:80]!r}"
    assert len(api.sent_messages(USER)) == before + 1
    for chat_id in chat_ids:
        assert api.sent_messages(chat_id) == [], f"the bot wrote to chat {chat_id}"


def knowledge_of(engine: Engine) -> KnowledgeBase:
    return engine.snapshot.knowledge


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def action_of(data: str) -> str:
    """Callback data without the language suffix the bot adds (``e|mirai.age|fr`` -> ``e|mirai.age``),
    so expectations name the action; the language a tap answers in is tested on its own."""
    head, separator, tail = data.rpartition("|")
    return head if separator and tail in ("en", "fr", "nl") and head not in ("e", "p", "i", "r") else data
