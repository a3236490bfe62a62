"""Answers that fit a phone, end to end through the fake Bot API: a long answer's first message fits one screen,
"More details" and "Sources" send the rest below it, and a button of an entry that is gone says so."""

from __future__ import annotations

import pytest

from bot.core import markup
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.knowledge import FIRST_SCREEN_CHARS
from bot.core.languages import Lang
from bot.core.views import ShowDetails, ShowSources
from bot.tg.callback_data import pack
from tests.fake_bot_api import FakeBotApi
from tests.tg.chat import OUT_OF_DATE, USER, App, ask, knowledge_of, next_seen, tap

SOURCE_WORD = {"en": "Source:", "fr": "Source :", "nl": "Bron:"}
WHAT_IS_MIRAI = {"en": "what is mirai?", "fr": "c'est quoi mirai ?", "nl": "wat is mirai?"}

pytestmark = pytest.mark.usefixtures("bot_logs")  # no bot warning and no token in any log here


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_a_long_answer_fits_one_screen_and_more_details_sends_the_rest(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang
) -> None:
    """'What is MIRAI?' (the longest answer before) comes as one screen with one source line; "More details" sends
    the detail text below it, under the same source line, and leaves the answer as it was."""
    entry = knowledge_of(engine).entry("mirai.about")
    assert entry.details is not None
    source_line = t(
        lang, "Source: {source} ({as_of})", source=entry.sources[0].title, as_of=entry.sources[0].as_of_in(lang)
    )

    answer = await ask(fake_api, WHAT_IS_MIRAI[lang], lang=lang)

    assert answer.bold[0] == entry.title[lang]
    before_source = answer.text.removeprefix(entry.title[lang]).split(source_line)[0].strip()
    assert before_source == markup.shown(entry.answer[lang].strip())
    assert len(before_source) <= FIRST_SCREEN_CHARS
    assert answer.text.endswith(source_line)
    assert answer.text.count(SOURCE_WORD[lang]) == 1
    assert answer.buttons[0] == [
        (t(lang, "More details"), "i|mirai.about"),
        (t(lang, "Sources ({count})", count=len(entry.sources)), "r|mirai.about"),
    ]

    details = await tap(fake_api, answer, t(lang, "More details"), lang=lang)

    assert details.method == "sendMessage"
    assert details.message["message_id"] != answer.message["message_id"]
    heading = t(lang, "**{title}** (more details)", title=entry.title[lang]).replace("**", "")
    assert details.text == "\n\n".join([heading, markup.shown(entry.details[lang].strip()), source_line])
    assert details.labels == [t(lang, "Sources ({count})", count=len(entry.sources)), t(lang, "◀ Main menu")]
    assert not [call for call in fake_api.calls if call.method == "editMessageText"]


@pytest.mark.parametrize("lang", ["en", "nl"])
async def test_the_sources_button_lists_every_source_with_its_year_and_link(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang
) -> None:
    """ "Sources" sends every source of the entry, main one first, each with its year and a link to its page."""
    entry = knowledge_of(engine).entry("mirai.about")
    answer = await ask(fake_api, WHAT_IS_MIRAI[lang], lang=lang)

    listed = await tap(fake_api, answer, t(lang, "Sources ({count})", count=len(entry.sources)), lang=lang)

    assert listed.method == "sendMessage"
    lines = listed.text.split("\n")
    assert lines[0] == t(lang, "**{title}** (sources)", title=entry.title[lang]).replace("**", "")
    assert lines[1:] == [f"• {s.title} ({s.as_of_in(lang)})" for s in entry.sources]
    links = [e["url"] for e in listed.entities if e["type"] == "text_link"]
    assert links == [s.url for s in entry.sources]
    assert listed.labels == [t(lang, "More details"), t(lang, "◀ Main menu")]


async def test_the_details_message_offers_the_sources_too(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """From the details, "Sources" lists the same sources: the two buttons lead to each other."""
    entry = knowledge_of(engine).entry("jet.belgian_eligibility")
    answer = await ask(fake_api, "/start jet-belgian_eligibility")
    details = await tap(fake_api, answer, "More details")

    listed = await tap(fake_api, details, f"Sources ({len(entry.sources)})")

    assert listed.text.split("\n")[1:] == [f"• {s.title} ({s.as_of_in('en')})" for s in entry.sources]


@pytest.mark.parametrize("action", [ShowDetails("mirai.visa_fees"), ShowSources("mirai.visa_fees")])
async def test_a_details_or_sources_button_of_an_entry_that_is_gone_is_out_of_date(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, action: ShowDetails | ShowSources
) -> None:
    """A "More details" or "Sources" button whose entry no longer exists gets the stale-button reply in place."""
    data = pack(action, "nl")
    old_answer = {
        "message_id": 900,
        "chat": {"id": USER, "type": "private", "first_name": "Ana"},
        "text": "MIRAI: visa fees\n\n...",
        "reply_markup": {"inline_keyboard": [[{"text": "Meer details", "callback_data": data}]]},
    }
    fake_api.send_callback(data, old_answer, user_id=USER, language_code="nl")

    seen = await next_seen(fake_api, USER)

    assert seen.method == "editMessageText"
    assert seen.message["message_id"] == 900
    assert seen.text == "Deze knop is niet meer actueel. Hier is het menu opnieuw."
    assert [p.name["nl"] for p in knowledge_of(engine).programmes] == seen.labels[:2]  # the main menu again


async def test_more_details_of_an_entry_that_has_none_left_is_out_of_date_below_the_answer(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """After a reload that moved an entry's details back into its answer, its old "More details" button says it
    is out of date in a new message, so the answer it sits under stays readable."""
    assert knowledge_of(engine).entry("mirai.age").details is None
    answer = await ask(fake_api, "/start mirai-age")
    fake_api.send_callback("i|mirai.age|en", answer.message, user_id=USER, language_code="en")

    seen = await next_seen(fake_api, USER)

    assert seen.method == "sendMessage"
    assert seen.text == OUT_OF_DATE
    assert not [call for call in fake_api.calls if call.method == "editMessageText"]
