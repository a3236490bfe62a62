"""An entry's reply fits a phone: the answer with one source line, and its details and sources on request."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import markup
from bot.core.conversation import details_reply, entry_reply, respond_to, sources_reply, stale_button
from bot.core.i18n import t
from bot.core.knowledge import Entry, KnowledgeBase, Source
from bot.core.languages import LANGUAGES, Lang
from bot.core.views import Action, Reply, ShowDetails, ShowEntry, ShowMenu, ShowSources

PAGE = Source(title="Embassy page", url="https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html", as_of="2019-2020")
GUIDE = Source(title="JET guidelines", url="https://jetprogramme.org/guide", as_of="2016")
BOOK = Source(title="A printed leaflet", as_of="2015")


def text(prefix: str) -> dict[str, str]:
    return {lang: f"{prefix} ({lang})" for lang in LANGUAGES}


def make_entry(entry_id: str, **changes: Any) -> Entry:
    data: dict[str, Any] = {
        "id": entry_id,
        "title": text(f"Title {entry_id}"),
        "answer": text(f"Answer {entry_id}"),
        "questions": {lang: [f"q {lang} {entry_id}"] for lang in LANGUAGES},
    }
    data.update(changes)
    return Entry.model_validate(data)


LONG = make_entry("x.long", details=text("The rest"), sources=[PAGE, GUIDE, BOOK], related=["x.short"])
SHORT = make_entry("x.short", sources=[PAGE])
BARE = make_entry("x.bare")
KNOWLEDGE = KnowledgeBase(entries=(LONG, SHORT, BARE), programmes=())


def shown(reply: Reply) -> str:
    return markup.shown(reply.text)


def actions(reply: Reply) -> list[Action | object]:
    return [button.action for row in reply.buttons for button in row]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_answer_shows_only_its_main_source_and_offers_details_and_sources(lang: Lang) -> None:
    """Under the answer: one source line (the first source, with its year); the others and the details behind
    buttons on one row, above the related topics and the menu."""
    reply = entry_reply(KNOWLEDGE, LONG, lang)

    assert shown(reply).endswith(t(lang, "Source: {source} ({as_of})", source="Embassy page", as_of="2019-2020"))
    assert "JET guidelines" not in reply.text
    assert "leaflet" not in reply.text
    assert "The rest" not in reply.text
    assert [[b.label for b in row] for row in reply.buttons] == [
        [t(lang, "More details"), t(lang, "Sources ({count})", count=3)],
        [SHORT.title[lang]],
        [t(lang, "◀ Main menu")],
    ]
    assert actions(reply) == [ShowDetails("x.long"), ShowSources("x.long"), ShowEntry("x.short"), ShowMenu(below=True)]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (SHORT, [ShowMenu(below=True)]),  # one source, shown in full: nothing more to list
        (BARE, [ShowMenu(below=True)]),
        (make_entry("x.sources", sources=[PAGE, GUIDE]), [ShowSources("x.sources"), ShowMenu(below=True)]),
        (make_entry("x.details", details=text("More")), [ShowDetails("x.details"), ShowMenu(below=True)]),
    ],
)
def test_the_buttons_appear_only_when_there_is_more(entry: Entry, expected: list[Action]) -> None:
    """'More details' needs details, 'Sources' needs more than the one source already shown."""
    assert actions(entry_reply(KNOWLEDGE, entry, "en")) == expected


def test_an_entry_without_sources_has_no_source_line() -> None:
    """No source, no 'Source:' line (small talk, the bot's own entries)."""
    assert "Source" not in entry_reply(KNOWLEDGE, BARE, "en").text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_details_show_under_the_title_with_the_same_main_source(lang: Lang) -> None:
    """The details reply: the title, the detail text in the language, the main source line; then Sources."""
    reply = details_reply(KNOWLEDGE, LONG, lang)

    assert shown(reply).split("\n\n") == [
        t(lang, "**{title}** (more details)", title=LONG.title[lang]).replace("**", ""),
        f"The rest ({lang})",
        t(lang, "Source: {source} ({as_of})", source="Embassy page", as_of="2019-2020"),
    ]
    assert actions(reply) == [ShowSources("x.long"), ShowMenu(below=True)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sources_list_every_source_with_its_year_and_link(lang: Lang) -> None:
    """The sources reply lists each source, main one first, with its year, linked when it has an address."""
    reply = sources_reply(KNOWLEDGE, LONG, lang)

    lines = reply.text.split("\n")
    assert lines[0] == t(lang, "**{title}** (sources)", title=LONG.title[lang])
    assert lines[1:] == [
        "- [Embassy page](https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html) (2019-2020)",
        "- [JET guidelines](https://jetprogramme.org/guide) (2016)",
        "- A printed leaflet (2015)",
    ]
    assert '<a href="https://jetprogramme.org/guide">JET guidelines</a>' in markup.to_html(reply.text)
    assert actions(reply) == [ShowDetails("x.long"), ShowMenu(below=True)]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (ShowDetails("x.long"), details_reply(KNOWLEDGE, LONG, "en")),
        (ShowSources("x.long"), sources_reply(KNOWLEDGE, LONG, "en")),
        # An entry gone since the button was sent, or one that has no details or sources (any more).
        (ShowDetails("x.removed"), stale_button(KNOWLEDGE, "en")),
        (ShowSources("x.removed"), stale_button(KNOWLEDGE, "en")),
        (ShowDetails("x.short"), stale_button(KNOWLEDGE, "en")),
        (ShowSources("x.bare"), stale_button(KNOWLEDGE, "en")),
    ],
)
def test_a_tap_shows_details_or_sources_or_says_the_button_is_out_of_date(action: Action, expected: Reply) -> None:
    """A 'More details' or 'Sources' button opens its reply; one for an entry without them is out of date."""
    assert respond_to(KNOWLEDGE, action, "en") == expected


UNDATED = Source.model_validate(
    {"title": "JET site", "as_of": {"en": "undated page", "fr": "page non datée", "nl": "pagina zonder datum"}}
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_source_date_in_words_is_shown_in_the_answers_language(lang: Lang) -> None:
    """ "undated page" is not left in English under a French or Dutch answer, neither on the answer's source
    line nor in the list of sources."""
    entry = make_entry("x.undated", sources=[UNDATED, PAGE])

    answer, sources = entry_reply(KNOWLEDGE, entry, lang), sources_reply(KNOWLEDGE, entry, lang)

    assert shown(answer).endswith(UNDATED.as_of_in(lang) + ")")
    assert f"({UNDATED.as_of_in(lang)})" in shown(sources)
    assert {"en": "undated page", "fr": "page non datée", "nl": "pagina zonder datum"}[lang] in shown(answer)
