"""Tables as web pages flatten them: one cell per line, each cell maybe ending in `|`.

    序号 |
    重点任务 |
    牵头单位 |
    1 |
    完善信用制度 |
    区发改局 |

The header is the run of short lines that names the columns; rows follow, `width` cells each.
A cell ending in `|` may span several lines; without the `|`, a row starts at its number.
"""

from __future__ import annotations

import re

from bot.plan.grid import Grid, parse_grids
from bot.plan.headers import header_columns, is_header_like
from bot.plan.model import Plan

_MAX_HEADER_CELL = 16
_MAX_WIDTH = 12
_NUMBER = re.compile(r"^\d{1,3}[.．、]?$")
_BAR = re.compile(r"\s*\|\s*$")


def _cells(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of each cell: up to the `|` that ends it, or one line each."""
    barred = (
        sum(1 for line in lines if _BAR.search(line)) >= len([x for x in lines if x.strip()]) // 2
    )
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    first_bar = next((i for i, line in enumerate(lines) if _BAR.search(line)), len(lines))
    for number, line in enumerate(lines, start=1):
        if not barred or number <= first_bar:  # before the table: prose, a line each
            if line.strip():
                out.append((number, line.strip()))
            continue
        if not pending:
            start = number
        if _BAR.search(line):
            pending.append(_BAR.sub("", line).strip())
            out.append((start, "".join(pending)))
            pending = []
        elif line.strip():
            pending.append(line.strip())
    if pending:
        out.append((start, "".join(pending)))
    return out


def _header(cells: list[tuple[int, str]]) -> tuple[int, int, dict[str, int]] | None:
    """(index of the first header cell, width, columns)."""
    for i, (_, text) in enumerate(cells):
        if not is_header_like([text]) and header_columns([text, "具体措施", "牵头单位"]) is None:
            continue
        run: list[str] = []
        for _, cell in cells[i : i + _MAX_WIDTH]:
            if not cell or len(cell) > _MAX_HEADER_CELL or _NUMBER.match(cell):
                break
            run.append(cell)
        for width in range(len(run), 2, -1):
            names = run[:width]
            if (cols := header_columns(names)) and sum(
                is_header_like([n]) for n in names
            ) * 2 >= width:
                return i, width, cols
    return None


def _rows(
    cells: list[tuple[int, str]], width: int, cols: dict[str, int]
) -> list[tuple[int, list[str]]]:
    """The cells after the header cut into rows: at each number when rows are numbered."""
    numbered = cols.get("number") == 0
    rows: list[tuple[int, list[str]]] = []
    if not numbered:
        for k in range(0, len(cells), width):
            chunk = cells[k : k + width]
            rows.append((chunk[0][0], [c for _, c in chunk] + [""] * (width - len(chunk))))
        return rows
    current: list[tuple[int, str]] = []
    for line, text in cells:
        if _NUMBER.match(text) and (not current or len(current) >= width - 1):
            if current:
                rows.append(_fit(current, width, cols))
            current = []
        current.append((line, text))
    if current:
        rows.append(_fit(current, width, cols))
    return rows


def _fit(cells: list[tuple[int, str]], width: int, cols: dict[str, int]) -> tuple[int, list[str]]:
    texts = [t for _, t in cells]
    if len(texts) > width:  # the measure broke over several lines: join them back
        m = cols["measure"]
        extra = len(texts) - width
        texts = [*texts[:m], "".join(texts[m : m + extra + 1]), *texts[m + extra + 1 :]]
    return cells[0][0], texts + [""] * (width - len(texts))


def parse_flat(text: str) -> Plan | None:
    """The plan of a one-cell-per-line table; None if the text holds none."""
    lines = text.splitlines()
    cells = _cells(lines)
    found = _header(cells)
    if found is None:
        return None
    start, width, cols = found
    header = [c for _, c in cells[start : start + width]]
    rows = _rows(cells[start + width :], width, cols)
    grid = Grid([header, *(r for _, r in rows)], [cells[start][0], *(n for n, _ in rows)])
    return parse_grids([grid], text)
