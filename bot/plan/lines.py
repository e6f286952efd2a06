"""Plans written as numbered lines: units in brackets after a measure, or labelled lines below it.

一、健全信用制度体系
1.完善信用制度。……（区发改局牵头，区财政局、区级有关部门配合，2022年6月底前完成）
2.……（牵头单位：区发改局；责任单位：区财政局、区民政局，持续推进）
3.……
牵头单位：区法院
配合单位：区发改局、各镇（街道）
时限要求：2021年9月30日前
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.plan.build import (
    RawTask,
    build_tasks,
    heading,
    plan_end,
    plan_year,
    split_number,
    sub_heading,
)
from bot.plan.model import Plan, Problem
from bot.plan.numerals import parse_number
from bot.plan.roles import (
    CLOSE_BRACKETS,
    LABEL,
    OPEN_BRACKETS,
    RoleRule,
    Roles,
    parse_roles,
    role_rule,
    split_bracket,
)
from bot.plan.unitlist import is_unit_name

_BULLET = re.compile(r"^[\s●•·▪◆◇■□*＊\-—]+")


@dataclass
class _Open:
    """The task being read: its lines so far."""

    line: int
    number: int
    text: str
    top: tuple[int, str] | None
    sub: tuple[int, str] | None
    roles: Roles = field(default_factory=Roles)
    deadline_line: int = 0
    labelled: bool = False


def _finish(task: _Open, problems: list[Problem], rule: RoleRule) -> tuple[RawTask, bool, _Open]:
    text, bracket = split_bracket(task.text)
    roles = task.roles
    if bracket is None and not roles.found:
        text, bracket = _closing_sentence(text)
    if bracket:
        roles.merge(bracket)
        task.deadline_line = task.deadline_line or (task.line if bracket.deadline else 0)
    if roles.leftover:
        shown = "，".join(roles.leftover)
        problems.append(Problem(task.line, f"任务 {task.number} 中无法识别的内容：“{shown}”"))
    leads, supporters = roles.resolved(rule)
    raw = RawTask(
        line=task.line,
        number=task.number,
        text=text,
        deadline=roles.deadline.strip(),
        leads=leads,
        supporters=supporters,
        deadline_line=task.deadline_line or task.line,
    )
    return raw, roles.found or bool(roles.deadline), task


def parse_lines(text: str) -> Plan:
    """Tasks from a document of headings and numbered measures."""
    problems: list[Problem] = []
    finished: list[tuple[RawTask, bool, _Open]] = []
    top: tuple[int, str] | None = None
    sub: tuple[int, str] | None = None
    current: _Open | None = None
    rule = role_rule(text)
    numbered = _task_numbering(text)
    arabic = numbered is split_number and _has_arabic_tasks(text)
    # the `（一）` heading just read: it is the task itself when a label follows it directly
    last_sub: tuple[int, int, str] | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            finished.append(_finish(current, problems, rule))
            current = None

    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        if found := heading(line):
            close()
            top, sub, last_sub = (found[0], _name(found[1])), None, None
            continue
        if found := sub_heading(line):
            close()
            if not arabic and _states_roles(found[1]):
                # `（一）加强市场体系建设。……〔责任单位：……〕`: the measure itself, not a heading
                current = _Open(number, found[0], "", top, None)
                line, last_sub = found[1], None
            else:
                sub = (found[0], _name(found[1]))
                last_sub = (number, found[0], found[1])
                continue
        if label := LABEL.match(line):
            if current is None and last_sub is not None:
                current = _Open(last_sub[0], last_sub[1], last_sub[2], top, None)
                last_sub = None
            if current is None:
                problems.append(Problem(number, f"“{label.group(1)}”不在任何编号任务之下"))
                continue
            roles = parse_roles(line)
            current.roles.merge(roles)
            current.labelled = True
            if roles.deadline:
                current.deadline_line = number
            continue
        task_no, rest = numbered(line) if current is None or current.line != number else (None, "")
        if task_no is not None and rest:
            close()
            last_sub = None
            current = _Open(number, task_no, "", top, sub)
            line = rest
        elif current is None or current.labelled:
            continue  # prose between tasks: preambles, 保障措施 paragraphs
        # a label inside the measure's own line: `1.完善信用制度。牵头单位：区发改局`
        if (m := _outer_label(line)) and m.start() > 0:
            current.roles.merge(parse_roles(line[m.start() :]))
            current.deadline_line = number
            current.labelled = True
            line = line[: m.start()].rstrip()
        current.text += line
    close()
    return _assemble(text, finished, problems)


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_MINOR = re.compile(
    rf"^\s*(?:[（(]\s*(\d{{1,3}})\s*[）)]|([{_CIRCLED}])|([一二三四五六七八九十]+)是)\s*[、.．,，]?\s*"
)


def minor_number(text: str) -> tuple[int | None, str]:
    """(`2`, `…`) from `（2）…`, `②…` or `二是…`; (None, text) otherwise."""
    m = _MINOR.match(text)
    if not m:
        return None, text.strip()
    if m.group(1):
        value = int(m.group(1))
    elif m.group(2):
        value = _CIRCLED.index(m.group(2)) + 1
    else:
        value = parse_number(m.group(3)) or 0
    rest = text[m.end() :].strip()
    return (value, rest) if rest else (None, text.strip())


def _task_numbering(text: str) -> Callable[[str], tuple[int | None, str]]:
    """`1.` numbers tasks when the text has any; else `（1）`, `①` or `一是` do."""
    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    if any(split_number(line)[0] is not None for line in lines if line and not heading(line)):
        return split_number
    if any(minor_number(line)[0] is not None for line in lines):
        return minor_number
    return split_number


def _closing_sentence(text: str) -> tuple[str, Roles | None]:
    """`……。区发改局牵头，区财政局配合，2022年6月底前完成。`: the roles a measure's last sentence
    states without a bracket, and the measure without that sentence."""
    body = text.rstrip().rstrip("。；;")
    cut = max(body.rfind("。"), body.rfind("；"), body.rfind(";"))
    if cut < 0:
        return text, None
    last = body[cut + 1 :]
    roles = parse_roles(last)
    names = [*roles.leads, *roles.supporters, *roles.responsible]
    if not roles.found or roles.leftover or not all(is_unit_name(n) for n in names):
        return text, None
    return body[: cut + 1], roles


def _has_arabic_tasks(text: str) -> bool:
    """Whether any line is numbered `1.`/`1、` (then `（一）` lines are headings above them)."""
    lines = (_BULLET.sub("", line).strip() for line in text.splitlines())
    return any(split_number(line)[0] is not None for line in lines if line and not heading(line))


def _states_roles(text: str) -> bool:
    """Whether a `（一）` line names its own units: a role bracket or a label after its text."""
    _, bracket = split_bracket(text)
    return bracket is not None or bool((m := _outer_label(text)) and m.start() > 0)


def _outer_label(line: str) -> re.Match[str] | None:
    """The first label outside parentheses (labels inside a bracket belong to the bracket)."""
    for m in LABEL.finditer(line):
        before = line[: m.start()]
        if sum(before.count(c) for c in OPEN_BRACKETS) <= sum(
            before.count(c) for c in CLOSE_BRACKETS
        ):
            return m
    return None


def _name(text: str) -> str:
    """A heading's name: `健全信用制度体系` of `健全信用制度体系。完善…`."""
    return text.split("。", 1)[0].strip()


def _groups_by_sub(tasks: Iterable[_Open]) -> bool:
    """Whether the `（一）` level groups the tasks: the top level is the group, unless every
    task stands under one `一、` (`二、重点任务`) and the `（一）` headings below it split them."""
    tasks = list(tasks)
    tops = {t.top for t in tasks if t.top}
    subs = {t.sub for t in tasks if t.sub}
    return len(tops) <= 1 and len(subs) > 1


def _distinct_group_numbers(raws: list[RawTask]) -> None:
    """Groups numbered 1, 2, … in order when two groups would share a number (`（二）` under
    `一、` and `二、` itself); a document whose own numbers are distinct keeps them."""
    numbers: dict[str, int] = {}
    for raw in raws:
        numbers.setdefault(raw.category, raw.category_no)
    named = {name: no for name, no in numbers.items() if name}
    if len(set(named.values())) == len(named):
        return
    order = {name: i for i, name in enumerate(named, start=1)}
    for raw in raws:
        if raw.category:
            raw.category_no = order[raw.category]


def _assemble(
    text: str, finished: list[tuple[RawTask, bool, _Open]], problems: list[Problem]
) -> Plan:
    sections: dict[tuple[int, str] | None, list[tuple[RawTask, bool]]] = {}
    by_sub = _groups_by_sub(task for _, _, task in finished)
    for raw, has_roles, task in finished:
        group = (task.sub or task.top) if by_sub else (task.top or task.sub)
        raw.category_no, raw.category = group or (0, "")
        sections.setdefault(group, []).append((raw, has_roles))
    _distinct_group_numbers([raw for raw, _, _ in finished])
    raws: list[RawTask] = []
    any_roles = any(has for _, has, _ in finished)
    for section, items in sections.items():
        if any_roles and not any(has for _, has in items):
            # numbered prose (保障措施 …) in a plan whose tasks do name units: not tasks
            name = section[1] if section else "正文"
            problems.append(
                Problem(
                    items[0][0].line,
                    f"“{name}”下的 {len(items)} 个编号条目没有牵头单位和时限，未作为任务",
                    severity="warning",
                )
            )
            continue
        raws.extend(raw for raw, _ in items)
    raws.sort(key=lambda r: r.line)
    year = plan_year(text, (r.deadline for r in raws))
    tasks = build_tasks(raws, year, problems, plan_end(text, year))
    if not finished:
        problems.append(
            Problem(1, "未找到任何编号任务（如“1.……（区发改局牵头，2021年6月底前完成）”）")
        )
    return Plan(tasks=tasks, problems=problems, year=year)
