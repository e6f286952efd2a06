"""Tables saved as text with a separator: tab-separated rows (copied from Excel) and CSV."""

from __future__ import annotations

import csv
import io

from bot.plan.grid import Grid, find_header, parse_grids
from bot.plan.model import Plan


def _rows_tsv(text: str) -> tuple[list[list[str]], list[int]]:
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            rows.append([c.strip().strip('"') for c in line.split("\t")])
            lines.append(number)
    return rows, lines


def _rows_csv(text: str) -> tuple[list[list[str]], list[int]]:
    rows, lines = [], []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if len(row) > 1:
                rows.append([c.strip() for c in row])
                lines.append(reader.line_num)
    except csv.Error:
        return [], []
    return rows, lines


def parse_delimited(text: str) -> Plan | None:
    """The plan of a tab-separated or CSV table with a task header; None if there is none."""
    for read in (_rows_tsv, _rows_csv):
        rows, lines = read(text)
        if rows and find_header(rows) is not None:
            return parse_grids([Grid(rows, lines)], text)
    return None
