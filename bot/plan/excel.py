"""A task decomposition kept as a spreadsheet (.xlsx): any sheet, header anywhere near the top."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.plan.grid import Grid, parse_grids
from bot.plan.model import Plan, Problem
from bot.plan.template import read_template


def cell_text(value: Any) -> str:
    """A cell's value as the plan's text: 1.0 is `1`, a date is `2021年6月30日`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a 序号 typed as 1 comes back as 1.0 from some writers
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).strip()


def _grid(sheet: Any) -> list[list[str]]:
    """The sheet as text, with every merged range's value copied into all its cells."""
    rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = cell_text(sheet.cell(merged.min_row, merged.min_col).value)
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = value
    return rows


def parse_workbook(path: Path) -> Plan:
    """Tasks from the first sheet that has a task-table header."""
    from openpyxl import load_workbook  # imported late: only spreadsheets need it

    try:
        # not read_only: merged ranges are only available on a fully loaded sheet
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        return Plan(
            problems=[
                Problem(0, f"无法读取 Excel 文件（文件可能已损坏）：{exc.__class__.__name__}")
            ]
        )
    sheets = [_grid(sheet) for sheet in book.worksheets]
    for rows in sheets:
        if (template := read_template(rows)) is not None:  # `duban template`, filled in
            return template
    for rows in sheets:
        text = "\n".join(" ".join(c for c in row if c) for row in rows)
        plan = parse_grids([Grid(rows, list(range(1, len(rows) + 1)))], text)
        if plan is not None:
            return plan
    return Plan(problems=[Problem(1, "未找到任务分解表表头（具体措施、牵头单位）")])
