"""What staff read after a reload and in the unanswered report, the same for every channel that shows it.

Staff may have chosen French or Dutch with /language like anyone, so these are translated too. What a
student wrote (an unanswered question) and the loader's report are the user's or the files' text, shown as
text, never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.markup import literal
from bot.core.unanswered import Group
from bot.core.views import Button, ConfirmBroadcast, Reply

REPORT_SHOWN: Final = 3500
"""Characters of a refused reload's report shown in a chat message (Telegram's limit is 4,096 in all)."""
EXAMPLE_SHOWN: Final = 160
"""Characters of each unanswered question's example shown."""


class StatsCounts(Protocol):
    """The counts /stats shows (``bot.storage.Stats``)."""

    @property
    def users(self) -> int: ...
    @property
    def active_users(self) -> int: ...
    @property
    def subscribers(self) -> Mapping[str, int]: ...
    # Keyed by the storage's delivery states and the log's outcomes (Literal types); shown as they are named.
    @property
    def deliveries(self) -> Mapping[Any, int]: ...
    @property
    def questions_last_7_days(self) -> Mapping[Any, int]: ...
    @property
    def questions_last_30_days(self) -> Mapping[Any, int]: ...
    @property
    def quiz_verdicts_last_30_days(self) -> Mapping[str, int]: ...


def reloaded(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    return Reply(
        t(
            lang,
            "Reloaded: {entries} entries, application windows: {windows}, version {version}. Alerts rescheduled.",
            entries=len(knowledge.entries),
            windows=len(knowledge.windows),
            version=knowledge.version,
        )
    )


def reload_refused(
    problem: KnowledgeError | ReloadTimeout | ReloadInProgress, served: KnowledgeBase, lang: Lang
) -> Reply:
    """Why the reload did not happen; the knowledge base served meanwhile is the previous one."""
    if isinstance(problem, KnowledgeError):
        heading = t(lang, "Reload refused; still serving the previous knowledge base.")
        return Reply(f"{heading}\n{literal(problem.report()[:REPORT_SHOWN])}")
    if isinstance(problem, ReloadTimeout):
        why = t(
            lang,
            "Reload stopped: reading the knowledge base took longer than {seconds} s (RELOAD_TIMEOUT_SECONDS). "
            "Check the files with python -m bot check-knowledge.",
            seconds=f"{problem.seconds:g}",
        )
    else:
        why = t(lang, "Reload refused: the previous reload is still reading the knowledge base. Try again later.")
    still = t(lang, "Still serving the previous knowledge base (version {version}).", version=served.version)
    return Reply(f"{why} {still}")


def unanswered(groups: list[Group], days: int, lang: Lang) -> Reply:
    """The most asked questions the bot could not answer, with the entry nearest to each."""
    if not groups:
        return Reply(t(lang, "No unanswered questions in the last {days} days.", days=days))
    lines = [t(lang, "**Unanswered, last {days} days** (most asked first)", days=days)]
    for group in groups:
        nearest = " — " + t(lang, "nearest: {entry}", entry=group.nearest) if group.nearest else ""
        langs = "/".join(sorted(group.langs))
        lines.append(f"{group.count}× [{langs}] {literal(group.example[:EXAMPLE_SHOWN])}{nearest}")
    lines.append(t(lang, "The full list: python -m bot unanswered --csv"))
    return Reply("\n".join(lines))


@dataclass(frozen=True, slots=True)
class QuestionLogHealth:
    """What the batched question log lost or still holds since the process started."""

    dropped: int
    refused: int
    waiting: int


@dataclass(frozen=True, slots=True)
class PageWatchStatus:
    """How the watch of the embassy's page goes; ``page`` is None before its first check."""

    url: str
    page: WatchedPage | None
    unconfirmed_changes: int = 0


class WatchedPage(Protocol):
    """The stored state of a watched page, as far as /stats shows it (``WatchedPageRecord``)."""

    @property
    def succeeded_at(self) -> datetime | None: ...
    @property
    def error_at(self) -> datetime | None: ...
    @property
    def error(self) -> str | None: ...


def stats(
    counts: StatsCounts,
    lang: Lang,
    *,
    dropped_replies: int | None = None,
    question_log: QuestionLogHealth | None = None,
    page_watch: PageWatchStatus | None = None,
) -> Reply:
    """/stats: users, subscribers, questions by outcome, deliveries, quiz verdicts, and what went missing.
    ``dropped_replies``: replies Telegram's 429s made the bot drop, where a rate limiter counts them;
    ``page_watch``: None when the page watch is off."""
    lines = [
        t(lang, "**Statistics**"),
        t(lang, "Users: {users} ({reachable} reachable)", users=counts.users, reachable=counts.active_users),
    ]
    for programme, count in sorted(counts.subscribers.items()):
        lines.append(t(lang, "Subscribers, {programme}: {count}", programme=literal(programme), count=count))
    for days, by_outcome in ((7, counts.questions_last_7_days), (30, counts.questions_last_30_days)):
        total = sum(by_outcome.values())
        shares = ", ".join(f"{outcome} {_share(n, total)}" for outcome, n in sorted(by_outcome.items()))
        line = t(lang, "Questions, last {days} days: {total}", days=days, total=total)
        lines.append(line + (f" ({shares})" if total else ""))
    none = t(lang, "none")
    deliveries = ", ".join(f"{state} {n}" for state, n in sorted(counts.deliveries.items())) or none
    lines.append(t(lang, "Alerts and announcements delivered: {deliveries}", deliveries=deliveries))
    verdicts = ", ".join(f"{key} {n}" for key, n in sorted(counts.quiz_verdicts_last_30_days.items())) or none
    lines.append(t(lang, "Quiz verdicts, last 30 days: {verdicts}", verdicts=literal(verdicts)))
    if dropped_replies is not None:
        lines.append(
            t(lang, "Replies dropped since start (Telegram kept answering 429): {count}", count=dropped_replies)
        )
    if question_log is not None:
        lines.append(
            t(
                lang,
                "Questions not logged since start: {dropped} (log queue full), {refused} (refused by the database); "
                "waiting to be written: {waiting}",
                dropped=question_log.dropped,
                refused=question_log.refused,
                waiting=question_log.waiting,
            )
        )
    lines.extend(_page_watch_lines(page_watch, lang))
    return Reply("\n".join(lines))


def _page_watch_lines(status: PageWatchStatus | None, lang: Lang) -> list[str]:
    if status is None:
        return [t(lang, "Page watch: off (WATCH_URL is empty)")]
    page = status.page
    if page is None:
        return [t(lang, "Page watch: {url}, not checked yet", url=literal(status.url))]
    error = (
        f"{_when(page.error_at, lang)}: {literal(page.error or '')}" if page.error_at is not None else t(lang, "none")
    )
    lines = [
        t(
            lang,
            "Page watch: last success {success}; last error {error}",
            success=_when(page.succeeded_at, lang),
            error=error,
        )
    ]
    if status.unconfirmed_changes:
        lines.append(t(lang, "Page changes not passed on to subscribers: {count}", count=status.unconfirmed_changes))
    return lines


def _when(instant: datetime | None, lang: Lang) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC") if instant is not None else t(lang, "never")


def _share(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%" if total else "0%"


def subscribers(count: int, lang: Lang) -> str:
    """ "1 subscriber", "2 subscribers"."""
    return t(lang, "1 subscriber") if count == 1 else t(lang, "{count} subscribers", count=count)


def broadcast_usage(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    """/broadcast without a known programme or without text: how to write it."""
    return Reply(
        t(
            lang,
            "Usage: /broadcast PROGRAMME text of the announcement (several lines allowed; {bold} and links work as "
            "in the knowledge base). Programmes: {programmes}.",
            bold=literal("**bold**"),
            programmes=", ".join(p.id for p in knowledge.programmes),
        )
    )


def broadcast_preview(programme_id: str, text: str, recipients: int, draft_id: int, lang: Lang) -> Reply:
    """The announcement as subscribers will read it (staff markup and all), with the button that sends it."""
    heading = t(
        lang,
        "Preview of the announcement to {subscribers} of {programme}:",
        subscribers=subscribers(recipients, lang),
        programme=programme_id,
    )
    button = Button(
        t(lang, "Send to {subscribers}", subscribers=subscribers(recipients, lang)), ConfirmBroadcast(draft_id)
    )
    return Reply(f"{heading}\n\n{text}", ((button,),))


def broadcast_confirmed(queued: int | None, lang: Lang) -> Reply:
    """After "Send to …": queued now, already sent, or gone. ``queued`` is None for a draft that is gone."""
    if queued is None:
        return Reply(t(lang, "This announcement no longer exists."))
    if queued == 0:
        return Reply(t(lang, "This announcement was already sent (or has no recipients)."))
    return Reply(
        t(lang, "Sending to {subscribers} now, within Telegram's limits.", subscribers=subscribers(queued, lang))
    )


def page_change_confirmed(queued: int | None, lang: Lang) -> Reply:
    """After "Tell subscribers" under a change of the embassy's page."""
    if queued is None:
        return Reply(t(lang, "This page change no longer exists."))
    if queued == 0:
        return Reply(t(lang, "Subscribers were already told about this change (or there are none)."))
    return Reply(t(lang, "Telling {subscribers} now, within Telegram's limits.", subscribers=subscribers(queued, lang)))
