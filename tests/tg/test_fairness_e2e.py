"""End to end through the fake Bot API enforcing Telegram's limits: one chat's flood or 429s delay only that
chat, and a reply the limiter gives up on is logged with its chat and counted in /stats."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.app import build_application
from bot.core.engine import Engine
from bot.core.flood import BURST, PAUSE
from bot.core.i18n import t
from bot.tg.rate_limit import PacedRateLimiter
from tests.conftest import polling, settings_for
from tests.fake_bot_api import FakeBotApi
from tests.tg.chat import next_seen

pytestmark = pytest.mark.usefixtures("bot_logs")

FLOODER, OTHER, ADMIN = 2001, 2002, 4242
QUESTION = "what is the minimum age for MIRAI"
SLOW_DOWN = (
    "You are sending messages faster than I can answer. I will answer again in {seconds} s: please send"
    " your question then."
)


async def test_a_flooding_student_does_not_delay_another(fake_api: FakeBotApi, engine: Engine) -> None:
    fake_api.rate_limit(30, per_chat_per_second=1)  # as Telegram: 429 past 1 message a second in a chat
    async with polling(build_application(settings_for(fake_api), engine)):
        for _ in range(8):
            fake_api.send_text(QUESTION, user_id=FLOODER)
        await fake_api.wait_for_call("sendMessage")
        asked = time.monotonic()
        fake_api.send_text(QUESTION, user_id=OTHER)
        seen = await next_seen(fake_api, OTHER, timeout=10)
        waited = time.monotonic() - asked
        assert "MIRAI" in seen.text
        assert waited < 2.0, f"another student waited {waited:.1f} s behind a flood"
        for _ in range(8):  # the flooder gets every answer, paced
            await next_seen(fake_api, FLOODER, timeout=15)


async def test_a_dropped_reply_is_logged_with_its_chat_and_counted(
    fake_api: FakeBotApi, engine: Engine, bot_logs: list[str]
) -> None:
    bot_logs.append("a reply to chat 2001 was dropped")
    application = build_application(settings_for(fake_api, admin_ids=frozenset({ADMIN})), engine)
    limiter = application.bot.rate_limiter
    assert isinstance(limiter, PacedRateLimiter)
    async with polling(application):
        fake_api.fail("sendMessage", times=limiter.max_retries + 1, retry_after=1, chat_id=FLOODER)
        fake_api.send_text(QUESTION, user_id=FLOODER)
        for _ in range(200):
            if limiter.dropped_replies:
                break
            await asyncio.sleep(0.05)
        assert limiter.dropped_replies == 1
        fake_api.send_text("/stats", user_id=ADMIN)
        stats = await next_seen(fake_api, ADMIN)
        assert "Replies dropped since start (Telegram kept answering 429): 1" in stats.text


async def test_past_the_burst_a_flooder_hears_once_when_the_bot_answers_again(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    async with polling(build_application(settings_for(fake_api), engine)):
        for _ in range(BURST + 5):
            fake_api.send_text(QUESTION, user_id=FLOODER)
        replies = [await next_seen(fake_api, FLOODER, timeout=15) for _ in range(BURST + 1)]
        fake_api.send_text(QUESTION, user_id=OTHER)
        assert "MIRAI" in (await next_seen(fake_api, OTHER)).text
        fake_api.send_text("/help", user_id=FLOODER)  # still paused: not answered
        fake_api.send_text("/help", user_id=OTHER)
        await next_seen(fake_api, OTHER)
    texts = [reply.text for reply in replies]
    slow = [text for text in texts if text.startswith("You are sending messages faster than I can answer.")]
    assert slow == [t("en", SLOW_DOWN, seconds=int(PAUSE))]
    assert len(fake_api.sent_messages(FLOODER)) == BURST + 1  # the rest were ignored
