"""End to end through the fake Bot API: what a user types is never markup in the bot's messages, groups get no
staff output, quiz, menu or stored choice, and /forget leaves no byte of the student's id in the database files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.i18n import t
from bot.storage.database import SQLITE_FILE_NAME
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import bot
from tests.tg.chat import GROUP, USER, ask, next_seen, tap
from tests.tg.conftest import services_of
from tests.tg.staff import ADMIN

pytestmark = pytest.mark.usefixtures("bot_logs")

#: Every markup form a user might type as one command argument (arguments are split at spaces).
MARKUP_FORMS = [
    "[click](https://evil.example)",
    "<b>bold</b>",
    "<a href='https://evil.example'>x</a>",
    "**bold**",
    "&lt;b&gt;",
    "&#60;i&#62;",
    "https://evil.example/path",
    "<i>x",
]
PRIVATE_ONLY = t("en", "Please send me this command in a private chat.")


def in_group(api: FakeBotApi, text: str, *, user: int = USER) -> None:
    api.send_text(text, user_id=user, chat_id=GROUP, chat_type="supergroup")


@pytest.mark.parametrize("form", MARKUP_FORMS)
@pytest.mark.parametrize("command", ["/subscribe", "/unsubscribe"])
async def test_a_typed_argument_is_echoed_as_text_never_as_markup(
    fake_api: FakeBotApi, engine: Engine, command: str, form: str
) -> None:
    async with bot(fake_api, engine, alert_jobs=False):
        seen = await ask(fake_api, f"{command} {form}")
        assert form.split()[0][:32] in seen.text, "the argument is shown as typed"
        linked = [entity for entity in seen.entities if "evil.example" in str(entity.get("url", ""))]
        assert not linked
        for entity in seen.entities:
            shown = seen.text[entity["offset"] : entity["offset"] + entity["length"]]
            assert shown not in form, f"{entity['type']} made of the user's text: {shown!r}"


@pytest.mark.parametrize("form", ["<b>x</b>", "mirai&x=1", 'mirai"><b>', "[a](https://evil.example)"])
async def test_the_group_deep_link_names_only_a_known_quiz(fake_api: FakeBotApi, engine: Engine, form: str) -> None:
    async with bot(fake_api, engine, alert_jobs=False):
        in_group(fake_api, f"/eligible@EmbassyTestBot {form}")
        seen = await next_seen(fake_api, GROUP)
        urls = [b.get("url", "") for row in seen.message["reply_markup"]["inline_keyboard"] for b in row]
        assert urls == ["https://t.me/EmbassyTestBot?start=eligible"]
        in_group(fake_api, "/eligible@EmbassyTestBot mirai")
        seen = await next_seen(fake_api, GROUP)
        urls = [b.get("url", "") for row in seen.message["reply_markup"]["inline_keyboard"] for b in row]
        assert urls == ["https://t.me/EmbassyTestBot?start=eligible-mirai"]


@pytest.mark.parametrize("command", ["/stats", "/unanswered", "/broadcast mirai Hello", "/reload"])
async def test_staff_commands_in_a_group_reveal_nothing(fake_api: FakeBotApi, engine: Engine, command: str) -> None:
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})):
        name, _, rest = command.partition(" ")
        in_group(fake_api, f"{name}@EmbassyTestBot {rest}".strip(), user=ADMIN)
        seen = await next_seen(fake_api, GROUP)
        assert seen.text == PRIVATE_ONLY
        assert not seen.buttons


@pytest.mark.parametrize("command", ["/language", "/forget", "/subscribe", "/subscribe mirai"])
@pytest.mark.parametrize("addressed", [False, True])
async def test_a_private_only_command_in_a_group_asks_to_write_privately_and_stores_nothing(
    fake_api: FakeBotApi, engine: Engine, command: str, addressed: bool
) -> None:
    """A choice, an erasure or a subscription in a group would be the group's: the one group reply, no buttons,
    and the group is neither stored nor subscribed, whether the command names the bot or not."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        storage = services_of(app).storage
        name, _, rest = command.partition(" ")
        in_group(fake_api, f"{name}@EmbassyTestBot {rest}".strip() if addressed else command)
        seen = await next_seen(fake_api, GROUP)
        assert seen.text == PRIVATE_ONLY
        assert not seen.buttons
        assert await storage.get_user(GROUP) is None
        assert await storage.subscriptions(GROUP) == []


async def test_start_in_a_group_posts_no_quiz_and_no_menu(fake_api: FakeBotApi, engine: Engine) -> None:
    async with bot(fake_api, engine, alert_jobs=False):
        in_group(fake_api, "/start@EmbassyTestBot eligible-mirai")
        seen = await next_seen(fake_api, GROUP)
        assert seen.text == t("en", "For your privacy, the eligibility check runs in a private chat with me.")
        assert [label for row in seen.buttons for label, _ in row] == [t("en", "Open a private chat")]
        in_group(fake_api, "/start@EmbassyTestBot")
        seen = await next_seen(fake_api, GROUP)
        assert seen.text == PRIVATE_ONLY
        assert not seen.buttons


async def test_menu_and_language_buttons_in_a_group_post_nothing_and_store_nothing(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    async with bot(fake_api, engine, alert_jobs=False) as app:
        storage = services_of(app).storage
        menu = await ask(fake_api, "/start")
        language = await ask(fake_api, "/language")
        for seen, label in ((menu, menu.labels[0]), (language, "Français")):
            message = dict(seen.message, chat={"id": GROUP, "type": "supergroup", "title": "Group"})
            data = seen.data(label)
            calls = len(fake_api.calls)
            query = fake_api.send_callback(data, message, user_id=USER)
            answer = await fake_api.wait_for_call(
                "answerCallbackQuery", lambda call, q=query: call.params.get("callback_query_id") == q["id"]
            )
            assert answer.params.get("show_alert") in (True, "true")
            assert answer.params.get("text") == PRIVATE_ONLY
            posted = [c for c in fake_api.calls[calls:] if c.chat_id == GROUP and c.method != "answerCallbackQuery"]
            assert not posted
        assert await storage.get_user(GROUP) is None


def files_holding(student: int) -> list[str]:
    """The database files (the file, its WAL, its shared memory) holding the id as SQLite may write it: a
    big-endian integer of 6 bytes (its serial type for this size), or text."""
    traces = [student.to_bytes(6, "big"), str(student).encode()]
    files = sorted(Path(os.environ["DATA_DIR"]).glob(f"{SQLITE_FILE_NAME}*"))
    return [path.name for path in files if any(trace in path.read_bytes() for trace in traces)]


async def test_forget_leaves_no_byte_of_the_id_in_the_database_files(fake_api: FakeBotApi, engine: Engine) -> None:
    student = 0x7654_3210_ABCD  # 6 bytes, a pattern that occurs by chance in no page
    async with bot(fake_api, engine, alert_jobs=False) as app:
        await ask(fake_api, "/subscribe mirai", user=student)
        await ask(fake_api, "/subscribe jet", user=student)
        await tap(fake_api, await ask(fake_api, "/language", user=student), "Nederlands", user=student)
        assert files_holding(student), "the id was never written: the test would prove nothing"
        confirm = await ask(fake_api, "/forget", user=student)
        await tap(fake_api, confirm, t("nl", "Yes, erase everything"), user=student)
        assert await services_of(app).storage.get_user(student) is None
        assert not files_holding(student), "the erased id is still in the database files"
