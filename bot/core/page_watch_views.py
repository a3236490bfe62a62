"""What staff and subscribers read when the embassy's page changes.

Staff get the diff and a "Tell subscribers" button (in English, like every staff message); subscribers get,
once staff confirm, a notice in their language with the link and the changed lines quoted as the page has
them (the page is in English).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.page_watch import PageDiff
from bot.core.views import Button, ConfirmPageChange, Reply, ShowMenu, Unsubscribe

TELL_SUBSCRIBERS: Final = "Tell subscribers"


def quoted(line: str) -> str:
    """A line of page text as a quotation that the staff markup shows as typed: quoted, so that it never
    starts a list, and with ``**`` broken up, so that it never turns bold."""
    return "“" + line.replace("**", "*\u200b*") + "”"


def _diff_lines(diff: PageDiff, added: str, removed: str) -> list[str]:
    lines: list[str] = []
    if diff.added:
        lines += [added, *(quoted(line) for line in diff.added)]
    if diff.removed:
        lines += [removed, *(quoted(line) for line in diff.removed)]
    return lines


def staff_change_message(change_id: int, url: str, diff: PageDiff, programmes: Sequence[str], recipients: int) -> Reply:
    """The diff for staff, with what confirming would do."""
    lines = ["🔎 **The embassy's page has changed**", url, "", *_diff_lines(diff, "Added:", "Removed:")]
    if diff.omitted:
        lines.append(f"(and {diff.omitted} more changed line{'s' if diff.omitted != 1 else ''})")
    who = "1 subscriber" if recipients == 1 else f"{recipients} subscribers"
    lines += [
        "",
        f"Concerns: {', '.join(programmes)} ({who} now). Nobody is told until you press “{TELL_SUBSCRIBERS}”.",
    ]
    return Reply("\n".join(lines), ((Button(TELL_SUBSCRIBERS, ConfirmPageChange(change_id)),),))


def page_change_notice(
    knowledge: KnowledgeBase, url: str, diff: PageDiff, programmes: Sequence[str], lang: Lang
) -> Reply:
    """The notice a subscriber gets once staff confirm a change, in their language."""
    names = [_name(knowledge, programme, lang) for programme in programmes]
    lines = [
        t(lang, "🔎 **The embassy's Exchange Programs page has changed**"),
        t(lang, "It concerns {names}. Read the page: {url}", names=" / ".join(names), url=url),
        "",
        t(lang, "What changed, quoted from the page:"),
        *_diff_lines(diff, t(lang, "Added:"), t(lang, "Removed:")),
    ]
    if diff.omitted == 1:
        lines.append(t(lang, "(and 1 more changed line on the page)"))
    elif diff.omitted:
        lines.append(t(lang, "(and {count} more changed lines on the page)", count=diff.omitted))
    if len(programmes) == 1:
        unsubscribe = [(Button(t(lang, "🔕 Unsubscribe"), Unsubscribe(programmes[0])),)]
    else:
        unsubscribe = [
            (Button(t(lang, "🔕 Unsubscribe: {programme}", programme=name), Unsubscribe(programme)),)
            for programme, name in zip(programmes, names, strict=True)
        ]
    return Reply("\n".join(lines), (*unsubscribe, (Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),)))


def programme_names(knowledge: KnowledgeBase) -> Mapping[str, tuple[str, ...]]:
    """Programme id -> the names a change may call it by: its name in each language (its id, "mirai" or
    "jet", counts too: see ``programmes_mentioned``)."""
    names: dict[str, tuple[str, ...]] = {}
    for programme in knowledge.programmes:
        spelled = {programme.name[lang] for lang in ("en", "fr", "nl")}
        names[programme.id] = tuple(sorted(spelled))
    return names


def _name(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> str:
    programme = knowledge.programme(programme_id)
    return programme.name[lang] if programme is not None else programme_id
