"""What a student sees about their own data and settings: /language, /privacy, /forget."""

from __future__ import annotations

from bot.core.i18n import t
from bot.core.languages import LANGUAGE_NAMES, LANGUAGES, Lang
from bot.core.views import Button, ChooseLanguage, ForgetMe, Reply, ShowMenu


def language_menu(current: Lang | None, lang: Lang) -> Reply:
    text = t(
        lang, "**Language**\nChoose the language I answer in. Until you choose, I follow the language of each message."
    )
    rows = [
        (Button(("✅ " if current == code else "") + LANGUAGE_NAMES[code], ChooseLanguage(code)),) for code in LANGUAGES
    ]
    rows.append((Button(("✅ " if current is None else "") + t(lang, "Follow my messages"), ChooseLanguage("auto")),))
    return Reply(text, tuple(rows))


def language_chosen(chosen: Lang | None, lang: Lang) -> Reply:
    if chosen is None:
        text = t(lang, "I will answer in the language of each of your messages.")
    else:
        text = t(lang, "I will answer in {language}.", language=LANGUAGE_NAMES[chosen])
    return Reply(text, ((Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),),))


def privacy(retention_days: int, lang: Lang) -> Reply:
    text = t(
        lang,
        "**Your data**\n"
        "This bot is run for the Embassy of Japan in Belgium. It keeps only what its features need:\n"
        "- your chat id and the language you chose or subscribed in, if you use /language or /subscribe;\n"
        "- your subscriptions, and which alerts were delivered to you, so that each reaches you once.\n\n"
        "The questions you ask are kept **without any link to you** (personal details such as e-mail "
        "addresses and phone numbers removed) for {days} days, so that staff can see what students ask and "
        "add missing answers. "
        "Your quiz answers are not kept: they live only in the buttons of your chat. Only an anonymous count of "
        "finished quizzes (programme, result and time, nothing about you) is kept, for statistics.\n\n"
        "Send /forget to erase everything linked to you.",
        days=retention_days,
    )
    return Reply(text, ((Button(t(lang, "🗑 Erase my data"), ForgetMe()),),))


def forget_confirm(lang: Lang) -> Reply:
    text = t(
        lang,
        "**Erase your data?**\nThis removes your language choice, your subscriptions and your delivery history. "
        "You will no longer get deadline alerts.",
    )
    return Reply(
        text,
        (
            (Button(t(lang, "Yes, erase everything"), ForgetMe(confirmed=True)),),
            (Button(t(lang, "Cancel"), ShowMenu(below=True)),),
        ),
    )


def forgotten(erased: bool, lang: Lang) -> Reply:
    if erased:
        return Reply(t(lang, "Done: the bot no longer holds anything linked to you."))
    return Reply(t(lang, "The bot held nothing linked to you."))
