"""Milestones (时间节点) a plan writes itself: dated steps in a deadline cell, target columns.

`2022年6月底前完成方案制定；9月底前完成试点；12月底前全面完成` is three steps, each due at its
date; `2018年度 | 2019年度 | 2020年度` target columns are one step per column, due at the end
of its period. A step's date without a year takes the year of the step before it, else the
plan's. A cell whose steps cannot all be dated, in order, gives no milestones: it is flagged
and kept as written, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.plan.deadline import parse_deadline
from bot.plan.model import Milestone

# Between steps: `；`, `;`, `。` or a line break; a comma only when a date follows it
# (`6月底前完成初稿，12月底前完成`), since `9月底前，完成试点` is one step.
_STRONG = "；;。\n"
_WEAK = "，,"
_OPEN, _CLOSE = "（(【[", "）)】]"
# a step opens with its date: `2022年6月底前`, `9月底前`, `12月30日前`, `下半年`, `2022-06-30`
_STARTS_DATED = re.compile(
    r"\s*(?:\d{4}\s*[-/.年]|\d{1,2}\s*月|[一二三四五六七八九十]{1,3}\s*月"
    r"|第?[一二三四1-4]季度|[上下]半年|年底|年末|(?:20\d\d|[〇零一二三四五六七八九]{4})\s*年)"
)
# the date phrase a step opens with, left out of the milestone's text (`9月底前` of `9月底前完成试点`)
_LEAD_DATE = re.compile(
    r"\s*(?:\d{4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,2})?"
    r"|(?:(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年度?\s*)?"
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月份?\s*"
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]|底|末|上旬|中旬|下旬)?"
    r"|第?[一二三四1-4]季度(?:末|底)?|[上下]半年|年?底|年?末)?)"
    r"\s*(?:之前|以前|前)?"
)
# a period heading of a target column: `2018年度`, `2019年`, `2022年目标`, `一季度`, `第二季度`,
# `上半年` (a banner such as 年度目标 over the column may come before it)
_PERIOD_LABEL = re.compile(
    r"(?:(?:20\d\d)\s*年度?|(?:20\d\d\s*年)?(?:第?[一二三四1-4]\s*季度|[上下]半年))"
    r"(?:目标|任务|目标任务|工作目标)?$"
)
# an item number at the start of a sentence: `1.`, `2、`, `（3）`
_ITEM = re.compile(r"(?:^|(?<=[。；;\s]))\s*(?:(?P<n>\d{1,2})\s*[.．、]|[（(](?P<p>\d{1,2})[）)])")
_SUBJECT = re.compile(r"^[^:：，,。；;\d]{2,30}[:：]")
_TRIM = " \t\n；;。，,"
_BLANK_CELL = re.compile(r"^[\s/／—\-－无]*$")


@dataclass(frozen=True)
class StepList:
    """A deadline cell read as steps: its milestones, or why it has none."""

    steps: tuple[str, ...]  # the cell's steps as written, in order
    milestones: tuple[Milestone, ...] = ()  # one per step when every step is dated, in order
    problem: str = ""  # why a cell of several steps gives no milestones ("" when it does)


def split_steps(text: str) -> list[str]:
    """The steps of a deadline cell, each as written (separators and outer spaces dropped).

    Text inside brackets never splits: `2022年底前（其中6月底前完成一半）` is one step.
    A part that is a note in brackets only belongs to the step before it.
    """
    steps: list[str] = []
    depth = 0
    start = 0

    def cut(end: int) -> None:
        part = text[start:end].strip()
        if not part:
            return
        if steps and part[0] in _OPEN and part[-1] in _CLOSE:
            steps[-1] = f"{steps[-1]}{text[start:end]}".strip()
        else:
            steps.append(part)

    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0 and (
            char in _STRONG or (char in _WEAK and _STARTS_DATED.match(text, i + 1))
        ):
            cut(i)
            start = i + 1
    cut(len(text))
    return steps


def step_text(step: str) -> str:
    """What is to be done by a step's date (`完成试点` of `9月底前完成试点`); the step itself
    when it says nothing beyond its date."""
    m = _LEAD_DATE.match(step)
    rest = step[m.end() :].strip(" ,，:：") if m else ""
    return rest or step


def split_items(text: str) -> list[str]:
    """The numbered items of a text (`1.4月底前…。2.8月底前…。3.11月底前…`), numbers dropped;
    [] unless it opens with item 1 (or with words, then item 2: the row's own number took the
    `1.`) and counts on (2, 3, …) at the start of sentences."""
    items: list[str] = []
    expected, start = 1, -1
    for m in _ITEM.finditer(text):
        number = int(m.group("n") or m.group("p"))
        if start < 0 and number == 2 and text[: m.start()].strip():
            expected, start = 2, 0  # the words before item 2 are item 1
        if number != expected:
            continue
        if start >= 0:
            items.append(text[start : m.start()].strip(_TRIM))
        elif text[: m.start()].strip():
            return []  # words before item 1: a sentence that merely holds a number
        expected, start = expected + 1, m.end()
    if start >= 0:
        items.append(text[start:].strip(_TRIM))
    return items if len(items) >= 2 and all(items) else []


def _series(steps: Sequence[str], year: int | None) -> tuple[tuple[Milestone, ...], str]:
    """(a milestone per step, "") when every step is dated and none goes back; else ((), why)."""
    found: list[Milestone] = []
    current = year
    for n, step in enumerate(steps, start=1):
        deadline = parse_deadline(step, current)
        if deadline is None or deadline.kind != "once" or deadline.due is None:
            return (), f"第 {n} 步无法确定日期：“{step}”"
        if found and deadline.due < found[-1].due:
            return (), (
                f"第 {n} 步的日期（{deadline.due.isoformat()}）早于上一步"
                f"（{found[-1].due.isoformat()}）：“{step}”"
            )
        current = deadline.due.year
        found.append(Milestone(deadline.due, step_text(step)))
    return tuple(found), ""


def read_steps(text: str, year: int | None) -> StepList:
    """The milestones of a deadline cell of several dated steps.

    One step (a plain deadline) gives none. Several give one each when every step is dated
    (`parse_deadline` gives it one due date) and the dates do not go back; otherwise none,
    with the reason. Numbered items (`1.…；2.…`) are series of their own, read one by one and
    merged in date order: an item is its own steps when they make a series, else one step
    (due at the latest date it names).
    """
    items = split_items(text)
    if not items:
        steps = tuple(split_steps(text))
        if len(steps) < 2:
            return StepList(steps)
        found, problem = _series(steps, year)
        return StepList(steps, found, problem)
    merged: list[Milestone] = []
    current = year
    for n, item in enumerate(items, start=1):
        # `托位：3月底前新增100个；6月底前…`: every step is 托位's
        subject = m.group(0) if (m := _SUBJECT.match(item)) else ""
        found, _ = _series(split_steps(item[len(subject) :]), current)
        if len(found) < 2:
            found, problem = _series([item[len(subject) :]], current)
            if problem:
                return StepList(tuple(items), problem=f"第 {n} 项无法确定日期：“{item}”")
        merged.extend(replace(step, text=subject + step.text) for step in found)
        current = found[-1].due.year
    return StepList(tuple(items), tuple(sorted(merged)))


def read_lines(cell: str, year: int | None) -> tuple[Milestone, ...]:
    """Milestones of a cell written one step a line (`4月底前…` / `8月底前…`), its lines not
    joined yet; a line that does not open with a date goes on the line above (a wrapped cell).
    Nothing unless every line makes a dated series: a cell merely wrapped before a date
    (`2022年` / `6月底前`) reads as one deadline."""
    lines: list[str] = []
    for line in (raw.strip() for raw in cell.splitlines()):
        if line and lines and not _STARTS_DATED.match(line):
            lines[-1] += line
        elif line:
            lines.append(line)
    if len(lines) < 2:
        return ()
    found, problem = _series(lines, year)
    if problem or any(step.text == line for step, line in zip(found, lines, strict=True)):
        return ()  # a line that is only a date, or not dated: wrapped text, not steps
    return found


def period_columns(header: Sequence[str], taken: Sequence[int]) -> list[tuple[int, str]]:
    """(index, heading) of the yearly or quarterly target columns of a header, when there are
    two or more (one period column is a progress note, not a series of targets)."""
    found = [
        (i, name)
        for i, cell in enumerate(header)
        if i not in taken and (name := re.sub(r"\s+", "", cell)) and _PERIOD_LABEL.search(name)
    ]
    return found if len(found) >= 2 else []


def period_label(heading: str) -> str:
    """The period a target column's heading names: `2019年度` of `年度目标2019年度目标`."""
    m = _PERIOD_LABEL.search(re.sub(r"\s+", "", heading))
    return m.group(0) if m else heading


def last_period(targets: Sequence[tuple[str, str]]) -> str:
    """The period of the last target column a row fills (`2020年度`), or ""."""
    filled = [heading for heading, cell in targets if not _BLANK_CELL.match(cell)]
    return period_label(filled[-1]) if filled else ""


def read_targets(targets: Sequence[tuple[str, str]], year: int | None) -> StepList:
    """Milestones from target columns: (heading, cell) pairs in column order, each due at the
    end of its period (a heading without a year takes the one before it, else the plan's);
    an empty cell (or `/`, `—`, `无`) is no target."""
    found: list[Milestone] = []
    current = year
    cells = tuple(cell.strip() for _, cell in targets)
    for heading, cell in targets:
        label = period_label(heading)
        deadline = parse_deadline(label, current)
        if deadline is None or deadline.due is None:
            return StepList(cells, problem=f"目标列“{label}”无法确定日期（缺少年份）")
        current = deadline.due.year
        if not _BLANK_CELL.match(cell):
            found.append(Milestone(deadline.due, " ".join(cell.split())))
    return StepList(cells, tuple(sorted(found)))
