"""Files as people send them: Word, PDF, old binary formats, damaged files, things renamed.

`duban check` never tracebacks: every file ends as tasks or as one clear line.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from bot.plan import BUNDLED_PLAN, load_plan
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.plan_writers import seed_docx, seed_pdf

SEED = load_plan(BUNDLED_PLAN)
TITLE = "镇海区2021年度社会信用体系建设工作要点"


def _messages(path: Path) -> list[str]:
    return [p.message for p in load_plan(path).problems]


def test_a_docx_is_read_as_word_even_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"  # a zip either way: the parts inside decide
    seed_docx(path, SEED.tasks[:5], TITLE)
    plan = load_plan(path)
    assert [t.id for t in plan.tasks] == [1, 2, 3, 4, 5] and plan.errors == []


def test_docx_numbered_paragraphs_with_units_in_brackets(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("某县2023年优化营商环境重点任务")
    document.add_paragraph("一、提升政务服务")
    document.add_paragraph(
        "1.推行一网通办。（县政务服务中心牵头，县发改局、各乡镇（街道）配合，6月底前完成）"
    )
    document.add_paragraph("2.压缩审批时限。")
    document.add_paragraph("牵头单位：县行政审批局")
    document.add_paragraph("完成时限：2023年第三季度末")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    plan = load_plan(path)
    assert plan.errors == [] and plan.year == 2023
    t1, t2 = plan.tasks
    assert t1.category == "提升政务服务"
    assert (t1.leads, t1.supporters) == (("县政务服务中心",), ("县发改局", "各乡镇（街道）"))
    assert str(t1.deadline.due) == "2023-06-30"
    assert t2.leads == ("县行政审批局",) and str(t2.deadline.due) == "2023-09-30"


def test_docx_automatic_numbering_is_written_out(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("2022年工作要点")
    for text in (
        "推进甲项工作。（区发改局负责，年底前）",
        "推进乙项工作。（区财政局负责，上半年）",
    ):
        document.add_paragraph(text, style="List Number")
    path = tmp_path / "auto.docx"
    document.save(str(path))
    plan = load_plan(path)
    assert [(t.id, t.leads) for t in plan.tasks] == [(1, ("区发改局",)), (2, ("区财政局",))]


def test_docx_with_one_responsible_column_follows_the_documents_rule(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("2024年重点工作责任分工（责任单位中列第一位的为牵头单位）")
    table = document.add_table(rows=3, cols=4)
    for row, cells in zip(
        table.rows,
        [
            ("序号", "工作任务", "责任单位", "完成时间"),
            ("1", "建设智慧停车系统", "县住建局、县公安局、县城管局", "2024年10月底前"),
            ("2", "开展消费季活动", "县商务局", "全年"),
        ],
        strict=True,
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    path = tmp_path / "rule.docx"
    document.save(str(path))
    t1, t2 = load_plan(path).tasks
    assert (t1.leads, t1.supporters) == (("县住建局",), ("县公安局", "县城管局"))
    assert str(t2.deadline.due) == "2024-12-31"


def test_pdf_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    seed_pdf(path, SEED.tasks[:6], TITLE)
    plan = load_plan(path)
    assert [t.leads for t in plan.tasks] == [t.leads for t in SEED.tasks[:6]]


def _pdf_without_text(path: Path) -> None:
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    page.rect(100, 100, 300, 400, fill=1)  # a scan is pictures only: nothing to extract
    page.showPage()
    page.save()


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    Document().save(buffer)
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def _zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.doc", OLE, "旧版 Office/WPS 二进制格式"),
        ("plan.wps", OLE, "另存为 .docx"),
        ("plan.et", OLE, "另存为 .xlsx"),
        ("photo.docx", PNG, "扩展名是 .docx，但内容不是 Word 文件"),
        ("archive.docx", _zip_of_text(), "不是 Word(.docx) 或 Excel(.xlsx) 文件"),
        ("broken.docx", _docx_bytes()[:700], "无法读取 Word 文件"),
        ("broken.xlsx", _xlsx_bytes()[:700], "无法读取 Excel 文件"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "PDF"),
        ("empty.docx", _docx_bytes(), "Word 文件中没有文字"),
    ],
)
def test_files_that_cannot_be_plans_get_one_clear_line(
    cli: Cli, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = cli("check", str(path))
    assert code == 2 and "Traceback" not in err
    assert len(err.splitlines()) == 1 and message in err, err


def test_a_scanned_pdf_says_it_has_no_text_layer(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    _pdf_without_text(path)
    code, _, err = cli("check", str(path))
    assert code == 2 and "没有文字层" in err and "扫描件" in err


def test_old_format_message_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "2021年任务分解.doc"
    path.write_bytes(OLE)
    (message,) = _messages(path)
    assert "“2021年任务分解.doc”" in message


def test_check_show_prints_every_task_as_read(cli: Cli) -> None:
    code, out, err = cli("check", "--show", str(BUNDLED_PLAN))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 25
    assert lines[4] == (
        "#5 [健全信用制度体系] 做好统一社会信用代码赋码 | 牵头：区发改局 | "
        "配合：区市场监管局、区民政局、区委编办、区农业农村局、区总工会 | 2021-06-30（2021年6月）"
    )
    assert lines[15].endswith("| 持续（持续推进）")


def test_check_warns_of_an_unreadable_deadline_with_its_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("2021年要点\n1.甲。（区发改局牵头，按上级要求）\n", encoding="utf-8")
    code, out, err = cli("check", "--show", str(path))
    assert code == 0
    assert (
        err
        == f"{path}:2: warning: 任务 1 的时限要求无法识别：“按上级要求”，已按原文保留，未设日期\n"
    )
    assert out.strip().endswith("未识别（按上级要求）")
