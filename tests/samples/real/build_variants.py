"""Office-style variants (plan.docx, plan.xlsx) of the real plans, built from each folder's expected.yaml.

Run: .venv/bin/python tests/samples/real/build_variants.py [slug ...]
The cells hold the facts as the document wrote them (units joined with 、, deadline as written).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

# slug -> header words (序号, task, lead, supporter, deadline, group); several_tables: one Word table per group
LAYOUTS = {
    "lishan-2023": dict(headers=("序号", "重点任务", "牵头单位", "责任单位", "完成时限", "类别")),
    "guandu-2016": dict(
        headers=("序号", "主要任务", "牵头单位", "配合单位", "时间节点", "分类"),
        several_tables=True,
    ),
    "xiamen-2019": dict(headers=("序号", "具体措施", "牵头单位", "协办单位", "时限要求", "类别")),
    "dean-credit-2015": dict(
        headers=("序号", "工作任务", "责任单位", "配合单位", "完成时限", "类别"),
        several_tables=True,
    ),
    "nanling-2024": dict(
        headers=("序号", "目标与任务", "牵头责任单位", "责任单位", "完成时限", None)
    ),
    "linan-shishi-2022": dict(
        headers=("序号", "实事项目", "责任单位", "配合单位", "时间节点", None)
    ),
    "yuzhong-2023": dict(headers=("序号", "目标任务", "牵头单位", "责任单位", "完成时限", "类别")),
    "dazhu-2016": dict(headers=("序号", "民生实事", "责任单位", "配合单位", "完成时限", None)),
    "chongchuan-2023": dict(
        headers=("序号", "主要任务", "牵头单位", "责任主体与协同单位", "完成时限", None)
    ),
    # layouts the corpus lacked (issue 21): department words, numbering by 编号, no group column
    "lishui-2023": dict(headers=("序号", "重点工作", "责任科室", "协助单位", "完成时限", "类别")),
    "cangnan-2022": dict(headers=("编号", "项目内容", "牵头单位", "配合单位", "完成时间", None)),
    "keqiao-2023": dict(headers=("序号", "工作任务", "主办单位", "协办单位", "时间节点", None)),
    "suining-2016": dict(headers=("序号", "工作任务", "负责单位", "配合部门", "时间进度", None)),
    "pingdingshan-2018": dict(
        headers=("序号", "主要任务", "牵头部门", "参与单位", "进度要求", "类别")
    ),
    "yuncheng-2017": dict(headers=("编号", "具体任务", "责任单位", "协助单位", "截止时间", "领域")),
    "progress-anon-2022": dict(
        headers=("序号", "承担的重点工作", "牵头责任单位", "协同单位", "完成期限", "类别")
    ),
}


def _title(expected: dict) -> str:
    """The title line; with the plan year added when the title lacks it (a month-only deadline needs it)."""
    title = expected["title"]
    return title if str(expected["year"]) in title else f"{title}（{expected['year']}年）"


def _rows(expected: dict) -> list[tuple[int, str, str, str, str, str]]:
    rows = []
    for n, t in enumerate(expected["tasks"], 1):
        rows.append(
            (
                n,
                t["title"],
                "、".join(t["leads"]),
                "、".join(t.get("supporters") or []),
                _steps(t) or t.get("deadline_text") or "",
                t.get("category") or "",
            )
        )
    return rows


def _steps(task: dict) -> str:
    """The hand-read milestones as a 时间节点 cell: one step per line, `4月底前…`."""
    lines = []
    for step in task.get("milestones") or ():
        due = dt.date.fromisoformat(str(step["due"]))
        lines.append(f"{due.month}月底前{step['text'].replace(';', '，')}")
    return "\n".join(lines)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _word_table(doc, header, rows, with_group):
    cols = [h for h in header if h] if with_group else [h for h in header[:5] if h]
    if with_group:  # group column first, as offices do
        cols = [header[5], *header[:5]]
    table = doc.add_table(rows=1, cols=len(cols))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, cols, strict=False):
        cell.text = text
    _repeat_header(table.rows[0])
    spans: list[list[int]] = []
    for i, (n, title, leads, sups, due, group) in enumerate(rows):
        values = [str(n), title, leads, sups, due]
        if with_group:
            if spans and rows[spans[-1][0]][5] == group:
                spans[-1][1] = i
                values = ["", *values]
            else:
                spans.append([i, i])
                values = [group, *values]
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=False):
            cell.text = text
    for a, b in spans:  # vertically merged group cells
        if b > a:
            merged = table.rows[a + 1].cells[0].merge(table.rows[b + 1].cells[0])
            merged.text = rows[a][5]
    return table


def build_docx(folder: Path, expected: dict, layout: dict) -> None:
    doc = Document()
    doc.add_paragraph(_title(expected))
    header = layout["headers"]
    rows = _rows(expected)
    with_group = header[5] is not None and any(r[5] for r in rows)
    if layout.get("several_tables") and with_group:
        groups: list[str] = []
        for r in rows:
            if r[5] not in groups:
                groups.append(r[5])
        for g in groups:
            doc.add_paragraph(g)
            _word_table(doc, header, [r for r in rows if r[5] == g], with_group=False)
            doc.add_paragraph("")
    else:
        _word_table(doc, header, rows, with_group)
    doc.save(folder / "plan.docx")


def build_xlsx(folder: Path, expected: dict, layout: dict) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "任务分解"
    header = layout["headers"]
    rows = _rows(expected)
    with_group = header[5] is not None and any(r[5] for r in rows)
    cols = [header[5], *header[:5]] if with_group else list(header[:5])
    ws.cell(row=1, column=1, value=_title(expected))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    ws.append([])  # blank spacer row
    ws.append(cols)
    first = ws.max_row + 1
    spans: list[list[int]] = []  # [first index, last index] of each group
    for i, (n, title, leads, sups, due, group) in enumerate(rows):
        values = [n, title, leads, sups, due]  # n stays a number
        if with_group:
            if spans and rows[spans[-1][0]][5] == group:
                spans[-1][1] = i
                values = [None, *values]
            else:
                spans.append([i, i])
                values = [group, *values]
        ws.append(values)
    for a, b in spans:
        if b > a:
            ws.merge_cells(start_row=first + a, start_column=1, end_row=first + b, end_column=1)
    wb.save(folder / "plan.xlsx")


def main(slugs: list[str]) -> None:
    """Build the variants of the named plans (all of them when none is named)."""
    for slug, layout in LAYOUTS.items():
        if slugs and slug not in slugs:
            continue
        folder = HERE / slug
        expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
        build_docx(folder, expected, layout)
        build_xlsx(folder, expected, layout)
        print(f"built {slug}/plan.docx, {slug}/plan.xlsx")


if __name__ == "__main__":
    main(sys.argv[1:])
