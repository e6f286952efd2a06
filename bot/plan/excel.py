"""A task decomposition kept as a spreadsheet (.xlsx): header row, group cells merged down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.plan.build import RawTask, column, header_columns, heading, raw_from_row, table_plan
from bot.plan.model import Plan, Problem

_HEADER_SEARCH_ROWS = 30  # title rows above the header are common; a header further down is not


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a 序号 typed as 1 comes back as 1.0 from some writers
    return str(value).strip()


def _grid(sheet: Any) -> list[list[str]]:
    """The sheet as text, with every merged range's value copied into all its cells."""
    rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = _text(sheet.cell(merged.min_row, merged.min_col).value)
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = value
    return rows


def _find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if columns := header_columns(row):
            return i, columns
    return None


def parse_workbook(path: Path) -> Plan:
    """Tasks from the first sheet that has a task-table header."""
    from openpyxl import load_workbook  # imported late: only spreadsheets need it

    try:
        # not read_only: merged ranges are only available on a fully loaded sheet
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        return Plan(problems=[Problem(0, f"无法读取 Excel 文件：{exc.__class__.__name__}")])
    for sheet in book.worksheets:
        rows = _grid(sheet)
        if found := _find_header(rows):
            return _parse_rows(rows, *found)
    return Plan(problems=[Problem(1, "未找到任务分解表表头（具体措施、牵头单位）")])


def _parse_rows(rows: list[list[str]], start: int, cols: dict[str, int]) -> Plan:
    problems: list[Problem] = []
    raws: list[RawTask] = []
    group = (0, "")
    groups_seen: list[str] = []
    title_text = "\n".join(" ".join(row) for row in rows[:start])
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(row):
            continue
        if (name := column(row, cols, "group")) and (not groups_seen or groups_seen[-1] != name):
            groups_seen.append(name)
            group = heading(name) or (len(groups_seen), name)
        raws.append(raw_from_row(index + 1, row, cols, group, " | ".join(c for c in row if c)))
    return table_plan(title_text, raws, problems, start)
