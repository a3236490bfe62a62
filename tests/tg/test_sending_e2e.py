"""Sending in one place: a student's reply and an alert go through the same chunking loop, and both fall back
to plain text when Telegram refuses the HTML ("can't parse entities"), with one warning and no traceback."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import Application

from bot.core.views import Button, OpenLink, Reply
from bot.services.delivery import SendOutcome
from bot.tg.render import MESSAGE_LIMIT, html_chunks, keyboard
from bot.tg.sender import TelegramSender
from tests.fake_bot_api import FakeBotApi

USER = 4242
REFUSED = 'Bad Request: can\'t parse entities: unsupported start tag "x" at byte offset 0'


def refused_then_plain(api: FakeBotApi, chat_id: int) -> tuple[dict[str, object], ...]:
    """The sendMessage calls to ``chat_id``: the refused HTML one, then what was sent instead."""
    calls = [call for call in api.calls_to("sendMessage") if call.chat_id == chat_id]
    assert [call.ok for call in calls] == [False, True]
    assert "parse entities" in (calls[0].description or "")
    return tuple(call.params for call in calls)


def one_warning_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    warnings = [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.WARNING]
    assert [r.getMessage().startswith("Telegram refused our HTML") for r in warnings] == [True]
    assert not [r for r in caplog.records if r.exc_info is not None]


async def test_an_alert_whose_html_is_refused_is_sent_as_plain_text(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An alert Telegram refuses as HTML arrives as plain text and counts as sent."""
    fake_api.fail("sendMessage", status=400, description=REFUSED, chat_id=USER)
    reply = Reply("*MIRAI* opens tomorrow")
    outcome = await TelegramSender(running_bot.bot).send(USER, reply, "en")

    assert outcome is SendOutcome.SENT
    html, plain = refused_then_plain(fake_api, USER)
    assert html.get("parse_mode") == "HTML"
    assert plain.get("parse_mode") is None
    assert plain["text"] == html["text"]
    one_warning_without_traceback(caplog)


async def test_an_alert_is_the_message_send_message_would_have_sent(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
) -> None:
    """The sender posts sendMessage itself (no Message built from Telegram's echo): the same parameters as
    python-telegram-bot's send_message with the bot's defaults (HTML, no link preview) and the keyboard."""
    reply = Reply("**MIRAI** opens tomorrow", ((Button("Site", OpenLink("https://example.org")),),))
    other = USER + 1
    outcome = await TelegramSender(running_bot.bot).send(USER, reply, "en")
    await running_bot.bot.send_message(other, html_chunks(reply)[0], reply_markup=keyboard(reply, "en"))

    assert outcome is SendOutcome.SENT
    [alert], [expected] = fake_api.sent_messages(USER), fake_api.sent_messages(other)
    assert {**alert, "chat_id": other} == expected
    assert alert["parse_mode"] == "HTML"
    assert alert["reply_markup"]


async def test_an_alert_over_one_message_is_split_like_a_reply(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
) -> None:
    """An alert longer than one message goes out in several, each within Telegram's limit, as a reply would."""
    line = "word " * 100
    reply = Reply("\n".join([line] * 20))
    outcome = await TelegramSender(running_bot.bot).send(USER, reply, "en")

    assert outcome is SendOutcome.SENT
    sent = fake_api.sent_messages(USER)
    assert len(sent) > 1
    assert all(len(message["text"]) <= MESSAGE_LIMIT for message in sent)


async def test_a_reply_whose_html_is_refused_is_sent_as_plain_text(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A student's reply Telegram refuses as HTML arrives as plain text with its buttons."""
    fake_api.fail("sendMessage", status=400, description=REFUSED, chat_id=USER)
    fake_api.send_text("/start", user_id=USER, language_code="en")
    await fake_api.next_reply(USER)

    html, plain = refused_then_plain(fake_api, USER)
    assert plain.get("parse_mode") is None
    assert plain["text"] == html["text"]
    assert plain.get("reply_markup") == html.get("reply_markup")
    assert plain.get("reply_markup")
    one_warning_without_traceback(caplog)
