"""Broken or hostile knowledge files get one clear problem line naming the file and line, never a traceback,
and are refused quickly: the limits are checked while reading YAML events, before any tree is built."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.errors import KnowledgeError
from bot.core.loading import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, load_knowledge

ENTRY = """entries:
  - id: test.entry
    question: {en: What?, fr: Quoi ?, nl: Wat?}
    answer: {en: This., fr: Ceci., nl: Dit.}
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)

HOSTILE: dict[str, tuple[str | bytes, str]] = {
    "self_alias": ("entries: &loop [*loop]\n", "alias '*loop'"),
    "alias_bomb": (BOMB, "anchors and aliases are not allowed"),
    "deep_flow": ("entries: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),  # libyaml's own limit may speak first
    "deep_block": (
        "entries:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(1, 200)) + " " * 400 + "x: 1\n",
        f"nested more than {MAX_DEPTH} levels",
    ),
    "python_tag": ("entries: !!python/object/apply:os.system [echo hi]\n", "tag 'tag:yaml.org,2002:python/"),
    "unknown_tag": ("entries: !custom thing\n", "tag '!custom' is not allowed"),
    "nul": (ENTRY.replace("This.", "Th\x00is."), "control character U+0000"),
    "control": (ENTRY.replace("Dit.", "Dit\x1b[31m."), "control character U+001B"),
    "merge_key": ("base: {a: 1}\nentries:\n  - <<: {id: x}\n", "merge keys ('<<') are not allowed"),
    "many_nodes": ("entries: [" + ", ".join(["x"] * (MAX_NODES + 10)) + "]\n", f"more than {MAX_NODES} values"),
    "huge": (b"# " + b"x" * (MAX_FILE_BYTES + 10) + b"\n", "larger than"),
    "not_utf8": (b"entries: \xff\xfe\n", "not UTF-8"),
    "unclosed": ('entries:\n  - id: "open\n', "malformed YAML"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_gives_one_clear_problem(tmp_path: Path, case: str) -> None:
    content, expected = HOSTILE[case]
    path = tmp_path / "hostile.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    lines = [str(problem) for problem in caught.value.problems]
    assert len(lines) == 1, lines
    assert lines[0].startswith("hostile.yaml:")
    assert expected in lines[0]


def test_a_line_is_named_for_a_control_character(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("# one\n# two\nentries: [\x07]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    assert [str(p) for p in caught.value.problems] == ["bad.yaml:3: contains the control character U+0007; delete it"]


def test_a_link_to_dev_zero_is_not_read_to_the_end(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.fail("this test needs /dev/zero (Linux, macOS)")
    os.symlink("/dev/zero", tmp_path / "zero.yaml")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "zero.yaml:0: not a regular file; a knowledge file must be a YAML text file"
    ]


def test_a_directory_named_like_a_file(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    assert "folder.yaml:0: not a regular file" in str(caught.value.problems[0])


def test_check_knowledge_prints_the_problem_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    code = main(["check-knowledge", str(tmp_path)])
    out = capsys.readouterr()
    assert code != 0
    assert "bomb.yaml:2: alias '*a'" in out.out + out.err
    assert "Traceback" not in out.out + out.err
