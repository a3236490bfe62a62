"""Read the knowledge base from YAML, validate it whole, and report every problem with file and line.

A staff member's edit is checked the same way by ``python -m bot check-knowledge``, at start-up and on
``/reload``; nothing half-valid is ever served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core import markup
from bot.core.errors import KnowledgeError, Problem
from bot.core.knowledge import ANSWER_MAX_CHARS, Entry, KnowledgeBase, Programme
from bot.core.languages import LANGUAGES
from bot.core.normalize import normalize

Path_ = tuple[str | int, ...]


class _KnowledgeFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    programme: Programme | None = None
    entries: tuple[Entry, ...] = ()


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
    programmes: list[Programme] = []
    digest = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        name = path.name
        try:
            parsed = _parse_yaml(raw.decode("utf-8"), name, problems)
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, 1, f"not UTF-8 text ({exc.reason}); save the file as UTF-8"))
            continue
        if parsed is None:
            continue
        knowledge_file = _validate_file(parsed, name, problems)
        if knowledge_file is None:
            continue
        programme_id = knowledge_file.programme.id if knowledge_file.programme else None
        if knowledge_file.programme is not None:
            programmes.append(knowledge_file.programme)
        for index, entry in enumerate(knowledge_file.entries):
            entries.append((entry.model_copy(update={"programme": programme_id}), name, parsed, index))

    problems.extend(_cross_check(entries, programmes))
    if problems:
        raise KnowledgeError(directory, problems)
    return KnowledgeBase(
        entries=tuple(entry for entry, *_ in entries),
        programmes=tuple(programmes),
        version=digest.hexdigest()[:8],
    )


def _parse_yaml(text: str, name: str, problems: list[Problem]) -> _Parsed | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(name, line, f"malformed YAML: {exc.problem or exc}"))
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
    # Plain scalars are resolved the YAML way (numbers, booleans, null), as staff expect.
    return yaml.SafeLoader("").construct_object(node) if isinstance(node, yaml.ScalarNode) else str(node.value)


def _validate_file(parsed: _Parsed, name: str, problems: list[Problem]) -> _KnowledgeFile | None:
    try:
        return _KnowledgeFile.model_validate(parsed.data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            where = _describe(loc, parsed.data)
            problems.append(Problem(name, parsed.line_of(loc), f"{where}: {_explain(error)}"))
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
    if kind in {"string_too_short", "too_short"}:
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"'{error['input']}' is not a valid value here ({error['msg'].lower()})"
    return str(error["msg"])


def _cross_check(entries: list[tuple[Entry, str, _Parsed, int]], programmes: list[Programme]) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    question_owner: dict[str, str] = {}
    known_ids = {entry.id for entry, *_ in entries}

    seen_programmes: set[str] = set()
    for programme in programmes:
        if programme.id in seen_programmes:
            problems.append(Problem("?", 1, f"programme '{programme.id}' is declared in two files"))
        seen_programmes.add(programme.id)

    for entry, name, parsed, index in entries:
        at = ("entries", index)
        here = parsed.line_of(at)
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
            problems.extend(
                Problem(name, line, f"entry {entry.id}: answer.{lang}: {issue}") for issue in markup.problems(answer)
            )
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
