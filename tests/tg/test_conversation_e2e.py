"""End to end: the real Application polls the fake Bot API server over HTTP, as it would poll Telegram.

Each test plays a user (messages, commands, button taps) and checks what that user would see: the text of the
bot's messages as Telegram shows them once it has parsed the HTML, and their buttons.
"""

from __future__ import annotations

import html
import logging

import pytest

from bot.app import build_application
from bot.core import markup
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.languages import Lang
from bot.core.matching import Suggestions
from bot.logs import RedactTokens
from tests.conftest import polling, settings_for
from tests.fake_bot_api import BOT_USERNAME, FakeBotApi, parse_html
from tests.tg.chat import (
    GROUP,
    HELP,
    JSON,
    MAIN_MENU,
    OUT_OF_DATE,
    UNKNOWN_COMMAND,
    USER,
    App,
    Seen,
    ask,
    assert_ignored,
    knowledge_of,
    next_seen,
    tap,
)

pytestmark = pytest.mark.usefixtures("bot_logs")  # no bot warning or error, and no token, in any log here
CHANNEL = -100987654321
REALISTIC_TOKEN = "7012345678:AAHf3kQ9xZ-bV2mN8pL4rT6yU1wE0sD5cGh"  # a made-up token shaped like Telegram's

WELCOME = {"en": "Welcome!", "fr": "Bienvenue !", "nl": "Welkom!"}
CHOOSE_TOPIC = {"en": "Choose a topic:", "fr": "Choisissez un sujet :", "nl": "Kies een onderwerp:"}
DONT_KNOW = {"en": "Sorry, I don't know", "fr": "Désolé, je ne connais pas", "nl": "Sorry, daar weet ik"}
DID_YOU_MEAN = "Did you mean one of these?"
ONLY_TEXT = "I can only read text messages."
IN_WORDS = "Please ask your question in words"


# ------------------------------------------------------------------------------------------------ helpers


def assert_in_language(seen: Seen, knowledge: KnowledgeBase, lang: Lang) -> None:
    """Every button is labelled in ``lang``, and a bold title, if any, is an entry's title in ``lang``."""
    for label, data in (button for row in seen.buttons for button in row):
        kind, _, target = data.partition("|")
        if kind == "e":
            entry = knowledge.entry(target.partition("|")[0])
            # A "MIRAI or JET?" reply (entries sharing a theme) labels each entry with its programme's name.
            programme = knowledge.programme(entry.programme) if entry.theme and entry.programme else None
            names = {programme.name[lang]} if programme is not None else set()
            assert label in {entry.title[lang], *names}, (label, lang)
        elif kind == "i":
            assert knowledge.entry(target).details is not None
            assert label == t(lang, "More details"), (label, lang)
        elif kind == "r":
            assert label == t(lang, "Sources ({count})", count=len(knowledge.entry(target).sources)), (label, lang)
        elif kind == "p":
            programme = knowledge.programme(target)
            assert programme is not None
            assert label == programme.name[lang], (label, lang)
        else:
            assert label == MAIN_MENU[lang], (label, lang)
    titles = {other: {e.title[other] for e in knowledge.entries} for other in ("en", "fr", "nl")}
    if seen.bold and any(seen.bold[0] in titles[other] for other in titles):
        assert seen.bold[0] in titles[lang], (seen.bold[0], lang)


def raw_message(api: FakeBotApi, content: JSON, *, chat: JSON | None = None, lang: str | None = "en") -> JSON:
    """A message (not text) from the test user, ready for ``send_update``."""
    user = api.make_user(USER)
    if lang is not None:
        user["language_code"] = lang
    return {"from": user, "chat": chat or {"id": USER, "type": "private", "first_name": "Ana"}, **content}


def programme_menu_labels(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> list[str]:
    quiz = [t(lang, "✅ Check my eligibility")] if knowledge.quiz(programme_id) else []
    return quiz + [e.title[lang] for e in knowledge.topics_of(programme_id)] + [MAIN_MENU[lang]]


def main_menu_labels(knowledge: KnowledgeBase, lang: Lang) -> list[str]:
    quiz = [t(lang, "✅ Check my eligibility")] if knowledge.quizzes else []
    programmes = [p.name[lang] for p in knowledge.programmes]
    # The quiz is offered once: the entry describing it is not a second button beside "Check my eligibility".
    general = [e for e in knowledge.topics_of(None) if not (quiz and e.id == "bot.eligibility_quiz")]
    return programmes + quiz + [e.title[lang] for e in general]


def assert_shows_entry(seen: Seen, knowledge: KnowledgeBase, entry: Entry, lang: Lang) -> None:
    """The entry's answer: its title in bold first, the answer in ``lang``, its main source with its year on one
    line, then "More details" and "Sources" when there is more, related topics and the menu."""
    title = entry.title[lang]
    if entry.kind == "smalltalk":  # a greeting is not shown under a bold "Hello" title
        assert not seen.text.startswith(title + "\n")
    else:
        assert seen.html.startswith(f"<b>{html.escape(title, quote=False)}</b>\n"), seen.html[:200]
        assert seen.text.startswith(title + "\n")
        assert seen.bold[0] == title
    first_line = entry.answer[lang].strip().split("\n")[0]
    assert parse_html(markup.to_html(first_line))[0] in seen.text
    lines = seen.text.split("\n")
    # One source line, the main one; the others are behind the "Sources" button.
    source_lines = [line for line in lines if any(source.title in line for source in entry.sources)]
    if entry.sources:
        main = entry.sources[0]
        assert source_lines == [line for line in lines if main.title in line and main.as_of_in(lang) in line], seen.text
        assert len(source_lines) == 1, seen.text
    more = [(t(lang, "More details"), f"i|{entry.id}")] if entry.details is not None else []
    if len(entry.sources) > 1:
        more.append((t(lang, "Sources ({count})", count=len(entry.sources)), f"r|{entry.id}"))
    related = [knowledge.by_id[r] for r in entry.related if r in knowledge.by_id][:3]
    expected = more + [(r.title[lang], f"e|{r.id}") for r in related]
    if entry.kind != "smalltalk":
        expected.append((MAIN_MENU[lang], "M"))
    assert [button for row in seen.buttons for button in row][: len(expected)] == expected


# ----------------------------------------------------------------------------------------- start, menus


@pytest.mark.parametrize(
    ("language_code", "lang"),
    [("en", "en"), ("fr", "fr"), ("fr-BE", "fr"), ("nl", "nl"), ("nl-BE", "nl"), ("de", "en"), (None, "en")],
)
async def test_start_greets_in_the_telegram_language(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, language_code: str | None, lang: Lang
) -> None:
    """/start greets in the user's Telegram language (English for any other or none) with the programme buttons."""
    seen = await ask(fake_api, "/start", lang=language_code)
    assert seen.text.startswith(WELCOME[lang])
    assert seen.bold[0] == WELCOME[lang]
    knowledge = knowledge_of(engine)
    assert seen.labels == main_menu_labels(knowledge, lang)
    assert seen.buttons[0] == [(p.name[lang], f"p|{p.id}") for p in knowledge.programmes]


@pytest.mark.parametrize(("lang", "programme_id"), [("en", "mirai"), ("fr", "jet"), ("nl", "jet")])
async def test_programme_button_opens_its_topics_and_main_menu_goes_back(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang, programme_id: str
) -> None:
    """A programme button turns the menu message into that programme's topics; "◀ Main menu" turns it back."""
    knowledge = knowledge_of(engine)
    programme = knowledge.programme(programme_id)
    assert programme is not None
    welcome = await ask(fake_api, "/start", lang=lang)

    topics = await tap(fake_api, welcome, programme.name[lang], lang=lang)
    assert topics.method == "editMessageText"
    assert topics.message["message_id"] == welcome.message["message_id"]
    assert topics.text.split("\n")[:2] == [programme.name[lang], programme.summary[lang]]
    assert topics.bold[0] == programme.name[lang]
    assert topics.text.endswith(CHOOSE_TOPIC[lang])
    assert topics.labels == programme_menu_labels(knowledge, programme_id, lang)
    assert all(len(row) <= 2 for row in topics.buttons)

    back = await tap(fake_api, topics, MAIN_MENU[lang], lang=lang)
    assert back.method == "editMessageText"
    assert back.message["message_id"] == welcome.message["message_id"]
    assert (back.text, back.buttons) == (welcome.text, welcome.buttons)


async def test_topic_button_answers_in_a_new_message(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """A topic button in a programme menu sends the answer as a new message and leaves the menu in place."""
    knowledge = knowledge_of(engine)
    welcome = await ask(fake_api, "/start")
    topics = await tap(fake_api, welcome, "MIRAI")
    entry = knowledge.entry("mirai.age")
    answer = await tap(fake_api, topics, entry.title["en"])
    assert answer.method == "sendMessage"
    assert_shows_entry(answer, knowledge, entry, "en")
    menu = fake_api.message(USER, topics.message["message_id"])
    assert menu is not None
    assert menu["text"] == topics.text, "the menu stays"


async def test_set_my_commands_in_each_language(fake_api: FakeBotApi, running_bot: App) -> None:
    """At start-up the bot registers its commands for the default language and for French and Dutch."""
    # run_polling and run_webhook call post_init after initialize(); the running_bot fixture only initializes.
    assert running_bot.post_init is not None
    await running_bot.post_init(running_bot)
    await fake_api.wait_for_call("setMyCommands", lambda c: c.ok, count=3)
    by_language = {
        call.params.get("language_code"): call.params["commands"] for call in fake_api.calls_to("setMyCommands")
    }
    assert set(by_language) == {None, "fr", "nl"}
    for commands in by_language.values():
        assert [c["command"] for c in commands] == [
            "start",
            "eligible",
            "subscribe",
            "deadlines",
            "language",
            "privacy",
            "help",
        ]
    assert by_language[None][0]["description"] == "Main menu"
    assert by_language["fr"][0]["description"] == "Menu principal"
    assert by_language["nl"][0]["description"] == "Hoofdmenu"


async def test_debug_logs_are_redacted(caplog: pytest.LogCaptureFixture, engine: Engine) -> None:
    """With LOG_LEVEL=DEBUG the production log handler shows no token, though the library logs its URLs with it."""
    redact = RedactTokens()  # what setup_logging puts on the production handler
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(redact)
    try:
        async with FakeBotApi(token=REALISTIC_TOKEN) as api, polling(build_application(settings_for(api), engine)):
            assert (await ask(api, "/start")).text.startswith(WELCOME["en"])
    finally:
        caplog.handler.removeFilter(redact)
    logged = "\n".join(logging.Formatter("%(name)s %(message)s").format(r) for r in caplog.records)
    assert "<token>" in logged, "python-telegram-bot no longer logs its URL: this test proves nothing"
    assert REALISTIC_TOKEN not in logged
    assert REALISTIC_TOKEN.split(":")[1] not in logged


async def test_help_explains_and_offers_the_menu(fake_api: FakeBotApi, running_bot: App) -> None:
    """/help says how to use the bot and has a button back to the main menu."""
    seen = await ask(fake_api, "/help", lang="nl")
    assert seen.bold[0] == "Zo gebruik je deze bot"
    assert "/start" in seen.text
    assert seen.buttons == [[(MAIN_MENU["nl"], "M")]]


# ----------------------------------------------------------------------------------------- deep links


@pytest.mark.parametrize(
    ("payload", "opens"),
    [
        ("mirai", "programme:mirai"),
        ("jet", "programme:jet"),
        ("MIRAI", "programme:mirai"),
        ("mirai.age", "entry:mirai.age"),
        ("mirai-age", "entry:mirai.age"),
        ("jet-cir", "entry:jet.cir"),
        ("erasmus", "welcome"),
        ("mirai.no_such_topic", "welcome"),
        ("redirect-visa", "welcome"),  # deep links open knowledge, not redirects
        ("mirai " * 50, "welcome"),  # 300 characters
        ("m" * 300, "welcome"),
    ],
)
async def test_deep_link(fake_api: FakeBotApi, running_bot: App, engine: Engine, payload: str, opens: str) -> None:
    """/start with a payload opens the programme or entry it names; anything else gets the normal welcome."""
    knowledge = knowledge_of(engine)
    seen = await ask(fake_api, f"/start {payload}")
    kind, _, target = opens.partition(":")
    if kind == "programme":
        programme = knowledge.programme(target)
        assert programme is not None
        assert seen.bold[0] == programme.name["en"]
        assert seen.labels == programme_menu_labels(knowledge, target, "en")
    elif kind == "entry":
        assert_shows_entry(seen, knowledge, knowledge.entry(target), "en")
    else:
        assert seen.text.startswith(WELCOME["en"])
        assert seen.labels == main_menu_labels(knowledge, "en")


# ----------------------------------------------------------------------------------------- questions


@pytest.mark.parametrize(
    ("question", "telegram_lang", "entry_id", "lang"),
    [
        ("does my passport need to be valid for the whole mirai trip", "en", "mirai.passport", "en"),
        ("how good does my english need to be for the mirai programme", "fr", "mirai.english", "en"),
        ("what does a coordinator for international relations do all day", None, "jet.cir", "en"),
        ("est-ce que mon passeport doit encore être valide pendant le séjour mirai", "fr", "mirai.passport", "fr"),
        ("faut-il un bon niveau d'anglais pour partir avec mirai", "en", "mirai.english", "fr"),
        ("que fait concrètement un coordinateur des relations internationales", "nl", "jet.cir", "fr"),
        ("moet mijn paspoort nog geldig zijn tijdens de mirai reis", "nl", "mirai.passport", "nl"),
        ("wat is het doel van het mirai programma", "en", "mirai.aims", "nl"),
        ("wat doet een CIR eigenlijk de hele dag", "fr", "jet.cir", "nl"),
    ],
)
async def test_question_gets_the_entry_in_its_own_language(
    fake_api: FakeBotApi,
    running_bot: App,
    engine: Engine,
    question: str,
    telegram_lang: str | None,
    entry_id: str,
    lang: Lang,
) -> None:
    """A clear question gets its entry: bold title, answer in the question's language, dated sources, related topics."""
    knowledge = knowledge_of(engine)
    entry = knowledge.entry(entry_id)
    seen = await ask(fake_api, question, lang=telegram_lang)
    assert seen.method == "sendMessage"
    assert_shows_entry(seen, knowledge, entry, lang)
    assert entry.sources, "pick an entry with sources"
    assert any(e["type"] == "text_link" for e in seen.entities), "the source title links to the source"


async def test_related_topic_button_shows_that_entry(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """Under an answer, a related-topic button sends that topic's answer as a new message."""
    knowledge = knowledge_of(engine)
    answer = await ask(fake_api, "faut-il un bon niveau d'anglais pour partir avec mirai", lang="fr")
    related = knowledge.entry(knowledge.entry("mirai.english").related[0])
    shown = await tap(fake_api, answer, related.title["fr"], lang="fr")
    assert shown.method == "sendMessage"
    assert_shows_entry(shown, knowledge, related, "fr")
    first = fake_api.message(USER, answer.message["message_id"])
    assert first is not None
    assert first["text"] == answer.text, "the answer stays"


async def test_vague_question_offers_did_you_mean(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """A vague question gets "did you mean" buttons, and tapping one shows that entry."""
    # Not "what about the programme": the two programmes' "about" entries share a theme, so that one is
    # asked "MIRAI or JET?" instead (tested with the programme choice).
    question = "information please about programmes"
    knowledge = knowledge_of(engine)
    result = engine.snapshot.matcher.match(question)
    assert isinstance(result, Suggestions), f"pick a vaguer question: the matcher says {result}"
    assert result.theme is None, f"pick a question that is not asked 'MIRAI or JET?': the matcher says {result}"
    seen = await ask(fake_api, question)
    assert DID_YOU_MEAN in seen.text
    assert seen.buttons == [[(c.entry.title["en"], f"e|{c.entry.id}")] for c in result.candidates]
    assert 2 <= len(seen.buttons) <= 3
    chosen = result.candidates[1].entry
    shown = await tap(fake_api, seen, chosen.title["en"])
    assert shown.method == "sendMessage"
    assert_shows_entry(shown, knowledge, chosen, "en")


@pytest.mark.parametrize(
    ("question", "telegram_lang", "lang"),
    [
        ("how do I bake a chocolate cake", "en", "en"),
        ("who won the football match yesterday", "fr", "en"),
        ("xkcd qwrtz plmokn", "fr", "fr"),
        ("xkcd qwrtz plmokn", "nl", "nl"),
        ("xkcd qwrtz plmokn", None, "en"),
    ],
)
async def test_out_of_scope_question_gets_an_honest_dont_know(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, question: str, telegram_lang: str, lang: Lang
) -> None:
    """An out-of-scope or gibberish question gets "I don't know" with the programmes and the contact as buttons."""
    knowledge = knowledge_of(engine)
    seen = await ask(fake_api, question, lang=telegram_lang)
    assert seen.text.startswith(DONT_KNOW[lang])
    contact = knowledge.entry("contact.embassy")
    assert seen.buttons == [
        [(p.name[lang], f"p|{p.id}") for p in knowledge.programmes],
        [(contact.title[lang], "e|contact.embassy")],
    ]


async def test_dont_know_contact_button_shows_the_contact(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """The contact button under "I don't know" sends the embassy's contact entry."""
    knowledge = knowledge_of(engine)
    contact = knowledge.entry("contact.embassy")
    seen = await ask(fake_api, "how do I bake a chocolate cake")
    shown = await tap(fake_api, seen, contact.title["en"])
    assert shown.method == "sendMessage"
    assert_shows_entry(shown, knowledge, contact, "en")


async def test_dont_know_programme_button_opens_its_menu(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """The programme button under "I don't know" turns that message into the programme's topic menu."""
    knowledge = knowledge_of(engine)
    seen = await ask(fake_api, "how do I bake a chocolate cake")
    menu = await tap(fake_api, seen, "MIRAI")
    assert menu.method == "editMessageText"
    assert menu.labels == programme_menu_labels(knowledge, "mirai", "en")


@pytest.mark.parametrize(
    ("question", "lang"),
    [("how do I get a tourist visa for japan", "en"), ("j'ai besoin d'un visa touristique pour aller au Japon", "fr")],
)
async def test_visa_question_is_redirected(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, question: str, lang: Lang
) -> None:
    """A tourist-visa question gets the visa redirect: where to ask instead, and the embassy contact."""
    knowledge = knowledge_of(engine)
    seen = await ask(fake_api, question)
    redirect = knowledge.entry("redirect.visa")
    assert_shows_entry(seen, knowledge, redirect, lang)
    assert "https://www.be.emb-japan.go.jp/itpr_en/consular_visa.html" in seen.text
    assert seen.labels[0] == knowledge.entry("contact.embassy").title[lang]


@pytest.mark.parametrize(
    ("text", "entry_id", "lang"),
    [
        ("hello", "smalltalk.greeting", "en"),
        ("good morning", "smalltalk.greeting", "en"),
        ("thank you so much", "smalltalk.thanks", "en"),
        ("merci beaucoup", "smalltalk.thanks", "fr"),
        ("dank je wel", "smalltalk.thanks", "nl"),
    ],
)
async def test_greetings_and_thanks_get_a_friendly_reply(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, text: str, entry_id: str, lang: Lang
) -> None:
    """Greetings and thanks get the small-talk reply in their language, without a menu button."""
    knowledge = knowledge_of(engine)
    seen = await ask(fake_api, text, lang=lang)
    entry = knowledge.entry(entry_id)
    assert_shows_entry(seen, knowledge, entry, lang)
    assert MAIN_MENU[lang] not in seen.labels


# ----------------------------------------------------------------------------------------- robustness


NON_TEXT: dict[str, JSON] = {
    "sticker": {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAIB",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
    },
    "photo": {
        "photo": [{"file_id": "AgACAgQAAxkBAAIC", "file_unique_id": "AQADphoto", "width": 90, "height": 67}],
        "caption": "what is the minimum age for mirai",
    },
    "voice": {"voice": {"file_id": "AwACAgQAAxkBAAID", "file_unique_id": "AgADvoice", "duration": 3}},
    "location": {"location": {"latitude": 50.8466, "longitude": 4.3528}},
    "contact": {"contact": {"phone_number": "+32000000000", "first_name": "Ana"}},
    "document": {
        "document": {"file_id": "BQACAgQAAxkBAAIE", "file_unique_id": "AgADdoc", "file_name": "cv.pdf"},
    },
}


@pytest.mark.parametrize("kind", list(NON_TEXT))
async def test_non_text_message_gets_only_text_reply(fake_api: FakeBotApi, running_bot: App, kind: str) -> None:
    """A sticker, photo, voice note, location, contact or file in a private chat gets the short "only text" reply."""
    fake_api.send_update({"message": raw_message(fake_api, NON_TEXT[kind])})
    seen = await next_seen(fake_api, USER)
    assert seen.text.startswith(ONLY_TEXT)
    assert seen.buttons == []


async def test_non_text_in_french(fake_api: FakeBotApi, running_bot: App) -> None:
    """The "only text" reply is in the user's Telegram language."""
    fake_api.send_update({"message": raw_message(fake_api, NON_TEXT["sticker"], lang="fr")})
    seen = await next_seen(fake_api, USER)
    assert seen.text.startswith("Je ne peux lire que des messages texte.")


async def test_edits_channel_posts_and_group_media_are_ignored(fake_api: FakeBotApi, running_bot: App) -> None:
    """An edited message, a channel post and a sticker in a group get no reply."""
    original = fake_api.send_text("what is the minimum age for mirai", user_id=USER)
    await next_seen(fake_api, USER)
    edited = {**original, "text": "what is the minimum age for jet", "edit_date": original["date"] + 5}
    fake_api.send_update({"edited_message": edited})
    channel = {"id": CHANNEL, "type": "channel", "title": "Japan news"}
    fake_api.send_update(
        {"channel_post": {"chat": channel, "sender_chat": channel, "text": "what is the minimum age for mirai"}}
    )
    fake_api.send_update({"edited_channel_post": {"chat": channel, "message_id": 1, "date": 0, "text": "edit"}})
    group = {"id": GROUP, "type": "supergroup", "title": "Students"}
    fake_api.send_update({"message": raw_message(fake_api, NON_TEXT["sticker"], chat=group)})

    await assert_ignored(fake_api, CHANNEL, GROUP)


async def test_group_chatter_is_ignored_but_a_mention_is_answered(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """In a group the bot stays silent unless mentioned or replied to; then it answers, quoting the question."""
    knowledge = knowledge_of(engine)
    for text in ("what is the minimum age to join mirai", "/foo", "/foo@OtherBot", "/start@OtherBot", "lol 😂"):
        fake_api.send_text(text, user_id=USER, chat_id=GROUP, chat_type="supergroup")
    asked = fake_api.send_text(
        f"@{BOT_USERNAME} what is the minimum age to join mirai", user_id=USER, chat_id=GROUP, chat_type="supergroup"
    )
    seen = await next_seen(fake_api, GROUP)
    assert seen.reply_to == asked["message_id"], "the first reply in the group must be to the mention"
    assert_shows_entry(seen, knowledge, knowledge.entry("mirai.age"), "en")

    follow_up = fake_api.send_text(
        "does my passport need to be valid for the whole trip",
        user_id=USER + 1,
        chat_id=GROUP,
        chat_type="supergroup",
        reply_to_message=seen.message,
    )
    second = await next_seen(fake_api, GROUP)
    assert second.reply_to == follow_up["message_id"]
    assert_shows_entry(second, knowledge, knowledge.entry("mirai.passport"), "en")

    command = fake_api.send_text(f"/foo@{BOT_USERNAME}", user_id=USER, chat_id=GROUP, chat_type="supergroup")
    third = await next_seen(fake_api, GROUP)
    assert third.reply_to == command["message_id"]
    assert third.text.startswith(UNKNOWN_COMMAND)
    assert len(fake_api.sent_messages(GROUP)) == 3


@pytest.mark.parametrize(
    "text", ["😀😀🎌", "?!?", "...", "👍", "\u200b\u200b", "ミライプログラムとは何ですか", "ما هو برنامج ميراي"]
)
async def test_text_without_words_asks_for_words(fake_api: FakeBotApi, running_bot: App, text: str) -> None:
    """Emoji, punctuation or a script the bot cannot read get "ask in words, in English, French or Dutch"."""
    seen = await ask(fake_api, text)
    assert seen.text.startswith(IN_WORDS)
    assert "English, French or Dutch" in seen.text


async def test_mention_alone_in_a_group_asks_for_words(fake_api: FakeBotApi, running_bot: App) -> None:
    """A bare @mention in a group gets "ask in words" rather than silence or a guess."""
    fake_api.send_text(f"@{BOT_USERNAME}", user_id=USER, chat_id=GROUP, chat_type="group")
    seen = await next_seen(fake_api, GROUP)
    assert seen.text.startswith(IN_WORDS)


MARKUP_ATTACKS = [
    "<b>hi</b> <script>alert(1)</script> how old must I be for mirai",
    "</b><i>how old</i> <a href='javascript:alert(1)'>must</a> I be for mirai &amp; &lt;",
    "**how old** _must_ I be for [mirai](http://evil.example) `code` ~~x~~ ||spoiler||",
    "<pre>how old must I be</pre> for <tg-spoiler>mirai</tg-spoiler>",
]


@pytest.mark.parametrize("text", MARKUP_ATTACKS)
async def test_markup_in_a_question_is_never_echoed(fake_api: FakeBotApi, running_bot: App, text: str) -> None:
    """HTML or Markdown in a question never reaches the reply: the bot answers with its own valid HTML only."""
    seen = await ask(fake_api, text)
    for fragment in ("<script", "<i>", "javascript:", "evil.example", "<pre>", "tg-spoiler", "||spoiler||"):
        assert fragment not in seen.html
    assert seen.text.startswith(("MIRAI", "I am not sure", DONT_KNOW["en"])), seen.text[:80]


async def test_4096_character_question_gets_one_short_reply(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """A message of Telegram's full 4096 characters is matched on its words and answered once, within the limit."""
    text = ("what is the minimum age to join mirai? " * 120)[:4096]
    assert len(text) == 4096
    seen = await ask(fake_api, text)
    knowledge = knowledge_of(engine)
    assert_shows_entry(seen, knowledge, knowledge.entry("mirai.age"), "en")
    assert len(seen.text) <= 4096
    assert len(fake_api.sent_messages(USER)) == 1


async def test_control_and_invisible_characters_do_not_break_matching(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """NUL, bell, zero-width and bidi characters in a question are ignored: the question is still understood."""
    seen = await ask(fake_api, "what\x00 is the\x07 minimum\u200b age\u202e to join\ufeff mirai\x1b[31m")
    knowledge = knowledge_of(engine)
    assert_shows_entry(seen, knowledge, knowledge.entry("mirai.age"), "en")


@pytest.mark.parametrize("text", ["/foo", f"/foo@{BOT_USERNAME}", "/foo bar baz", "/Start_now", "/help_me please"])
async def test_unknown_command_points_to_help(fake_api: FakeBotApi, running_bot: App, text: str) -> None:
    """A command the bot does not have gets a short pointer to /help, in private chats."""
    seen = await ask(fake_api, text)
    assert seen.text == "I don't know that command. Send /help to see what I can do."
    assert seen.buttons == []


async def test_unknown_command_in_dutch(fake_api: FakeBotApi, running_bot: App) -> None:
    """The unknown-command reply is in the user's Telegram language."""
    seen = await ask(fake_api, "/foo", lang="nl")
    assert seen.text.startswith("Dat commando ken ik niet.")


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "",
        "m|",
        "e|",
        "e|MIRAI.AGE",
        "e|../../etc/passwd",
        "e|mirai.age|x",
        "p|erasmus",
        "p|mirai.age",
        "e|mirai.visa_fees",  # the shape of one of our ids, but no such entry (a button from an old knowledge base)
        "x" * 64,
        "é" * 40,  # over 64 bytes
        '{"e": "mirai.age"}',
    ],
)
async def test_malformed_or_stale_button_says_out_of_date(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, data: str
) -> None:
    """A forged, malformed or stale button answers "out of date" and puts the main menu back in that message."""
    welcome = await ask(fake_api, "/start", lang="fr")
    fake_api.send_callback(data, welcome.message, user_id=USER, language_code="en")
    seen = await next_seen(fake_api, USER)
    assert seen.method == "editMessageText"
    assert seen.message["message_id"] == welcome.message["message_id"]
    assert seen.text == OUT_OF_DATE
    assert seen.labels == main_menu_labels(knowledge_of(engine), "en")
    answered = await fake_api.wait_for_call("answerCallbackQuery")
    assert answered.ok


async def test_stale_button_on_an_old_answer(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """A topic button from before a knowledge update (its entry gone) turns that message into the menu."""
    old_answer = {
        "message_id": 900,
        "chat": {"id": USER, "type": "private", "first_name": "Ana"},
        "text": "MIRAI: visa fees\n\n...",
        "reply_markup": {"inline_keyboard": [[{"text": "MIRAI: visa fees", "callback_data": "e|mirai.visa_fees"}]]},
    }
    fake_api.send_callback("e|mirai.visa_fees", old_answer, user_id=USER, language_code="nl")
    seen = await next_seen(fake_api, USER)
    assert seen.message["message_id"] == 900
    assert seen.text == "Deze knop is niet meer actueel. Hier is het menu opnieuw."
    assert seen.labels == main_menu_labels(knowledge_of(engine), "nl")


async def test_double_tap_on_a_menu_button_is_harmless(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """Tapping the same menu button twice edits the message once; the second edit ("not modified") is ignored."""
    welcome = await ask(fake_api, "/start")
    for _ in range(2):
        fake_api.send_callback("p|jet", welcome.message, user_id=USER)
    edits = await fake_api.wait_for_call("editMessageText", lambda c: c.status is not None, count=2)
    assert isinstance(edits, list)
    assert [call.ok for call in edits].count(True) == 1
    refused = next(call for call in edits if not call.ok)
    assert "message is not modified" in (refused.description or "")
    await fake_api.wait_for_call("answerCallbackQuery", lambda c: c.ok, count=2)
    shown = await next_seen(fake_api, USER)
    assert shown.message["message_id"] == welcome.message["message_id"]
    assert shown.bold[0] == "JET Programme"
    # The bot is still answering afterwards.
    assert HELP in (await ask(fake_api, "/help")).text
    assert len(fake_api.sent_messages(USER)) == 2


@pytest.mark.parametrize("word", ["student", "info", "japan", "MIRAI?"])
async def test_word_shared_by_all_languages_is_answered_in_the_users_language(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, word: str
) -> None:
    """A question in words English, French and Dutch share is answered in the user's Telegram language."""
    for lang in ("en", "fr", "nl"):
        seen = await ask(fake_api, word, lang=lang)
        assert_in_language(seen, knowledge_of(engine), lang)


# ------------------------------------------------------------------- bugs these tests found (now fixed)


@pytest.mark.parametrize("button", ["related", "main menu"])
async def test_buttons_keep_the_language_of_their_message(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, button: str
) -> None:
    """A button under an answer in French (to a user whose Telegram is in English) leads to French, like its label."""
    knowledge = knowledge_of(engine)
    answer = await ask(fake_api, "faut-il un bon niveau d'anglais pour partir avec mirai", lang="en")
    assert answer.bold[0] == knowledge.entry("mirai.english").title["fr"]
    if button == "related":
        related = knowledge.entry(knowledge.entry("mirai.english").related[0])
        shown = await tap(fake_api, answer, related.title["fr"], lang="en")
        assert shown.bold[0] == related.title["fr"]
    else:
        shown = await tap(fake_api, answer, MAIN_MENU["fr"], lang="en")
        assert shown.text.startswith(WELCOME["fr"])


@pytest.mark.parametrize(
    "text",
    [
        f"@{BOT_USERNAME}Fan what is the minimum age to join mirai",
        f"write to info@{BOT_USERNAME}.example, they know the minimum age to join mirai",
    ],
)
async def test_group_message_naming_another_account_is_ignored(
    fake_api: FakeBotApi, running_bot: App, text: str
) -> None:
    """In a group, a message that mentions another account whose name starts with the bot's gets no reply."""
    fake_api.send_text(text, user_id=USER, chat_id=GROUP, chat_type="supergroup")
    mention = fake_api.send_text(f"@{BOT_USERNAME} hello", user_id=USER, chat_id=GROUP, chat_type="supergroup")
    seen = await next_seen(fake_api, GROUP)
    assert seen.reply_to == mention["message_id"], "the bot answered a message that was not for it"
