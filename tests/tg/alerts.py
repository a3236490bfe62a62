"""Helpers for the alert suites: knowledge with application windows, a sender that crashes, waiting."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.core.languages import Lang
from bot.core.views import Reply
from bot.services.delivery import SendOutcome
from bot.storage import Storage
from bot.tg.sender import TelegramSender
from tests.conftest import KNOWLEDGE_DIR


@dataclass(frozen=True)
class Win:
    """An application window as staff write it in a programme's file."""

    id: str
    opens: datetime | date
    closes: datetime | date
    title: dict[str, str] | None = None

    def yaml(self) -> str:
        lines = [f"  - id: {self.id}", f"    opens: {self.opens.isoformat()}", f"    closes: {self.closes.isoformat()}"]
        if self.title:
            lines.append("    title:")
            lines.extend(f"      {lang}: {text}" for lang, text in self.title.items())
        return "\n".join(lines) + "\n"


def write_knowledge(directory: Path, *windows: Win, broken: bool = False) -> Path:
    """The shipped knowledge base copied to ``directory`` (once), its mirai.yaml listing ``windows``;
    ``broken`` adds a window that closes before it opens, which the loader must refuse."""
    if not directory.exists():
        shutil.copytree(KNOWLEDGE_DIR, directory)
    source = (KNOWLEDGE_DIR / "mirai.yaml").read_text(encoding="utf-8")
    assert "\nwindows:" not in source, "the shipped mirai.yaml has windows now: these fixtures would clash"
    if broken:
        windows = (*windows, Win("backwards", date(2030, 5, 1), date(2030, 4, 1)))
    block = "\nwindows:\n" + "".join(window.yaml() for window in windows) if windows else ""
    (directory / "mirai.yaml").write_text(source.rstrip("\n") + "\n" + block, encoding="utf-8")
    return directory


async def add_subscribers(storage: Storage, chat_ids: Iterable[int]) -> dict[int, Lang]:
    """Subscribe these chats to MIRAI, in English, French and Dutch in turn; their languages."""
    languages: dict[int, Lang] = {}
    for index, chat_id in enumerate(chat_ids):
        lang = LANGS[index % len(LANGS)]
        await storage.subscribe(chat_id, "mirai")
        await storage.set_language(chat_id, lang)
        languages[chat_id] = lang
    return languages


async def until(event: asyncio.Event, what: str, seconds: float = 10) -> None:
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds}s waiting until {what}") from None


class CrashingSender:
    """Sends ``healthy`` alerts; lets ``in_flight`` more reach Telegram without returning (the process dies before
    recording them); hangs on every later one before sending, as a dead process would. ``stalled`` is set once
    ``stall_at`` sends hang, when nothing else can move."""

    def __init__(self, inner: TelegramSender, *, healthy: int, in_flight: int, stall_at: int) -> None:
        self.inner = inner
        self.healthy = healthy
        self.in_flight = in_flight
        self.stall_at = stall_at
        self.started = 0
        self.hanging = 0
        self.unrecorded: list[int] = []
        self.stalled = asyncio.Event()

    async def send(self, chat_id: int, reply: Reply, lang: Lang) -> SendOutcome:
        self.started += 1
        if self.started <= self.healthy:
            return await self.inner.send(chat_id, reply, lang)
        if self.started <= self.healthy + self.in_flight:
            assert await self.inner.send(chat_id, reply, lang) is SendOutcome.SENT
            self.unrecorded.append(chat_id)
        self.hanging += 1
        if self.hanging == self.stall_at:
            self.stalled.set()
        await asyncio.get_running_loop().create_future()  # never done: cancelled with the "process"
        raise AssertionError("unreachable")


LANGS: tuple[Lang, ...] = ("en", "fr", "nl")
