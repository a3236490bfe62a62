"""End to end: the eligibility quiz (/eligible) through the fake Bot API, with the real Application.

A student starts the quiz, answers with buttons (each answer edits the same message), goes back, starts
again, cancels, and reads a verdict; in English, French and Dutch; with stale, forged and doubled taps.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from telegram import Update

from bot.app import build_application
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.quiz import Quiz
from tests.conftest import KNOWLEDGE_DIR, settings_for
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import bot
from tests.tg.chat import GROUP, MAIN_MENU, OUT_OF_DATE, USER, App, Seen, ask, next_seen, tap

OTHER_USER = USER + 1
YES = {"en": "Yes", "fr": "Oui", "nl": "Ja"}
NO = {"en": "No", "fr": "Non", "nl": "Nee"}

pytestmark = pytest.mark.usefixtures("bot_logs")  # the bot logs no warning or error in any test here
UNSURE = {"en": "I'm not sure", "fr": "Je ne suis pas sûr(e)", "nl": "Ik weet het niet zeker"}
BACK = {"en": "◀ Back", "fr": "◀ Retour", "nl": "◀ Terug"}
START_AGAIN = {"en": "Start again", "fr": "Recommencer", "nl": "Opnieuw beginnen"}
CANCEL = {"en": "Cancel", "fr": "Annuler", "nl": "Annuleren"}
COUNTER = {"en": "Question {} of {}", "fr": "Question {} sur {}", "nl": "Vraag {} van {}"}
QUIZ_CHOICE = ["JET Programme", "MIRAI", "Cancel"]  # the programmes in the knowledge base's order, then Cancel
CHOOSE = {
    "en": "Which programme would you like to check?",
    "fr": "Pour quel programme voulez-vous vérifier votre éligibilité ?",
    "nl": "Voor welk programma wil je het nagaan?",
}
ELIGIBLE = {
    "en": "✅ You appear to meet every requirement.",
    "fr": "✅ Vous semblez remplir toutes les conditions.",
    "nl": "✅ Je lijkt aan alle voorwaarden te voldoen.",
}
NOT_ELIGIBLE = {
    "en": "❌ You do not appear to meet every requirement.",
    "fr": "❌ Vous ne semblez pas remplir toutes les conditions.",
    "nl": "❌ Je lijkt niet aan alle voorwaarden te voldoen.",
}
TO_CHECK = {
    "en": "❔ You may be eligible, but some points need checking first.",
    "fr": "❔ Vous êtes peut-être éligible, mais certains points doivent d'abord être vérifiés.",
    "nl": "❔ Misschien kom je in aanmerking, maar eerst moeten enkele punten nagegaan worden.",
}
NOT_MET = {"en": "Not met:", "fr": "Conditions non remplies :", "nl": "Niet voldaan:"}
CHECK = {"en": "To check:", "fr": "À vérifier :", "nl": "Na te gaan:"}
ALL_REQUIREMENTS = {"en": "All requirements", "fr": "Toutes les conditions", "nl": "Alle voorwaarden"}
MET = {
    "en": "✅ Met: {} of {} points.",
    "fr": "✅ Points remplis : {} sur {}.",
    "nl": "✅ In orde: {} van de {} punten.",
}
INDICATION = {
    "en": "This is only an indication based on the published requirements, not a decision on your application.",
    "fr": "Ce n'est qu'une indication d'après les conditions publiées, pas une décision sur votre candidature.",
    "nl": "Dit is enkel een indicatie op basis van de gepubliceerde voorwaarden, geen beslissing over je kandidatuur.",
}
CANCELLED = {
    "en": "Eligibility check cancelled. Send /eligible to start again at any time.",
    "fr": "Vérification d'éligibilité annulée. Envoyez /eligible pour recommencer quand vous voulez.",
    "nl": "Check geannuleerd. Stuur /eligible om op elk moment opnieuw te beginnen.",
}
EXPIRED = "This quiz has changed or expired since this message. Please start again."
INSTEAD = "Answer “{}” instead"
EMBASSY_PAGE = "https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html"
MIRAI_QUESTIONS = 10  # the page's nine requirements, the fourth asked as its two halves
# The answer that meets each MIRAI requirement: "Yes", except the halves of requirement 4, asked as
# "Have you ever lived in Japan for more than six months?" and "... been accepted on ... programme?".
MIRAI_NO_PASSES = ("japan_residence", "earlier_exchange")


def passing(question_id: str) -> dict[str, str]:
    """The labels (per language) of the answer that meets this MIRAI requirement."""
    return NO if question_id in MIRAI_NO_PASSES else YES


# ------------------------------------------------------------------------------------------------ helpers


def knowledge_of(engine: Engine) -> KnowledgeBase:
    return engine.snapshot.knowledge


def quiz_of(engine: Engine, programme_id: str) -> Quiz:
    quiz = knowledge_of(engine).quiz(programme_id)
    assert quiz is not None
    return quiz


def title(engine: Engine, entry_id: str, lang: Lang = "en") -> str:
    return knowledge_of(engine).entry(entry_id).title[lang]


def assert_question(seen: Seen, quiz: Quiz, number: int, total: int, lang: Lang = "en") -> None:
    """``seen`` shows question ``number`` of ``total`` of ``quiz``, with its answers and the navigation."""
    question = quiz.questions[number - 1]
    assert COUNTER[lang].format(number, total) in seen.text.split("\n"), seen.text[:200]
    assert question.ask[lang] in seen.text
    navigation = [BACK[lang], START_AGAIN[lang], CANCEL[lang]] if number > 1 else [CANCEL[lang]]
    assert seen.labels[-len(navigation) :] == navigation


async def answer(api: FakeBotApi, seen: Seen, label: str, *, lang: str = "en", user: int = USER) -> Seen:
    """Tap an answer (or Back, Start again…) and check that the bot edits that same message."""
    shown = await tap(api, seen, label, lang=lang, user=user)
    assert shown.method == "editMessageText", f"{label!r} sent a new message instead of editing"
    assert shown.message["message_id"] == seen.message["message_id"]
    return shown


def callback_data(seen: Seen, label: str) -> str:
    """The raw callback data of a button, language suffix included, as Telegram would send it back."""
    rows = seen.message.get("reply_markup", {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


# ------------------------------------------------------------------------------------------- a full run


async def test_meeting_every_mirai_requirement_is_eligible_in_eleven_taps_all_in_one_message(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """/eligible, MIRAI and ten passing answers edit one message question by question into an "eligible" verdict."""
    mirai = quiz_of(engine, "mirai")
    chooser = await ask(fake_api, "/eligible")
    assert chooser.method == "sendMessage"
    assert CHOOSE["en"] in chooser.text
    assert chooser.labels == QUIZ_CHOICE

    taps = 0
    seen = await answer(fake_api, chooser, "MIRAI")
    taps += 1
    for number in range(1, MIRAI_QUESTIONS + 1):
        assert_question(seen, mirai, number, MIRAI_QUESTIONS)
        assert seen.labels[:3] == [YES["en"], NO["en"], UNSURE["en"]]
        seen = await answer(fake_api, seen, passing(mirai.questions[number - 1].id)["en"])
        taps += 1
    assert taps == MIRAI_QUESTIONS + 1

    verdict = seen
    assert ELIGIBLE["en"] in verdict.text
    assert NOT_MET["en"] not in verdict.text
    assert CHECK["en"] not in verdict.text
    assert mirai.eligible["en"].splitlines()[0] in verdict.text
    assert EMBASSY_PAGE in verdict.text
    assert "Met:" not in verdict.text, "the headline already says every requirement is met"
    assert mirai.questions[0].ask["en"] not in verdict.text, "the questions are under All requirements"
    assert verdict.text.endswith(INDICATION["en"])
    given = "".join("1" if q.id in MIRAI_NO_PASSES else "0" for q in mirai.questions)  # the positions of Yes, No
    assert verdict.buttons == [
        [(title(engine, "programs.timing"), "e|programs.timing")],
        [(title(engine, "mirai.requirements"), "e|mirai.requirements")],
        [(ALL_REQUIREMENTS["en"], f"a|mirai|{mirai.version}|{given}")],
        [(START_AGAIN["en"], f"q|mirai|{mirai.version}|"), (MAIN_MENU["en"], "M")],
    ]
    assert len(fake_api.sent_messages(USER)) == 1, "one message, edited eleven times"
    assert len([c for c in fake_api.calls_to("editMessageText") if c.ok]) == MIRAI_QUESTIONS + 1

    full = await tap(fake_api, verdict, ALL_REQUIREMENTS["en"])
    assert full.method == "sendMessage", "the full list comes below the verdict, which stays"
    marked = [line for line in full.text.split("\n") if line.startswith("✅ ")]
    assert marked == [f"✅ {q.ask['en']} {passing(q.id)['en']}" for q in mirai.questions]
    assert full.text.endswith(INDICATION["en"])
    kept = fake_api.message(USER, verdict.message["message_id"])
    assert kept is not None
    assert kept["text"] == verdict.text

    timing = await tap(fake_api, verdict, title(engine, "programs.timing"))
    assert timing.method == "sendMessage"
    assert timing.bold[0] == title(engine, "programs.timing")


async def test_two_failures_and_a_check_are_all_listed_with_their_entries(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """Two "No" and one "not sure" give a verdict listing both failures and the check, each with its entry's button."""
    mirai = quiz_of(engine, "mirai")
    answers = {"enrolment": NO["en"], "earlier_exchange": UNSURE["en"], "age": NO["en"]}
    seen = await ask(fake_api, "/eligible mirai")
    for question in mirai.questions:
        seen = await answer(fake_api, seen, answers.get(question.id, passing(question.id)["en"]))

    assert NOT_ELIGIBLE["en"] in seen.text
    lines = seen.text.split("\n")
    by_id = {q.id: q for q in mirai.questions}

    def reason(question_id: str, kind: str) -> str:
        option = by_id[question_id].option("no" if kind == "fails" else "unsure")
        assert option is not None
        text = getattr(option, kind)
        return f"• {title(engine, by_id[question_id].about or '')}: {text['en']}"

    not_met = lines.index(NOT_MET["en"])
    assert lines[not_met + 1 : not_met + 3] == [reason("enrolment", "fails"), reason("age", "fails")]
    to_check = lines.index(CHECK["en"])
    assert lines[to_check + 1] == reason("earlier_exchange", "check")
    assert [b for b in seen.bold if b.startswith("MIRAI:")] == [
        title(engine, "mirai.enrolment"),
        title(engine, "mirai.age"),
        title(engine, "mirai.japan_stay"),
    ]
    assert MET["en"].format(MIRAI_QUESTIONS - 3, MIRAI_QUESTIONS) in lines
    assert mirai.eligible["en"].splitlines()[0] not in seen.text, "no next steps when not eligible"
    assert seen.text.endswith(INDICATION["en"])
    entries = ["mirai.enrolment", "mirai.age", "mirai.japan_stay", "contact.embassy", "mirai.requirements"]
    assert seen.buttons[:-2] == [[(title(engine, e), f"e|{e}")] for e in entries]
    assert seen.labels[-3:] == [ALL_REQUIREMENTS["en"], START_AGAIN["en"], MAIN_MENU["en"]]

    full = (await tap(fake_api, seen, ALL_REQUIREMENTS["en"])).text.split("\n")
    enrolment = full.index(f"❌ {by_id['enrolment'].ask['en']} {NO['en']}")
    assert full[enrolment + 1] == by_id["enrolment"].options[1].fails["en"]  # type: ignore[index]
    earlier = full.index(f"❔ {by_id['earlier_exchange'].ask['en']} {UNSURE['en']}")
    assert full[earlier + 1] == by_id["earlier_exchange"].options[2].check["en"]  # type: ignore[index]
    assert f"✅ {by_id['nationality'].ask['en']} {YES['en']}" in full

    entry = await tap(fake_api, seen, title(engine, "mirai.age"))
    assert entry.method == "sendMessage", "an entry opens as a new message"
    assert entry.bold[0] == title(engine, "mirai.age")
    kept = fake_api.message(USER, seen.message["message_id"])
    assert kept is not None
    assert kept["text"] == seen.text, "the verdict stays"


# ------------------------------------------------------------------------------------ back, start again


async def test_back_changes_the_previous_answer(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """Back returns to the previous question, and the answer given there instead is the one the verdict uses."""
    mirai = quiz_of(engine, "mirai")
    first = await ask(fake_api, "/eligible mirai")
    assert_question(first, mirai, 1, MIRAI_QUESTIONS)
    second = await answer(fake_api, first, YES["en"])
    third = await answer(fake_api, second, YES["en"])
    assert_question(third, mirai, 3, MIRAI_QUESTIONS)

    back = await answer(fake_api, third, BACK["en"])
    assert_question(back, mirai, 2, MIRAI_QUESTIONS)
    assert (back.text, back.buttons) == (second.text, second.buttons)
    seen = await answer(fake_api, back, NO["en"])
    assert_question(seen, mirai, 3, MIRAI_QUESTIONS)
    for question in mirai.questions[2:]:
        seen = await answer(fake_api, seen, passing(question.id)["en"])

    assert NOT_ELIGIBLE["en"] in seen.text
    assert mirai.questions[1].options[1].fails is not None
    assert mirai.questions[1].options[1].fails["en"] in seen.text
    assert seen.buttons[0] == [(title(engine, "mirai.enrolment"), "e|mirai.enrolment")]


async def test_back_to_the_first_question_offers_only_cancel(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """Back from question 2 shows question 1 exactly as at the start, without Back or Start again."""
    first = await ask(fake_api, "/eligible mirai")
    second = await answer(fake_api, first, UNSURE["en"])
    back = await answer(fake_api, second, BACK["en"])
    assert (back.text, back.buttons) == (first.text, first.buttons)


async def test_start_again_goes_back_to_question_one(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """Start again, during the quiz or on the verdict, shows question 1 with no answer kept."""
    mirai = quiz_of(engine, "mirai")
    first = await ask(fake_api, "/eligible mirai")
    seen = first
    for label in (NO["en"], UNSURE["en"], YES["en"]):
        seen = await answer(fake_api, seen, label)
    assert_question(seen, mirai, 4, MIRAI_QUESTIONS)

    again = await answer(fake_api, seen, START_AGAIN["en"])
    assert_question(again, mirai, 1, MIRAI_QUESTIONS)
    assert (again.text, again.buttons) == (first.text, first.buttons)

    for _ in range(MIRAI_QUESTIONS):
        again = await answer(fake_api, again, NO["en"])
    assert NOT_ELIGIBLE["en"] in again.text
    restarted = await answer(fake_api, again, START_AGAIN["en"])
    assert (restarted.text, restarted.buttons) == (first.text, first.buttons)


# ---------------------------------------------------------------------------------- commands, deep links


@pytest.mark.parametrize(
    ("text", "opens"),
    [
        ("/eligible", "choice"),
        ("/eligible mirai", "mirai"),
        ("/eligible MIRAI", "mirai"),
        ("/eligible jet", "jet"),
        ("/eligible erasmus", "choice"),
        ("/start eligible", "choice"),
        ("/start eligible-mirai", "mirai"),
        ("/start eligible-jet", "jet"),
        ("/start eligible-erasmus", "choice"),
    ],
)
async def test_eligible_and_its_deep_links_open_the_quiz(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, text: str, opens: str
) -> None:
    """/eligible [programme] and /start eligible[-programme] open that quiz's first question, else the choice."""
    seen = await ask(fake_api, text)
    assert seen.method == "sendMessage"
    if opens == "choice":
        assert CHOOSE["en"] in seen.text
        assert seen.labels == QUIZ_CHOICE
        return
    quiz = quiz_of(engine, opens)
    assert_question(seen, quiz, 1, len(quiz.questions))
    assert all(data.startswith(f"q|{opens}|{quiz.version}|") for row in seen.buttons[:-1] for _, data in row)


CHECK_MY_ELIGIBILITY = {
    "en": "✅ Check my eligibility",
    "fr": "✅ Vérifier mon éligibilité",
    "nl": "✅ Kom ik in aanmerking?",
}
QUIZ_TITLES = {
    # Bold above every question and verdict; a Dutch programme name needs no article in this form.
    ("mirai", "en"): "Eligibility check: MIRAI",
    ("mirai", "fr"): "Vérification d'éligibilité : MIRAI",
    ("mirai", "nl"): "MIRAI: kom je in aanmerking?",
    ("jet", "en"): "Eligibility check: JET Programme",
    ("jet", "fr"): "Vérification d'éligibilité : Programme JET",
    ("jet", "nl"): "JET-programma: kom je in aanmerking?",
}


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_the_main_menu_offers_the_quiz_once(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang
) -> None:
    """The main menu has one way into the quiz, "Check my eligibility", which opens the choice of programme; the
    entry that only describes the quiz is not a second menu button, and still answers a question about it."""
    menu = await ask(fake_api, "/start", lang=lang)
    quiz_entry = title(engine, "bot.eligibility_quiz", lang)

    assert quiz_entry not in menu.labels
    assert "e|bot.eligibility_quiz" not in [data for row in menu.buttons for _, data in row]
    assert [label for label in menu.labels if label == CHECK_MY_ELIGIBILITY[lang]] == [CHECK_MY_ELIGIBILITY[lang]]
    chooser = await tap(fake_api, menu, CHECK_MY_ELIGIBILITY[lang], lang=lang)
    assert CHOOSE[lang] in chooser.text

    question = {"en": "is there a quiz to see if i can apply?", "fr": "commencer le quiz", "nl": "start de quiz"}
    answer = await ask(fake_api, question[lang], lang=lang)
    assert answer.bold[0] == quiz_entry


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
async def test_each_quiz_screen_is_titled_in_the_language(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, programme_id: str, lang: Lang
) -> None:
    """The first question and the verdict carry the quiz's title, written for that language."""
    quiz = quiz_of(engine, programme_id)
    seen = await ask(fake_api, f"/eligible {programme_id}", lang=lang)
    assert seen.bold[0] == QUIZ_TITLES[programme_id, lang]
    for _ in quiz.questions:  # the first option each time: a path through every question
        seen = await answer(fake_api, seen, seen.labels[0], lang=lang)
    assert t(lang, "All requirements") in seen.labels, "the verdict"
    assert seen.bold[0] == QUIZ_TITLES[programme_id, lang]


async def test_choosing_jet_in_the_choice_starts_the_jet_quiz(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """The JET button of the choice turns that message into the JET quiz's first question, positions as answers."""
    jet = quiz_of(engine, "jet")
    chooser = await ask(fake_api, "/start eligible")
    first = await answer(fake_api, chooser, "JET Programme")
    assert_question(first, jet, 1, 6)
    assert first.labels == [*(o.label["en"] for o in jet.questions[0].options if o.label), CANCEL["en"]]


@pytest.mark.parametrize("where", ["main menu", "programme menu"])
async def test_the_menus_check_my_eligibility_button_starts_the_quiz_in_place(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, where: str
) -> None:
    """The menus' eligibility button turns the main menu into the choice, and a programme's menu into question 1."""
    menu = await ask(fake_api, "/start" if where == "main menu" else "/start mirai")
    seen = await answer(fake_api, menu, "✅ Check my eligibility")
    if where == "main menu":
        assert CHOOSE["en"] in seen.text
        seen = await answer(fake_api, seen, "MIRAI")
    assert_question(seen, quiz_of(engine, "mirai"), 1, MIRAI_QUESTIONS)


# ---------------------------------------------------------------------------------------------------- JET


@pytest.mark.parametrize(("position", "name"), [(1, "ALT"), (2, "SEA")])
async def test_jet_alt_or_sea_ends_at_once_and_offers_to_continue_as_cir(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, position: int, name: str
) -> None:
    """ALT or SEA ends the JET quiz at once, explaining it is CIR only; "answer CIR instead" goes on to question 2."""
    jet = quiz_of(engine, "jet")
    options = jet.questions[0].options
    assert options[position].label is not None
    assert options[0].label is not None
    first = await ask(fake_api, "/eligible jet")
    verdict = await answer(fake_api, first, options[position].label["en"])

    assert NOT_ELIGIBLE["en"] in verdict.text
    assert f"Belgian nationals are currently only eligible for the CIR position, not {name}" in verdict.text
    assert jet.questions[1].ask["en"] not in verdict.text, "the quiz ended at once"
    instead = INSTEAD.format(options[0].label["en"])
    assert verdict.buttons[0] == [(instead, f"q|jet|{jet.version}|0")]
    assert (title(engine, "jet.positions"), "e|jet.positions") in [b for row in verdict.buttons for b in row]

    as_cir = await answer(fake_api, verdict, instead)
    assert_question(as_cir, jet, 2, 6)
    back = await answer(fake_api, as_cir, BACK["en"])
    assert (back.text, back.buttons) == (first.text, first.buttons)


async def test_jet_as_cir_with_all_yes_is_eligible(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """CIR and "Yes" to the five criteria give the eligible verdict with its next steps, in six taps."""
    jet = quiz_of(engine, "jet")
    cir = jet.questions[0].options[0].label
    assert cir is not None
    seen = await answer(fake_api, await ask(fake_api, "/eligible jet"), cir["en"])
    for number in range(2, 7):
        assert_question(seen, jet, number, 6)
        seen = await answer(fake_api, seen, YES["en"])
    assert ELIGIBLE["en"] in seen.text
    assert jet.eligible["en"].splitlines()[0] in seen.text
    full = await tap(fake_api, seen, ALL_REQUIREMENTS["en"])
    assert f"✅ {jet.questions[0].ask['en']} {cir['en']}" in full.text.split("\n")


# ----------------------------------------------------------------------------------------------- languages


@pytest.mark.parametrize("lang", ["fr", "nl"])
async def test_the_quiz_in_french_and_dutch(fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang) -> None:
    """With Telegram in French or Dutch, every quiz screen, from the choice to the verdict, is in that language."""
    mirai = quiz_of(engine, "mirai")
    chooser = await ask(fake_api, "/eligible", lang=lang)
    assert CHOOSE[lang] in chooser.text
    assert chooser.labels[-1] == CANCEL[lang]
    seen = await answer(fake_api, chooser, "MIRAI", lang=lang)
    assert_question(seen, mirai, 1, MIRAI_QUESTIONS, lang)
    assert seen.labels == [YES[lang], NO[lang], UNSURE[lang], CANCEL[lang]]
    seen = await answer(fake_api, seen, NO[lang], lang=lang)
    assert_question(seen, mirai, 2, MIRAI_QUESTIONS, lang)
    assert seen.labels == [YES[lang], NO[lang], UNSURE[lang], BACK[lang], START_AGAIN[lang], CANCEL[lang]]
    seen = await answer(fake_api, seen, UNSURE[lang], lang=lang)
    for question in mirai.questions[2:]:
        seen = await answer(fake_api, seen, passing(question.id)[lang], lang=lang)

    nationality, enrolment = mirai.questions[0], mirai.questions[1]
    assert nationality.options[1].fails is not None
    assert enrolment.options[2].check is not None
    for expected in (
        NOT_ELIGIBLE[lang],
        NOT_MET[lang],
        nationality.options[1].fails[lang],
        CHECK[lang],
        enrolment.options[2].check[lang],
        MET[lang].format(MIRAI_QUESTIONS - 2, MIRAI_QUESTIONS),
        INDICATION[lang],
    ):
        assert expected in seen.text, (lang, expected)
    assert title(engine, "mirai.nationality", lang) in seen.bold
    assert seen.buttons[0] == [(title(engine, "mirai.nationality", lang), "e|mirai.nationality")]
    assert seen.labels[-3:] == [ALL_REQUIREMENTS[lang], START_AGAIN[lang], MAIN_MENU[lang]]

    full = await tap(fake_api, seen, ALL_REQUIREMENTS[lang], lang=lang)
    assert f"❌ {nationality.ask[lang]} {NO[lang]}" in full.text.split("\n")
    assert f"❔ {enrolment.ask[lang]} {UNSURE[lang]}" in full.text.split("\n")
    assert full.text.endswith(INDICATION[lang])

    entry = await tap(fake_api, seen, title(engine, "mirai.nationality", lang), lang=lang)
    assert entry.bold[0] == title(engine, "mirai.nationality", lang)


async def test_a_quiz_keeps_the_language_it_started_in(fake_api: FakeBotApi, running_bot: App, engine: Engine) -> None:
    """A quiz begun in French goes on in French even if the next tap comes from a Telegram set to English."""
    mirai = quiz_of(engine, "mirai")
    first = await ask(fake_api, "/eligible mirai", lang="fr")
    second = await answer(fake_api, first, YES["fr"], lang="en")
    assert_question(second, mirai, 2, MIRAI_QUESTIONS, "fr")


# ------------------------------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_the_cancel_button_ends_the_quiz_politely(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang
) -> None:
    """Cancel turns the quiz message into a short "cancelled, send /eligible to start again" with the main menu."""
    first = await ask(fake_api, "/eligible mirai", lang=lang)
    second = await answer(fake_api, first, YES[lang], lang=lang)
    cancelled = await answer(fake_api, second, CANCEL[lang], lang=lang)
    assert cancelled.text == CANCELLED[lang]
    assert cancelled.buttons == [[(MAIN_MENU[lang], "m")]]
    menu = await answer(fake_api, cancelled, MAIN_MENU[lang], lang=lang)
    assert "MIRAI" in menu.labels


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_the_cancel_command_ends_the_quiz_politely(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, lang: Lang
) -> None:
    """/cancel during the quiz answers with a short "cancelled, send /eligible to start again" and the main menu."""
    first = await ask(fake_api, "/eligible mirai", lang=lang)
    await answer(fake_api, first, NO[lang], lang=lang)
    cancelled = await ask(fake_api, "/cancel", lang=lang)
    assert cancelled.method == "sendMessage"
    assert cancelled.text == CANCELLED[lang]
    assert cancelled.buttons == [[(MAIN_MENU[lang], "m")]]


async def test_the_cancel_choice_ends_the_quiz_before_it_starts(fake_api: FakeBotApi, running_bot: App) -> None:
    """Cancel on the choice of programme also ends politely, in place."""
    chooser = await ask(fake_api, "/eligible")
    cancelled = await answer(fake_api, chooser, CANCEL["en"])
    assert cancelled.text == CANCELLED["en"]


# ------------------------------------------------------------------------------------ stale and forged taps


async def test_an_old_button_after_a_knowledge_reload_asks_to_start_again(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """After staff edit the quiz and the bot reloads, an old answer button says "changed, start again", which works."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    engine = Engine(directory)
    before = quiz_of(engine, "mirai")
    old_text = before.questions[1].ask["en"]
    new_text = "Are you enrolled as a student at a university in Belgium?"

    async with bot(fake_api, engine):
        first = await ask(fake_api, "/eligible mirai")
        second = await answer(fake_api, first, YES["en"])
        assert old_text in second.text

        mirai_file = directory / "mirai.yaml"
        source = mirai_file.read_text(encoding="utf-8")
        assert source.count(f"en: {old_text}\n") == 1
        mirai_file.write_text(source.replace(f"en: {old_text}\n", f"en: {new_text}\n"), encoding="utf-8")
        engine.reload()
        after = quiz_of(engine, "mirai")
        assert after.version != before.version
        assert after.questions[1].ask["en"] == new_text

        stale = await answer(fake_api, second, YES["en"])
        assert stale.text == EXPIRED
        assert stale.buttons == [[(START_AGAIN["en"], f"q|mirai|{after.version}|")], [(MAIN_MENU["en"], "m")]]
        # Back on the old message is stale too: the same "expired" screen, so Telegram refuses the identical edit.
        fake_api.send_callback(callback_data(second, BACK["en"]), second.message, user_id=USER)
        refused = await fake_api.wait_for_call("editMessageText", lambda c: c.status is not None and not c.ok)
        assert refused.params["text"] == EXPIRED
        assert "message is not modified" in (refused.description or "")

        again = await answer(fake_api, stale, START_AGAIN["en"])
        assert_question(again, after, 1, MIRAI_QUESTIONS)
        edited = await answer(fake_api, again, YES["en"])
        assert_question(edited, after, 2, MIRAI_QUESTIONS)
        assert new_text in edited.text
        assert old_text not in edited.text


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        ("q|mirai|zzzzzz|0", "out of date"),  # not a version
        ("q|mirai|{mirai}|9", "out of date"),  # no question has a tenth option
        ("q|mirai|{mirai}|0000000000000", "Question 1 of 10"),  # thirteen answers to a ten-question quiz
        ("q|mirai|{mirai}|00000000000", "Question 1 of 10"),  # one answer too many
        ("q|mirai|{mirai}|3", "Question 1 of 10"),  # the first question has three options
        ("q|mirai|abcdef|0", "Question 1 of 10"),  # a version that never was
        ("q|mirai|{jet}|0", "Question 1 of 10"),  # another quiz's version
        ("q|jet|{jet}|10", "Question 1 of 6"),  # ALT ends the quiz: no second answer
        ("q|erasmus|abcdef|", CHOOSE["en"]),  # a programme without a quiz: the choice of programme
        ("q|mirai|{mirai}|0|de", "out of date"),  # a language the bot does not speak
        ("q|mirai|{mirai}|" + "0" * 50, "out of date"),  # over 64 bytes
        ("q|mirai|{mirai}|-1", "out of date"),
        ("q|mirai|{mirai}|０", "out of date"),  # a full-width digit
        ("q|MIRAI|{mirai}|0", "out of date"),
    ],
)
async def test_forged_or_malformed_quiz_data_says_expired_without_crashing(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, data: str, reply: str
) -> None:
    """Malformed, forged or other-version quiz data gets "out of date" or "expired" with a working restart, no crash."""
    data = data.format(mirai=quiz_of(engine, "mirai").version, jet=quiz_of(engine, "jet").version)
    first = await ask(fake_api, "/eligible mirai")
    fake_api.send_callback(data, first.message, user_id=USER)
    seen = await next_seen(fake_api, USER)
    assert seen.method == "editMessageText"
    assert seen.message["message_id"] == first.message["message_id"]
    if reply == "out of date":
        assert seen.text == OUT_OF_DATE
    else:
        assert seen.text == EXPIRED
        restart = "Check my eligibility" if reply == CHOOSE["en"] else START_AGAIN["en"]
        assert seen.labels == [restart, MAIN_MENU["en"]]
        restarted = await answer(fake_api, seen, restart)
        assert reply in restarted.text.split("\n")
    assert (await fake_api.wait_for_call("answerCallbackQuery")).ok
    assert (await ask(fake_api, "/help")).text.startswith("How to use this bot"), "the bot still answers"


async def test_a_double_tap_on_an_answer_changes_the_state_once(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """Tapping the same answer twice moves on one question only; the second, identical edit is refused and ignored."""
    mirai = quiz_of(engine, "mirai")
    first = await ask(fake_api, "/eligible mirai")
    data = callback_data(first, NO["en"])
    for _ in range(2):
        fake_api.send_callback(data, first.message, user_id=USER)
    edits = await fake_api.wait_for_call("editMessageText", lambda c: c.status is not None, count=2)
    assert isinstance(edits, list)
    assert [call.ok for call in edits].count(True) == 1
    refused = next(call for call in edits if not call.ok)
    assert "message is not modified" in (refused.description or "")
    answered = await fake_api.wait_for_call("answerCallbackQuery", lambda c: c.ok, count=2)
    assert isinstance(answered, list)

    second = await next_seen(fake_api, USER)
    assert_question(second, mirai, 2, MIRAI_QUESTIONS)
    stored = fake_api.message(USER, first.message["message_id"])
    assert stored is not None
    assert stored["text"] == second.text
    third = await answer(fake_api, second, YES["en"])
    assert_question(third, mirai, 3, MIRAI_QUESTIONS)
    assert len(fake_api.calls_to("editMessageText")) == 3
    assert len(fake_api.sent_messages(USER)) == 1


async def test_two_users_taking_the_quiz_at_once_keep_their_own_answers(
    fake_api: FakeBotApi, running_bot: App, engine: Engine
) -> None:
    """Two students answering at the same time each get the verdict of their own answers, in their own language."""
    mirai = quiz_of(engine, "mirai")
    plans: dict[int, tuple[Lang, list[dict[str, str]]]] = {
        USER: ("en", [NO] * 2 + [passing(q.id) for q in mirai.questions[2:]]),
        OTHER_USER: ("fr", [passing(q.id) for q in mirai.questions[:-1]] + [UNSURE]),
    }
    screens: dict[int, Seen] = {}
    for user, (lang, _) in plans.items():
        fake_api.send_text("/eligible mirai", user_id=user, language_code=lang)
    for user in plans:
        screens[user] = await next_seen(fake_api, user)
    for number in range(MIRAI_QUESTIONS):
        for user, (lang, labels) in plans.items():  # both taps are queued before either is answered
            seen = screens[user]
            fake_api.send_callback(callback_data(seen, labels[number][lang]), seen.message, user_id=user)
        for user, (lang, _) in plans.items():
            shown = await next_seen(fake_api, user)
            assert shown.message["message_id"] == screens[user].message["message_id"]
            if number < MIRAI_QUESTIONS - 1:
                assert_question(shown, mirai, number + 2, MIRAI_QUESTIONS, lang)
            screens[user] = shown

    mine, theirs = screens[USER], screens[OTHER_USER]
    assert NOT_ELIGIBLE["en"] in mine.text
    assert [b for row in mine.buttons[:2] for b in row] == [
        (title(engine, "mirai.nationality"), "e|mirai.nationality"),
        (title(engine, "mirai.enrolment"), "e|mirai.enrolment"),
    ]
    assert TO_CHECK["fr"] in theirs.text
    assert NOT_MET["fr"] not in theirs.text
    assert theirs.buttons[0] == [(title(engine, "mirai.sns", "fr"), "e|mirai.sns")]


# ---------------------------------------------------------------------------------- bugs these tests found


async def handle_now(api: FakeBotApi, application: App) -> None:
    """Have the application handle the update just queued, to the end, without polling: what it did is then known."""
    await application.process_update(Update.de_json(api.pending_updates[-1], application.bot))


async def test_in_a_group_the_quiz_is_not_run_so_no_member_can_answer_another_s(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """In a group, /eligible does not start a quiz that any member could tap: it offers only a link that opens the
    quiz in a private chat with the bot. (This test used to end early, passing, whenever no answer was shown.)"""
    application = build_application(settings_for(fake_api), engine)
    async with application:  # initialized, not polling: each update is handled to the end before the next
        fake_api.send_text("/eligible mirai", user_id=USER, chat_id=GROUP, chat_type="supergroup")
        await handle_now(fake_api, application)
        shown = await next_seen(fake_api, GROUP)
    rows = shown.message["reply_markup"]["inline_keyboard"]
    assert [[button.get("callback_data") for button in row] for row in rows] == [[None]], "no button answers a quiz"
    assert rows[0][0]["url"].endswith("?start=eligible-mirai")
    assert NO["en"] not in shown.labels
