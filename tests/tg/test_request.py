"""The bot's aiohttp BaseRequest sends what python-telegram-bot's HTTPXRequest sends, and fails the same way."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.tg.request import AiohttpRequest
from tests.fake_bot_api import FakeBotApi

CHAT = 1001
#: Long enough that a request held this long has certainly outlived the small timeouts below; the fake
#: server's stop ends the wait early, so no test waits for it.
HELD = 30.0

Requests = Callable[[], BaseRequest]
BOTH: list[Requests] = [AiohttpRequest, HTTPXRequest]


@asynccontextmanager
async def bot_on(api: FakeBotApi, request: BaseRequest) -> AsyncIterator[Bot]:
    bot = Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url, request=request)
    async with bot:
        yield bot


@pytest.mark.parametrize("requests", BOTH, ids=["aiohttp", "httpx"])
async def test_a_message_reaches_the_server_as_httpx_sends_it(fake_api: FakeBotApi, requests: Requests) -> None:
    """Text, parse mode and an inline keyboard arrive as the same parameters, and the Message comes back."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("MIRAI", callback_data="programme:mirai")]])
    async with bot_on(fake_api, requests()) as bot:
        message = await bot.send_message(CHAT, "<b>Bonjour</b> & «salut»", parse_mode="HTML", reply_markup=keyboard)
    (call,) = fake_api.calls_to("sendMessage")
    assert call.params == {
        "chat_id": CHAT,
        "text": "<b>Bonjour</b> & «salut»",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "MIRAI", "callback_data": "programme:mirai"}]]},
    }
    assert message.text == "Bonjour & «salut»"
    assert message.message_id == call.result["message_id"]


@pytest.mark.parametrize("requests", BOTH, ids=["aiohttp", "httpx"])
async def test_long_values_sent_again_and_again_arrive_intact(fake_api: FakeBotApi, requests: Requests) -> None:
    """A long text (an alert's, kept quoted by AiohttpRequest) with every character a form treats apart."""
    text = "Candidatures : 50 % & +1 = «ouvert»\n<b>2026</b> ?a=b&c=d # 日本 " * 4
    async with bot_on(fake_api, requests()) as bot:
        for chat in (CHAT, CHAT + 1, CHAT):
            await bot.send_message(chat, text)
            await bot.send_message(chat, text[1:])
    sent = [(call.chat_id, call.params["text"]) for call in fake_api.calls_to("sendMessage")]
    assert sent == [(chat, value) for chat in (CHAT, CHAT + 1, CHAT) for value in (text, text[1:])]


async def test_a_document_is_uploaded_as_multipart_and_downloaded_back(fake_api: FakeBotApi) -> None:
    """sendDocument sends the file's name, type and bytes beside the other parameters; getFile's file comes
    back byte for byte (a GET through the same request)."""
    content = b"question;asked\nvisa?;3\n"
    async with bot_on(fake_api, AiohttpRequest()) as bot:
        message = await bot.send_document(CHAT, content, filename="unanswered.csv", caption="Unanswered")
        assert message.document is not None
        file = await bot.get_file(message.document.file_id)
        downloaded = await file.download_as_bytearray()
    (call,) = fake_api.calls_to("sendDocument")
    upload = call.files["document"]
    assert (upload.filename, upload.data) == ("unanswered.csv", content)
    assert call.params["caption"] == "Unanswered"
    assert call.params["chat_id"] == CHAT
    assert bytes(downloaded) == content


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (HTTPStatus.BAD_REQUEST, BadRequest),
        (HTTPStatus.FORBIDDEN, Forbidden),
        (HTTPStatus.TOO_MANY_REQUESTS, RetryAfter),
        (HTTPStatus.BAD_GATEWAY, NetworkError),
    ],
)
async def test_error_answers_become_the_errors_httpx_gives(
    fake_api: FakeBotApi, status: int, expected: type[Exception]
) -> None:
    """The status and body are handed to python-telegram-bot, which raises the same error, with the same
    message (and retry_after), as when they came through HTTPXRequest."""
    caught: list[Exception] = []
    for requests in BOTH:
        fake_api.fail("sendMessage", status=status, retry_after=7)
        async with bot_on(fake_api, requests()) as bot:
            with pytest.raises(expected) as error:
                await bot.send_message(CHAT, "hello")
        caught.append(error.value)
    ours, httpx = caught
    assert type(ours) is type(httpx)
    assert str(ours) == str(httpx)
    assert getattr(ours, "retry_after", None) == getattr(httpx, "retry_after", None)


async def test_an_answer_slower_than_the_read_timeout_is_timed_out(fake_api: FakeBotApi) -> None:
    """A request Telegram does not answer within the read timeout raises TimedOut (a NetworkError, so the
    alert sender retries it later) and not another error."""
    fake_api.fail("sendMessage", delay=HELD)
    async with bot_on(fake_api, AiohttpRequest(read_timeout=0.05)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hello")
    assert len(fake_api.calls_to("sendMessage")) == 1


async def test_a_read_timeout_given_for_one_call_is_used(fake_api: FakeBotApi) -> None:
    """python-telegram-bot's per-call read_timeout replaces the default one."""
    fake_api.fail("sendMessage", delay=HELD)
    async with bot_on(fake_api, AiohttpRequest(read_timeout=HELD * 2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hello", read_timeout=0.05)


async def test_a_full_pool_times_out_without_sending(fake_api: FakeBotApi) -> None:
    """With every connection busy past the pool timeout, the request is not sent and TimedOut says so."""
    fake_api.fail("sendMessage", delay=HELD)
    async with bot_on(fake_api, AiohttpRequest(connection_pool_size=1, pool_timeout=0.05)) as bot:
        first = asyncio.ensure_future(bot.send_message(CHAT, "first"))
        await fake_api.wait_for_call("sendMessage")
        with pytest.raises(TimedOut, match=r"not\* sent"):
            await bot.send_message(CHAT, "second")
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
    assert [call.params["text"] for call in fake_api.calls_to("sendMessage")] == ["first"]


async def test_no_server_is_a_network_error_not_a_timeout(fake_api: FakeBotApi) -> None:
    """A refused connection raises NetworkError naming aiohttp's exception."""
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        request = AiohttpRequest()
        await request.initialize()
        try:
            with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError") as caught:
                await request.post(f"http://127.0.0.1:{port}/bot{fake_api.token}/getMe")
        finally:
            await request.shutdown()
    assert not isinstance(caught.value, TimedOut)


async def test_it_can_be_initialised_again_after_a_shutdown(fake_api: FakeBotApi) -> None:
    """python-telegram-bot may shut a request down and initialise it again (an Application restarted)."""
    request = AiohttpRequest()
    async with bot_on(fake_api, request) as bot:
        await bot.send_message(CHAT, "one")
    async with bot_on(fake_api, request) as bot:
        await bot.send_message(CHAT, "two")
    assert [params["text"] for params in fake_api.sent_messages(CHAT)] == ["one", "two"]


async def test_a_proxy_from_the_environment_is_used_unless_no_proxy_says_otherwise(
    fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY sends the calls through the proxy (here the fake server itself, which answers a request
    for another host's address), as httpx does; NO_PROXY naming the host goes direct (and finds nobody)."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{fake_api.port}")
    direct = f"http://telegram.invalid/bot{fake_api.token}/getMe"
    request = AiohttpRequest()
    await request.initialize()
    try:
        answer = await request.post(direct)
    finally:
        await request.shutdown()
    assert isinstance(answer, dict)
    assert answer["username"] == fake_api.username

    monkeypatch.setenv("NO_PROXY", "telegram.invalid")
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnector\w*Error"):  # DNS: no such host
            await request.post(direct)
    finally:
        await request.shutdown()
    assert len(fake_api.calls_to("getMe")) == 1
