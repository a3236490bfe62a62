"""The console chat has "More details" and "Sources" too: it runs the same Application, so a typed number does
what a tap does on Telegram."""

from __future__ import annotations

from bot.core import markup
from bot.core.engine import Engine
from tests.console_chat import buttons, replies, typed


def test_more_details_and_sources_at_the_console(monkeypatch, capsys, engine: Engine) -> None:
    """'what is mirai?' shows the short answer with its two buttons; their numbers print the details, then the list
    of every source with its year."""
    entry = engine.snapshot.knowledge.entry("mirai.about")
    assert entry.details is not None

    out = typed(monkeypatch, capsys, "what is mirai?", "1", "1")
    answer, details, sources = replies(out)[-3:]

    assert buttons(answer)["More details"] == 1
    assert buttons(answer)[f"Sources ({len(entry.sources)})"] == 2
    assert markup.to_plain(entry.details["en"]).split("\n")[0] in details
    assert details.startswith("bot> What is MIRAI? (more details)")
    assert buttons(details) == {f"Sources ({len(entry.sources)})": 1, "◀ Main menu": 2}
    assert sources.startswith("bot> What is MIRAI? (sources)")
    for source in entry.sources:
        assert f"{source.title} ({source.url}) ({source.as_of_in('en')})" in sources
