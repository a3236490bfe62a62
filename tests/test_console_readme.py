"""Every `python -m bot SUBCOMMAND …` example of the README runs and exits 0, as a reader would type it.

The examples are read from the README's code blocks, so a new or changed example is covered without editing
this file. Bare `python -m bot` (run the bot) is left out: without a token it starts the console chat only in
a terminal, which tests/test_console.py covers through the same entry point.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_examples() -> list[list[str]]:
    examples = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("    ") or not line.strip().startswith("python -m bot "):  # a code line: an example
            continue
        words = shlex.split(line.strip(), comments=True)
        if words[:3] == ["python", "-m", "bot"] and len(words) > 3:
            examples.append(words[3:])
    return examples


EXAMPLES = readme_examples()


def test_the_readme_has_examples() -> None:
    assert any(example[0] == "chat" for example in EXAMPLES)
    assert any(example[0] == "eval" for example in EXAMPLES)


@pytest.mark.parametrize("arguments", EXAMPLES, ids=[" ".join(example)[:40] for example in EXAMPLES])
def test_a_readme_example_exits_zero(arguments: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "WATCH_URL": "", "TELEGRAM_BOT_TOKEN": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,  # `chat` reads to the end of input and stops
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, f"python -m bot {shlex.join(arguments)} exited {done.returncode}:\n{done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr
