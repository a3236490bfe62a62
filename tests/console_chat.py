"""Driving the console chat in a test: what is typed, and the replies and buttons it prints."""

from __future__ import annotations

import io
import re
import sys

import pytest

from bot.cli import main


def typed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *lines: str, **env: str) -> str:
    """Run `python -m bot chat` on these lines (piped, as from a file) and return what it printed."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # no app language, unless a test sets one
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert main(["chat"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out


def replies(out: str) -> list[str]:
    """The bot's messages, in order, as printed."""
    return [block.strip() for block in re.split(r"\n\n(?=bot> )", "\n\n" + out) if block.startswith("bot> ")]


def buttons(block: str) -> dict[str, int]:
    """A printed message's buttons: label -> the number to type."""
    return {label.strip(): int(number) for number, label in re.findall(r"\[(\d+)\] ([^\[\n]+)", block)}
