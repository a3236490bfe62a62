"""What staff read after a reload and in the unanswered report, the same for every channel that shows it.

Staff may have chosen French or Dutch with /language like anyone, so these are translated too. What a
student wrote (an unanswered question) and the loader's report are the user's or the files' text, shown as
text, never read as markup.
"""

from __future__ import annotations

from typing import Final

from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.markup import literal
from bot.core.unanswered import Group
from bot.core.views import Reply

REPORT_SHOWN: Final = 3500
"""Characters of a refused reload's report shown in a chat message (Telegram's limit is 4,096 in all)."""
EXAMPLE_SHOWN: Final = 160
"""Characters of each unanswered question's example shown."""


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
