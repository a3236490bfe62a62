"""Read the knowledge base from YAML, validate it whole, and report every problem with file and line.

A staff member's edit is checked the same way by ``python -m bot check-knowledge``, at start-up and on
``/reload``; nothing half-valid is ever served.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError

from bot.core import markup
from bot.core.errors import KnowledgeError, Problem
from bot.core.knowledge import ANSWER_MAX_CHARS, FIRST_SCREEN_CHARS, Entry, KnowledgeBase, Programme
from bot.core.languages import LANGUAGES, Lang
from bot.core.normalize import normalize
from bot.core.quiz import Quiz
from bot.core.quiz_checks import check_quiz
from bot.core.windows import WindowSpec, resolve

Path_ = tuple[str | int, ...]
_M = TypeVar("_M", bound=BaseModel)


_WHEN_TYPES = frozenset({"date", "datetime"})
_FILE_KEYS = ("programme", "entries", "quiz", "windows")
# Only to check that a window closes after it opens; the bot resolves windows in its configured zone.
_CHECK_ZONE = ZoneInfo("Europe/Brussels")

EMBASSY_PAGE_URL = "https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html"
"""The page most facts rest on: a quote attributed to it must be found in its copy under ``sources/``."""
SOURCES_DIR = "sources"
"""Copies of source pages, next to the YAML files: ``# URL: …`` in a header of ``#`` lines ended by ``# ---``."""
REQUIRE_QUOTES = True
"""Every source of every entry names the sentence it rests on (``quote``), so a reviewer can check it."""
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
_WHITESPACE = re.compile(r"\s+")


def normalise_quote(text: str) -> str:
    """Text as compared for quotes: runs of whitespace as one space, typographic quotes, apostrophes and dashes
    as their plain forms; case and everything else as written, so a quote is the source's own words."""
    return _WHITESPACE.sub(" ", text.translate(_TYPOGRAPHIC)).strip()


@dataclass(frozen=True, slots=True)
class PageCopy:
    """The text of a source page kept in the repository, to check quotes attributed to its URL against."""

    url: str
    file: str
    text: str
    """Normalised with ``normalise_quote``."""
    edition: str | None = None
    """The ``as_of`` of the page copied (``# Edition:``); a source citing another edition is not checked."""

    def holds(self, quote: str) -> bool:
        return normalise_quote(quote) in self.text


@dataclass(frozen=True, slots=True)
class _KnowledgeFile:
    programme: Programme | None
    entries: tuple[tuple[int, Entry], ...]
    """Valid entries with their position in the file (positions locate lines; invalid ones are skipped)."""
    quiz: Quiz | None = None
    windows: tuple[tuple[int, WindowSpec], ...] = ()


@dataclass(slots=True)
class _Parsed:
    """A YAML document as plain data, with the line of every key and list item."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Iterable[str | int]) -> int:
        """The line of the deepest part of ``path`` that exists in the document."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return 1


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate every ``*.yaml`` file in ``directory``; raise KnowledgeError listing all problems."""
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise KnowledgeError(directory, [Problem(str(directory), 0, "no *.yaml knowledge files found here")])

    problems: list[Problem] = []
    entries: list[tuple[Entry, str, _Parsed, int]] = []
    programmes: list[tuple[Programme, str]] = []
    quizzes: list[tuple[Quiz, str, _Parsed]] = []
    windows: list[WindowSpec] = []
    declared_ids: set[str] = set()
    digest = hashlib.sha256()
    for path in files:
        name = path.name
        raw = _read_capped(path, name, problems)
        if raw is None:
            continue
        digest.update(path.name.encode() + b"\0" + raw)
        try:
            parsed = _parse_yaml(raw.decode("utf-8"), name, problems)
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, 1, f"not UTF-8 text ({exc.reason}); save the file as UTF-8"))
            continue
        if parsed is None:
            continue
        declared_ids.update(_declared_ids(parsed.data))
        knowledge_file = _validate_file(parsed, name, problems)
        if knowledge_file is None:
            continue
        programme_id = knowledge_file.programme.id if knowledge_file.programme else None
        if knowledge_file.programme is not None:
            programmes.append((knowledge_file.programme, name))
            programme_id = knowledge_file.programme.id
            windows.extend(spec.model_copy(update={"programme": programme_id}) for _, spec in knowledge_file.windows)
            problems.extend(_check_windows(knowledge_file.windows, name, parsed))
            if knowledge_file.quiz is not None:
                quizzes.append((knowledge_file.quiz.with_version(knowledge_file.programme.id), name, parsed))
        for index, entry in knowledge_file.entries:
            entries.append((entry.model_copy(update={"programme": programme_id}), name, parsed, index))

    problems.extend(_cross_check(entries, programmes, declared_ids))
    copies = _page_copies(directory / SOURCES_DIR, problems, digest)
    problems.extend(_check_quotes(entries, copies))
    for quiz, name, parsed in quizzes:
        problems.extend(check_quiz(quiz, declared_ids, name, parsed.line_of))
    if problems:
        raise KnowledgeError(directory, problems)
    return KnowledgeBase(
        entries=tuple(entry for entry, *_ in entries),
        programmes=tuple(programme for programme, _ in programmes),
        quizzes=tuple(quiz for quiz, *_ in quizzes),
        windows=tuple(windows),
        version=digest.hexdigest()[:8],
    )


# Limits for a knowledge file, far above what staff write (the largest file is about 125 KB, 12 levels deep),
# so that a broken or hostile file is refused in well under a second instead of taking minutes and gigabytes.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 100_000
# C0 controls but tab and line breaks, DEL and C1 controls: invisible, never meant in an answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# libyaml is about 20 times faster than PyYAML's Python parser; the checks below make its use safe.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_capped(path: Path, name: str, problems: list[Problem]) -> bytes | None:
    """The file's bytes, read no further than the size limit (a link to /dev/zero has no end)."""
    try:
        if not path.is_file():
            problems.append(Problem(name, 0, "not a regular file; a knowledge file must be a YAML text file"))
            return None
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(name, 0, f"cannot be read: {exc.strerror or exc}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(
            Problem(name, 0, f"larger than {MAX_FILE_BYTES // 1024} KB; split it into several files (one per topic)")
        )
        return None
    return raw


def _refused(text: str, name: str) -> Problem | None:
    """What the knowledge format does not allow, found while only reading YAML events (no tree is built):
    control characters, anchors' aliases (``*name``, the way to a 'billion laughs' bomb or a file that
    contains itself), explicit tags (``!!python/object``…), merge keys (``<<``), deeper nesting than
    MAX_DEPTH and more than MAX_NODES values."""
    if control := _CONTROL.search(text):
        line = text.count("\n", 0, control.start()) + 1
        return Problem(name, line, f"contains the control character U+{ord(control.group()):04X}; delete it")
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            return Problem(name, line, f"alias '*{event.anchor}': anchors and aliases are not allowed; write it out")
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!":
                return Problem(name, line, f"tag '{tag}' is not allowed; write plain text, numbers and dates")
            if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and event.implicit[0]:
                return Problem(name, line, "merge keys ('<<') are not allowed; write each key out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(name, line, f"nested more than {MAX_DEPTH} levels deep; knowledge needs far fewer")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if nodes > MAX_NODES:
            return Problem(name, line, f"more than {MAX_NODES} values; split the file into several")
    return None


def _python_error(text: str) -> yaml.MarkedYAMLError | None:
    """PyYAML's wording of a syntax error (libyaml's is terser: "found a tab character that violates
    indentation"); its Python parser is slow but reads only up to the error, and only for a broken file."""
    try:
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as exc:
        return exc
    except yaml.YAMLError:
        return None
    return None


def _parse_yaml(text: str, name: str, problems: list[Problem]) -> _Parsed | None:
    try:
        if refused := _refused(text, name):
            problems.append(refused)
            return None
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as fast_exc:
        exc = _python_error(text) or fast_exc
        # An unclosed quote or bracket is found at the end of the file; where it opened is what staff need.
        at_end = "stream end" in (exc.problem or "") or "end of stream" in (exc.problem or "")
        opened = exc.context_mark is not None and (at_end or (exc.context or "").startswith("while scanning a quoted"))
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = f"{exc.context}: {exc.problem}" if opened else (exc.problem or str(exc))
        problems.append(Problem(name, line, f"malformed YAML: {detail}"))
        return None
    except yaml.YAMLError as exc:  # e.g. a reader error without a mark
        problems.append(Problem(name, 1, f"malformed YAML: {exc}"))
        return None
    if node is None:
        problems.append(Problem(name, 1, "the file is empty; it needs an 'entries:' list"))
        return None
    parsed = _Parsed(data=None)
    parsed.data = _to_data(node, (), parsed, name, problems)
    if not isinstance(parsed.data, dict):
        problems.append(Problem(name, 1, "the file must be a mapping with 'entries:' (and 'programme:')"))
        return None
    return parsed


def _to_data(node: yaml.Node, path: Path_, parsed: _Parsed, name: str, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            line = key_node.start_mark.line + 1
            if key in mapping:
                problems.append(Problem(name, line, f"'{key}' appears twice here; keep one"))
            parsed.lines[(*path, key)] = line
            mapping[key] = _to_data(value_node, (*path, key), parsed, name, problems)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            parsed.lines[(*path, index)] = item_node.start_mark.line + 1
            items.append(_to_data(item_node, (*path, index), parsed, name, problems))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    """Plain scalars are resolved the YAML way (numbers, null), except that YAML 1.1's yes/no/on/off stay
    words: staff writing ``keywords: [yes, no]`` mean the words."""
    if not isinstance(node, yaml.ScalarNode):
        return str(node.value)
    try:
        value = yaml.SafeLoader("").construct_object(node)
    except (ValueError, yaml.YAMLError):  # looks like a date but is none ("2026-09-31"): validation says so
        return str(node.value)
    if isinstance(value, bool) and str(node.value).lower() not in {"true", "false"}:
        return str(node.value)
    return value


def _validate_file(parsed: _Parsed, name: str, problems: list[Problem]) -> _KnowledgeFile | None:
    """Validate the programme block and each entry on its own, so one bad entry hides no other problem."""
    data = parsed.data
    unknown = sorted(str(key) for key in data if key not in _FILE_KEYS)
    for key in unknown:
        problems.append(
            Problem(name, parsed.line_of((key,)), f"{key}: {_explain({'type': 'extra_forbidden', 'loc': (key,)})}")
        )
    programme: Programme | None = None
    if data.get("programme") is not None:
        programme = _validated(Programme, data["programme"], ("programme",), parsed, name, problems)
    quiz: Quiz | None = None
    if data.get("quiz") is not None:
        quiz = _validated(Quiz, data["quiz"], ("quiz",), parsed, name, problems)
        if quiz is not None and programme is None and "programme" not in data:
            problems.append(Problem(name, parsed.line_of(("quiz",)), "a quiz belongs in a programme's file"))
    windows: list[tuple[int, WindowSpec]] = []
    raw_windows = data.get("windows")
    if raw_windows is not None:
        if not isinstance(raw_windows, list):
            problems.append(Problem(name, parsed.line_of(("windows",)), "'windows' must be a list of windows"))
        elif "programme" not in data:
            problems.append(Problem(name, parsed.line_of(("windows",)), "windows belong in a programme's file"))
        else:
            windows = [
                (index, window)
                for index, raw in enumerate(raw_windows)
                if (window := _validated(WindowSpec, raw, ("windows", index), parsed, name, problems)) is not None
            ]
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        problems.append(Problem(name, parsed.line_of(("entries",)), "'entries' must be a list of entries"))
        return None
    entries = [
        (index, entry)
        for index, raw in enumerate(raw_entries)
        if (entry := _validated(Entry, raw, ("entries", index), parsed, name, problems)) is not None
    ]
    return _KnowledgeFile(programme=programme, entries=tuple(entries), quiz=quiz, windows=tuple(windows))


def _validated(model: type[_M], raw: Any, at: Path_, parsed: _Parsed, name: str, problems: list[Problem]) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose items all failed is also "too short"; its items' own problems say more.
        with_item_errors = {e["loc"][:i] for e in errors for i in range(len(e["loc"])) if isinstance(e["loc"][i], int)}
        reported: set[tuple[str | int, ...]] = set()
        for error in errors:
            if error["type"] == "too_short" and error["loc"] in with_item_errors:
                continue
            loc = (*at, *error["loc"])
            message = _explain(error)
            if loc[-1] in _WHEN_TYPES:  # one problem for "date or date-time", not one per accepted type
                loc, message = loc[:-1], "must be a date (2027-09-01) or a date and time (2027-09-01T09:00)"
            if loc in reported:
                continue
            reported.add(loc)
            problems.append(Problem(name, parsed.line_of(loc), f"{_describe(loc, parsed.data)}: {message}"))
        return None


def _describe(loc: tuple[str | int, ...], data: Any) -> str:
    """'entry mirai.age, answer.fr' rather than a bare path, so staff find the place by name too."""
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        try:
            entry_id = data["entries"][loc[1]].get("id", f"#{loc[1] + 1}")
        except (IndexError, KeyError, TypeError, AttributeError):
            entry_id = f"#{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:])
        return f"entry {entry_id}" + (f", {rest}" if rest else "")
    return ".".join(str(part) for part in loc) or "file"


def _explain(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        field_name = error["loc"][-1]
        if field_name in LANGUAGES:
            return f"missing translation '{field_name}'"
        return f"'{field_name}' is required"
    if kind == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}' (a typo?); see knowledge/README.md for the keys"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        needed = error.get("ctx", {}).get("min_length", 1)
        return "must not be empty" if needed == 1 else f"needs at least {needed} items"
    if kind == "string_pattern_mismatch":
        return f"'{error['input']}' is not a valid value here ({error['msg'].lower()})"
    return str(error["msg"])


def _page_copies(folder: Path, problems: list[Problem], digest: Any) -> dict[str, PageCopy]:
    """The copies in ``sources/`` by URL; a copy without a ``# URL:`` header line is reported, not guessed."""
    copies: dict[str, PageCopy] = {}
    for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
        name = f"{SOURCES_DIR}/{path.name}"
        raw = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw)
        lines = raw.decode("utf-8", errors="replace").splitlines()
        header = 0
        url = edition = None
        while header < len(lines) and lines[header].startswith("#"):
            if match := re.match(r"#\s*URL:\s*(\S+)", lines[header]):
                url = match.group(1)
            if match := re.match(r"#\s*Edition:\s*(.+?)\s*$", lines[header]):
                edition = match.group(1)
            header += 1
            if lines[header - 1].strip() == "# ---":
                break
        if url is None:
            problems.append(Problem(name, 1, "a source copy needs a header line '# URL: https://…' naming its page"))
            continue
        if url in copies:
            problems.append(Problem(name, 1, f"{url} also has a copy in {copies[url].file}; keep one"))
            continue
        copies[url] = PageCopy(url, name, normalise_quote("\n".join(lines[header:])), edition)
    return copies


def _check_quotes(entries: list[tuple[Entry, str, _Parsed, int]], copies: dict[str, PageCopy]) -> list[Problem]:
    """Each source's quote is in the copy of its page (when the repository keeps one), and is there at all."""
    problems: list[Problem] = []
    for entry, name, parsed, index in entries:
        for position, source in enumerate(entry.sources):
            at = ("entries", index, "sources", position)
            which = f"entry {entry.id}: source {position + 1} ({source.title})"
            if source.quote is None:
                if REQUIRE_QUOTES:
                    problems.append(
                        Problem(
                            name,
                            parsed.line_of(at),
                            f"{which} has no 'quote': add the sentence of the source this answer rests on, verbatim",
                        )
                    )
                continue
            copy = copies.get(source.url) if source.url else None
            line = parsed.line_of((*at, "quote"))
            if copy is None and source.url == EMBASSY_PAGE_URL:
                problems.append(
                    Problem(name, line, f"{which}: no copy of {EMBASSY_PAGE_URL} in {SOURCES_DIR}/ to check the quote")
                )
            elif copy is not None and copy.edition in (None, source.edition) and not copy.holds(source.quote):
                # Only the edition kept can be checked: a quote of an older edition (2018-2019) is for auditors.
                problems.append(
                    Problem(
                        name,
                        line,
                        f"{which}: the quote is not on the page as kept in {copy.file}; copy the page's sentence "
                        "exactly (only spacing and typographic quotes or dashes may differ)",
                    )
                )
    return problems


def _check_windows(windows: tuple[tuple[int, WindowSpec], ...], name: str, parsed: _Parsed) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, spec in windows:
        at = ("windows", index)
        if spec.id in seen:
            problems.append(Problem(name, parsed.line_of((*at, "id")), f"window id '{spec.id}' is used twice"))
        seen.add(spec.id)
        window = resolve(spec, _CHECK_ZONE)
        if window.closes <= window.opens:
            problems.append(
                Problem(name, parsed.line_of((*at, "closes")), f"window '{spec.id}' closes before it opens")
            )
    return problems


def _declared_ids(data: Any) -> set[str]:
    """Entry ids as written, valid or not, so a broken entry is not also reported as an unknown related id."""
    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list):
        return set()
    return {raw["id"] for raw in raw_entries if isinstance(raw, dict) and isinstance(raw.get("id"), str)}


def _details_problems(entry_id: str, lang: Lang, details: str, name: str, line: int) -> list[Problem]:
    """The details are a message of their own: the same markup and the same size limit as an answer."""
    found = [Problem(name, line, f"entry {entry_id}: details.{lang}: {issue}") for issue in markup.problems(details)]
    if len(details) > ANSWER_MAX_CHARS:
        found.append(
            Problem(
                name,
                line,
                f"entry {entry_id}: details.{lang} has {len(details)} characters; the limit is {ANSWER_MAX_CHARS}",
            )
        )
    return found


def _cross_check(
    entries: list[tuple[Entry, str, _Parsed, int]],
    programmes: list[tuple[Programme, str]],
    known_ids: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    question_owner: dict[str, str] = {}

    programme_files: dict[str, str] = {}
    for programme, name in programmes:
        if programme.id in programme_files:
            problems.append(
                Problem(name, 1, f"programme '{programme.id}' is also declared in {programme_files[programme.id]}")
            )
        programme_files.setdefault(programme.id, name)

    theme_owner: dict[tuple[str | None, str], str] = {}
    for entry, name, parsed, index in entries:
        at = ("entries", index)
        here = parsed.line_of(at)
        if entry.theme and entry.programme is None:
            problems.append(
                Problem(name, here, f"entry {entry.id}: 'theme' is for programme entries; this file has none")
            )
        for theme in entry.theme if entry.programme is not None else ():
            if (owner := theme_owner.setdefault((entry.programme, theme), entry.id)) != entry.id:
                problems.append(
                    Problem(
                        name, here, f"entry {entry.id}: theme '{theme}' is already used by {owner} in {entry.programme}"
                    )
                )
        if entry.id in first_seen:
            problems.append(Problem(name, here, f"duplicate id '{entry.id}' (also in {first_seen[entry.id]})"))
        else:
            first_seen[entry.id] = name
        for position, related in enumerate(entry.related):
            line = parsed.line_of((*at, "related", position))
            if related == entry.id:
                problems.append(Problem(name, line, f"entry {entry.id}: lists itself as related"))
            elif related not in known_ids:
                problems.append(Problem(name, line, f"entry {entry.id}: unknown related id '{related}'"))
        for lang in LANGUAGES:
            answer = entry.answer[lang]
            line = parsed.line_of((*at, "answer", lang))
            if len(answer) > ANSWER_MAX_CHARS:
                problems.append(
                    Problem(
                        name,
                        line,
                        f"entry {entry.id}: answer.{lang} has {len(answer)} characters; "
                        f"the limit is {ANSWER_MAX_CHARS}",
                    )
                )
            if (shown := len(markup.shown(answer.strip()))) > FIRST_SCREEN_CHARS:
                problems.append(
                    Problem(
                        name,
                        line,
                        f"entry {entry.id}: answer.{lang} shows {shown} characters, more than the "
                        f"{FIRST_SCREEN_CHARS} that fit one phone screen; keep what answers the question and move "
                        "the rest into 'details' (see knowledge/README.md)",
                    )
                )
            problems.extend(
                Problem(name, line, f"entry {entry.id}: answer.{lang}: {issue}") for issue in markup.problems(answer)
            )
            if entry.details is not None:
                line = parsed.line_of((*at, "details", lang))
                problems.extend(_details_problems(entry.id, lang, entry.details[lang], name, line))
        for lang in LANGUAGES:
            for position, question in enumerate(entry.questions[lang]):
                key = normalize(question)
                owner = question_owner.setdefault(key, entry.id)
                if owner != entry.id:
                    line = parsed.line_of((*at, "questions", lang, position))
                    problems.append(
                        Problem(name, line, f"entry {entry.id}: example question '{question}' is also in {owner}")
                    )
    return problems
