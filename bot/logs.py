"""Logging set-up: one line per event, as text or JSON lines, never the bot token nor the webhook secret.

python-telegram-bot logs each request's parameters at DEBUG (``setWebhook`` carries the ``secret_token``) and
httpx logs request URLs (which carry the token), so every record is redacted on the way out: anything shaped
like a bot token, and each secret given to ``redact`` (the running bot registers its token and secret).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final, ParamSpec

_TOKEN: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
#: Secrets registered by ``redact``; a set shared by every handler's filter.
_SECRETS: set[str] = set()
#: Shorter strings would redact ordinary words; Telegram's rule allows a 1-character secret, but nobody uses one.
_MIN_SECRET = 6


def redact(*secrets: str | None) -> None:
    """Never write these strings in a log line again (the webhook secret, the token)."""
    _SECRETS.update(secret for secret in secrets if secret and len(secret) >= _MIN_SECRET)


def redacted(text: str) -> str:
    """``text`` with every registered secret and anything shaped like a bot token replaced."""
    for secret in sorted(_SECRETS, key=len, reverse=True):  # a longer secret may contain a shorter one
        text = text.replace(secret, "<secret>")
    return _TOKEN.sub("<token>", text)


# What the bot is handling, for every log line written meanwhile. python-telegram-bot handles each update in
# its own task, so a context variable set when a handler starts stays with that update.
UPDATE_ID: ContextVar[int | None] = ContextVar("update_id", default=None)
HANDLER: ContextVar[str | None] = ContextVar("handler", default=None)
_P = ParamSpec("_P")


def in_context(callback: Callable[_P, Coroutine[Any, Any, None]]) -> Callable[_P, Coroutine[Any, Any, None]]:
    """Wrap a python-telegram-bot callback so that log lines written while it runs name the update and it."""

    @functools.wraps(callback)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        update = args[0] if args else None
        update_token = UPDATE_ID.set(getattr(update, "update_id", None))
        handler_token = HANDLER.set(getattr(callback, "__name__", "handler"))
        try:
            await callback(*args, **kwargs)
        finally:
            HANDLER.reset(handler_token)
            UPDATE_ID.reset(update_token)

    return wrapper


class UpdateContext(logging.Filter):
    """Add ``update_id`` and ``handler`` to every record (``-`` outside a handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = UPDATE_ID.get() or "-"
        record.handler = HANDLER.get() or "-"
        return True


class RedactTokens(logging.Filter):
    """Replace the registered secrets and anything shaped like a bot token, wherever a library put them in a
    record: its message, its arguments, and the traceback it carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: keep what can be shown, redacted
            message = f"{record.msg} {record.args}"
        clean = redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        if record.stack_info:
            record.stack_info = redacted(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra: dict[str, Any] = {
            "update_id": getattr(record, "update_id", "-"),
            "handler": getattr(record, "handler", "-"),
        }
        payload.update({key: value for key, value in extra.items() if value != "-"})
        if record.exc_text:  # set and redacted by RedactTokens
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    handler.addFilter(UpdateContext())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        line = "%(asctime)s %(levelname)s %(name)s [update %(update_id)s, %(handler)s]: %(message)s"
        handler.setFormatter(logging.Formatter(line))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
