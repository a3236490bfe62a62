"""Sending an alert through python-telegram-bot, and what Telegram's answer means for the outbox."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.languages import Lang
from bot.core.views import Reply
from bot.services.delivery import SendOutcome
from bot.tg.render import send_chunks

log = logging.getLogger(__name__)

_GONE = ("chat not found", "user is deactivated", "bot was kicked", "peer_id_invalid")


class TelegramSender:
    """Sends through the Application's bot, so its rate limiter keeps within Telegram's limits and
    waits out 429s as Telegram asks, before a RetryAfter ever reaches here."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply, lang: Lang) -> SendOutcome:
        async def send_one(text: str, markup: InlineKeyboardMarkup | None, *, plain: bool) -> object:
            if plain:
                return await self.bot.send_message(chat_id, text, reply_markup=markup, parse_mode=None)
            return await self.bot.send_message(chat_id, text, reply_markup=markup)  # the default: HTML

        try:
            await send_chunks(send_one, reply, lang)
        except Forbidden:
            return SendOutcome.BLOCKED
        except RetryAfter as exc:
            log.warning("alerts: Telegram asks to wait %s before sending again", exc.retry_after)
            return SendOutcome.RETRY
        except BadRequest as exc:
            if any(reason in str(exc).lower() for reason in _GONE):
                return SendOutcome.BLOCKED
            log.error("alerts: Telegram refused an alert to chat %s: %s", chat_id, exc)
            return SendOutcome.FAILED
        except NetworkError:  # includes TimedOut
            return SendOutcome.RETRY
        except TelegramError as exc:
            log.error("alerts: sending to chat %s failed: %s", chat_id, exc)
            return SendOutcome.RETRY
        return SendOutcome.SENT
