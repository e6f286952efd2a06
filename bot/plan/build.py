"""What every layout shares: task numbers, group headings, header columns, rows to Tasks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.plan.deadline import deadline_in_text, parse_deadline
from bot.plan.headers import header_columns
from bot.plan.model import Deadline, Milestone, Plan, Problem, Task
from bot.plan.numerals import parse_number
from bot.plan.roles import RoleRule, has_roles, parse_roles, split_by_rule
from bot.plan.steps import (
    StepList,
    last_period,
    read_lines,
    read_steps,
    read_targets,
    split_items,
)
from bot.plan.unitlist import split_units

__all__ = ["header_columns"]

# `1.`, `14. `, `1、`, `23深化…` (no dot) — but not the `2021` of `2021年…`
_NUMBER = re.compile(r"^\s*(\d{1,3})(?!\d)\s*(?:[.．、]\s*|(?=[^\d年月日号个项%．.、]))")
_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(.*?)\s*[。.]?\s*$")
_SUB_HEADING = re.compile(r"^\s*[（(]\s*([一二三四五六七八九十]+)\s*[）)]\s*(.*?)\s*$")
_YEAR_OF_PLAN = re.compile(r"(20\d\d)\s*年度")
_ANY_YEAR = re.compile(r"(20\d\d)\s*年")
_DOC_NUMBER_YEAR = re.compile(r"[〔\[［【(（](20\d\d)[〕\]］】)）]")  # 昆政发〔2016〕13号
_ISO_YEAR = re.compile(r"(20\d\d)\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}")
_PART_YEAR = re.compile(r"(20\d\d)\s*(?:[上下]半年|第?[一二三四1-4]季度)")  # 2022上半年
_SPACE = re.compile(r"\s+")
_PERIOD = re.compile(r"(20\d\d)\s*(?:年)?\s*[-—–~～至到]+\s*(20\d\d)\s*年")


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


def plan_year(text: str, deadline_texts: Iterable[str] = ()) -> int | None:
    """The plan's year: `…2021年度…` in the title, else the first `20xx年`, else the deadlines'."""
    if m := _YEAR_OF_PLAN.search(text):
        return int(m.group(1))
    if m := _ANY_YEAR.search(text):
        return int(m.group(1))
    for pattern in (_DOC_NUMBER_YEAR, _ISO_YEAR, _PART_YEAR):
        if m := pattern.search(text):
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
    targets: list[tuple[str, str]] = field(default_factory=list)  # (period heading, cell)
    deadline_cell: str = ""  # the deadline cell with its line breaks (one step a line, maybe)


def raw_from_cells(
    line: int,
    number_cell: str,
    measure: str,
    deadline: str,
    leads: str,
    supporters: str,
    group: tuple[int, str],
    source: str = "",
    responsible: str = "",
    rule: RoleRule = "all_lead",
) -> RawTask:
    """A RawTask from the cells of a table row (text table or spreadsheet)."""
    if m := re.fullmatch(r"\s*(\d{1,3})\s*[.．、]?\s*", number_cell):
        number: int | None = int(m.group(1))
        again, rest = split_number(measure)
        text = rest if again == number else measure.strip()  # numbered in both places
    else:
        number, text = split_number(measure)
    lead_names, supporter_names = cell_units(leads, supporters, responsible, rule)
    return RawTask(
        line=line,
        number=number,
        text=join_lines(text),
        deadline=join_lines(deadline).strip(),
        leads=lead_names,
        supporters=supporter_names,
        category_no=group[0],
        category=group[1],
        deadline_line=line,
        source=source,
        deadline_cell=deadline,
    )


def join_lines(text: str) -> str:
    """A cell's wrapped lines as one text (Chinese needs no space where a line broke)."""
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    out = ""
    for part in parts:
        if (
            out
            and out[-1].isascii()
            and out[-1].isalnum()
            and part[0].isascii()
            and part[0].isalnum()
        ):
            out += " "
        out += part
    return out


def cell_units(
    leads: str, supporters: str, responsible: str, rule: RoleRule
) -> tuple[list[str], list[str]]:
    """(leads, supporters) from a row's unit cells; a cell may itself say `X牵头，Y配合`."""
    cells = [c for c in (leads, responsible) if c.strip()]
    if any(has_roles(c) for c in cells):
        roles = parse_roles("；".join(cells))
        found_leads, found_supporters = roles.resolved(rule)
        return found_leads, [*found_supporters, *split_units(supporters)]
    if leads.strip():
        return split_units(leads), [*split_units(supporters), *split_units(responsible)]
    first, rest = split_by_rule(split_units(responsible), rule)
    return first, [*rest, *split_units(supporters)]


def column(row: Sequence[str], cols: Mapping[str, int], key: str) -> str:
    """The row's cell under the header column `key` ("" when there is none)."""
    col = cols.get(key)
    return row[col] if col is not None and col < len(row) else ""


def raw_from_row(
    line: int,
    row: Sequence[str],
    cols: Mapping[str, int],
    group: tuple[int, str],
    source: str,
    rule: RoleRule = "all_lead",
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
        column(row, cols, "responsible"),
        rule,
    )


def table_plan(title_text: str, raws: list[RawTask], problems: list[Problem], start: int) -> Plan:
    """The plan of a table layout's rows; a table without rows is a problem at its header."""
    year = plan_year(title_text, (r.deadline for r in raws))
    tasks = build_tasks(raws, year, problems, plan_end(title_text, year))
    if not raws:
        problems.append(Problem(start + 1, "任务分解表没有任何任务行"))
    return Plan(tasks=tasks, problems=problems, year=year)


def renumber(raws: list[RawTask]) -> list[RawTask]:
    """Numbers for tables that number nothing, or start again at 1 in every group."""
    rows = [r for r in raws if r.text]
    numbers = [r.number for r in rows]
    if rows and all(n is None for n in numbers):
        return [_numbered(r, i) for i, r in enumerate(rows, start=1)] + [
            r for r in raws if not r.text
        ]
    if any(n is None for n in numbers):
        return raws  # numbered below, in build_tasks, after the document's own numbers
    if len(set(numbers)) == len(numbers):
        return raws
    drops = [b for a, b in zip(numbers, numbers[1:], strict=False) if a and b and b <= a]
    if drops and all(b == 1 for b in drops):
        counter = iter(range(1, len(raws) + 1))
        return [_numbered(r, next(counter)) if r.text else r for r in raws]
    return raws


def _numbered(raw: RawTask, number: int) -> RawTask:
    raw.number = number
    return raw


def plan_end(text: str, year: int | None) -> date | None:
    """The end of the plan's period: `2021—2025年` in the title, else the plan year's end."""
    head = text[:2000]
    if m := _PERIOD.search(head):
        return date(int(m.group(2)), 12, 31)
    return date(year, 12, 31) if year else None


def build_tasks(
    raws: Iterable[RawTask],
    year: int | None,
    problems: list[Problem],
    end: date | None = None,
) -> list[Task]:
    """Tasks from raw rows; every defect becomes a Problem, no row vanishes without one."""
    tasks: list[Task] = []
    first_line: dict[int, int] = {}
    raws = renumber(list(raws))
    from_text: set[int] = set()  # rows whose deadline their measure's text names
    for raw in raws:
        if not raw.deadline and (last := last_period(raw.targets)):
            raw.deadline = last  # the task is due at the end of its last target's period
        if not raw.deadline and raw.text:
            raw.deadline = deadline_in_text(raw.text, year) or ""
            if raw.deadline:
                from_text.add(id(raw))
    if end is None and year is not None:
        end = date(year, 12, 31)
    undated = bool(raws) and not any(r.deadline for r in raws)
    if undated and end is not None:
        problems.append(
            Problem(
                raws[0].line,
                f"全文未写任何时限要求，各任务按规划期末（{_end_text(end)}）处理",
                severity="warning",
            )
        )
    next_free = max((r.number for r in raws if r.number is not None), default=0) + 1
    for raw in raws:
        if raw.number is None and raw.text:
            problems.append(
                Problem(
                    raw.line,
                    f"缺少任务序号：“{_short(raw.text)}”，编为 #{next_free}",
                    severity="warning",
                )
            )
            raw.number, next_free = next_free, next_free + 1
        if raw.number is None:
            if False:
                pass
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
        deadline = _deadline(raw, year, problems, end, quiet=undated)
        steps = _milestones(raw, year, problems, in_text=id(raw) in from_text)
        if steps and raw.targets and not raw.deadline_cell.strip():
            # target columns and no deadline cell: due at the end of the last target's period
            deadline = Deadline(kind="once", text=deadline.text, due=steps[-1].due)
        elif steps and deadline.due is not None and steps[-1].due > deadline.due:
            problems.append(
                Problem(
                    raw.deadline_line or raw.line,
                    f"任务 {raw.number} 的时间节点“{steps[-1].due.isoformat()} {steps[-1].text}”"
                    f"晚于完成时限（{deadline.due.isoformat()}）",
                    severity="warning",
                )
            )
        tasks.append(
            Task(
                id=raw.number,
                category_no=raw.category_no,
                category=raw.category,
                title=title_of(raw.text),
                text=raw.text,
                deadline=deadline,
                leads=tuple(raw.leads),
                supporters=tuple(raw.supporters),
                line=raw.line,
                milestones=steps,
            )
        )
    _check_sequence(tasks, problems)
    return tasks


def _deadline(
    raw: RawTask, year: int | None, problems: list[Problem], end: date | None, quiet: bool
) -> Deadline:
    line = raw.deadline_line or raw.line
    if not raw.deadline:
        if end is None:
            problems.append(Problem(line, f"任务 {raw.number} 缺少时限要求"))
            return Deadline(kind="once", text="")
        if not quiet:
            problems.append(
                Problem(
                    line,
                    f"任务 {raw.number} 未写时限要求，按{_end_text(end)}处理",
                    severity="warning",
                )
            )
        return Deadline(kind="once", text="", due=end)
    found = parse_deadline(raw.deadline, year)
    if found is None:
        # kept as written and never guessed: the office reads it and sets a date by hand
        problems.append(
            Problem(
                line,
                f"任务 {raw.number} 的时限要求无法识别：“{raw.deadline}”，已按原文保留，未设日期",
                severity="warning",
            )
        )
        return Deadline(kind="once", text=raw.deadline)
    return found


def _milestones(
    raw: RawTask, year: int | None, problems: list[Problem], in_text: bool
) -> tuple[Milestone, ...]:
    """A row's milestones: its target columns when it has any, else its deadline cell's steps;
    a list of steps that cannot all be dated is flagged and gives none. Without a deadline
    cell, a measure written as numbered dated items (`1.4月底前…。2.8月底前…`, a 实施计划
    column) gives one per item, and nothing (unflagged) when they are not all dated."""
    found: StepList = read_targets(raw.targets, year) if raw.targets else StepList(())
    if in_text:
        found = read_steps(raw.text, year) if split_items(raw.text) else StepList(())
        return () if found.problem else found.milestones
    if not found.milestones and not found.problem:
        found = read_steps(raw.deadline, year)
        if len(found.steps) < 2 and (by_line := read_lines(raw.deadline_cell, year)):
            return by_line
    if found.problem:
        problems.append(
            Problem(
                raw.deadline_line or raw.line,
                f"任务 {raw.number} 的时间节点无法识别（{found.problem}），"
                "时限要求已按原文保留，未设时间节点",
                severity="warning",
            )
        )
    return found.milestones


def _end_text(end: date) -> str:
    return f"{end.year}年底" if (end.month, end.day) == (12, 31) else end.isoformat()


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
