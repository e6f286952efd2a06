"""What every layout shares: task numbers, group headings, header columns, rows to Tasks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.plan.deadline import parse_deadline
from bot.plan.model import Deadline, Plan, Problem, Task
from bot.plan.numerals import parse_number
from bot.plan.unitlist import split_units

# `1.`, `14. `, `1、`, `23深化…` (no dot) — but not the `2021` of `2021年…`
_NUMBER = re.compile(r"^\s*(\d{1,3})(?!\d)\s*(?:[.．、]\s*|(?=[^\d年月日号个项%．.、]))")
_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(.*?)\s*[。.]?\s*$")
_SUB_HEADING = re.compile(r"^\s*[（(]\s*([一二三四五六七八九十]+)\s*[）)]\s*(.*?)\s*$")
_YEAR_OF_PLAN = re.compile(r"(20\d\d)\s*年度")
_ANY_YEAR = re.compile(r"(20\d\d)\s*年")
_SPACE = re.compile(r"\s+")

HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号"),
    "group": ("重点任务", "任务类别", "主要任务", "工作任务", "类别"),
    "measure": ("具体措施", "工作措施", "主要措施", "具体任务", "任务内容", "工作内容"),
    "deadline": ("时限要求", "完成时限", "完成时间", "时间节点", "时间要求", "时限"),
    "leads": ("牵头单位", "牵头部门"),
    "supporters": ("配合单位", "配合部门", "协同单位", "参与单位", "责任单位", "责任部门"),
}


def split_number(text: str) -> tuple[int | None, str]:
    """(`14`, `大力推进…`) from `14. 大力推进…`; (None, text) when it is not numbered."""
    m = _NUMBER.match(text)
    if not m:
        return None, text.strip()
    return int(m.group(1)), text[m.end() :].strip()


def heading(text: str) -> tuple[int, str] | None:
    """(`1`, `健全信用制度体系`) from the group heading `一、健全信用制度体系`."""
    m = _HEADING.match(text)
    if not m or not m.group(2):
        return None
    return parse_number(m.group(1)) or 0, m.group(2)


def sub_heading(text: str) -> tuple[int, str] | None:
    """(`1`, `健全信用制度体系。…`) from `（一）健全信用制度体系。…`."""
    m = _SUB_HEADING.match(text)
    if not m or not m.group(2):
        return None
    return parse_number(m.group(1)) or 0, m.group(2)


def title_of(text: str) -> str:
    """The first sentence of a measure, without its `。`."""
    first = text.split("。", 1)[0]
    return first.strip().rstrip("；;，,")


def header_columns(cells: Sequence[str]) -> dict[str, int] | None:
    """Column index by field for a header row, or None if the row is no task-table header."""
    names = [_SPACE.sub("", str(c or "")) for c in cells]
    found: dict[str, int] = {}
    for key, synonyms in HEADER_NAMES.items():
        for exact in (True, False):
            for i, name in enumerate(names):
                if i in found.values() or not name:
                    continue
                if any((name == s) if exact else (s in name) for s in synonyms):
                    found[key] = i
                    break
            if key in found:
                break
    if "leads" not in found and "supporters" in found and "责任" in names[found["supporters"]]:
        found["leads"] = found.pop("supporters")  # a table with only 责任单位: those lead
    if "measure" not in found or "leads" not in found:
        return None
    return found


def plan_year(text: str, deadline_texts: Iterable[str] = ()) -> int | None:
    """The plan's year: `…2021年度…` in the title, else the first `20xx年`, else the deadlines'."""
    if m := _YEAR_OF_PLAN.search(text):
        return int(m.group(1))
    if m := _ANY_YEAR.search(text):
        return int(m.group(1))
    years = Counter(int(y) for t in deadline_texts for y in re.findall(r"20\d\d", t))
    return years.most_common(1)[0][0] if years else None


@dataclass
class RawTask:
    """A task as read from one layout, before its fields are checked."""

    line: int
    number: int | None
    text: str
    deadline: str = ""
    leads: list[str] = field(default_factory=list)
    supporters: list[str] = field(default_factory=list)
    category_no: int = 0
    category: str = ""
    deadline_line: int = 0
    source: str = ""  # the row as written, for messages about rows that make no sense


def raw_from_cells(
    line: int,
    number_cell: str,
    measure: str,
    deadline: str,
    leads: str,
    supporters: str,
    group: tuple[int, str],
    source: str = "",
) -> RawTask:
    """A RawTask from the cells of a table row (text table or spreadsheet)."""
    if m := re.fullmatch(r"\s*(\d{1,3})\s*[.．、]?\s*", number_cell):
        number: int | None = int(m.group(1))
        again, rest = split_number(measure)
        text = rest if again == number else measure.strip()  # numbered in both places
    else:
        number, text = split_number(measure)
    return RawTask(
        line=line,
        number=number,
        text=text,
        deadline=deadline.strip(),
        leads=split_units(leads),
        supporters=split_units(supporters),
        category_no=group[0],
        category=group[1],
        deadline_line=line,
        source=source,
    )


def column(row: Sequence[str], cols: Mapping[str, int], key: str) -> str:
    """The row's cell under the header column `key` ("" when there is none)."""
    col = cols.get(key)
    return row[col] if col is not None and col < len(row) else ""


def raw_from_row(
    line: int, row: Sequence[str], cols: Mapping[str, int], group: tuple[int, str], source: str
) -> RawTask:
    """A RawTask from a table row whose header columns `cols` names."""
    return raw_from_cells(
        line,
        column(row, cols, "number"),
        column(row, cols, "measure"),
        column(row, cols, "deadline"),
        column(row, cols, "leads"),
        column(row, cols, "supporters"),
        group,
        source,
    )


def table_plan(title_text: str, raws: list[RawTask], problems: list[Problem], start: int) -> Plan:
    """The plan of a table layout's rows; a table without rows is a problem at its header."""
    year = plan_year(title_text, (r.deadline for r in raws))
    tasks = build_tasks(raws, year, problems)
    if not raws:
        problems.append(Problem(start + 1, "任务分解表没有任何任务行"))
    return Plan(tasks=tasks, problems=problems, year=year)


def build_tasks(raws: Iterable[RawTask], year: int | None, problems: list[Problem]) -> list[Task]:
    """Tasks from raw rows; every defect becomes a Problem, no row vanishes without one."""
    tasks: list[Task] = []
    first_line: dict[int, int] = {}
    for raw in raws:
        if raw.number is None:
            if raw.text:
                problems.append(Problem(raw.line, f"缺少任务序号：“{_short(raw.text)}”"))
            else:
                problems.append(Problem(raw.line, f"无法解析的表格行：“{_short(raw.source)}”"))
            continue
        if not raw.text:
            problems.append(Problem(raw.line, f"任务 {raw.number} 缺少具体措施内容"))
            continue
        if raw.number in first_line:
            problems.append(
                Problem(
                    raw.line,
                    f"任务序号 {raw.number} 重复（第 {first_line[raw.number]} 行已有任务 {raw.number}）",
                )
            )
            continue
        first_line[raw.number] = raw.line
        if not raw.leads:
            problems.append(Problem(raw.line, f"任务 {raw.number} 缺少牵头单位"))
        tasks.append(
            Task(
                id=raw.number,
                category_no=raw.category_no,
                category=raw.category,
                title=title_of(raw.text),
                text=raw.text,
                deadline=_deadline(raw, year, problems),
                leads=tuple(raw.leads),
                supporters=tuple(raw.supporters),
                line=raw.line,
            )
        )
    _check_sequence(tasks, problems)
    return tasks


def _deadline(raw: RawTask, year: int | None, problems: list[Problem]) -> Deadline:
    line = raw.deadline_line or raw.line
    if not raw.deadline:
        if year is None:
            problems.append(Problem(line, f"任务 {raw.number} 缺少时限要求"))
            return Deadline(kind="once", text="")
        problems.append(
            Problem(
                line,
                f"任务 {raw.number} 未写时限要求，按 {year} 年底处理",
                severity="warning",
            )
        )
        return Deadline(kind="once", text="", due=date(year, 12, 31))
    found = parse_deadline(raw.deadline, year)
    if found is None:
        problems.append(Problem(line, f"任务 {raw.number} 的时限要求无法识别：“{raw.deadline}”"))
        return Deadline(kind="once", text=raw.deadline)
    return found


def _check_sequence(tasks: list[Task], problems: list[Problem]) -> None:
    """A gap in the numbering is usually a row lost in copying: say so."""
    if not tasks:
        return
    ids = {t.id for t in tasks}
    missing = [n for n in range(1, max(ids) + 1) if n not in ids]
    if missing and len(missing) <= 10:
        shown = "、".join(str(n) for n in missing)
        problems.append(
            Problem(tasks[-1].line, f"任务序号不连续，缺少：{shown}", severity="warning")
        )


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[:width] + "…"
