"""Writers of the seed plan as .docx and .pdf, for the layout and format tests; a second plan."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from bot.plan.model import Task
from bot.plan.template import HEADERS, SHEET

CN = "一二三四五六七八九十"
HEADER = ["重点任务", "序号", "具体措施", "时限要求", "牵头单位", "配合单位"]
# A special plan of its own beside the seed: its own title and year, tasks the seed lacks.
SPECIAL = """镇海区2022年营商环境专项治理工作方案
一、优化审批服务
1.推进企业开办全程网办。（区市场监管局牵头，2022年6月底前完成）
2.压减工程建设项目审批时限。（区住建局牵头，2022年9月底前完成）
二、规范涉企检查
3.推行跨部门联合检查。（区司法局牵头，2022年12月底前完成）
"""


def groups(tasks: Iterable[Task]) -> dict[tuple[int, str], list[Task]]:
    out: dict[tuple[int, str], list[Task]] = {}
    for task in tasks:
        out.setdefault((task.category_no, task.category), []).append(task)
    return out


def _row(task: Task, first: bool) -> list[str]:
    return [
        f"{CN[task.category_no - 1]}、{task.category}" if first else "",
        str(task.id),
        task.text,
        task.deadline.text,
        "、".join(task.leads),
        "、".join(task.supporters),
    ]


def _repeat_header(row: object) -> None:
    """Mark a table row as the header Word repeats on every page."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    tr_pr.append(mark)


def seed_docx(path: Path, tasks: Sequence[Task], title: str, split_at: int = 0) -> None:
    """A title paragraph, then the task table: a title row merged across, the header marked to
    repeat, group cells merged down. With `split_at`, the groups from that one on go into a
    second table with its own header, as when a document has one table per part."""
    document = Document()
    document.add_paragraph(title)
    document.add_paragraph("附件：社会信用体系建设示范城市创建重点任务分解表")
    parts = list(groups(tasks).items())
    chunks = [parts[:split_at], parts[split_at:]] if split_at else [parts]
    for n, chunk in enumerate(chunks):
        rows = sum(len(t) for _, t in chunk)
        table = document.add_table(rows=rows + (2 if n == 0 else 1), cols=len(HEADER))
        offset = 0
        if n == 0:
            title_row = table.rows[0].cells
            merged = title_row[0].merge(title_row[-1])
            merged.text = "重点任务分解表"
            offset = 1
        for cell, name in zip(table.rows[offset].cells, HEADER, strict=True):
            cell.text = name
        _repeat_header(table.rows[offset])
        r = offset + 1
        for _, group_tasks in chunk:
            top = r
            for i, task in enumerate(group_tasks):
                for cell, value in zip(table.rows[r].cells, _row(task, i == 0), strict=True):
                    if value:
                        cell.text = value
                r += 1
            if r - 1 > top:
                name = table.cell(top, 0).text
                merged = table.cell(top, 0).merge(table.cell(r - 1, 0))
                merged.text = name  # merge() joins the texts; keep the group name once
        if n == 0 and split_at:
            document.add_paragraph("")
    document.save(str(path))


def seed_pdf(path: Path, tasks: Sequence[Task], title: str) -> None:
    """The task table in a PDF with a text layer, in a CJK font every PDF reader has built in
    (STSong-Light needs no font file), the header repeated on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=8, leading=10, wordWrap="CJK")
    rows = [[Paragraph(h, style) for h in HEADER]]
    spans = []
    for _, group_tasks in groups(tasks).items():
        top = len(rows)
        for i, task in enumerate(group_tasks):
            rows.append([Paragraph(c, style) for c in _row(task, i == 0)])
        if len(rows) - 1 > top:
            spans.append(("SPAN", (0, top), (0, len(rows) - 1)))
    table = LongTable(rows, colWidths=[70, 30, 330, 90, 90, 170], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), *spans]))
    document = SimpleDocTemplate(str(path), pagesize=landscape(A4))
    document.build([Paragraph(title, style), table])


def fill_template(template: bytes, tasks: Sequence[Task], year: int | None = None) -> bytes:
    """The import template with `tasks` typed into it below the example row, as a person would
    (units joined with 、, one milestone per line), saved again."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book[SHEET]
    header = next(
        r for r in range(1, 20) if [sheet.cell(r, c).value for c in range(1, 9)] == list(HEADERS)
    )
    if year is not None:
        sheet["B2"] = year
    for row, task in enumerate(tasks, start=header + 2):
        typed = {
            "序号": task.id,
            "类别": task.category,
            "工作措施": task.text,
            "完成时限": task.deadline.text,
            "时间节点": "\n".join(f"{m.due.isoformat()} {m.text}" for m in task.milestones),
            "牵头单位": "、".join(task.leads),
            "配合单位": "、".join(task.supporters),
            "备注": task.remarks,
        }
        for name, value in typed.items():
            sheet.cell(row, HEADERS.index(name) + 1, value or None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def grid_text(title: str, rows: Sequence[Sequence[str]]) -> str:
    """A title line, then `rows` (the header first) as a `|` text table; a line break in a
    cell becomes a space, as a page's text has it."""
    lines = [" | ".join(" ".join(c.split("\n")) for c in row) for row in rows]
    return "\n".join([title, "", *lines, ""])


def grid_docx(path: Path, title: str, rows: Sequence[Sequence[str]]) -> None:
    """A title paragraph, then `rows` (the header first) as one Word table; a line break in a
    cell stays a line break."""
    document = Document()
    document.add_paragraph(title)
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for r, row in enumerate(rows):
        for cell, value in zip(table.rows[r].cells, row, strict=False):
            cell.text = value
    document.save(str(path))


def grid_xlsx(path: Path, title: str, rows: Sequence[Sequence[str]]) -> None:
    """A title row merged across, a blank row, then `rows` (the header first) on one sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    sheet.append([])
    for row in rows:
        sheet.append(list(row))
    book.save(str(path))
