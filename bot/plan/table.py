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


def find_header(lines: list[str]) -> tuple[int, dict[str, int], int] | None:
    """(index of the table's header line, its columns, lines it spans: 2 when a header cell's
    words broke onto the next line), if the text has such a table."""
    for i, line in enumerate(lines):
        if "|" not in line:
            continue
        if columns := header_columns(_cells(line)):
            return i, columns, 1
        following = lines[i + 1] if i + 1 < len(lines) else ""
        broken = not line.rstrip().endswith("|") and "|" in following  # inside a cell
        if broken and (columns := header_columns(_cells(line + following))):
            alone = header_columns(_cells(following)) or {}
            if len(columns) >= len(alone):  # the words of the line above belong to it
                return i, columns, 2
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
    found = recover_table(text)
    if found is None:
        return Plan(problems=[Problem(1, "未找到任务分解表（缺少“具体措施 | 牵头单位”表头）")])
    grid, start, problems = found
    lines = text.splitlines()
    plan = parse_grids([grid], "\n".join(lines[:start]) + "\n" + text)
    assert plan is not None  # the first row is the header found above
    plan.problems[:0] = problems
    return plan


def recover_table(text: str) -> tuple[Grid, int, list[Problem]] | None:
    """The `|` table under the first recognisable header: (its grid, the header's line index,
    lines that could not be placed); None without such a header.

    A row whose last cell broke over lines goes on on the next line: in a Markdown-style table
    (rows open and close with `|`) a line that does not open with `|` continues the row above
    when that row was not closed; otherwise a row with fewer cells than the header takes the
    next line's cells.
    """
    lines = text.splitlines()
    problems: list[Problem] = []
    found = find_header(lines)
    if found is None:
        return None
    start, cols, span = found
    group_col = cols.get("group")
    header = _cells("".join(lines[start : start + span]))
    width = len(header) - (1 if header and not header[-1] else 0)
    markdown = lines[start].lstrip().startswith("|")
    raw_rows: list[list[str]] = []
    numbers: list[int] = [start + 1]
    sources: list[str] = [lines[start].strip()]
    closed = True
    last_row = max(i for i, line in enumerate(lines) if "|" in line)
    for index in range(start + span, len(lines)):
        line = lines[index]
        if not line.strip() or _RULE_ROW.match(line):
            if not line.strip() and index > last_row:
                break
            continue
        cells = _cells(line)
        open_row = bool(raw_rows) and not closed
        if markdown:
            goes_on = open_row and not line.lstrip().startswith("|")
        else:
            goes_on = bool(raw_rows) and len(raw_rows[-1]) < width
            goes_on = goes_on and ("|" not in line or not _starts_row(cells))
        if "|" not in line and not goes_on:
            if index > last_row or not lines[index - 1].strip():
                break  # the table is over (a blank line ends a table, as in Markdown)
            # a row cut off the table (a line break inside a cell): say so, never drop it
            problems.append(
                Problem(index + 1, f"表格中的这一行没有“|”分隔：“{_short(line.strip())}”")
            )
            continue
        if goes_on:
            row = raw_rows[-1]
            pieces = [c.strip() for c in line.split("|")]
            row[-1] = f"{row[-1]}\n{pieces[0]}" if row[-1] else pieces[0]
            row.extend(pieces[1:])
            sources[-1] += " " + line.strip()
        else:
            raw_rows.append(cells)
            numbers.append(index + 1)
            sources.append(line.strip())
        closed = line.rstrip().endswith("|")
    rows: list[list[str]] = [header]
    for cells in raw_rows:
        if markdown and cells and cells[-1] == "":
            cells = cells[:-1]  # the closing pipe
        rows.append(_align(cells, group_col)[0])
    return Grid(rows, numbers, sources), start, problems


def _starts_row(cells: list[str]) -> bool:
    """Whether a line's cells open a row: a number (or a group heading) in the first cell."""
    first = cells[0] if cells else ""
    return split_number(first)[0] is not None or heading(first) is not None
