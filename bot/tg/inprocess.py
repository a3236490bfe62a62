"""An in-process Telegram Bot API: the real python-telegram-bot ``Application`` with no network.

``InProcessRequest`` is python-telegram-bot's own seam for this (a ``BaseRequest``, as its test suite uses):
every Bot API call the Application makes is answered here, from ``InProcessBotApi``'s state, instead of
going over HTTP to Telegram. The console chat (``bot/console.py``), the in-process throughput benchmark and
tests run the whole bot on it: every handler, the services, storage and the job queue, exactly as built by
``bot.app.build_application``, so there is one implementation of each feature whatever the channel.

What it models of Telegram: the bot's own user (``getMe``), long polling on a queue of updates
(``getUpdates`` with ``offset``/``limit``/``timeout``), the messages the bot sent and the ones it was sent
(so it can reply to, edit and delete them: ``message is not modified`` and ``message to edit not found`` as
Telegram answers them), callback queries to answer, documents, the command lists of ``setMyCommands`` by
language, and the webhook calls a polling bot makes at start. Every answered call is handed to the
listeners (the console renders them). What it does not model: HTML validation (the fake HTTP server of the
tests does that), sending limits, media other than documents, groups beyond what a message says.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any, Final

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

JSON = dict[str, Any]

BOT_ID: Final = 1_000_000
BOT_USERNAME: Final = "EmbassyConsoleBot"
#: python-telegram-bot wants a token; nothing checks this one, as no call leaves the process.
TOKEN: Final = f"{BOT_ID}:in-process"

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One answered Bot API call: what the bot asked and what it was answered."""

    method: str
    params: JSON
    result: Any
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Uploaded files by part name: (file name, content)."""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


class ApiError(Exception):
    """An error answer, with the HTTP status python-telegram-bot turns into its exception."""

    def __init__(self, description: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


Listener = Callable[[ApiCall], None]


class InProcessBotApi:
    """The Bot API's state for one bot, in memory."""

    def __init__(self, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME, parse_html: bool = True) -> None:
        """``parse_html``: keep a sent text as Telegram does, without its HTML (what a reader sees). False keeps
        it as sent: that parsing is Telegram's work on its servers, so the throughput benchmark leaves it out
        rather than charge it to whichever application sends more markup."""
        self.parse_html = parse_html
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Embassy of Japan (console)",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.listeners: list[Listener] = []
        self.commands: dict[str, list[JSON]] = {}
        """The command lists set by setMyCommands, by language code ("" for the default list)."""
        self.webhook_url = ""
        self._pending: deque[JSON] = deque()
        self._arrived: asyncio.Event | None = None
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._file_ids = itertools.count(1)
        self._methods: dict[str, Callable[[JSON, dict[str, tuple[str, bytes]]], Any]] = {
            "getMe": lambda params, files: self.bot_user,
            "logOut": lambda params, files: True,
            "close": lambda params, files: True,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": lambda params, files: {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            },
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda params, files: self.commands.get(str(params.get("language_code") or ""), []),
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendChatAction": lambda params, files: True,
        }

    def request(self) -> InProcessRequest:
        """A ``BaseRequest`` answering from this state (one for ``request``, one for ``get_updates_request``)."""
        return InProcessRequest(self)

    # ------------------------------------------------------------------------------------- updates in

    def text_update(
        self, text: str, *, user_id: int, language_code: str | None = None, first_name: str = "You"
    ) -> JSON:
        """A private text message from a user, as Telegram would deliver it (not queued: see ``put``)."""
        chat = self._private_chat(user_id, first_name)
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        message: JSON = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if len(command) > 1:
            length = len(command.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._messages[(user_id, message["message_id"])] = message
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(
        self, chat_id: int, message_id: int, data: str, *, user_id: int, language_code: str | None = None
    ) -> JSON:
        """A tap on an inline button of a message the bot sent."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(f"no message {message_id} in chat {chat_id}")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": "You"}
        if language_code:
            user["language_code"] = language_code
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        query = {"id": query_id, "from": user, "message": message, "chat_instance": str(chat_id), "data": data}
        return {"update_id": next(self._update_ids), "callback_query": query}

    def put(self, update: JSON) -> None:
        """Queue an update for ``getUpdates`` (long polling, as from Telegram)."""
        self._pending.append(update)
        if self._arrived is not None:
            self._arrived.set()

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self._messages.get((chat_id, message_id))

    # --------------------------------------------------------------------------------------- answering

    async def answer(self, method: str, params: JSON, files: dict[str, tuple[str, bytes]]) -> Any:
        """The result of one call, or ``ApiError``; listeners see every successful call."""
        if method == "getUpdates":
            return await self._get_updates(params)
        handler = self._methods.get(method)
        if handler is None:
            raise ApiError("Not Found: method not found", HTTPStatus.NOT_FOUND)
        result = handler(params, files)
        call = ApiCall(method, params, result, files)
        for listener in self.listeners:
            listener(call)
        return result

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()
        if not self._pending:
            self._arrived = asyncio.Event()
            try:
                async with asyncio.timeout(float(params.get("timeout") or 0)):
                    await self._arrived.wait()
            except TimeoutError:
                return []
        return list(itertools.islice(self._pending, limit))

    def _delete_webhook(self, params: JSON, files: object) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _set_webhook(self, params: JSON, files: object) -> bool:
        self.webhook_url = str(params.get("url") or "")
        return True

    def _set_my_commands(self, params: JSON, files: object) -> bool:
        self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    def _delete_my_commands(self, params: JSON, files: object) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    def _chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int | str) or not str(chat_id).lstrip("-").isdigit():
            raise ApiError("Bad Request: chat not found")
        key = int(chat_id)
        return self._chats.get(key) or self._private_chat(key, f"User {key}")

    def _private_chat(self, user_id: int, first_name: str) -> JSON:
        return self._chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _bot_message(self, chat: JSON, content: JSON, params: JSON) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        markup = _inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _text_of(self, text: str, params: JSON) -> str:
        """A sent text or caption as the message keeps it."""
        return html_to_text(text, links=False, html_mode=self.parse_html and _is_html(params))

    def _send_message(self, params: JSON, files: object) -> JSON:
        text = self._text_of(str(params.get("text") or ""), params)
        if not text.strip():
            raise ApiError("Bad Request: message text is empty")
        return self._bot_message(self._chat(params), {"text": text}, params)

    def _target(self, params: JSON) -> tuple[tuple[int, int], JSON]:
        key = (int(self._chat(params)["id"]), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError("Bad Request: message can't be edited")
        return key, message

    def _edit_message_text(self, params: JSON, files: object) -> JSON:
        key, message = self._target(params)
        text = self._text_of(str(params.get("text") or ""), params)
        markup = _inline_markup(params)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(_NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited.update(text=text, edit_date=int(time.time()))
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return edited

    def _edit_message_reply_markup(self, params: JSON, files: object) -> JSON:
        key, message = self._target(params)
        markup = _inline_markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(_NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return edited

    def _delete_message(self, params: JSON, files: object) -> bool:
        key = (int(self._chat(params)["id"]), int(params.get("message_id") or 0))
        if self._messages.pop(key, None) is None:
            raise ApiError("Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: JSON, files: object) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise ApiError("Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    def _send_document(self, params: JSON, files: dict[str, tuple[str, bytes]]) -> JSON:
        upload = files.get("document")
        if upload is None:
            raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        number = next(self._file_ids)
        document = {
            "file_id": f"in-process-{number}",
            "file_unique_id": f"u{number}",
            "file_name": upload[0],
            "file_size": len(upload[1]),
        }
        content: JSON = {"document": document}
        if params.get("caption"):
            content["caption"] = self._text_of(str(params["caption"]), params)
        return self._bot_message(self._chat(params), content, params)


class InProcessRequest(BaseRequest):
    """python-telegram-bot's transport, answered by an ``InProcessBotApi`` in the same event loop."""

    def __init__(self, api: InProcessBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params: JSON = dict(request_data.parameters) if request_data is not None else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for part, (filename, content, _mime) in request_data.multipart_data.items():
                files[part] = (filename, content if isinstance(content, bytes) else content.read())
        try:
            result = await self.api.answer(name, params, files)
        except ApiError as error:
            body = {"ok": False, "error_code": error.status, "description": error.description}
            return error.status, json.dumps(body).encode()
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


async def deliver(application: Application, update: JSON) -> None:  # type: ignore[type-arg]
    """Hand one update to the Application's handlers and wait until they are done (the console's turn
    taking: the reply is on screen before the next line is read). Long polling (``put``) is the other way."""
    await application.process_update(Update.de_json(update, application.bot))


def _is_html(params: JSON) -> bool:
    return str(params.get("parse_mode") or "").lower() == "html"


def _inline_markup(params: JSON) -> JSON | None:
    markup = params.get("reply_markup")
    if isinstance(markup, str):  # python-telegram-bot passes it as an object; a raw caller may pass JSON
        markup = json.loads(markup)
    if not isinstance(markup, dict) or not any(markup.get("inline_keyboard") or []):
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError("Bad Request: BUTTON_DATA_INVALID")
    return markup


class _TextOf(HTMLParser):
    """Telegram HTML as readable text: tags dropped, entities decoded, links as "text (url)"."""

    def __init__(self, *, links: bool, bold: tuple[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.links = links
        self.bold = bold
        self.parts: list[str] = []
        self._hrefs: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._hrefs.append((dict(attrs).get("href"), len(self.parts)))
        elif tag in ("b", "strong"):
            self.parts.append(self.bold[0])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._hrefs:
            href, start = self._hrefs.pop()
            label = "".join(self.parts[start:]).strip()
            if self.links and href and href != label and not href.startswith("tg://"):
                self.parts.append(f" ({href})")
        elif tag in ("b", "strong"):
            self.parts.append(self.bold[1])

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(source: str, *, links: bool = True, html_mode: bool = True, bold: tuple[str, str] = ("", "")) -> str:
    """The text a reader sees of a Telegram HTML message; ``bold`` wraps bold runs (e.g. terminal codes)."""
    if not html_mode:
        return source
    parser = _TextOf(links=links, bold=bold)
    parser.feed(source)
    parser.close()
    return "".join(parser.parts)  # convert_charrefs: entities are decoded once, by the parser
