"""Task tables as grids of cells, whatever file they came from (xlsx, docx, pdf, tsv, csv, web).

A grid is a list of rows with merged cells already copied into every cell they cover. A
document may hold several grids (one per group, or one per page with the header repeated);
rows of a grid without a header continue the table before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.plan.build import (
    RawTask,
    column,
    heading,
    join_lines,
    raw_from_row,
    split_number,
    sub_heading,
    table_plan,
)
from bot.plan.columns import line_up, refine
from bot.plan.headers import header_columns, is_header_like, merge_header_rows
from bot.plan.model import Plan, Problem
from bot.plan.roles import RoleRule, role_rule
from bot.plan.steps import period_columns
from bot.plan.template import is_example
from bot.plan.title import plan_title

HEADER_SEARCH_ROWS = 30  # title rows above the header are common; a header further down is not
_CN_NUMERAL = re.compile(r"^[一二三四五六七八九十]+[、.．]?$")


@dataclass
class Grid:
    """One table: its rows of cell texts and the source line (or row) number of each."""

    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # each row as written, for messages
    caption: str = ""  # the short paragraph just above the table: its group, in one-per-group

    def line(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else index + 1


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, int], int] | None:
    """(header row index, columns, rows the header spans) of the first task-table header."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        alone = header_columns(row)
        distinct = {c.strip() for c in row if c and c.strip()}
        # `责任单位` over `牵头 | 配合`: a header in two rows (a title merged across is not one)
        if len(distinct) > 1 and i + 1 < len(rows) and is_header_like(rows[i + 1]):
            merged = header_columns(merge_header_rows(row, rows[i + 1]))
            if merged and len(merged) > len(alone or {}):
                return i, merged, 2
        if alone:
            return i, alone, 1
    return None


def _key(row: Sequence[str]) -> str:
    return "|".join(re.sub(r"\s+", "", c) for c in row)


def _group_of_row(row: Sequence[str], cols: dict[str, int]) -> str | None:
    """The group a heading row names: one text across the row, or a numeral and a name only."""
    texts = [join_lines(c) for c in row if c and c.strip()]
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return None
    units = column(row, cols, "leads") or column(row, cols, "responsible")
    if len(distinct) == 1 and len(texts) > 1:
        return distinct[0]  # one cell merged across the row
    if units.strip() or column(row, cols, "deadline").strip():
        return None
    if len(distinct) == 1:
        only = distinct[0]
        if heading(only) or sub_heading(only):
            return only
        return None
    number = column(row, cols, "number").strip()
    if _CN_NUMERAL.match(number) and len(distinct) == 2:
        return f"{number.rstrip('、.．')}、{distinct[1]}"
    return None


def _group(name: str, seen: list[str]) -> tuple[int, str]:
    name = join_lines(name)
    found = heading(name) or sub_heading(name)
    if found:
        return found[0], found[1].split("。", 1)[0].rstrip("。.；;")
    number, rest = split_number(name)
    if number is not None and rest:
        return number, rest
    return len(seen), name


def parse_grids(grids: Sequence[Grid], text: str, rule: RoleRule | None = None) -> Plan | None:
    """The tasks of every task table among `grids`; None if none has a header.

    `text` is the document's text (title, notes), for the plan year and the role rule.
    """
    rule = rule or role_rule(text)
    problems: list[Problem] = []
    raws: list[RawTask] = []
    cols: dict[str, int] | None = None
    periods: list[tuple[int, str]] = []  # yearly or quarterly target columns
    header_key = ""
    width = 0
    start_line = 0
    title = text
    group = (0, "")
    seen: list[str] = []
    for grid in grids:
        first = 0
        if found := find_header(grid.rows):
            index, cols, span = found
            cols = refine(cols, grid.rows[index], grid.rows[index + span :])
            header = grid.rows[index]
            below = grid.rows[index + 1] if index + 1 < len(grid.rows) else []
            if span == 2 or (below and is_header_like(below)):
                # `年度目标` over `2023年 | 2024年`: the periods are in the row below
                header = merge_header_rows(header, below)
            periods = period_columns(header, list(cols.values()))
            header_key = _key(grid.rows[index])
            width = len(grid.rows[index])
            first = index + span
            if not raws:
                start_line = grid.line(index)
                title = "\n".join(" ".join(r) for r in grid.rows[:index]) + "\n" + text
        elif cols is None or abs(max((len(r) for r in grid.rows), default=0) - width) > 1:
            continue  # a table that is no part of the task table (contacts, a score sheet)
        if grid.caption and "group" not in cols and _is_caption(grid.caption):
            seen.append(grid.caption)
            group = _group(grid.caption, seen)
        for index in range(first, len(grid.rows)):
            row = line_up(_number_merged_above(grid.rows[index], cols), cols)
            if not any(c.strip() for c in row) or _key(row) == header_key or is_header_like(row):
                continue
            if is_example(column(row, cols, "number")):
                continue  # a filling example (序号 `示例`), as the import template has
            if (name := _group_of_row(row, cols)) is not None:
                if not seen or seen[-1] != name:
                    seen.append(name)
                    group = _group(name, seen)
                continue
            name = column(row, cols, "group").strip()
            if (
                name
                and (not seen or seen[-1] != name)
                and (heading(name) or column(row, cols, "measure"))
            ):
                seen.append(name)
                group = _group(name, seen)
            line = grid.line(index)
            source = (
                grid.sources[index]
                if index < len(grid.sources)
                else " | ".join(c for c in row if c)
            )
            raw = raw_from_row(line, row, cols, group, source, rule)
            raw.targets = [(name, row[i] if i < len(row) else "") for i, name in periods]
            if raws and _inherits(raw, raws[-1]):
                # a unit cell merged down over unnumbered rows, flattened to empty cells
                raw.leads, raw.supporters = list(raws[-1].leads), list(raws[-1].supporters)
                raw.deadline = raw.deadline or raws[-1].deadline
            raws.append(raw)
    if cols is None:
        return None
    plan = table_plan(title, raws, problems, start_line - 1 if start_line else 0)
    plan.title = plan_title(text)
    return plan


def _number_merged_above(row: list[str], cols: dict[str, int]) -> list[str]:
    """`新增学位810个 | | | |` under row 1: the number cell was merged down over this row, so
    its measure sits in the number column; moved back under the measure."""
    n, m = cols.get("number"), cols.get("measure")
    if n is None or m != n + 1 or len(row) <= m:
        return row
    first = row[n].strip()
    if not first or row[m].strip() or split_number(first)[0] is not None:
        return row
    if heading(first) or sub_heading(first) or any(c.strip() for c in row[m + 1 :]):
        return row  # a group heading, or a row whose cells say more than one text
    return [*row[:n], "", *row[n:-1]] if not row[-1].strip() else [*row[:n], "", *row[n:]]


def _is_caption(text: str) -> bool:
    """A group name above a table: short, one line, not a sentence, not the title."""
    text = text.strip()
    return (
        0 < len(text) <= 40
        and not text.endswith(("。", "：", ":"))
        and not re.search(r"(?:方案|计划|要点|分解表|清单|通知|意见|附件)\s*$|\d{4}\s*年", text)
    )


def _inherits(raw: RawTask, last: RawTask) -> bool:
    """An unnumbered row with a measure and no units under a row that has them."""
    return (
        raw.number is None
        and bool(raw.text)
        and not raw.leads
        and not raw.supporters
        and bool(last.leads)
    )
