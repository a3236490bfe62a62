"""Sending an alert through python-telegram-bot, and what Telegram's answer means for the outbox."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.core.languages import Lang
from bot.core.views import Reply
from bot.services.delivery import SendOutcome
from bot.tg.render import RENDERED, send_chunks

log = logging.getLogger(__name__)

_GONE = ("chat not found", "user is deactivated", "bot was kicked", "peer_id_invalid")


class TelegramSender:
    """Sends through the Application's bot, so its rate limiter keeps within Telegram's limits and
    waits out 429s as Telegram asks, before a RetryAfter ever reaches here.

    An alert goes to every subscriber, up to 1,000 a second with paid broadcasts, so each one costs what
    it must and no more: ``sendMessage`` is posted through the bot's ``_post`` (the step every ``Bot``
    method ends in: its defaults, its rate limiter, its request and error mapping) rather than through
    ``Bot.send_message``, which builds a ``Message`` from Telegram's echo of each alert that nothing here
    reads (about 0.2 ms, a fifth of an alert's cost to the bot); and a keyboard, the same for thousands
    of subscribers, is serialised once (``_markup_json``).
    """

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply, lang: Lang) -> SendOutcome:
        async def send_one(text: str, markup: InlineKeyboardMarkup | None, *, plain: bool) -> object:
            return await self._send_message(chat_id, text, markup, plain=plain)

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

    async def _send_message(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, *, plain: bool
    ) -> object:
        """``Bot.send_message(chat_id, text, reply_markup=markup)`` with the bot's defaults (``parse_mode``
        off when ``plain``), returning Telegram's result as it came."""
        defaults = self.bot.defaults if isinstance(self.bot, ExtBot) else None  # a plain Bot has none
        data: dict[str, object] = {"chat_id": chat_id, "text": text}
        if defaults is not None:  # those of send_message's defaults that apply to a message without a reply
            data["link_preview_options"] = defaults.link_preview_options
            data["disable_notification"] = defaults.disable_notification
            data["protect_content"] = defaults.protect_content
            if not plain:
                data["parse_mode"] = defaults.parse_mode
        if markup is not None:
            data["reply_markup"] = _markup_json(markup)
        return await self.bot._post("sendMessage", data)  # None values are dropped there, as send_message does


@lru_cache(maxsize=RENDERED)
def _markup_json(markup: InlineKeyboardMarkup) -> str:
    """The keyboard as Telegram reads it: python-telegram-bot sends a string parameter as it is."""
    return json.dumps(markup.to_dict(), separators=(",", ":"))
