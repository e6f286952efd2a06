"""The seed plan written in every layout the issue names reads back as the same 25 tasks.

Each layout is written here from the seed's own tasks, so a difference in any field of any
task (title, text, deadline, units, group) shows; the CLI reads every layout the same way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.plan import BUNDLED_PLAN, dump_plan, load_plan
from bot.plan.model import Task
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.plan_writers import HEADER, seed_docx, seed_pdf

SEED = load_plan(BUNDLED_PLAN)
CN = "一二三四五六七八九十"
TITLE = "镇海区2021年度社会信用体系建设示范城市创建工作要点"


def _groups() -> dict[tuple[int, str], list[Task]]:
    groups: dict[tuple[int, str], list[Task]] = {}
    for task in SEED.tasks:
        groups.setdefault((task.category_no, task.category), []).append(task)
    return groups


def _xlsx(path: Path) -> None:
    """Title row, header row, group cells merged down over the group's rows."""
    book = Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:F1")
    sheet.append(["重点任务", "序号", "具体措施", "时限要求", "牵头单位", "配合单位"])
    for (no, name), tasks in _groups().items():
        first = sheet.max_row + 1
        for task in tasks:
            sheet.append(
                [
                    f"{CN[no - 1]}、{name}" if task is tasks[0] else None,
                    task.id,
                    task.text,
                    task.deadline.text,
                    "、".join(task.leads),
                    "、".join(task.supporters),
                ]
            )
        if sheet.max_row > first:
            sheet.merge_cells(start_row=first, start_column=1, end_row=sheet.max_row, end_column=1)
    book.save(path)


def _bracket(task: Task) -> list[str]:
    """The four bracket forms in turn; the two without a deadline get labelled lines below."""
    leads, supporters, due = "、".join(task.leads), "、".join(task.supporters), task.deadline.text
    form = task.id % 4
    if form == 0:
        helpers = f"{supporters}配合，" if supporters else ""
        return [f"{task.id}.{task.text}（{leads}牵头，{helpers}{due}）"]
    if form == 1:
        helpers = f"；责任单位：{supporters}" if supporters else ""
        return [f"{task.id}.{task.text}（牵头单位：{leads}{helpers}，{due}）"]
    word = "负责" if form == 2 else "牵头负责"
    lines = [f"{task.id}.{task.text.removesuffix('。')}（{leads}{word}）。"]
    if supporters:
        lines.append(f"配合单位：{supporters}")
    return [*lines, f"时限要求：{due}"]


def _bracket_lines(path: Path) -> None:
    lines = [TITLE, ""]
    for (no, name), tasks in _groups().items():
        lines.append(f"{CN[no - 1]}、{name}")
        for task in tasks:
            lines += _bracket(task)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _labelled_lines(path: Path) -> None:
    """`牵头单位：` / `配合单位：` / `时限要求：` under each task, `（一）` groups under `二、`."""
    lines = [TITLE, "", "一、总体要求", "全面提升信用体系建设水平。", "二、重点任务"]
    for (no, name), tasks in _groups().items():
        lines.append(f"（{CN[no - 1]}）{name}")
        for task in tasks:
            lines.append(f"{task.id}. {task.text}")
            lines.append(f"牵头单位：{'、'.join(task.leads)}")
            if task.supporters:
                lines.append(f"配合单位：{'，'.join(task.supporters)}")
            lines.append(f"时限要求：{task.deadline.text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _yaml(path: Path) -> None:
    path.write_text(dump_plan(SEED), encoding="utf-8")


def _seed_copy(path: Path) -> None:
    path.write_bytes(BUNDLED_PLAN.read_bytes())


def _docx(path: Path) -> None:
    seed_docx(path, SEED.tasks, TITLE)


def _docx_two_tables(path: Path) -> None:
    seed_docx(path, SEED.tasks, TITLE, split_at=4)


def _pdf(path: Path) -> None:
    seed_pdf(path, SEED.tasks, TITLE)


def _tsv(path: Path) -> None:
    """Rows copied out of Excel: tab-separated, the group cell only on a group's first row."""
    lines = [TITLE, "\t".join(HEADER)]
    for (no, name), tasks in _groups().items():
        for task in tasks:
            group = f"{CN[no - 1]}、{name}" if task is tasks[0] else ""
            cells = [group, str(task.id), task.text, task.deadline.text]
            lines.append("\t".join([*cells, "、".join(task.leads), "、".join(task.supporters)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([TITLE])
        writer.writerow(HEADER)
        for (no, name), tasks in _groups().items():
            for task in tasks:
                group = f"{CN[no - 1]}、{name}" if task is tasks[0] else ""
                cells = [group, str(task.id), task.text, task.deadline.text]
                writer.writerow([*cells, "、".join(task.leads), "、".join(task.supporters)])


def _flat(path: Path, bar: bool) -> None:
    """A web table flattened one cell per line (`序号 |`), as pages copy out of a browser."""
    end = " |" if bar else ""
    header = ["序号", "重点任务", "具体措施", "时限要求", "牵头单位", "配合单位"]
    lines = [TITLE, *(h + end for h in header)]
    for (no, name), tasks in _groups().items():
        for task in tasks:
            cells = [str(task.id), f"{CN[no - 1]}、{name}", task.text, task.deadline.text]
            cells += ["、".join(task.leads), "、".join(task.supporters) or "无"]
            lines += [c + end for c in cells]
    text = "\n".join(lines) + "\n"
    path.write_text(text.replace("\n无" + end + "\n", "\n" + end.strip() + "\n"), encoding="utf-8")


LAYOUTS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "seed table": ("plan.txt", _seed_copy),
    "xlsx, merged group cells": ("plan.xlsx", _xlsx),
    "bracket lines, four forms": ("brackets.txt", _bracket_lines),
    "labelled lines, 一、 and （一） headings": ("labelled.txt", _labelled_lines),
    "YAML export": ("plan.yaml", _yaml),
    "docx, one table, merged group cells, title row, repeated header": ("plan.docx", _docx),
    "docx, two tables": ("two.docx", _docx_two_tables),
    "pdf with a text layer": ("plan.pdf", _pdf),
    "tab-separated rows": ("plan.tsv.txt", _tsv),
    "csv": ("plan.csv", _csv),
    "web table one cell per line with |": ("flat-bar.txt", lambda p: _flat(p, bar=True)),
}


@pytest.fixture(params=list(LAYOUTS))
def layout(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    name, write = LAYOUTS[request.param]
    path = tmp_path / name
    write(path)
    return path


def test_every_layout_reads_as_the_seed(layout: Path) -> None:
    plan = load_plan(layout)
    assert plan.problems == []
    assert plan.year == 2021
    assert len(plan.tasks) == 25
    for task, seed in zip(plan.tasks, SEED.tasks, strict=True):
        assert replace(task, line=0) == replace(seed, line=0)


def test_the_xlsx_really_has_merged_group_cells(tmp_path: Path) -> None:
    _xlsx(tmp_path / "plan.xlsx")
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    merged = [str(r) for r in sheet.merged_cells.ranges]
    assert "A3:A7" in merged and sheet["A4"].value is None  # group 一 over tasks 1–5


def test_the_bracket_sample_uses_all_four_forms(tmp_path: Path) -> None:
    _bracket_lines(tmp_path / "b.txt")
    text = (tmp_path / "b.txt").read_text(encoding="utf-8")
    for form in ("牵头，", "（牵头单位：", "负责）", "牵头负责）"):
        assert form in text


def test_yaml_written_by_the_cli_loads_back(tmp_path: Path, cli: Cli, layout: Path) -> None:
    code, out, _ = cli("tasks", "--plan", str(layout), "--yaml")
    assert code == 0
    exported = tmp_path / "exported.yaml"
    exported.write_text(out, encoding="utf-8")
    again = load_plan(exported)
    assert again.problems == [] and again.tasks == load_plan(layout).tasks


def test_cli_tasks_json_is_the_same_for_every_layout(cli: Cli, layout: Path) -> None:
    code, out, err = cli("tasks", "--plan", str(layout), "--json")
    assert code == 0, err
    assert json.loads(out) == [t.to_json() for t in SEED.tasks]
    code, _, err = cli("check", str(layout))
    assert (code, err) == (0, "")


def test_cli_import_of_every_layout_into_a_fresh_store(cli: Cli, layout: Path) -> None:
    code, out, err = cli("import", str(layout))
    assert code == 0, err
    assert "added 25, changed 0, archived 0, unchanged 0" in out
    code, out, _ = cli("tasks", "--json")
    # from the store: each task with its plan's code and its ref (CONTRACT)
    assert json.loads(out) == [{**t.to_json(), "plan": "A", "ref": f"#{t.id}"} for t in SEED.tasks]
    # the bundled plan again: the same tasks, nothing to revise
    code, out, _ = cli("import", str(BUNDLED_PLAN))
    assert code == 0 and "added 0, changed 0, archived 0, unchanged 25" in out
