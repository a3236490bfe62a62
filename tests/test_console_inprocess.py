"""The in-process Bot API (bot/tg/inprocess.py) answers python-telegram-bot as Telegram would.

The console delivers updates one by one; the throughput benchmark long-polls. Both paths, and the answers the
bot's own code relies on (an unchanged edit is "not modified", an old button's query cannot be answered).
"""

from __future__ import annotations

import asyncio

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.tg.inprocess import TOKEN, ApiCall, InProcessBotApi, html_to_text


def application_on(api: InProcessBotApi) -> Application:  # type: ignore[type-arg]
    return ApplicationBuilder().token(TOKEN).request(api.request()).get_updates_request(api.request()).build()


async def test_long_polling_delivers_queued_updates_once() -> None:
    api = InProcessBotApi()
    sent: list[ApiCall] = []
    five = asyncio.Event()

    def on_call(call: ApiCall) -> None:
        if call.method == "sendMessage":
            sent.append(call)
            if len(sent) == 5:
                five.set()

    api.listeners.append(on_call)
    application = application_on(api)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"<b>{update.effective_message.text}</b>", parse_mode="HTML")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        for number in range(5):
            api.put(api.text_update(f"hello {number}", user_id=7))
        async with asyncio.timeout(5):
            await five.wait()
        await asyncio.sleep(0.1)  # nothing is delivered twice
        await application.updater.stop()
        await application.stop()

    assert sorted(call.params["text"] for call in sent) == [f"<b>hello {n}</b>" for n in range(5)]
    assert {call.chat_id for call in sent} == {7}
    assert api.message(7, sent[0].result["message_id"])["text"] == sent[0].params["text"][3:-4]


async def test_edits_and_callback_queries_are_answered_as_telegram_does() -> None:
    api = InProcessBotApi()
    application = application_on(api)
    async with application:
        bot = application.bot
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        message = await bot.send_message(3, "Question?", reply_markup=keyboard)
        edited = await bot.edit_message_text("Question 2?", chat_id=3, message_id=message.message_id)
        assert edited.text == "Question 2?"
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Question 2?", chat_id=3, message_id=message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("?", chat_id=3, message_id=999)

        query = api.callback_update(3, message.message_id, "y", user_id=3)["callback_query"]
        assert await bot.answer_callback_query(query["id"])
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query["id"])


async def test_documents_and_command_lists_are_kept() -> None:
    api = InProcessBotApi()
    calls: list[ApiCall] = []
    api.listeners.append(calls.append)
    application = application_on(api)
    async with application:
        await application.bot.send_document(5, b"BEGIN:VCALENDAR", filename="deadlines.ics")
        await application.bot.set_my_commands([("start", "Main menu")], language_code="fr")

    document = next(call for call in calls if call.method == "sendDocument")
    assert document.files["document"] == ("deadlines.ics", b"BEGIN:VCALENDAR")
    assert api.commands["fr"] == [{"command": "start", "description": "Main menu"}]


def test_html_reads_as_text_with_link_addresses() -> None:
    source = (
        '<b>Deadline</b> &amp; <a href="https://example.org/a">the page</a>: <a href="https://x.org">https://x.org</a>'
    )

    assert html_to_text(source) == "Deadline & the page (https://example.org/a): https://x.org"
    assert html_to_text(source, links=False, bold=("*", "*")) == "*Deadline* & the page: https://x.org"
    assert html_to_text("1 < 2 &lt;b&gt;", html_mode=False) == "1 < 2 &lt;b&gt;"


@pytest.mark.parametrize(("parse_html", "kept"), [(True, "Deadline & soon"), (False, "<b>Deadline</b> &amp; soon")])
async def test_a_sent_text_is_kept_as_read_or_as_sent(parse_html: bool, kept: str) -> None:
    """By default a message keeps what Telegram would make of its HTML; the throughput benchmark's API keeps
    the text as sent, leaving Telegram's parsing out of the bot's figure."""
    api = InProcessBotApi(parse_html=parse_html)
    application = application_on(api)
    async with application:
        message = await application.bot.send_message(3, "<b>Deadline</b> &amp; soon", parse_mode="HTML")

    assert message.text == kept
    assert api.message(3, message.message_id)["text"] == kept  # type: ignore[index]
