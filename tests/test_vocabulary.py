"""Each vocabulary is spelled once: in the module that owns it (see bot/store/records.py).

A list, tuple or set of string literals elsewhere that names the whole of a vocabulary (or, for
the part statuses, three of the four) is a second spelling: use the enum or `get_args` of the
Literal instead. Tables keyed by a vocabulary (labels in words) are dicts and are not flagged:
typed with the vocabulary, mypy checks their keys.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from bot.plan.model import DeadlineKind
from bot.store.records import ContactRole, EventKind, PartStatus, ReminderKind, Role

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "schedules", "sandbox")
# name -> (owner, its words, how many of them in one literal make a second spelling)
VOCABULARIES: dict[str, tuple[str, frozenset[str], int]] = {
    "PartStatus": ("bot/store/records.py", frozenset(PartStatus), 3),
    "Role": ("bot/store/records.py", frozenset(get_args(Role)), 2),
    "ContactRole": ("bot/store/records.py", frozenset(get_args(ContactRole)), 2),
    "ReminderKind": ("bot/store/records.py", frozenset(get_args(ReminderKind)), 10),
    "EventKind": ("bot/store/records.py", frozenset(get_args(EventKind)), 30),
    "DeadlineKind": ("bot/plan/model.py", frozenset(get_args(DeadlineKind)), 4),
}


def literal_collections(tree: ast.AST) -> Iterator[tuple[int, set[str]]]:
    """The string constants of each list, tuple and set literal (a Literal[...]'s too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            words = {
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            if words:
                yield node.lineno, words


def spellings(rel: str, source: str) -> Iterator[str]:
    """Where the module at `rel` (its path under the repository) spells another's vocabulary."""
    for line, words in literal_collections(ast.parse(source)):
        for name, (owner, vocabulary, enough) in VOCABULARIES.items():
            if rel != owner and len(words & vocabulary) >= min(enough, len(vocabulary)):
                yield f"{rel}:{line} spells {name}: {sorted(words & vocabulary)}"


FILES = sorted(p for top in SOURCES for p in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_a_vocabulary_is_spelled_only_by_its_owner(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    assert list(spellings(rel, path.read_text(encoding="utf-8"))) == []


def test_the_check_sees_a_second_spelling() -> None:
    """The check can fail: a tuple of the open part statuses outside the records is caught."""
    source = (
        'OPEN = ("todo", "doing", "blocked")\nKINDS = ("once", "monthly", "quarterly", "ongoing")\n'
    )
    assert [s.split(" spells ")[1].split(":")[0] for s in spellings("bot/x.py", source)] == [
        "PartStatus",
        "DeadlineKind",
    ]
    assert list(spellings("bot/store/records.py", 'S = ("todo", "doing", "blocked")')) == []


def test_every_event_kind_has_a_label_in_the_history() -> None:
    """A card's history and the export never show a raw kind such as `claim.withdraw`."""
    from bot.reports.views import EVENT_LABELS

    assert set(EVENT_LABELS) == set(get_args(EventKind))
