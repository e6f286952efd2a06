"""How a task is named in every message and document: its ref, `#18` or `#B18`.

A task's key is its identity in the store, across every plan; people never see it. They see
its ref: the number it has in its plan, with the plan's code in front once more than one plan
is active (`#B18`), and always for a task of a plan that is not the one active plan (`#A18`
for last year's closed plan beside this year's). While one plan is active nothing changes:
`#18`.

The naming is the one piece of process state here: the store installs how to get the current
naming when it opens (`use`), so that `task_ref` and the templates' `|ref` filter name tasks
without every renderer carrying the plans around.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Naming:
    """Each task key's plan code and number, and which plans are active."""

    numbers: Mapping[int, tuple[str, int]] = field(default_factory=dict)  # key → (code, no)
    active: frozenset[str] = frozenset()

    def coded(self, code: str) -> bool:
        """Whether refs of plan `code` carry the code."""
        return len(self.active) != 1 or code not in self.active

    def ref(self, key: int) -> str:
        code, no = self.numbers.get(key, ("", key))
        return f"#{code}{no}" if code and self.coded(code) else f"#{no}"


@dataclass(frozen=True)
class Ref:
    """A task ref as a person typed it: a number, with or without a plan code."""

    code: str | None
    no: int


PLAIN = Naming()
_current: Callable[[], Naming] = lambda: PLAIN  # noqa: E731 (replaced by `use`)

# `#B18`, `B18`, `＃b 18`, `18`: an optional code of 1–4 Latin letters, then the number (of any
# length, so that one longer than any plan's is answered "no such task" as written).
REF = re.compile(r"^[#＃]?\s*([A-Za-z]{1,4})?\s*(\d+)$")
TASK_NO_DIGITS = 6  # more digits than any plan has tasks
# A ref inside a caption or a note (`#B18 …`, `＃18`): the `#` is required.
REF_IN_TEXT = re.compile(r"[#＃]\s*([A-Za-z]{1,4})?\s*(\d{1,6})(?!\d)")


def use(naming: Callable[[], Naming]) -> None:
    """Name tasks by `naming()` from now on (the store calls this when it opens)."""
    global _current
    _current = naming


def naming() -> Naming:
    return _current()


def task_ref(task_id: int) -> str:
    """The ref of a task as users read and type it: `#18`, or `#B18` beside other plans."""
    return _current().ref(task_id)


def parse_ref(text: str | None) -> Ref | None:
    """The ref `text` is (`#B18`, `b18`, `18`), or None."""
    m = REF.match((text or "").strip())
    if m is None or len(m[2]) > TASK_NO_DIGITS:
        return None
    return Ref(m[1].upper() if m[1] else None, int(m[2]))


def find_ref(text: str | None) -> tuple[Ref, re.Match[str]] | None:
    """The first `#ref` inside a text (a caption, a note), and where it stands."""
    m = REF_IN_TEXT.search(text or "")
    return (Ref(m[1].upper() if m[1] else None, int(m[2])), m) if m else None
