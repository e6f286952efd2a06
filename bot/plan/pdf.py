"""PDF files with a text layer: their tables, else their lines. A scan gets a clear message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.plan.grid import Grid, parse_grids
from bot.plan.model import Plan, Problem

SCANNED = "PDF 文件没有文字层（可能是扫描件或图片），无法读取任务；请提供 Word/Excel 原件或可复制文字的 PDF"


def _filled(table: list[list[str | None]]) -> list[list[str]]:
    """Cells a merge covers come back as None: the cell to the left if the rest of the row is
    covered too (merged across), else the cell above (merged down)."""
    rows: list[list[str]] = []
    for r, raw in enumerate(table):
        row: list[str] = []
        for c, cell in enumerate(raw):
            if cell is not None:
                row.append(_unwrap(cell))
            elif c > 0 and all(x is None for x in raw[c:]) and row[c - 1]:
                row.append(row[c - 1])
            elif r > 0 and c < len(rows[r - 1]):
                row.append(rows[r - 1][c])
            else:
                row.append("")
        rows.append(row)
    return rows


def _unwrap(cell: str) -> str:
    # a PDF cell's line breaks are where the text wrapped, not where the writer broke it
    return "".join(line.strip() for line in cell.splitlines())


def read_pdf(path: Path, parse_text: Callable[[str], Plan]) -> Plan:
    """The plan in a PDF: its task tables if it has any, else its text as lines."""
    import pdfplumber

    try:
        with pdfplumber.open(str(path)) as pdf:
            pages = [_page(page) for page in pdf.pages]
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        return Plan(
            problems=[Problem(0, f"无法读取 PDF 文件（文件可能已损坏）：{exc.__class__.__name__}")]
        )
    if not pages:
        return Plan(problems=[Problem(0, "PDF 文件没有任何页面")])
    if not any(text.strip() for text, _ in pages):
        return Plan(problems=[Problem(0, SCANNED)])
    lines: list[str] = []
    grids: list[Grid] = []
    for text, tables in pages:
        for table in tables:
            rows = _filled(table)
            first = len(lines) + 1
            grids.append(Grid(rows, list(range(first, first + len(rows)))))
            lines.extend(" | ".join(r) for r in rows)
        lines.extend(text.splitlines())
    document = "\n".join(lines)
    plan = parse_grids(grids, document) if grids else None
    if plan is not None and plan.tasks:
        return plan
    from_text = parse_text("\n".join(text for text, _ in pages))
    return from_text if from_text.tasks or plan is None else plan


def _page(page: Any) -> tuple[str, list[list[list[str | None]]]]:
    text = page.extract_text() or ""
    try:
        tables = page.extract_tables()
    except Exception:  # a page whose drawing pdfplumber cannot follow: its text still counts
        tables = []
    return text, tables
