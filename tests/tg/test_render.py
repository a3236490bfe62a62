"""A core Reply rendered for Telegram: HTML messages under the size limit, and an inline keyboard."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import markup
from bot.core.views import Button, Reply, ShowEntry, ShowMenu, ShowProgramme
from bot.tg.callback_data import CallbackDataTooLong
from bot.tg.render import MESSAGE_LIMIT, html_chunks, keyboard

_ENTITY_OR_AMPERSAND = re.compile(r"&(?:amp|lt|gt|quot);|&")


class _Balance(HTMLParser):
    """Whether an HTML fragment's tags all close, in order, within the fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.balanced = False


def balanced(fragment: str) -> bool:
    """True when every tag of ``fragment`` is closed in the right order inside it."""
    parser = _Balance()
    parser.feed(fragment)
    parser.close()
    return parser.balanced and not parser.open


def no_cut_tag_or_entity(chunk: str) -> bool:
    """True when ``chunk`` neither starts nor ends inside a tag or an HTML entity."""
    starts_inside_tag = ">" in chunk and "<" not in chunk[: chunk.index(">")]
    ends_inside_tag = chunk.rfind("<") > chunk.rfind(">")
    bad_entity = any(match.group() == "&" for match in _ENTITY_OR_AMPERSAND.finditer(chunk))
    starts_inside_entity = re.match(r"^[a-z]*;", chunk) is not None
    return not (starts_inside_tag or ends_inside_tag or bad_entity or starts_inside_entity)


def lines_of_text(count: int, width: int = 49) -> str:
    """``count`` numbered lines of ``width`` characters each."""
    return "\n".join(f"{index:05d} " + "x" * (width - 6) for index in range(count))


# --- html_chunks -------------------------------------------------------------------------------------------


def test_a_short_reply_is_one_message():
    """A reply under the limit is one message: its rendered HTML."""
    text = "**MIRAI**\n\nApplicants must be **aged 20 or over** & Belgian.\n- see https://example.org"

    assert html_chunks(Reply(text)) == [markup.to_html(text)]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_an_empty_reply_has_no_messages(text):
    """A reply with no visible text gives no message rather than an empty one Telegram would refuse."""
    assert html_chunks(Reply(text)) == []


def test_a_long_reply_is_split_at_line_breaks_under_the_limit():
    """10,000 characters of lines become several messages, each at most 4096 characters, no line cut."""
    text = lines_of_text(200)  # 200 lines of 49 characters: 9,999 characters with the line breaks
    assert len(text) == 9_999

    chunks = html_chunks(Reply(text))

    assert len(chunks) == 3
    assert all(len(chunk) <= MESSAGE_LIMIT for chunk in chunks)
    assert [line for chunk in chunks for line in chunk.split("\n")] == text.split("\n")


def test_a_message_is_filled_as_far_as_the_limit_allows():
    """Each message but the last is as full as whole lines allow: the next line would not fit."""
    text = lines_of_text(200)

    chunks = html_chunks(Reply(text))

    line = len(text.split("\n")[0])
    assert all(len(chunk) + 1 + line > MESSAGE_LIMIT for chunk in chunks[:-1])


@pytest.mark.parametrize("limit", [MESSAGE_LIMIT, 1000, 300, 120])
def test_split_markup_keeps_every_tag_whole_and_balanced(limit):
    """Bold, links, bullets and escaped characters are split between lines only: every message is valid HTML."""
    paragraph = (
        "**Requirements** for **MIRAI** & JET:\n"
        "- Belgian nationality, see [the embassy](https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html)\n"
        "- aged 20 or over (1 < 2 > 0)\n"
        "More at https://jetprogramme.org/en/ and **more**.\n"
    )
    text = "\n".join(f"{index}. {paragraph}" for index in range(60))

    chunks = html_chunks(Reply(text), limit)

    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= limit
        assert balanced(chunk), chunk
        assert no_cut_tag_or_entity(chunk), chunk
    assert "".join(chunks).replace("\n", "") == markup.to_html(text).replace("\n", "")


def test_blank_lines_inside_a_message_are_kept_and_none_at_its_edges():
    """Paragraph breaks stay inside a message; no message starts or ends with a line break or is empty."""
    text = "\n\n".join("paragraph " + "y" * 80 for _ in range(100))

    chunks = html_chunks(Reply(text), 500)

    assert all(chunk and chunk == chunk.strip("\n") for chunk in chunks)
    assert all("\n\n" in chunk for chunk in chunks[:-1])
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


@pytest.mark.parametrize(
    "line",
    [
        "z" * 10_000,
        "a & b < c > d " * 800,
        "see https://jetprogramme.org/en/ now " * 300,
        "[link](https://example.org/?a=1&b=2) " * 300,
    ],
)
def test_an_overlong_single_line_is_cut_outside_tags_and_entities(line):
    """A line longer than a message is sent as escaped plain text, never cut inside an entity, and no word
    is lost."""
    chunks = html_chunks(Reply(line))

    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= MESSAGE_LIMIT
        assert no_cut_tag_or_entity(chunk), chunk[-40:]
    expected = html.escape(markup.to_plain(line), quote=False)
    assert "".join("".join(chunks).split()) == "".join(expected.split())


def test_an_overlong_line_between_short_ones_keeps_the_order():
    """Lines before and after an overlong line stay in order around its pieces."""
    text = "first line\n" + "w" * 5_000 + "\nlast line"

    chunks = html_chunks(Reply(text))

    assert chunks == ["first line", "w" * MESSAGE_LIMIT, "w" * (5_000 - MESSAGE_LIMIT) + "\nlast line"]


def test_an_overlong_bold_line_is_cut_into_valid_messages():
    """Even a bold line longer than a message is cut into messages whose tags all balance."""
    chunks = html_chunks(Reply("**" + "bold " * 1_000 + "end**"))

    assert all(balanced(chunk) for chunk in chunks)


# --- keyboard ----------------------------------------------------------------------------------------------


def test_a_reply_without_buttons_has_no_keyboard():
    """No buttons, no keyboard (rather than an empty one)."""
    assert keyboard(Reply("text")) is None


def test_keyboard_rows_carry_labels_and_packed_actions():
    """Each row of buttons becomes a keyboard row; each button its label and its packed action."""
    reply = Reply(
        "Choose",
        (
            (Button("MIRAI", ShowProgramme("mirai")), Button("JET", ShowProgramme("jet"))),
            (Button("Minimum age", ShowEntry("mirai.age")),),
            (Button("◀ Main menu", ShowMenu()),),
        ),
    )

    board = keyboard(reply)

    assert isinstance(board, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in board.inline_keyboard] == [
        [("MIRAI", "p|mirai"), ("JET", "p|jet")],
        [("Minimum age", "e|mirai.age")],
        [("◀ Main menu", "m")],
    ]
    assert all(isinstance(b, InlineKeyboardButton) for row in board.inline_keyboard for b in row)


def test_keyboard_refuses_an_action_too_long_for_telegram():
    """A button whose action does not fit in 64 bytes raises instead of sending data Telegram refuses."""
    reply = Reply("x", ((Button("Too long", ShowEntry("a" * 70)),),))

    with pytest.raises(CallbackDataTooLong):
        keyboard(reply)
