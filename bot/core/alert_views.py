"""What subscribers read: alerts, the subscription toggles, and the list of deadlines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta, tzinfo

from babel.dates import format_date, format_datetime

from bot.core import markup
from bot.core.alerts import Alert, days_left
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.views import (
    Button,
    QuizStep,
    Reply,
    ShowDeadlines,
    ShowEntry,
    ShowMenu,
    ShowSubscriptions,
    ToggleSubscription,
    Unsubscribe,
)
from bot.core.windows import Window


def when(instant: datetime, zone: tzinfo, lang: Lang, *, closing: bool = False) -> str:
    """A date (and time, unless it is a whole day) in the embassy's zone, in the reader's language.

    A window closing at midnight closes at the end of the day before: that day is what students need.
    """
    local = instant.astimezone(zone)
    if local.time() == time(0):
        day = (local - timedelta(days=1)).date() if closing else local.date()
        text = format_date(day, format="full", locale=lang)
        return t(lang, "{date} (end of day)", date=text) if closing else text
    return format_datetime(local, "EEEE d MMMM y, HH:mm", locale=lang)


def days_left_text(days: int, lang: Lang) -> str:
    return t(lang, "1 day left") if days == 1 else t(lang, "{days} days left", days=days)


def alert_message(knowledge: KnowledgeBase, alert: Alert, zone: tzinfo, now: datetime, lang: Lang) -> Reply:
    window = alert.window
    name = _programme_name(knowledge, window.programme, lang)
    closes = when(window.closes, zone, lang, closing=True)
    left = days_left_text(days_left(window, now), lang)
    if alert.kind == "opens":
        headline = t(lang, "📢 **Applications are open: {programme}**", programme=name)
        body = t(lang, "Applications are accepted until {closes} ({left}).", closes=closes, left=left)
    else:
        headline = t(lang, "⏰ **Deadline soon: {programme}**", programme=name)
        body = t(lang, "Applications close on {closes}: {left}.", closes=closes, left=left)
    parts = [headline]
    if window.title is not None:
        parts.append(window.title[lang])
    parts.append(body)
    return Reply("\n\n".join(parts), _programme_buttons(knowledge, window.programme, lang, unsubscribe=True))


def broadcast_message(knowledge: KnowledgeBase, programme_id: str, text: str, lang: Lang) -> Reply:
    """An announcement from the embassy's staff, as they wrote it (staff markup), to a programme's subscribers."""
    name = _programme_name(knowledge, programme_id, lang)
    headline = t(lang, "📣 **Announcement: {programme}**", programme=name)
    return Reply(f"{headline}\n\n{text.strip()}", _programme_buttons(knowledge, programme_id, lang, unsubscribe=True))


def subscriptions_menu(
    knowledge: KnowledgeBase,
    subscribed: Iterable[str],
    lang: Lang,
    note: str | None = None,
    *,
    page_watched: bool = False,
) -> Reply:
    chosen = set(subscribed)
    text = t(
        lang,
        "**Deadline alerts**\nTap a programme to subscribe or unsubscribe. Subscribers are told when "
        "applications open, and shortly before they close.",
    )
    if page_watched:
        text = f"{text} {page_watch_promise(lang)}"
    if note:
        text = f"{note}\n\n{text}"
    rows = [
        (Button(("✅ " if p.id in chosen else "☐ ") + p.name[lang], ToggleSubscription(p.id)),)
        for p in knowledge.programmes
    ]
    rows.append((Button(t(lang, "📅 Deadlines"), ShowDeadlines()),))
    return Reply(text, tuple(rows))


def subscribed_note(
    knowledge: KnowledgeBase, programme_id: str, windows: Sequence[Window], zone: tzinfo, now: datetime, lang: Lang
) -> str:
    """What a student who just subscribed should know at once: a window already open, or the next one."""
    name = _programme_name(knowledge, programme_id, lang)
    mine = sorted((w for w in windows if w.programme == programme_id and w.closes > now), key=lambda w: w.opens)
    open_now = next((w for w in mine if w.is_open(now)), None)
    if open_now is not None:
        closes = when(open_now.closes, zone, lang, closing=True)
        return t(
            lang,
            "✅ Subscribed to {programme}. Applications are open now, until {closes}.",
            programme=name,
            closes=closes,
        )
    if mine:
        opens = when(mine[0].opens, zone, lang)
        return t(
            lang,
            "✅ Subscribed to {programme}. Applications open on {opens}; you will be told.",
            programme=name,
            opens=opens,
        )
    # The page watch, where it runs, is said by the menu shown under this note (subscriptions_menu).
    return t(
        lang,
        "✅ Subscribed to {programme}. This bot has no current application dates; once staff enter them, you will be "
        "told when applications open.",
        programme=name,
    )


def page_watch_promise(lang: Lang) -> str:
    """What the page watch (``bot.watcher``) does for subscribers, said only where it runs (WATCH_URL set): a
    change reaches them once staff confirm it, never by itself, and only for the programmes it concerns."""
    return t(
        lang,
        "The bot also watches the embassy's Exchange Programs page: when staff confirm a change there, the "
        "subscribers of the programmes it concerns are told.",
    )


def unsubscribed_note(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> str:
    name = _programme_name(knowledge, programme_id, lang)
    return t(lang, "You will no longer get alerts about {programme}.", programme=name)


def unsubscribed_all_note(lang: Lang) -> str:
    return t(lang, "You will no longer get any deadline alerts.")


def unknown_programme(knowledge: KnowledgeBase, name: str, lang: Lang) -> str:
    known = ", ".join(p.id for p in knowledge.programmes)
    # The name is what the user typed: shown as text, never read as markup (a link, bold).
    return t(
        lang,
        "There is no programme called “{name}”. Choose one below ({known}).",
        name=markup.literal(name),
        known=known,
    )


def deadlines(
    knowledge: KnowledgeBase,
    windows: Sequence[Window],
    zone: tzinfo,
    now: datetime,
    lang: Lang,
    *,
    page_watched: bool = False,
) -> Reply:
    """Open and upcoming windows of every programme, with dates and days left."""
    current = sorted((w for w in windows if w.closes > now), key=lambda w: (w.opens, w.programme))
    if not current:
        text = t(
            lang,
            "**Application deadlines**\nThis bot has no application dates at the moment. The embassy's Exchange "
            "Programs page says further details will appear there as the time for application approaches.",
        )
        if page_watched:
            text = f"{text} {page_watch_promise(lang)}"
        alerts: tuple[tuple[Button, ...], ...] = ((Button(t(lang, "🔔 Deadline alerts"), ShowSubscriptions()),),)
        return Reply(text, (*_timing_button(knowledge, lang), *alerts))
    lines = [t(lang, "**Application deadlines**")]
    for window in current:
        name = _programme_name(knowledge, window.programme, lang)
        title = f"{name}: {window.title[lang]}" if window.title is not None else name
        closes = when(window.closes, zone, lang, closing=True)
        if window.is_open(now):
            status = t(
                lang, "open until {closes} ({left})", closes=closes, left=days_left_text(days_left(window, now), lang)
            )
        else:
            status = t(lang, "opens {opens}, closes {closes}", opens=when(window.opens, zone, lang), closes=closes)
        lines.append(f"- **{title}**: {status}")
    buttons = (
        (Button(t(lang, "📅 Add to calendar"), ShowDeadlines(calendar=True)),),
        (Button(t(lang, "🔔 Deadline alerts"), ShowSubscriptions()),),
    )
    return Reply("\n".join(lines), buttons)


def _programme_buttons(
    knowledge: KnowledgeBase, programme_id: str, lang: Lang, *, unsubscribe: bool
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    quiz = knowledge.quiz(programme_id)
    if quiz is not None:
        if quiz.requirements is not None and quiz.requirements in knowledge.by_id:
            entry = knowledge.entry(quiz.requirements)
            rows.append((Button(entry.title[lang], ShowEntry(entry.id)),))
        rows.append((Button(t(lang, "✅ Check my eligibility"), QuizStep(quiz.programme, quiz.version)),))
    if unsubscribe:
        rows.append((Button(t(lang, "🔕 Unsubscribe"), Unsubscribe(programme_id)),))
    rows.append((Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),))
    return tuple(rows)


def _timing_button(knowledge: KnowledgeBase, lang: Lang) -> tuple[tuple[Button, ...], ...]:
    entry = knowledge.get("programs.timing")
    return ((Button(entry.title[lang], ShowEntry(entry.id)),),) if entry is not None else ()


def _programme_name(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> str:
    programme = knowledge.programme(programme_id)
    return programme.name[lang] if programme is not None else programme_id
