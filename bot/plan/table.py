"""The attachment table of a plan document: `重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位`."""

from __future__ import annotations

import re

from bot.plan.build import _short, heading, split_number
from bot.plan.grid import Grid, parse_grids
from bot.plan.headers import header_columns
from bot.plan.model import Plan, Problem

_RULE_ROW = re.compile(r"^[\s|:：\-—=+]+$")  # markdown `|---|---|` and the like


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.split("|")]
    if line.lstrip().startswith("|"):
        cells = cells[1:]  # markdown style: the row opens with a pipe
    return cells


def find_header(lines: list[str]) -> tuple[int, dict[str, int]] | None:
    """The index of the table's header line and its columns, if the text has such a table."""
    for i, line in enumerate(lines):
        if "|" in line and (columns := header_columns(_cells(line))):
            return i, columns
    return None


def has_table(text: str) -> bool:
    """Whether the text holds a `|` task table with a recognisable header."""
    return find_header(text.splitlines()) is not None


def _align(cells: list[str], group_col: int | None) -> tuple[list[str], bool]:
    """Cells lined up with the header; rows after a group's first lack the group cell."""
    if group_col is None or group_col >= len(cells):
        return cells, False
    first = cells[group_col]
    if heading(first) is None and split_number(first)[0] is not None:
        # the group cell is missing and everything after it moved one cell left
        return [*cells[:group_col], "", *cells[group_col:]], False
    return cells, bool(first)


def parse_table(text: str) -> Plan:
    """Tasks from the first `|` table under a recognisable header."""
    lines = text.splitlines()
    problems: list[Problem] = []
    found = find_header(lines)
    if found is None:
        return Plan(problems=[Problem(1, "未找到任务分解表（缺少“具体措施 | 牵头单位”表头）")])
    start, cols = found
    group_col = cols.get("group")
    rows: list[list[str]] = [_cells(lines[start])]
    numbers: list[int] = [start + 1]
    sources: list[str] = [lines[start].strip()]
    last_row = max(i for i, line in enumerate(lines) if "|" in line)
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip() or _RULE_ROW.match(line):
            continue
        if "|" not in line:
            if index > last_row or not lines[index - 1].strip():
                break  # the table is over (a blank line ends a table, as in Markdown)
            # a row cut off the table (a line break inside a cell): say so, never drop it
            problems.append(
                Problem(index + 1, f"表格中的这一行没有“|”分隔：“{_short(line.strip())}”")
            )
            continue
        cells, _ = _align(_cells(line), group_col)
        rows.append(cells)
        numbers.append(index + 1)
        sources.append(line.strip())
    plan = parse_grids([Grid(rows, numbers, sources)], "\n".join(lines[:start]) + "\n" + text)
    assert plan is not None  # the first row is the header found above
    plan.problems[:0] = problems
    return plan
