"""Spreadsheet layout: title rows, header by name, group cells merged down."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.plan import BUNDLED_PLAN, load_plan
from bot.plan.model import Task

SEED = {t.id: t for t in load_plan(BUNDLED_PLAN).tasks}
FIRST_SEVEN = range(1, 8)


def _measure(task: Task, numbered: bool) -> str:
    return f"{task.id}.{task.text}" if numbered else task.text


def _write(path: Path, with_number_column: bool) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["社会信用体系建设示范城市创建重点任务分解表"])
    sheet.merge_cells("A1:G1")
    sheet.append([])
    header = ["重点任务", "具体措施", "时限要求", "牵头单位", "配合单位", "备注"]
    if with_number_column:
        header.insert(1, "序号")
    sheet.append(header)
    groups: dict[int, list[int]] = {}
    for task_id in FIRST_SEVEN:
        task = SEED[task_id]
        groups.setdefault(task.category_no, []).append(sheet.max_row + 1)
        row = [
            f"一、{task.category}" if task.category_no == 1 else f"二、{task.category}",
            _measure(task, numbered=not with_number_column),
            task.deadline.text,
            "、".join(task.leads),
            ",".join(task.supporters),
            "",
        ]
        if with_number_column:
            row.insert(1, task_id)
        sheet.append(row)
    for rows in groups.values():
        # merged cells: only the top-left holds the value, the rest read as None
        for r in rows[1:]:
            sheet.cell(r, 1).value = None
        sheet.merge_cells(start_row=rows[0], start_column=1, end_row=rows[-1], end_column=1)
    book.save(path)
    return path


@pytest.mark.parametrize("with_number_column", [False, True])
def test_same_tasks_as_the_seed(tmp_path: Path, with_number_column: bool) -> None:
    path = _write(tmp_path / "plan.xlsx", with_number_column)
    plan = load_plan(path)
    assert plan.problems == []
    assert plan.year == 2021
    assert [t.id for t in plan.tasks] == list(FIRST_SEVEN)
    for task in plan.tasks:
        assert replace(task, line=0) == replace(SEED[task.id], line=0)
    assert [t.line for t in plan.tasks] == list(range(4, 11))


def test_unmerged_blank_group_cells_carry_the_group(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["重点任务", "具体措施", "时限要求", "牵头单位", "配合单位"])
    sheet.append(["一、制度", "1.甲。", "2021年6月", "区发改局", ""])
    sheet.append([None, "2.乙。", "持续推进", "区法院", "各镇（街道）、园区"])
    sheet.append(["二、诚信", "3.丙。", "2021年12月", "区文明办", None])
    book.save(tmp_path / "p.xlsx")
    plan = load_plan(tmp_path / "p.xlsx")
    assert plan.problems == []
    assert [(t.id, t.category_no, t.category) for t in plan.tasks] == [
        (1, 1, "制度"),
        (2, 1, "制度"),
        (3, 2, "诚信"),
    ]
    assert plan.tasks[1].supporters == ("各镇（街道）", "园区")


def test_bad_rows_are_reported_with_row_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["重点任务", "具体措施", "时限要求", "牵头单位", "配合单位"])
    sheet.append(["一、制度", "1.甲。", "某个时候", "区发改局", ""])
    sheet.append([None, "2.乙。", "2021年6月", None, ""])
    sheet.append([None, "没有序号的措施。", "2021年6月", "区法院", ""])
    book.save(tmp_path / "p.xlsx")
    plan = load_plan(tmp_path / "p.xlsx")
    assert [(p.line, p.message) for p in plan.problems] == [
        (2, "任务 1 的时限要求无法识别：“某个时候”，已按原文保留，未设日期"),
        (3, "任务 2 缺少牵头单位"),
        (4, "缺少任务序号：“没有序号的措施。”，编为 #3"),
    ]


def test_workbook_without_header(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["a", "b"])
    book.save(tmp_path / "p.xlsx")
    plan = load_plan(tmp_path / "p.xlsx")
    assert plan.tasks == []
    assert [p.line for p in plan.errors] == [1]
