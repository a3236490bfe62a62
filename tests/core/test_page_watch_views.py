"""What staff and subscribers read when the embassy's page changes."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import LANGUAGES, Lang
from bot.core.markup import to_plain
from bot.core.page_watch import PageDiff
from bot.core.page_watch_views import page_change_notice, programme_names, quoted, staff_change_message
from bot.core.views import ConfirmPageChange, ShowMenu, Unsubscribe

URL = "https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html"
DIFF = PageDiff(removed=("Further details will appear on this page.",), added=("- MIRAI 2027: **apply** by 1 March",))


def test_quoted_page_text_is_never_read_as_markup() -> None:
    """A quoted line cannot start a list or turn bold, whatever the page says."""
    assert to_plain(quoted("- MIRAI 2027: **apply** by 1 March")) == "“- MIRAI 2027: *\u200b*apply*\u200b* by 1 March”"


def test_staff_message_shows_the_diff_who_it_concerns_and_the_button() -> None:
    reply = staff_change_message(7, URL, PageDiff(DIFF.removed, DIFF.added, omitted=2), ("mirai",), 12)
    lines = reply.text.splitlines()
    assert lines[:3] == ["🔎 **The embassy's page has changed**", URL, ""]
    assert lines[3:7] == ["Added:", quoted(DIFF.added[0]), "Removed:", quoted(DIFF.removed[0])]
    assert "(and 2 more changed lines)" in lines
    assert lines[-1].startswith("Concerns: mirai (12 subscribers now). Nobody is told until you press")
    assert [[b.label for b in row] for row in reply.buttons] == [["Tell subscribers"]]
    assert reply.buttons[0][0].action == ConfirmPageChange(7)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notice_in_the_subscribers_language_with_the_link_and_the_quoted_lines(engine: Engine, lang: Lang) -> None:
    """The notice's own words are in the subscriber's language; the page's lines are quoted as published."""
    knowledge = engine.snapshot.knowledge
    reply = page_change_notice(knowledge, URL, DIFF, ("mirai",), lang)
    lines = reply.text.splitlines()
    assert lines[0] == t(lang, "🔎 **The embassy's Exchange Programs page has changed**")
    assert URL in lines[1]
    assert "MIRAI" in lines[1]
    assert quoted(DIFF.added[0]) in lines
    assert quoted(DIFF.removed[0]) in lines
    assert t(lang, "Added:") in lines
    actions = [button.action for row in reply.buttons for button in row]
    assert actions == [Unsubscribe("mirai"), ShowMenu(below=True)]
    if lang != "en":
        assert lines[0] != t("en", "🔎 **The embassy's Exchange Programs page has changed**")


def test_notice_about_both_programmes_offers_to_unsubscribe_from_each(engine: Engine) -> None:
    reply = page_change_notice(engine.snapshot.knowledge, URL, DIFF, ("jet", "mirai"), "fr")
    labels = [button.label for row in reply.buttons for button in row]
    assert labels[:2] == ["🔕 Se désabonner : Programme JET", "🔕 Se désabonner : MIRAI"]
    assert [row[0].action for row in reply.buttons[:2]] == [Unsubscribe("jet"), Unsubscribe("mirai")]


def test_programme_names_come_from_the_knowledge_base(engine: Engine) -> None:
    names = programme_names(engine.snapshot.knowledge)
    assert names["mirai"] == ("MIRAI",)
    assert "JET Programme" in names["jet"]
