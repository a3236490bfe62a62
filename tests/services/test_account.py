"""The account service on a real SQLite database, without the bot: language choice, reactivation, erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import account_views
from bot.services.account import AccountService
from bot.storage import Database, Storage

CHAT = 4242


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with Database(None, data_dir=tmp_path / "db") as database:
        await database.upgrade()
        yield Storage(database)


@pytest.fixture
def account(storage: Storage) -> AccountService:
    return AccountService(storage, retention_days=90)


async def test_choosing_a_language_keeps_it_and_answers_in_it(account: AccountService) -> None:
    """Choosing Dutch stores it; the confirmation is in Dutch, and /language then marks Dutch."""
    chosen = await account.choose_language(CHAT, "nl", "en")

    assert chosen.lang == "nl"
    assert chosen.reply == account_views.language_chosen("nl", "nl")
    assert await account.language_of(CHAT) == "nl"
    assert await account.language_menu(CHAT, "en") == account_views.language_menu("nl", "en")


async def test_following_each_message_for_an_unknown_chat_stores_nothing(
    account: AccountService, storage: Storage
) -> None:
    """'Follow my messages' from a chat the bot keeps nothing about creates no user."""
    chosen = await account.choose_language(CHAT, "auto", "fr")

    assert chosen.lang == "fr"
    assert chosen.reply == account_views.language_chosen(None, "fr")
    assert await storage.get_user(CHAT) is None


async def test_following_each_message_clears_an_earlier_choice(account: AccountService) -> None:
    """A stored choice is cleared by 'follow my messages'."""
    await account.choose_language(CHAT, "fr", "en")
    await account.choose_language(CHAT, "auto", "en")

    assert await account.language_of(CHAT) is None


async def test_a_user_who_had_blocked_the_bot_is_active_again_when_seen(
    account: AccountService, storage: Storage
) -> None:
    """language_of only reads; seen (a private message) reactivates a user Telegram had reported as blocked."""
    await storage.subscribe(CHAT, "mirai", "fr")
    await storage.set_language(CHAT, "fr")
    await storage.deactivate(CHAT)

    assert await account.language_of(CHAT) == "fr"
    assert CHAT not in await storage.subscribers("mirai")
    assert await account.seen(CHAT) == "fr"
    assert CHAT in await storage.subscribers("mirai")


async def test_seen_from_an_unknown_chat_stores_nothing(account: AccountService, storage: Storage) -> None:
    """A message from a chat the bot keeps nothing about leaves it that way."""
    assert await account.seen(CHAT) is None
    assert await storage.get_user(CHAT) is None


async def test_forget_asks_first_then_erases_everything(account: AccountService, storage: Storage) -> None:
    """Unconfirmed, nothing is erased; confirmed, the user and their subscriptions go; a second time, nothing
    was held."""
    await storage.subscribe(CHAT, "mirai", "en")

    assert await account.forget(CHAT, confirmed=False, lang="en") == account_views.forget_confirm("en")
    assert await storage.get_user(CHAT) is not None
    assert await account.forget(CHAT, confirmed=True, lang="en") == account_views.forgotten(True, "en")
    assert await storage.get_user(CHAT) is None
    assert await storage.subscribers("mirai") == []
    assert await account.forget(CHAT, confirmed=True, lang="en") == account_views.forgotten(False, "en")


def test_privacy_states_the_retention(account: AccountService) -> None:
    """The privacy notice is the core's, with the configured retention."""
    assert account.privacy("nl") == account_views.privacy(90, "nl")
