"""The 督办单 as a Word document (python-docx), in the layout offices print and sign.

Title, number (`督办〔2021〕3号`), issuing office and date, the unit, one table row per open task
(ref, task, deadline, status, working days overdue), the requirement with the reply day, and a
签收 block the unit fills in by hand. `bot.features.slips` decides what goes on it.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from bot.domain.status import ROLE_LABELS, STATUS_LABELS
from bot.features.slips import Slip

TITLE = "督 办 单"
HEADERS = ("序号", "编号", "任务", "时限要求", "责任", "办理状态", "逾期（工作日）")
SIGN_LABELS = ("签收人", "签收日期")
FONT = "宋体"
HEADING_FONT = "黑体"


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _font(run: Run, size: float, *, bold: bool = False, face: str = FONT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = face
    # Word picks the font of Chinese characters from the East Asian slot.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)  # noqa: SLF001


def requirement_text(slip: Slip) -> str:
    """办理要求: what the unit is asked to do, and by when."""
    return (
        f"请你单位高度重视，对上述事项逐项抓好落实，于{_cn_date(slip.reply_by)}前将办理情况"
        f"（已逾期事项须说明原因及整改完成时限）书面报送{slip.office}，并通过督办助手更新进度。"
    )


def slip_document(slip: Slip) -> bytes:
    """The .docx file of a slip."""
    doc = Document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(TITLE), 26, bold=True, face=HEADING_FONT)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(number.add_run(slip.number), 14)

    for label, value in (
        (
            "受文单位",
            slip.unit_full_name
            if slip.unit_full_name == slip.unit
            else f"{slip.unit_full_name}（{slip.unit}）",
        ),
        ("督办单位", slip.office),
        ("签发日期", _cn_date(slip.issued)),
    ):
        line = doc.add_paragraph()
        _font(line.add_run(f"{label}："), 12, bold=True)
        _font(line.add_run(value), 12)

    intro = doc.add_paragraph()
    _font(
        intro.add_run(f"经督查，你单位承担的以下 {len(slip.lines)} 项重点任务尚未办结，现予督办："),
        12,
    )

    table = doc.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        _font(cell.paragraphs[0].add_run(header), 10.5, bold=True)
    for i, ln in enumerate(slip.lines, start=1):
        status = STATUS_LABELS.get(ln.status, ln.status)
        if ln.percent is not None:
            status += f" {ln.percent}%"
        deadline = ln.deadline + (f"（{_cn_date(ln.due)}）" if ln.due else "")
        values = (
            str(i),
            ln.ref,
            ln.title,
            deadline,
            ROLE_LABELS.get(ln.role, ln.role),
            status,
            str(ln.overdue_workdays) if ln.overdue_workdays else "未逾期",
        )
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _font(cell.paragraphs[0].add_run(value), 10.5)

    need = doc.add_paragraph()
    _font(need.add_run("办理要求："), 12, bold=True)
    _font(need.add_run(requirement_text(slip)), 12)
    reply = doc.add_paragraph()
    _font(reply.add_run("回复期限："), 12, bold=True)
    _font(reply.add_run(_cn_date(slip.reply_by)), 12)

    doc.add_paragraph()
    sign = doc.add_table(rows=1, cols=4)
    sign.style = "Table Grid"
    cells = sign.rows[0].cells
    for label_cell, label in zip((cells[0], cells[2]), SIGN_LABELS, strict=True):
        _font(label_cell.paragraphs[0].add_run(label), 12, bold=True)
    stamp = doc.add_paragraph()
    stamp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(stamp.add_run(f"{slip.office}（盖章）\n{_cn_date(slip.issued)}"), 12)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def slip_file_name(slip: Slip) -> str:
    """督办〔2021〕3号-区司法局.docx"""
    return f"{slip.number}-{slip.unit}.docx"


def write_slip(slip: Slip, path: Path) -> None:
    path.write_bytes(slip_document(slip))
