"""Stale buttons end to end: a button whose message can no longer be edited still gets its answer.

A menu button edits its message in place. When Telegram refuses the edit because the message was deleted (a copy
on another device was tapped: "message to edit not found") or is too old ("message can't be edited"), the answer
comes as a new message, with one line in the log and no traceback. A tap that would show exactly what is shown
("message is not modified") needs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from telegram.ext import Application

from bot.core.engine import Engine
from tests.fake_bot_api import FakeBotApi
from tests.tg.chat import USER, Seen, ask, assert_ignored, knowledge_of, tap

pytestmark = pytest.mark.usefixtures("bot_logs")


def deleted(api: FakeBotApi, seen: Seen) -> None:
    api.delete_message(USER, seen.message["message_id"])


def too_old(api: FakeBotApi, seen: Seen) -> None:
    api.make_uneditable(USER, seen.message["message_id"])


@pytest.mark.parametrize(
    ("make_stale", "wording"),
    [(deleted, "message to edit not found"), (too_old, "message can't be edited")],
    ids=["deleted", "too old"],
)
async def test_a_button_on_a_message_that_cannot_be_edited_answers_in_a_new_message(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    make_stale: Callable[[FakeBotApi, Seen], None],
    wording: str,
) -> None:
    """The programme button under a menu that Telegram will not edit sends the programme's topics anew, the same
    text and buttons an edit would have shown, and logs one line naming the chat."""
    programme = knowledge_of(engine).programme("mirai")
    assert programme is not None
    fresh = await tap(fake_api, await ask(fake_api, "/start"), programme.name["en"])  # what an edit shows
    assert fresh.method == "editMessageText"

    stale = await ask(fake_api, "/start")
    make_stale(fake_api, stale)
    caplog.clear()
    shown = await tap(fake_api, stale, programme.name["en"])

    assert shown.method == "sendMessage"
    assert (shown.text, shown.buttons) == (fresh.text, fresh.buttons)
    refused = [call for call in fake_api.calls_to("editMessageText") if not call.ok]
    assert [wording in (call.description or "") for call in refused] == [True]
    lines = [r for r in caplog.records if r.name.startswith("bot") and "cannot be edited" in r.getMessage()]
    assert len(lines) == 1
    assert f"chat {USER}" in lines[0].getMessage()
    assert lines[0].levelno == logging.INFO
    assert lines[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info is not None]  # no traceback anywhere


async def test_a_tap_that_changes_nothing_sends_nothing(
    fake_api: FakeBotApi,
    running_bot: Application,  # type: ignore[type-arg]
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same button tapped twice on a copy of the menu: the second edit is "not modified", and the bot neither
    sends a message nor logs a traceback."""
    programme = knowledge_of(engine).programme("mirai")
    assert programme is not None
    welcome = await ask(fake_api, "/start")
    await tap(fake_api, welcome, programme.name["en"])
    label = programme.name["en"]
    data = next(
        b["callback_data"]
        for row in welcome.message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == label
    )
    edited_before = len([call for call in fake_api.calls_to("editMessageText") if call.ok])

    fake_api.send_callback(data, welcome.message, user_id=USER)  # the old copy, whose message shows the topics now
    refused = await fake_api.wait_for_call("editMessageText", lambda call: call.status is not None and not call.ok)
    await assert_ignored(fake_api)  # and nothing was sent for the tap

    assert "message is not modified" in (refused.description or "")
    assert len([call for call in fake_api.calls_to("editMessageText") if call.ok]) == edited_before
    assert not [r for r in caplog.records if r.exc_info is not None]
