"""Word documents (.docx): task tables anywhere in the body, or numbered paragraphs.

Tables come with vertically merged group cells, the header repeated on every page, a title
row above the header, or one table per group. Paragraph numbers that Word draws itself
(automatic numbering) are written out, so `1.` and `（一）` read as they look on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.plan.grid import Grid, parse_grids
from bot.plan.model import Plan, Problem

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "〇一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _chinese(n: int) -> str:
    if n <= 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    tens, ones = divmod(n, 10)
    return _CN[tens] + "十" + (_CN[ones] if ones else "") if n < 100 else str(n)


def _format(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "ideographTraditional",
        "chineseLegalSimplified",
    ):
        return _chinese(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    return str(n)


class _Numbering:
    """Word's automatic paragraph numbers: `%1.` of level 0 of list 3 → `2.`."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.counters: dict[tuple[str, int], int] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part: nothing is numbered automatically
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in node.iter(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                fmt = _val(lvl.find(f"{_W}numFmt")) or "decimal"
                text = _val(lvl.find(f"{_W}lvlText")) or ""
                start = int(_val(lvl.find(f"{_W}start")) or "1")
                levels[ilvl] = (fmt, text, start)
            abstract[node.get(f"{_W}abstractNumId", "")] = levels
        for num in root.iter(f"{_W}num"):
            ref = _val(num.find(f"{_W}abstractNumId"))
            if ref in abstract:
                self.levels[num.get(f"{_W}numId", "")] = abstract[ref]

    def label(self, paragraph: Any) -> str:
        num_pr = _num_pr(paragraph._p.pPr)
        if num_pr is None and paragraph.style is not None:
            num_pr = _num_pr(paragraph.style.element.pPr)  # `List Number` numbers by style
        if num_pr is None:
            return ""
        num_id = _val(num_pr.find(f"{_W}numId")) or ""
        ilvl = int(_val(num_pr.find(f"{_W}ilvl")) or "0")
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        for key in [k for k in self.counters if k[0] == num_id and k[1] > ilvl]:
            del self.counters[key]  # a higher level restarts the ones below it
        fmt, text, start = levels[ilvl]
        self.counters[(num_id, ilvl)] = self.counters.get((num_id, ilvl), start - 1) + 1
        if fmt in ("bullet", "none"):
            return ""
        out = text
        for level in range(ilvl, -1, -1):
            value = self.counters.get((num_id, level), levels.get(level, ("", "", 1))[2])
            out = out.replace(f"%{level + 1}", _format(value, levels.get(level, (fmt, "", 1))[0]))
        return out


def _num_pr(ppr: Any) -> Any:
    return ppr.find(f"{_W}numPr") if ppr is not None else None


def _val(node: Any) -> str | None:
    return node.get(f"{_W}val") if node is not None else None


def _blocks(document: Any) -> Iterator[tuple[str, Any]]:
    """The body's paragraphs and tables in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            yield "p", Paragraph(child, document)
        elif child.tag == f"{_W}tbl":
            yield "t", Table(child, document)


def _cell_text(cell: Any) -> str:
    # each paragraph of a cell on its own line: a unit list may put one unit per paragraph
    return "\n".join(p.text.strip() for p in cell.paragraphs if p.text.strip())


def _table_rows(table: Any) -> list[list[str]]:
    """The table as text rows; merged cells (either way) repeat their text in every cell."""
    cells = table._cells  # python-docx resolves gridSpan and vMerge here
    width = len(table.columns)
    if not width:
        return []
    texts: dict[int, str] = {}
    rows: list[list[str]] = []
    for start in range(0, len(cells), width):
        row = []
        for cell in cells[start : start + width]:
            key = id(cell._tc)
            if key not in texts:
                texts[key] = _cell_text(cell)
            row.append(texts[key])
        rows.append(row)
    return rows


def read_docx(path: Path, parse_text: Callable[[str], Plan]) -> Plan:
    """The plan in a .docx: its task tables if it has any, else its numbered paragraphs."""
    from docx import Document

    try:
        document = Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on a damaged or foreign file
        return Plan(
            problems=[Problem(0, f"无法读取 Word 文件（文件可能已损坏）：{exc.__class__.__name__}")]
        )
    numbering = _Numbering(document)
    lines: list[str] = []
    grids: list[Grid] = []
    for kind, block in _blocks(document):
        if kind == "p":
            text = block.text.strip()
            label = numbering.label(block)
            lines.append(f"{label}{text}" if text else "")
            continue
        rows = _table_rows(block)
        first = len(lines) + 1
        caption = next((line for line in reversed(lines) if line.strip()), "")
        caption = "" if " | " in caption else caption  # a table right above: no caption
        grids.append(Grid(rows, list(range(first, first + len(rows))), caption=caption))
        lines.extend(" | ".join(r) for r in rows)
    text = "\n".join(lines)
    plan = parse_grids(grids, text) if grids else None
    if plan is not None and plan.tasks:
        return plan
    paragraphs = "\n".join(line if " | " not in line else "" for line in lines)
    if not paragraphs.strip():
        return plan or Plan(problems=[Problem(1, "Word 文件中没有文字")])
    from_text = parse_text(paragraphs)
    return from_text if from_text.tasks or plan is None else plan
