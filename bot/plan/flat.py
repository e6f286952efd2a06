"""Tables as web pages flatten them: one cell per line, each cell maybe ending in `|`.

    序号 |
    重点任务 |
    牵头单位 |
    1 |
    完善信用制度 |
    区发改局 |

The header is the run of short lines that names the columns; rows follow, `width` cells each.
A cell ending in `|` may span several lines; without the `|`, a row starts at its number.
Without the `|` a cell of several units is several lines, and a row may carry a second item
whose number and unit cells are merged from the row above:

    5 / 开工建设县老年养护楼。 / 县民政局 / 5月底前动工 / 开工建设老年大学。 / 12月底前

reads as two rows, the second led by 县民政局 too.
"""

from __future__ import annotations

import re

from bot.plan.build import heading
from bot.plan.deadline import parse_deadline
from bot.plan.grid import Grid, parse_grids
from bot.plan.headers import NUMBER, header_columns, is_header_like, join_broken_words
from bot.plan.model import Plan

_MAX_HEADER_CELL = 16
_MAX_WIDTH = 12
_NUMBER = re.compile(r"^\d{1,3}[.．、]?$")
_BAR = re.compile(r"\s*\|\s*$")
_BAR_ONLY = re.compile(r"^\s*\|\s*$")
_BARS_ONLY = re.compile(r"^\s*\|(?:\s*\|)+\s*$")
_UNIT_CELL = re.compile(
    r"(?:局|办|委|院|部|会|中心|政府|街道|镇|乡|单位|部门|公司|集团|所|队|站|行|处|厅|室|联|指挥部)$"
)
_MAX_UNIT_CELL = 20
_ANY_YEAR = 2000  # to ask whether a line reads as a deadline at all


def _cells(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of each cell: up to the `|` that ends it, or one line each."""
    barred = (
        sum(1 for line in lines if _BAR.search(line)) >= len([x for x in lines if x.strip()]) // 2
    )
    bar_lines = [line for line in lines if _BAR.search(line)]
    # bars on lines of their own between the cells: `|` / `序号` / `|` / `工作任务` / `|` / `|` /
    # `1` …; there a bar with no cell above it is the row's edge, not an empty cell
    lone = (
        len(bar_lines) > 2
        and sum(map(bool, map(_BAR_ONLY.match, bar_lines))) * 5 >= len(bar_lines) * 4
    )
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    first_bar = next((i for i, line in enumerate(lines) if _BAR.search(line)), len(lines))
    if first_bar < len(lines) and _BAR_ONLY.match(lines[first_bar]):
        # a `|` on a line of its own closes the cell written on the lines above it
        first_bar = next((i for i in range(first_bar - 1, -1, -1) if lines[i].strip()), 0)
    for number, line in enumerate(lines, start=1):
        if not barred or number <= first_bar:  # before the table: prose, a line each
            if line.strip() and not _BAR_ONLY.match(line):  # a `|` of its own ends the cell above
                out.append((number, _BAR.sub("", line).strip()))
            continue
        if not pending:
            start = number
        if _BARS_ONLY.match(line):  # `||`: the cell above closed, then empty cells
            bars = line.count("|")
            out.append((start, "".join(pending)))
            out.extend((number, "") for _ in range(bars - 1))
            pending = []
        elif lone and not pending and _BAR_ONLY.match(line):
            continue
        elif _BAR.search(line):
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
            if not cell or len(cell) > _MAX_HEADER_CELL or _NUMBER.match(cell) or heading(cell):
                break
            run.append(cell)
        if any(c in NUMBER for c in run[1:]):  # the table's number column heads it: start there
            continue
        for width in range(len(run), 2, -1):
            names = run[:width]
            if (cols := header_columns(names)) and sum(
                is_header_like([n, "序号"]) for n in names
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
        if heading(text) and (not current or len(current) >= width - 1):
            # a category row between rows: `一、优化营商环境` is a group, no cell of a task
            if current:
                rows.extend(_split(current, width, cols))
            rows.append((line, [text] + [""] * (width - 1)))
            current = []
            continue
        if _NUMBER.match(text) and (not current or len(current) >= width - 1):
            if current:
                rows.extend(_split(current, width, cols))
            current = []
        current.append((line, text))
    if current:
        rows.extend(_split(current, width, cols))
    return rows


def _unit_cell(text: str) -> bool:
    return len(text) <= _MAX_UNIT_CELL and "。" not in text and bool(_UNIT_CELL.search(text))


def _split(
    cells: list[tuple[int, str]], width: int, cols: dict[str, int]
) -> list[tuple[int, list[str]]]:
    """A numbered row with more lines than columns, read by what each line is.

    With one unit column before a last deadline column: unit lines join into the unit cell,
    the line that reads as a deadline fills the deadline cell, and a sentence after the
    deadline starts a second item with the same number and unit cells (merged above).
    """
    m, d = cols.get("measure"), cols.get("deadline")
    unit_cols = [i for i in range(width) if i not in (cols.get("number"), m, d)]
    if len(cells) <= width or m is None or d != width - 1 or len(unit_cols) != 1 or d < m:
        return [_fit(cells, width, cols)]
    (u,) = unit_cols
    head = [t for _, t in cells[: m + 1]]
    items: list[tuple[int, str, list[str], str]] = []  # (line, measure, units, deadline)
    units: list[str] = []
    line, measure, due = cells[m][0], head[m], ""
    for number, text in cells[m + 1 :]:
        if parse_deadline(text, _ANY_YEAR) is not None and not _unit_cell(text):
            due = f"{due}；{text}" if due else text
        elif due and not _unit_cell(text):  # a second item of the same row
            items.append((line, measure, units, due))
            line, measure, units, due = number, text, list(units), ""
        elif _unit_cell(text):
            units = [*units, text]
        else:
            measure += text
    items.append((line, measure, units, due))
    out = []
    for k, (line, measure, units, due) in enumerate(items):
        row = [""] * width
        if k == 0:
            row[: m + 1] = head
        row[m], row[u], row[d] = measure, "、".join(units), due
        out.append((line, row))
    return out


def _fit(cells: list[tuple[int, str]], width: int, cols: dict[str, int]) -> tuple[int, list[str]]:
    texts = [t for _, t in cells]
    if len(texts) > width:  # the measure broke over several lines: join them back
        m = cols["measure"]
        extra = len(texts) - width
        texts = [*texts[:m], "".join(texts[m : m + extra + 1]), *texts[m + extra + 1 :]]
    return cells[0][0], texts + [""] * (width - len(texts))


def parse_flat(text: str) -> Plan | None:
    """The plan of a one-cell-per-line table; None if the text holds none."""
    grid = recover_flat(text)
    return None if grid is None else parse_grids([grid], text)


def parse_spaced(text: str) -> Plan | None:
    """The plan of a table whose cells a copy joined with spaces; None if the text holds none.

        序号 类别 主要任务 细化措施 牵头单位 参与单位
        1 加强水资源保护 严守用水红线 实施双控行动…… 市水利局 市发展改革委

    Each space-separated word is read as a cell, a row at a time or all rows on one line;
    a cell the page broke with a space of its own joins the measure (see `_fit`).
    """
    lines = text.splitlines()
    if not any(_spaced_header(line) for line in lines):
        return None
    cells = [(n, word) for n, line in enumerate(lines, start=1) for word in line.split()]
    grid = _grid(cells)
    return None if grid is None else parse_grids([grid], text)


def _spaced_header(line: str) -> bool:
    words = line.split()
    return len(words) >= 3 and any(
        header_columns(words[i : i + k]) is not None
        for i in range(len(words))
        for k in range(3, min(_MAX_WIDTH, len(words) - i) + 1)
    )


def recover_flat(text: str) -> Grid | None:
    """The grid of a one-cell-per-line table (header row first); None if the text holds none."""
    lines = text.splitlines()
    cells = _cells(lines)
    # a header word broken over two lines (`牵头` / `单位`) is one cell
    spans = join_broken_words([c for _, c in cells])
    cells = [(cells[a][0], "".join(c for _, c in cells[a:b])) for a, b in spans]
    return _grid(cells)


def _grid(cells: list[tuple[int, str]]) -> Grid | None:
    found = _header(cells)
    if found is None:
        return None
    start, width, cols = found
    header = [c for _, c in cells[start : start + width]]
    rows = _rows(cells[start + width :], width, cols)
    return Grid([header, *(r for _, r in rows)], [cells[start][0], *(n for n, _ in rows)])
