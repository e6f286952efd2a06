"""What each column of a task table holds, by its header and by its cells.

The header names most columns (bot.plan.headers). The cells settle what the words leave open:
a column headed like units whose cells are people's names holds people; of two task columns
the one with the longer texts holds the measure; and a row that is a cell short (two cells
merged into one) is lined up where its cells fit their columns best.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.plan.deadline import parse_deadline
from bot.plan.headers import MEASURE, PROGRESS, TASKISH, clean_header
from bot.plan.unitlist import UNIT_END, is_group_phrase, split_units

_UNIT_KEYS = ("leads", "supporters", "responsible")
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.．、]?\s*$")
_ANY_YEAR = 2000  # to ask whether a cell reads as a deadline at all


def is_person(cell: str) -> bool:
    """A cell of people's names: `张三`, `李四、王五` — short Han names, none a unit's."""
    names = [n for n in re.split(r"[、，,;；/\s]+", cell.strip()) if n]
    return bool(names) and all(
        _HAN_NAME.match(n) and not UNIT_END.search(n) and not is_group_phrase(n) for n in names
    )


def is_units(cell: str) -> bool:
    """A cell that lists units: every name ends like a unit's or names a group of them."""
    names = split_units(cell)
    return (
        bool(names)
        and len(cell) <= 120
        and "。" not in cell.rstrip("。")
        and all(UNIT_END.search(n) or is_group_phrase(n) for n in names)
    )


def fit(role: str | None, cell: str) -> int:
    """How well a cell's content suits a column's role: above 0 fits, below 0 does not."""
    cell = cell.strip()
    if not cell or role is None:
        return 0
    person, units = is_person(cell), is_units(cell)
    if role == "number":
        return 1 if _NUMBER.match(cell) else -1
    if role == "person":
        return 2 if person else -2 if units else 0
    if role in _UNIT_KEYS:
        return 1 if units else -2 if person else -1
    if role == "deadline":
        if units or person:
            return -1
        return 1 if parse_deadline(cell, _ANY_YEAR) is not None else 0
    if role == "measure":
        return -1 if person or units or _NUMBER.match(cell) else 1 if len(cell) > 6 else 0
    return 0


def _roles(cols: Mapping[str, int], width: int) -> list[str | None]:
    roles: list[str | None] = [None] * width
    for key, index in cols.items():
        if index < width:
            roles[index] = key
    return roles


def line_up(row: list[str], cols: Mapping[str, int]) -> list[str]:
    """A row with empty cells at its end (a cell short) lined up where its cells fit best.

    Two cells merged into one come out one cell short. When a cell is surely out of place (a
    person's name under units, units under a person column), each place the missing cell could
    be is tried, the merged cell copied into it, and the place that fits the columns best wins;
    the row as it is wins a tie.
    """
    width = len(row)
    trailing = width - len(list(_rstrip(row)))
    if trailing == 0 or width < 3:
        return row
    roles = _roles(cols, width)
    fits = [fit(r, c) for r, c in zip(roles, row, strict=False)]
    if min(fits) > -2:
        return row  # nothing out of place for sure (a person's name among units, or the reverse)
    best, best_score = row, sum(fits)
    body = list(_rstrip(row))
    for place in range(1, len(body)):
        candidate = [*body[:place], body[place - 1], *body[place:]]
        candidate += [""] * (width - len(candidate))
        score = sum(fit(r, c) for r, c in zip(roles, candidate, strict=False))
        if score > best_score:
            best, best_score = candidate, score
    return best


def _rstrip(row: Sequence[str]) -> Sequence[str]:
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def refine(
    cols: dict[str, int], header: Sequence[str], rows: Sequence[Sequence[str]]
) -> dict[str, int]:
    """The header's columns checked against the cells below them.

    - a unit column whose cells are people's names holds people (never units);
    - of several task columns the measure is the one with the longest texts;
    - the row order of columns changes nothing.
    """
    cols = dict(cols)
    names = [clean_header(h) for h in header]

    def cells(index: int) -> list[str]:
        return [r[index].strip() for r in rows if index < len(r) and r[index].strip()]

    for key in _UNIT_KEYS:
        if key in cols and (found := cells(cols[key])):
            if sum(is_person(c) for c in found) * 2 > len(found):
                index = cols.pop(key)
                cols.setdefault("person", index)
    taskish = [
        i
        for i, n in enumerate(names)
        if n
        and any(w in n for w in (*MEASURE, *TASKISH))
        and not any(w in n for w in PROGRESS)
        and i not in _others(cols)
    ]
    if len(taskish) > 1 and rows:

        def length(i: int) -> float:
            found = cells(i)
            return sum(len(c) for c in found) / len(found) if found else 0.0

        by_length = sorted(taskish, key=lambda i: (-length(i), i))
        if length(by_length[0]) > 2 * length(cols.get("measure", by_length[0])):
            cols["measure"] = by_length[0]
    if "group" in cols and cols["group"] == cols.get("measure"):
        del cols["group"]
    return cols


def _others(cols: Mapping[str, int]) -> set[int]:
    return {i for k, i in cols.items() if k not in ("measure", "group")}
