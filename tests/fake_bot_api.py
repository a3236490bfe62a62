"""A small fake Telegram Bot API server for end-to-end tests of the bot over real HTTP.

The bot talks to it exactly as it talks to Telegram: point PTB at it with
``ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url)``.

Usage::

    async with FakeBotApi() as api:
        ...  # start the bot against api.base_url
        api.send_text("/start", user_id=1)
        reply = await api.next_reply(1)
        assert "Welcome" in reply["text"]

What it does like Telegram:

* parses requests the way PTB sends them: form-encoded or multipart fields whose values are raw
  strings for string parameters and JSON for everything else (a JSON body and GET query strings work too);
* answers with Telegram's envelope and HTTP statuses (PTB picks its exception from the status:
  400 ``BadRequest``, 401/404 ``InvalidToken``, 403 ``Forbidden``, 409 ``Conflict``, 429 ``RetryAfter``,
  others ``NetworkError``);
* long polling on ``getUpdates`` with ``offset``/``limit``/``timeout``/``allowed_updates``; a newer
  ``getUpdates`` terminates an older one with 409, as Telegram does;
* validates what commonly breaks a real bot: HTML ``parse_mode`` is parsed with the rules of Telegram's
  parser (``Bad Request: can't parse entities: ...``), empty and over-long texts and captions,
  ``callback_data`` over 64 bytes, editing with nothing changed (``message is not modified``), editing or
  deleting unknown messages, answering an unknown callback query, invalid bot command names;
* stale buttons on demand: a message the user deleted (``delete_message``: ``message to edit not found``) or
  one grown too old to edit (``make_uneditable``: ``message can't be edited``), whose buttons can still be
  tapped.

What it does not do: Markdown/MarkdownV2 parsing (the text is kept as sent), webhook delivery, media other
than documents, flood limits unless ``rate_limit`` is called, per-user permissions (every chat accepts
messages unless ``fail`` says otherwise).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, Self, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

from aiohttp import BodyPartReader, web

__all__ = ["BotApiError", "Call", "FakeBotApi", "UploadedFile", "parse_html"]

JSON = dict[str, Any]
_T = TypeVar("_T")

BOT_USERNAME = "EmbassyTestBot"
BOT_FIRST_NAME = "Embassy Test Bot"

#: Parameters that are strings in the Bot API. PTB sends string values raw and everything else as JSON,
#: so these are never JSON-decoded (a text "123" or "true" must stay a string).
_STRING_PARAMS = frozenset(
    (
        "action business_connection_id callback_query_id caption description emoji file_id "
        "inline_message_id ip_address language_code message_effect_id name parse_mode query secret_token "
        "short_description text title url"
    ).split()
)
_CHAT_ACTIONS = frozenset(
    (
        "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
        "choose_sticker find_location record_video_note upload_video_note"
    ).split()
)
#: Update types Telegram sends when ``allowed_updates`` is unset or empty.
_DEFAULT_ALLOWED_UPDATES = frozenset(
    (
        "message edited_message channel_post edited_channel_post business_connection business_message "
        "edited_business_message deleted_business_messages inline_query chosen_inline_result "
        "callback_query shipping_query pre_checkout_query purchased_paid_media poll poll_answer "
        "my_chat_member chat_join_request chat_boost removed_chat_boost"
    ).split()
)
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Call:
    """One request the bot made, recorded when it arrives and completed when it is answered."""

    method: str
    params: JSON
    at: float
    """``time.monotonic()`` when the request arrived."""
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    """HTTP status of the answer; ``None`` while the request is still pending, 499 if the client went away."""
    result: Any = None
    """The ``result`` of a successful answer (e.g. the Message dict for sendMessage)."""
    description: str | None = None
    """The error description of a failed answer."""
    parameters: JSON | None = None
    """The ``parameters`` of a failed answer (e.g. ``{"retry_after": 1}``)."""

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK

    @property
    def chat_id(self) -> int | str | None:
        return _chat_key(self.params.get("chat_id"))

    def __str__(self) -> str:
        shown = json.dumps(self.params, ensure_ascii=False, default=str)
        if len(shown) > 200:
            shown = shown[:197] + "..."
        outcome = "pending" if self.status is None else str(self.status)
        if self.description:
            outcome += f" {self.description!r}"
        return f"{self.method} {shown} -> {outcome}"


class BotApiError(Exception):
    """An error answer: HTTP status, Telegram's description and optional response parameters."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> BotApiError:
    return BotApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {description}")


@dataclass(slots=True)
class _Fault:
    method: str
    times: int | None
    status: int | None
    retry_after: int
    description: str | None
    delay: float | None
    chat_id: int | str | None


@dataclass(slots=True)
class _Window:
    """A sliding-window limit: at most ``capacity`` accepted requests per ``seconds``."""

    capacity: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    @classmethod
    def per_second(cls, rate: float) -> _Window:
        if rate <= 0:
            raise ValueError("a rate limit must be positive")
        capacity = max(1, round(rate))
        return cls(capacity=capacity, seconds=capacity / rate)

    def retry_after(self, now: float) -> int | None:
        """Seconds to wait if the window is full, else ``None``."""
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        if len(self.stamps) < self.capacity:
            return None
        return max(1, math.ceil(self.stamps[0] + self.seconds - now))


def _chat_key(value: object) -> int | str | None:
    """Normalise a chat id as it appears in params (int, numeric string or ``@username``)."""
    if value is None or isinstance(value, int):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return text


def _decode_param(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --------------------------------------------------------------------------------------------------------
# HTML parse mode, following the rules of Telegram's own parser (tdlib's parse_html).

_HTML_TAGS = frozenset(("a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote").split())
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_SPACE = " \t\r\n\v\f\0"
_HTML_SPECIAL = re.compile(r"[<&]")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_USER_LINK = re.compile(r"tg://user\?id=(\d+)$", re.IGNORECASE)


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    offset: int
    out_index: int
    expandable: bool


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``text[pos] == '&'``: (character, position after it) or None."""
    end = len(text)
    i = pos + 1
    if i < end and text[i] == "#":
        i += 1
        if i < end and text[i] == "x":
            i += 1
            start = i
            while i < end and text[i] in "0123456789abcdefABCDEF":
                i += 1
            code = int(text[start:i], 16) if i > start else 0
        else:
            start = i
            while i < end and "0" <= text[i] <= "9":
                i += 1
            code = int(text[start:i]) if i > start else 0
        if code == 0 or code >= 0x10FFFF or i - pos >= 10:
            return None
        char = chr(code)
    else:
        start = i
        while i < end and text[i].isascii() and text[i].isalpha():
            i += 1
        named = _NAMED_ENTITIES.get(text[start:i])
        if named is None:
            return None
        char = named
    if i < end and text[i] == ";":
        i += 1
    return char, i


def _checked_link(url: str) -> str | None:
    url = url.strip()
    if not url or any(ch in url for ch in " \t\r\n"):
        return None
    if "://" not in url and not url.lower().startswith(("tg:", "mailto:")):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and not parts.path:
        url = urlunsplit(parts._replace(path="/"))
    return url


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (plain text, Bot API entities); raise 400 the way Telegram words it."""
    if "<" not in source and "&" not in source:
        return source, []
    end = len(source)

    def at(i: int) -> str:
        return source[i] if i < end else "\0"

    def fail(message: str) -> BotApiError:
        return _bad_request(f"can't parse entities: {message}")

    def byte_offset(i: int) -> int:
        return len(source[:i].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    offset = 0  # in UTF-16 code units, like Bot API entity offsets
    entities: list[JSON] = []
    code_languages: dict[int, str] = {}  # id(entity) -> language of a <code class="language-...">
    stack: list[_OpenTag] = []
    has_surrogate = False
    i = 0
    while i < end:
        match = _HTML_SPECIAL.search(source, i)
        if match is None:
            out.append(source[i:])
            offset += _utf16_len(source[i:])
            break
        if match.start() > i:
            out.append(source[i : match.start()])
            offset += _utf16_len(source[i : match.start()])
            i = match.start()
        if source[i] == "&":
            decoded = _decode_html_entity(source, i)
            if decoded is None:
                out.append("&")
                offset += 1
                i += 1
            else:
                char, i = decoded
                has_surrogate = has_surrogate or 0xD800 <= ord(char) <= 0xDFFF
                out.append(char)
                offset += 2 if ord(char) > 0xFFFF else 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _HTML_SPACE and at(i) != ">":
                i += 1
            if i >= end:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}')
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < end and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _HTML_SPACE and at(i) not in "=>":
                    i += 1
                attribute = source[name_begin:i]
                if not attribute:
                    raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(begin)}')
                while i < end and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attribute.lower() == "expandable":
                        expandable = True
                        continue
                    raise fail(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {byte_offset(begin)}"
                    )
                i += 1
                while i < end and at(i) in _HTML_SPACE:
                    i += 1
                if i >= end:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = source[token_begin:i].lower()
                    if at(i) not in _HTML_SPACE and at(i) != ">":
                        raise fail(f"Unexpected end of name token at byte offset {byte_offset(token_begin)}")
                else:
                    quote = source[i]
                    i += 1
                    chars: list[str] = []
                    while i < end and source[i] != quote:
                        if source[i] == "&" and (decoded := _decode_html_entity(source, i)) is not None:
                            chars.append(decoded[0])
                            i = decoded[1]
                            continue
                        chars.append(source[i])
                        i += 1
                    if i < end:
                        i += 1
                    value = "".join(chars)
                if i >= end:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
            stack.append(_OpenTag(tag, argument, offset, len(out), expandable))
            i += 1
            continue

        if not stack:
            raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        while at(i) not in _HTML_SPACE and at(i) != ">":
            i += 1
        end_tag = source[begin + 2 : i].lower()
        while i < end and at(i) in _HTML_SPACE:
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        opened = stack.pop()
        if end_tag and end_tag != opened.name:
            raise fail(
                f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{opened.name}>", '
                f'found "</{end_tag}>"'
            )
        i += 1
        length = offset - opened.offset
        if length <= 0:
            continue
        entity: JSON = {"offset": opened.offset, "length": length}
        last = entities[-1] if entities else None
        same_span = last is not None and last["offset"] == opened.offset and last["length"] == length
        if opened.name in _SIMPLE_TAG_TYPES:
            entities.append({"type": _SIMPLE_TAG_TYPES[opened.name], **entity})
        elif opened.name == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise fail("Invalid custom emoji identifier specified")
            entities.append({"type": "custom_emoji", **entity, "custom_emoji_id": opened.argument})
        elif opened.name == "a":
            url = opened.argument or "".join(out[opened.out_index :])
            if user := _USER_LINK.match(url):
                user_dict = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
                entities.append({"type": "text_mention", **entity, "user": user_dict})
            elif (checked := _checked_link(url)) is not None:
                entities.append({"type": "text_link", **entity, "url": checked})
        elif opened.name == "pre":
            if last is not None and same_span and last["type"] == "code" and id(last) in code_languages:
                last["type"] = "pre"
                last["language"] = code_languages.pop(id(last))
            else:
                entities.append({"type": "pre", **entity})
        elif opened.name == "code":
            if last is not None and same_span and last["type"] == "pre" and opened.argument:
                last["language"] = opened.argument
            else:
                code = {"type": "code", **entity}
                entities.append(code)
                if opened.argument:
                    code_languages[id(code)] = opened.argument
        else:  # blockquote
            kind = "expandable_blockquote" if opened.expandable else "blockquote"
            entities.append({"type": kind, **entity})
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    if has_surrogate:
        raise _bad_request(
            "can't parse entities: Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip_formatted(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim surrounding whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    size = _utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, size)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------------------


class FakeBotApi:
    """A fake Telegram Bot API server on 127.0.0.1; use as ``async with FakeBotApi() as api``."""

    def __init__(self, token: str = "123456:TEST-token", *, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.username = username
        bot_id = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        """Bot commands by (JSON-encoded scope, language code), as set by setMyCommands."""
        self.menu_buttons: dict[int | str | None, JSON] = {}
        self.webhook_url = ""
        self.port = 0

        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._changed: asyncio.Event | None = None
        self._updates_changed: asyncio.Event | None = None
        self._pending: deque[JSON] = deque()
        self._update_ids = itertools.count(1)
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._message_ids: dict[int | str, itertools.count[int]] = {}
        self._messages: dict[tuple[int | str, int], JSON] = {}
        self._bot_message_keys: dict[tuple[int | str, int], None] = {}  # insertion-ordered set
        self._deleted: set[tuple[int | str, int]] = set()  # deleted in the user's app: buttons still pressable
        self._uneditable: set[tuple[int | str, int]] = set()  # too old for Telegram to let the bot edit them
        self._chats: dict[int | str, JSON] = {}
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._open_callbacks: set[str] = set()
        self._file_ids = itertools.count(1)
        self._files: dict[str, tuple[JSON, bytes]] = {}
        self._file_paths: dict[str, bytes] = {}
        self._faults: list[_Fault] = []
        self._limit: _Window | None = None
        self._chat_limit_rate: float | None = None
        self._chat_limits: dict[int | str, _Window] = {}
        self._limited_methods: frozenset[str] | None = None
        self._reply_cursors: dict[int | str, int] = {}
        self._background: set[asyncio.Task[Any]] = set()

        self._handlers: dict[str, tuple[str, Callable[[Call], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "logOut": self._true,
                "close": self._true,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "getFile": self._get_file,
            }.items()
        }

    # ---------------------------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url``; PTB appends ``token + "/" + method``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        self._closing.clear()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a client that gives up (PTB stopping a long poll) must not leave a waiter.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        self._closing.set()
        self._wake_pollers()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------------------------------- recording

    def calls_to(self, method: str) -> list[Call]:
        """Every call of ``method`` so far, in arrival order, whatever its outcome."""
        return [call for call in self.calls if call.method == method]

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """Params of the successful sendMessage calls (optionally to one chat), in order."""
        key = _chat_key(chat_id)
        return [
            call.params
            for call in self.calls
            if call.method == "sendMessage" and call.ok and (key is None or call.chat_id == key)
        ]

    def bot_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """Current state (after edits, without deleted ones) of the messages the bot sent, in order."""
        key = _chat_key(chat_id)
        return [self._messages[k] for k in self._bot_message_keys if key is None or k[0] == key]

    def last_bot_message(self, chat_id: int | str) -> JSON:
        """The latest message the bot sent to a chat, as Telegram stores it now."""
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}; calls seen:\n{self._describe()}")
        return messages[-1]

    def delete_message(self, chat_id: int | str, message_id: int) -> None:
        """The user deletes one of the bot's messages in their app: an edit of it answers "message to edit not
        found", while a copy still on another of their devices can be tapped (``send_callback`` with it)."""
        key = (_chat_key(chat_id) or chat_id, message_id)
        if self._messages.pop(key, None) is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        self._bot_message_keys.pop(key, None)
        self._deleted.add(key)

    def make_uneditable(self, chat_id: int | str, message_id: int) -> None:
        """The message grows too old to edit: Telegram answers an edit of it "message can't be edited"."""
        key = (_chat_key(chat_id) or chat_id, message_id)
        if key not in self._messages:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        self._uneditable.add(key)

    def message(self, chat_id: int | str, message_id: int) -> JSON | None:
        """A stored message (sent by the bot or injected), or None if unknown or deleted."""
        key = _chat_key(chat_id)
        return None if key is None else self._messages.get((key, message_id))

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates injected and not yet confirmed by a getUpdates offset."""
        return list(self._pending)

    # ------------------------------------------------------------------------------------------ waiting

    @overload
    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = ...,
        timeout: float = ...,  # noqa: ASYNC109 - the API asked for
        count: Literal[1] = ...,
    ) -> Call: ...

    @overload
    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = ...,
        timeout: float = ...,  # noqa: ASYNC109 - the API asked for
        count: int = ...,
    ) -> Call | list[Call]: ...

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the API asked for
        count: int = 1,
    ) -> Call | list[Call]:
        """Wait until ``count`` calls of ``method`` matching ``predicate`` have arrived (counting from the
        start); return the first of them (``count == 1``) or the first ``count`` as a list.

        A call is matched on arrival; only a call held by ``fail(delay=...)`` (or a long poll) can still be
        unanswered then (``status is None``). Pass e.g. ``lambda call: call.ok`` to wait for success."""

        def matches() -> list[Call] | None:
            found = [c for c in self.calls if c.method == method and (predicate is None or predicate(c))]
            return found[:count] if len(found) >= count else None

        found = await self._wait_until(matches, timeout)
        if found is None:
            seen = len([c for c in self.calls if c.method == method and (predicate is None or predicate(c))])
            which = f"{method}" + (" matching the predicate" if predicate else "")
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} call(s) to {which}; got {seen}.\n"
                f"Calls seen:\n{self._describe()}"
            )
        return found[0] if count == 1 else found

    async def next_reply(
        self,
        chat_id: int | str,
        timeout: float = 5.0,  # noqa: ASYNC109 - the API asked for
        *,
        methods: Collection[str] = ("sendMessage", "editMessageText"),
    ) -> JSON:
        """Params of the next successful sendMessage/editMessageText to ``chat_id`` after the last one this
        method returned for that chat (a cursor per chat). Failed calls (e.g. injected 429s) are skipped."""
        key = _chat_key(chat_id)
        assert key is not None

        def scan() -> JSON | None:
            index = self._reply_cursors.get(key, 0)
            while index < len(self.calls):
                call = self.calls[index]
                if call.method in methods and call.chat_id == key:
                    if call.status is None:  # still being answered: wait for its outcome
                        break
                    if call.ok:
                        self._reply_cursors[key] = index + 1
                        return call.params
                index += 1
                self._reply_cursors[key] = index
            return None

        reply = await self._wait_until(scan, timeout)
        if reply is None:
            raise AssertionError(
                f"timed out after {timeout}s waiting for a reply ({', '.join(methods)}) to chat {chat_id}.\n"
                f"Calls seen:\n{self._describe()}"
            )
        return reply

    async def _wait_until(self, check: Callable[[], _T | None], seconds: float) -> _T | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (result := check()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                pass
        return result

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _describe(self, last: int = 40) -> str:
        polls = sum(1 for call in self.calls if call.method == "getUpdates")
        shown = [f"  {call}" for call in self.calls if call.method != "getUpdates"]
        lines = shown[-last:]
        if len(shown) > last:
            lines.insert(0, f"  ... {len(shown) - last} earlier calls")
        lines.append(f"  (+ {polls} getUpdates)")
        return "\n".join(lines)

    # ---------------------------------------------------------------------------------------- injecting

    def send_update(self, update: JSON) -> JSON:
        """Queue a raw update (any kind); it gets the next update_id (replacing any given). Messages in it
        without message_id/date get them, and are remembered so the bot can reply to, edit or delete them."""
        update = {key: value for key, value in update.items() if key != "update_id"}
        for kind in _MESSAGE_KINDS:
            message = update.get(kind)
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat = message["chat"]
                self._chats.setdefault(chat["id"], chat)
                message.setdefault("date", int(time.time()))
                if "message_id" not in message:
                    message["message_id"] = self._next_message_id(chat["id"])
                if kind in ("message", "channel_post", "business_message"):
                    self._messages[(chat["id"], message["message_id"])] = message
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_callbacks.add(str(query["id"]))
        queued = {"update_id": next(self._update_ids), **update}
        self._pending.append(queued)
        self._wake_pollers()
        return queued

    def send_text(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Ana",
        last_name: str | None = None,
        username: str | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        entities: list[JSON] | None = None,
        reply_to_message: JSON | None = None,
    ) -> JSON:
        """Queue a text message from a user and return the Message dict. A leading ``/command`` (also
        ``/command@Bot``) gets its bot_command entity unless ``entities`` is given."""
        user = self.make_user(user_id, first_name=first_name, last_name=last_name, username=username)
        if language_code is not None:
            user["language_code"] = language_code
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("a private chat's id is the user's id")
            chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
            if last_name:
                chat["last_name"] = last_name
            if username:
                chat["username"] = username
        else:
            if chat_id is None:
                raise ValueError(f"a {chat_type} chat needs an explicit chat_id")
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"Test {chat_type} {chat_id}"}
        self._chats[chat["id"]] = chat
        message: JSON = {
            "message_id": self._next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities is None and (command := _COMMAND.match(text)):
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))}]
        if entities:
            message["entities"] = entities
        if reply_to_message is not None:
            message["reply_to_message"] = reply_to_message
        self.send_update({"message": message})
        return message

    def send_callback(
        self,
        data: str,
        message: JSON,
        *,
        user_id: int,
        first_name: str = "Ana",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> JSON:
        """Queue a callback query for an inline button press on ``message`` (a Message dict the bot sent,
        e.g. ``call.result`` or ``api.last_bot_message(chat)``, or a synthetic one); return the query."""
        chat_id = message["chat"]["id"]
        key = (chat_id, message["message_id"])
        current = self._messages.get(key)
        if key in self._deleted:  # pressed on a copy of a deleted message: it stays deleted
            current = message
        elif current is None:  # a synthetic message: remember it as the bot's so it can be edited
            current = {"from": self.bot_user, "date": int(time.time()), **message}
            self._messages[key] = current
            self._bot_message_keys[key] = None
        user = self.make_user(user_id, first_name=first_name, username=username)
        if language_code is not None:
            user["language_code"] = language_code
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        query: JSON = {
            "id": query_id,
            "from": user,
            "message": current,
            "chat_instance": str(-(abs(hash(chat_id)) % 10**18)),
            "data": data,
        }
        self.send_update({"callback_query": query})
        return query

    @staticmethod
    def make_user(
        user_id: int, *, first_name: str = "Ana", last_name: str | None = None, username: str | None = None
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        return user

    def _next_message_id(self, chat_id: int | str) -> int:
        counter = self._message_ids.get(chat_id)
        if counter is None:
            counter = self._message_ids[chat_id] = itertools.count(1)
        return next(counter)

    def _wake_pollers(self) -> None:
        if self._updates_changed is not None:
            self._updates_changed.set()
            self._updates_changed = None

    # ---------------------------------------------------------------------------------- fault injection

    def fail(
        self,
        method: str,
        *,
        times: int | None = 1,
        status: int | None = None,
        retry_after: int = 1,
        description: str | None = None,
        delay: float | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``None``: all, until ``clear_faults``), optionally only
        those to ``chat_id``, fail with ``status``: 429 (the default; with parameters.retry_after), 403
        ("Forbidden: bot was blocked by the user"), 400, 500, 502, ... ``description`` overrides Telegram's
        wording. With ``delay`` the answer is held that long first (to make the client time out); with a
        delay and no status the call is then processed normally, like a request Telegram executed late."""
        if status is None and delay is None:
            status = HTTPStatus.TOO_MANY_REQUESTS
        self._faults.append(_Fault(method, times, status, retry_after, description, delay, _chat_key(chat_id)))

    def clear_faults(self) -> None:
        self._faults.clear()

    def rate_limit(
        self,
        per_second: float | None = 30,
        *,
        per_chat_per_second: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer 429 with retry_after once more than ``per_second`` calls (and/or ``per_chat_per_second``
        calls to one chat) arrive within a sliding window. ``methods`` defaults to all but getUpdates;
        ``rate_limit(None)`` switches limiting off."""
        self._limit = _Window.per_second(per_second) if per_second else None
        self._chat_limit_rate = per_chat_per_second
        self._chat_limits.clear()
        self._limited_methods = frozenset(methods) if methods is not None else None

    def _take_fault(self, call: Call) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.method != call.method or (fault.chat_id is not None and fault.chat_id != call.chat_id):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[index]
            return fault
        return None

    def _fault_error(self, fault: _Fault) -> BotApiError:
        status = fault.status or HTTPStatus.INTERNAL_SERVER_ERROR
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wording = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            return BotApiError(status, wording, {"retry_after": fault.retry_after})
        description = fault.description or _DEFAULT_DESCRIPTIONS.get(status)
        if description is None:
            try:
                description = HTTPStatus(status).phrase
            except ValueError:
                description = f"Error {status}"
        return BotApiError(status, description)

    def _check_rate(self, call: Call) -> None:
        if self._limit is None and not self._chat_limit_rate:
            return
        if self._limited_methods is None:
            if call.method == "getUpdates":
                return
        elif call.method not in self._limited_methods:
            return
        now = time.monotonic()
        windows: list[_Window] = []
        if self._limit is not None:
            windows.append(self._limit)
        chat = call.chat_id
        if self._chat_limit_rate and chat is not None:
            window = self._chat_limits.get(chat)
            if window is None:
                window = self._chat_limits[chat] = _Window.per_second(self._chat_limit_rate)
            windows.append(window)
        for window in windows:
            wait = window.retry_after(now)
            if wait is not None:
                raise BotApiError(
                    HTTPStatus.TOO_MANY_REQUESTS, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
                )
        for window in windows:
            window.stamps.append(now)

    # -------------------------------------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._response(
                HTTPStatus.UNAUTHORIZED, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        name = request.match_info["method"]
        entry = self._handlers.get(name.lower())
        params, files = await self._read_params(request)
        call = Call(method=entry[0] if entry else name, params=params, at=time.monotonic(), files=files)
        self.calls.append(call)
        self._notify()
        if entry is None:
            self._complete(call, BotApiError(HTTPStatus.NOT_FOUND, "Not Found: method not found"))
            return self._envelope(call)
        fault = self._take_fault(call)
        if fault is not None and fault.delay:
            # Shielded: if the client gives up, the call is still answered (and, without a status, executed)
            # later, like a request that reached Telegram.
            task = asyncio.create_task(self._answer_late(call, entry[1], fault))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            await asyncio.shield(task)
            return self._envelope(call)
        try:
            outcome = await self._answer(call, entry[1], fault)
        except asyncio.CancelledError:  # the client went away (e.g. PTB cancelling a long poll)
            self._complete(call, BotApiError(499, "Client Closed Request"))
            raise
        self._complete(call, outcome)
        return self._envelope(call)

    async def _answer_late(self, call: Call, handler: Callable[[Call], Any], fault: _Fault) -> None:
        try:
            async with asyncio.timeout(fault.delay):
                await self._closing.wait()
        except TimeoutError:
            pass
        self._complete(call, await self._answer(call, handler, fault))

    async def _answer(self, call: Call, handler: Callable[[Call], Any], fault: _Fault | None) -> Any:
        """The result of a call, or the BotApiError to answer with."""
        if fault is not None and fault.status is not None:
            return self._fault_error(fault)
        try:
            self._check_rate(call)
            result = handler(call)
            if asyncio.iscoroutine(result):
                result = await result
        except BotApiError as error:
            return error
        return result

    def _complete(self, call: Call, outcome: Any) -> None:
        if isinstance(outcome, BotApiError):
            call.status = outcome.status
            call.description = outcome.description
            call.parameters = outcome.parameters
        else:
            call.status = HTTPStatus.OK
            call.result = outcome
        self._notify()

    def _envelope(self, call: Call) -> web.Response:
        assert call.status is not None
        if call.ok:
            return self._response(HTTPStatus.OK, {"ok": True, "result": call.result})
        payload: JSON = {"ok": False, "error_code": call.status, "description": call.description}
        if call.parameters:
            payload["parameters"] = call.parameters
        return self._response(call.status, payload)

    @staticmethod
    def _response(status: int, payload: JSON) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            content_type="application/json",
        )

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
        params: JSON = {name: _decode_param(name, value) for name, value in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.body_exists:
            return params, files
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read())
                    kind = part.headers.get("Content-Type", "application/octet-stream")
                    files[part.name] = UploadedFile(part.filename, kind, data)
                else:
                    params[part.name] = _decode_param(part.name, await part.text())
        else:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, str):
                    params[name] = _decode_param(name, value)
        return params, files

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._response(
                HTTPStatus.UNAUTHORIZED, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        data = self._file_paths.get(request.match_info["path"])
        if data is None:
            return self._response(HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"})
        return web.Response(body=data, content_type="application/octet-stream")

    # ----------------------------------------------------------------------------------------- methods

    @staticmethod
    def _true(call: Call) -> bool:
        return True

    def _get_me(self, call: Call) -> JSON:
        return self.bot_user

    async def _get_updates(self, call: Call) -> list[JSON]:
        if self.webhook_url:
            raise BotApiError(
                HTTPStatus.CONFLICT,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        params = call.params
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"] or []
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED_UPDATES
        if offset > 0:
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()
        elif offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()

        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # terminates an older long poll, as Telegram does
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._select_updates(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing.is_set():
                return batch
            if self._updates_changed is None:
                self._updates_changed = asyncio.Event()
            try:
                async with asyncio.timeout(remaining):
                    await self._updates_changed.wait()
            except TimeoutError:
                pass
            if generation != self._poll_generation:
                raise BotApiError(HTTPStatus.CONFLICT, _DEFAULT_DESCRIPTIONS[HTTPStatus.CONFLICT])

    def _select_updates(self, limit: int) -> list[JSON]:
        batch: list[JSON] = []
        for update in list(self._pending):
            kind = next((key for key in update if key != "update_id"), "")
            if kind not in self._allowed_updates:
                self._pending.remove(update)  # Telegram never delivers updates of types not allowed
                continue
            batch.append(update)
            if len(batch) >= limit:
                break
        return batch

    def _delete_webhook(self, call: Call) -> bool:
        self.webhook_url = ""
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _set_webhook(self, call: Call) -> bool:
        self.webhook_url = str(call.params.get("url") or "")
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        self._wake_pollers()
        return True

    def _get_webhook_info(self, call: Call) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME.fullmatch(str(command.get("command"))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(call.params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def _delete_my_commands(self, call: Call) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    def _get_my_commands(self, call: Call) -> list[JSON]:
        return self.commands.get(self._commands_key(call.params), [])

    def _set_chat_menu_button(self, call: Call) -> bool:
        self.menu_buttons[_chat_key(call.params.get("chat_id"))] = call.params.get("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, call: Call) -> JSON:
        key = _chat_key(call.params.get("chat_id"))
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    def _chat_of(self, call: Call) -> JSON:
        chat_id = call.chat_id
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, str):
                chat = {"id": -1000000000000 - len(self._chats), "type": "channel", "title": chat_id[1:]}
                chat["username"] = chat_id.lstrip("@")
            elif chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
            elif chat_id < -1000000000000:
                chat = {"id": chat_id, "type": "supergroup", "title": f"Supergroup {chat_id}"}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _formatted(self, params: JSON, name: str, limit: int, *, required: bool) -> tuple[str, list[JSON]]:
        """Text or caption after parse_mode, trimmed and checked as Telegram does."""
        raw = params.get(name)
        source = "" if raw is None else str(raw)
        entities_param = params.get("entities" if name == "text" else "caption_entities")
        if isinstance(entities_param, list):
            text, entities = source, entities_param
        elif str(params.get("parse_mode") or "").lower() == "html":
            text, entities = parse_html(source)
        else:
            text, entities = source, []
        text, entities = _strip_formatted(text, entities)
        if required and not text:
            raise _bad_request("message text is empty")
        if len(text) > limit:
            raise _bad_request("message is too long" if name == "text" else "message caption is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: JSON) -> JSON | None:
        """The reply_markup Telegram echoes in the Message: only an inline keyboard, checked."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                    raise _bad_request("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup if any(rows) else None

    def _new_message(self, call: Call, chat: JSON, content: JSON) -> JSON:
        params = call.params
        markup = self._inline_markup(params)
        message: JSON = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]} if "reply_to_message_id" in params else None
        )
        if isinstance(reply, dict) and "message_id" in reply:
            reply_chat = _chat_key(reply.get("chat_id")) or chat["id"]
            replied = self._messages.get((reply_chat, int(reply["message_id"])))
            if replied is not None:
                message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
            elif not (reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply")):
                raise _bad_request("message to be replied not found")
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        key = (chat["id"], message["message_id"])
        self._messages[key] = message
        self._bot_message_keys[key] = None
        return message

    def _send_message(self, call: Call) -> JSON:
        chat = self._chat_of(call)
        text, entities = self._formatted(call.params, "text", _TEXT_LIMIT, required=True)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_message(call, chat, content)

    def _message_to_edit(self, call: Call) -> tuple[tuple[int | str, int], JSON] | None:
        """The stored message an edit targets, or None for inline messages."""
        params = call.params
        if "inline_message_id" in params:
            return None
        chat = self._chat_of(call)
        if "message_id" not in params:
            raise _bad_request("message identifier is not specified")
        key = (chat["id"], int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            raise _bad_request("message to edit not found")
        if key not in self._bot_message_keys or key in self._uneditable:
            raise _bad_request("message can't be edited")
        return key, message

    def _edit_message_text(self, call: Call) -> JSON | bool:
        target = self._message_to_edit(call)
        text, entities = self._formatted(call.params, "text", _TEXT_LIMIT, required=True)
        markup = self._inline_markup(call.params)
        if target is None:
            return True
        key, message = target
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise BotApiError(HTTPStatus.BAD_REQUEST, _NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return edited

    def _edit_message_reply_markup(self, call: Call) -> JSON | bool:
        target = self._message_to_edit(call)
        markup = self._inline_markup(call.params)
        if target is None:
            return True
        key, message = target
        if message.get("reply_markup") == markup:
            raise BotApiError(HTTPStatus.BAD_REQUEST, _NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return edited

    def _delete_message(self, call: Call) -> bool:
        chat = self._chat_of(call)
        key = (chat["id"], int(call.params.get("message_id") or 0))
        if self._messages.pop(key, None) is None:
            raise _bad_request("message to delete not found")
        self._bot_message_keys.pop(key, None)
        return True

    def _answer_callback_query(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    def _send_chat_action(self, call: Call) -> bool:
        self._chat_of(call)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _send_document(self, call: Call) -> JSON:
        chat = self._chat_of(call)
        document = call.params.get("document")
        upload: UploadedFile | None = None
        if isinstance(document, str) and document.startswith("attach://"):
            upload = call.files.get(document[len("attach://") :])
        elif document is None:
            upload = call.files.get("document")
        if upload is not None:
            meta = self._store_file(upload.filename, upload.content_type, upload.data)
        elif isinstance(document, str) and document in self._files:
            meta = self._files[document][0]
        elif isinstance(document, str) and document.startswith(("http://", "https://")):
            name = urlsplit(document).path.rsplit("/", 1)[-1] or "file"
            meta = self._store_file(name, "application/octet-stream", b"")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        caption, entities = self._formatted(call.params, "caption", _CAPTION_LIMIT, required=False)
        content: JSON = {"document": meta}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_message(call, chat, content)

    def _store_file(self, filename: str, content_type: str, data: bytes) -> JSON:
        number = next(self._file_ids)
        meta: JSON = {
            "file_id": f"BQACAgQAAxkDAAI{number:08d}",
            "file_unique_id": f"AgAD{number:06d}",
            "file_name": filename,
            "mime_type": content_type,
            "file_size": len(data),
        }
        self._files[meta["file_id"]] = (meta, data)
        return meta

    def _get_file(self, call: Call) -> JSON:
        file_id = str(call.params.get("file_id") or "")
        if file_id not in self._files:
            raise _bad_request("invalid file_id")
        meta, data = self._files[file_id]
        path = f"documents/file_{meta['file_unique_id']}_{meta['file_name']}"
        self._file_paths[path] = data
        return {
            "file_id": file_id,
            "file_unique_id": meta["file_unique_id"],
            "file_size": len(data),
            "file_path": path,
        }
