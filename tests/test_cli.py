"""The command line: ask, eval and check-knowledge, as staff and scripts use them."""

import json
from pathlib import Path

import pytest

from bot.cli import main

HOLDOUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "holdout-questions.yaml"


def test_ask_json_prints_one_object_with_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """`ask --json` prints id, score, lang and suggestions for a matched question."""
    assert main(["ask", "what is the minimum age for MIRAI", "--json"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["id"] == "mirai.age"
    assert printed["score"] >= 0
    assert printed["lang"] == "en"
    assert printed["suggestions"] == []


def test_ask_json_gives_null_id_for_the_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    """An unrelated question prints "id": null."""
    main(["ask", "recipe for chocolate cake", "--json"])

    assert json.loads(capsys.readouterr().out)["id"] is None


def test_ask_without_json_shows_the_answer_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    """Plain `ask` shows the reply a student would read, with its source year."""
    main(["ask", "quel age pour mirai"])

    out = capsys.readouterr().out
    assert "MIRAI" in out
    assert "2019-2020" in out


def test_eval_json_ends_with_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """`eval --json` prints a report and, last, one JSON object with total, correct and accuracy."""
    assert main(["eval", str(HOLDOUT), "--json"]) == 0

    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["total"] == 240
    assert last["correct"] == round(last["accuracy"] * last["total"])
    assert set(last["accuracy_by_lang"]) == {"en", "fr", "nl"}


def test_check_knowledge_passes_on_the_shipped_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped knowledge base is valid."""
    assert main(["check-knowledge", "knowledge"]) == 0
    assert capsys.readouterr().out.startswith("OK:")


def test_check_knowledge_fails_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken knowledge base exits non-zero and names the file and line of the problem."""
    (tmp_path / "general.yaml").write_text("entries:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")

    assert main(["check-knowledge", str(tmp_path)]) == 1
    assert "general.yaml:3" in capsys.readouterr().err


def test_eval_reports_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A question file that is not a list is refused with a clear error."""
    bad = tmp_path / "q.yaml"
    bad.write_text("q: only one\n", encoding="utf-8")

    assert main(["eval", str(bad)]) == 2
    assert "expected a list" in capsys.readouterr().err


def test_reload_signals_the_running_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`reload` validates the knowledge base, then sends SIGHUP to the bot named in the pid file."""
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data))
    stand_in = subprocess.Popen(  # a stand-in for the bot: it reports the signal and exits
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGHUP, lambda *_: (print('reloading', flush=True), sys.exit(0)))\n"
            "print('ready', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stand_in.stdout is not None
        assert stand_in.stdout.readline().strip() == "ready"
        (data / "bot.pid").write_text(f"{stand_in.pid}\n", encoding="ascii")

        assert main(["reload"]) == 0

        assert stand_in.stdout.readline().strip() == "reloading"
        assert "is reloading it" in capsys.readouterr().out
    finally:
        stand_in.kill()
        stand_in.communicate()


def test_reload_without_a_running_bot_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """With no pid file, `reload` explains that no bot runs and that the knowledge base is valid."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    assert main(["reload"]) == 2
    assert "no running bot found" in capsys.readouterr().err
