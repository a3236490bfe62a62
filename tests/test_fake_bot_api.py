"""The fake Bot API works with the real PTB Application and Bot over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fake_bot_api import BotApiError, FakeBotApi, parse_html

USER = 1001
App = Application[Any, Any, Any, Any, Any, Any]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    assert update.message.text is not None
    await update.message.reply_text(update.message.text)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("MIRAI", callback_data="programme:mirai")]])
    await update.message.reply_text(f"<b>Welcome</b> {context.args}", parse_mode="HTML", reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


def build_app(api: FakeBotApi, *handlers: BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]) -> App:
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    for handler in handlers or (
        CommandHandler("start", start),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
        CallbackQueryHandler(on_button),
    ):
        app.add_handler(handler)
    return app


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@asynccontextmanager
async def plain_bot(api: FakeBotApi, read_timeout: float = 5.0) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=read_timeout)
    bot = Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url, request=request)
    async with bot:
        yield bot


async def test_echo_round_trip(fake_api: FakeBotApi) -> None:
    """A text message from a user comes back as the bot's sendMessage to the same private chat."""
    async with polling(build_app(fake_api)):
        sent = fake_api.send_text("Hello, embassy", user_id=USER)
        reply = await fake_api.next_reply(USER)
    assert reply["chat_id"] == USER
    assert reply["text"] == "Hello, embassy"
    assert fake_api.last_bot_message(USER)["message_id"] == sent["message_id"] + 1
    assert [call.method for call in fake_api.calls[:2]] == ["getMe", "deleteWebhook"]


async def test_command_with_bot_suffix(fake_api: FakeBotApi) -> None:
    """/start@EmbassyTestBot reaches the CommandHandler with its arguments; /start@OtherBot does not."""
    async with polling(build_app(fake_api)):
        message = fake_api.send_text("/start@EmbassyTestBot jet", user_id=USER)
        reply = await fake_api.next_reply(USER)
        fake_api.send_text("/start@OtherBot", user_id=USER)
        fake_api.send_text("after", user_id=USER)
        following = await fake_api.next_reply(USER)
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]
    assert reply["text"] == "<b>Welcome</b> ['jet']"
    assert reply["parse_mode"] == "HTML"
    assert fake_api.last_bot_message(USER)["text"] == "after"
    assert fake_api.bot_messages(USER)[0]["text"] == "Welcome ['jet']"
    assert fake_api.bot_messages(USER)[0]["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
    assert following["text"] == "after"


async def test_callback_query_is_answered_and_message_edited(fake_api: FakeBotApi) -> None:
    """Pressing an inline button is answered and the keyboard message is edited in place."""
    async with polling(build_app(fake_api)):
        fake_api.send_text("/start", user_id=USER)
        sent = await fake_api.wait_for_call("sendMessage")
        assert sent.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "programme:mirai"
        query = fake_api.send_callback("programme:mirai", sent.result, user_id=USER)
        answer = await fake_api.wait_for_call("answerCallbackQuery")
        await fake_api.next_reply(USER)  # the /start reply
        edit = await fake_api.next_reply(USER)
    assert answer.ok
    assert answer.params == {"callback_query_id": query["id"], "text": "Noted"}
    assert edit["message_id"] == sent.result["message_id"]
    assert edit["text"] == "You chose programme:mirai"
    edited = fake_api.message(USER, sent.result["message_id"])
    assert edited is not None
    assert edited["text"] == "You chose programme:mirai"
    assert "edit_date" in edited
    assert "reply_markup" not in edited


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, RetryAfter), (403, Forbidden)],
)
async def test_send_errors_reach_the_handler(
    fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, status: int, expected: type[Exception]
) -> None:
    """An injected 429 or 403 on sendMessage surfaces in the handler as RetryAfter or Forbidden."""
    # Without it, PTB 22 warns (PTBDeprecationWarning) when it builds RetryAfter, an error under -W error.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    caught: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()

    async def reply_and_catch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        try:
            await update.message.reply_text("will fail")
        except Exception as exc:
            caught.set_result(exc)

    fake_api.fail("sendMessage", status=status, retry_after=7, chat_id=USER)
    async with polling(build_app(fake_api, MessageHandler(filters.TEXT, reply_and_catch))):
        fake_api.send_text("hi", user_id=USER)
        error = await asyncio.wait_for(caught, 5)
    assert isinstance(error, expected)
    if isinstance(error, RetryAfter):
        assert error.retry_after.total_seconds() == 7  # type: ignore[union-attr]
    else:
        assert isinstance(error, Forbidden)
        assert error.message == "Forbidden: bot was blocked by the user"
    assert [call.status for call in fake_api.calls_to("sendMessage")] == [status]
    assert fake_api.sent_messages() == []


async def test_wrong_token_is_rejected_at_initialize(fake_api: FakeBotApi) -> None:
    """An application with a token the server does not know fails initialize() with InvalidToken."""
    app = ApplicationBuilder().token("654321:WRONG").base_url(fake_api.base_url).build()
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await app.initialize()
    await app.bot.shutdown()


async def test_updates_are_not_delivered_twice_across_offsets(fake_api: FakeBotApi) -> None:
    """Updates confirmed by an offset, including at shutdown, never reach a restarted bot again."""
    async with polling(build_app(fake_api)):
        fake_api.send_text("one", user_id=USER)
        assert (await fake_api.next_reply(USER))["text"] == "one"
    assert fake_api.pending_updates == []  # PTB's shutdown getUpdates confirmed it
    async with polling(build_app(fake_api)):
        fake_api.send_text("two", user_id=USER)
        assert (await fake_api.next_reply(USER))["text"] == "two"
    assert [params["text"] for params in fake_api.sent_messages(USER)] == ["one", "two"]
    delivered = [u["update_id"] for call in fake_api.calls_to("getUpdates") if call.ok for u in call.result]
    assert len(delivered) == 2
    assert delivered == sorted(set(delivered))


async def test_get_updates_long_polls_and_honours_offset_and_limit(fake_api: FakeBotApi) -> None:
    """getUpdates waits for the next update, re-sends unconfirmed updates and drops those below offset."""
    async with plain_bot(fake_api) as bot:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, lambda: fake_api.send_text("late", user_id=USER))
        began = time.monotonic()
        first = await bot.get_updates(timeout=5)
        assert time.monotonic() - began < 2
        assert [u.message.text for u in first if u.message] == ["late"]
        fake_api.send_text("a", user_id=USER)
        fake_api.send_text("b", user_id=USER)
        again = await bot.get_updates(limit=2)
        assert [u.update_id for u in again] == [first[0].update_id, first[0].update_id + 1]
        rest = await bot.get_updates(offset=again[-1].update_id + 1)
        assert [u.message.text for u in rest if u.message] == ["b"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert fake_api.pending_updates == []


async def test_document_upload_html_validation_and_faults(fake_api: FakeBotApi) -> None:
    """Uploads round-trip through getFile, bad HTML is a BadRequest, and a hung call times the client out."""
    async with plain_bot(fake_api, read_timeout=0.2) as bot:
        message = await bot.send_document(
            USER, b"%PDF-1.4 test", filename="guide.pdf", caption="<i>Guide</i>", parse_mode="HTML"
        )
        assert message.document is not None
        assert message.document.file_name == "guide.pdf"
        assert message.caption == "Guide"
        upload = fake_api.calls_to("sendDocument")[0].files["document"]
        assert upload.filename == "guide.pdf"
        assert upload.data == b"%PDF-1.4 test"
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 test"

        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br" at byte offset 1'):
            await bot.send_message(USER, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER, "  ")
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTeleportation")

        fake_api.fail("sendMessage", delay=0.5)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow")
        late = await fake_api.wait_for_call("sendMessage", lambda call: call.ok)
    assert late.params["text"] == "slow"  # executed by "Telegram" although the client gave up


def test_parse_html_matches_telegram() -> None:
    """The HTML parser gives Telegram's text, UTF-16 entity offsets and error wording."""
    assert parse_html("🏟 <b>x &lt; y</b> &amp; <a href='t.me'>z</a>") == (
        "🏟 x < y & z",
        [
            {"type": "bold", "offset": 3, "length": 5},
            {"type": "text_link", "offset": 11, "length": 1, "url": "http://t.me/"},
        ],
    )
    assert parse_html('<pre><code class="language-python">1</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "python"}
    ]
    with pytest.raises(BotApiError, match=r'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'):
        parse_html("<b>a</i>")
    with pytest.raises(BotApiError, match=r"Unclosed start tag at byte offset 13"):
        parse_html("🏟 🏟&lt;<abacaba")
