"""The labelled question sets in `benchmarks/data/` are usable from a fresh clone and agree with the knowledge.

The dev set is the team's shared copy (`../shared/eval/dev-questions.yaml` beside a checkout): the repository
keeps its own copy so that the README's `eval` example and CI work in a clone that has no `../shared`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.loading import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"
SETS = sorted(DATA.glob("*-questions.yaml"))


def test_the_dev_set_is_in_the_repository() -> None:
    assert (DATA / "dev-questions.yaml").is_file()


@pytest.mark.skipif(not SHARED_DEV.is_file(), reason="no ../shared checkout beside this clone to compare with")
def test_the_dev_set_is_the_shared_copy() -> None:
    assert (DATA / "dev-questions.yaml").read_bytes() == SHARED_DEV.read_bytes(), (
        "benchmarks/data/dev-questions.yaml differs from ../shared/eval/dev-questions.yaml: copy the shared one over"
    )


@pytest.mark.parametrize("path", SETS, ids=[path.name for path in SETS])
def test_every_label_is_a_knowledge_entry_or_none(path: Path) -> None:
    knowledge = load_knowledge(ROOT / "knowledge")
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = questions["questions"] if isinstance(questions, dict) else questions
    unknown = {item["expect"] for item in items if item["expect"] != "none" and knowledge.get(item["expect"]) is None}
    assert not unknown, f"{path.name} expects entries the knowledge base does not have: {sorted(unknown)}"
