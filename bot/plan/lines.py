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
from dataclasses import dataclass, field

from bot.plan.build import RawTask, build_tasks, heading, plan_year, split_number, sub_heading
from bot.plan.deadline import parse_deadline
from bot.plan.model import Plan, Problem
from bot.plan.unitlist import split_units

_LABELS = {
    "牵头单位": "leads",
    "牵头部门": "leads",
    "责任单位": "responsible",
    "责任部门": "responsible",
    "配合单位": "supporters",
    "配合部门": "supporters",
    "协同单位": "supporters",
    "协办单位": "supporters",
    "参与单位": "supporters",
    "时限要求": "deadline",
    "完成时限": "deadline",
    "完成时间": "deadline",
    "时间节点": "deadline",
    "时间要求": "deadline",
}
_LABEL = re.compile(rf"({'|'.join(_LABELS)})\s*[:：]\s*")
_SUFFIX = re.compile(r"(牵头负责|牵头|负责|配合|协同|协助|参与)(?:实施|落实|推进|完成)?$")
_SUFFIX_ROLE = {"牵头负责": "leads", "牵头": "leads", "负责": "responsible"}
# a clause that reads as a deadline even if it is not a known one (reported as unknown later)
_DATEISH = re.compile(r"完成|之前|以前|\d+\s*[年月日]|[一二三四五六七八九十]+月")
_BULLET = re.compile(r"^[\s●•·▪◆◇■□*＊\-—]+")
_CLAUSE_SEPARATORS = "；;，,"


@dataclass
class Roles:
    """Who leads, who supports and by when, as one bracket or a few labelled lines say."""

    leads: list[str] = field(default_factory=list)
    supporters: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    deadline: str = ""
    leftover: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.leads or self.supporters or self.responsible)

    def merge(self, other: Roles) -> None:
        self.leads += other.leads
        self.supporters += other.supporters
        self.responsible += other.responsible
        self.deadline = self.deadline or other.deadline
        self.leftover += other.leftover

    def resolved(self) -> tuple[list[str], list[str]]:
        """(leads, supporters): `责任单位`/`负责` lead when nobody is named as `牵头`."""
        if self.leads:
            return self.leads, self.supporters + self.responsible
        return self.responsible, self.supporters


def _clauses(text: str) -> list[str]:
    """`text` split on `；;，,` outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        elif ch in _CLAUSE_SEPARATORS and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [c.strip() for c in out if c.strip()]


def parse_roles(text: str) -> Roles:
    """The units and deadline a bracket or labelled line states."""
    # several labels on one line (`牵头单位：X  配合单位：Y`) become separate clauses
    text = _LABEL.sub(lambda m: "；" + m.group(0), text)
    roles = Roles()
    pending: list[str] = []
    open_role: str | None = None  # after `配合单位：`, unmarked clauses go on that list
    for clause in _clauses(text):
        if m := _LABEL.match(clause):
            open_role = _LABELS[m.group(1)]
            value = clause[m.end() :]
            if open_role == "deadline":
                roles.deadline = value
            else:
                getattr(roles, open_role).extend(split_units(value))
            continue
        if m := _SUFFIX.search(clause):
            role = _SUFFIX_ROLE.get(m.group(1), "supporters")
            for name in [*pending, clause[: m.start()]]:
                getattr(roles, role).extend(split_units(name))
            pending, open_role = [], None
            continue
        if open_role == "deadline":
            roles.deadline += "，" + clause
        elif open_role is not None and not roles.deadline and parse_deadline(clause, 2000):
            roles.deadline, open_role = clause, None  # `责任单位：Y、Z，持续推进`
        elif open_role is not None:
            getattr(roles, open_role).extend(split_units(clause))
        elif not roles.deadline and (parse_deadline(clause, 2000) or _DATEISH.search(clause)):
            roles.deadline = clause
        else:
            pending.append(clause)
    roles.leftover = pending
    return roles


def _brackets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level bracket group, end exclusive."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(（":
            if depth == 0:
                start = i
            depth += 1
        elif ch in ")）" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def split_bracket(text: str) -> tuple[str, Roles | None]:
    """The measure without its units bracket, and the roles the (last such) bracket names."""
    for start, end in reversed(_brackets(text)):
        roles = parse_roles(text[start + 1 : end - 1])
        if roles.found:
            before, after = text[:start].rstrip(), text[end:].strip()
            if after.strip("。.；;") == "":
                rest = before if before.endswith("。") or not after else before + "。"
            else:
                rest = before + after
            return rest.strip(), roles
    return text, None


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


def _finish(task: _Open, problems: list[Problem]) -> tuple[RawTask, bool, _Open]:
    text, bracket = split_bracket(task.text)
    roles = task.roles
    if bracket:
        roles.merge(bracket)
        task.deadline_line = task.deadline_line or (task.line if bracket.deadline else 0)
    if roles.leftover:
        shown = "，".join(roles.leftover)
        problems.append(Problem(task.line, f"任务 {task.number} 中无法识别的内容：“{shown}”"))
    leads, supporters = roles.resolved()
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

    def close() -> None:
        nonlocal current
        if current is not None:
            finished.append(_finish(current, problems))
            current = None

    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        if found := heading(line):
            close()
            top, sub = (found[0], _name(found[1])), None
            continue
        if found := sub_heading(line):
            close()
            sub = (found[0], _name(found[1]))
            continue
        if label := _LABEL.match(line):
            if current is None:
                problems.append(Problem(number, f"“{label.group(1)}”不在任何编号任务之下"))
                continue
            roles = parse_roles(line)
            current.roles.merge(roles)
            current.labelled = True
            if roles.deadline:
                current.deadline_line = number
            continue
        task_no, rest = split_number(line)
        if task_no is not None and rest:
            close()
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


def _outer_label(line: str) -> re.Match[str] | None:
    """The first label outside parentheses (labels inside a bracket belong to the bracket)."""
    for m in _LABEL.finditer(line):
        before = line[: m.start()]
        if sum(before.count(c) for c in "(（") <= sum(before.count(c) for c in ")）"):
            return m
    return None


def _name(text: str) -> str:
    """A heading's name: `健全信用制度体系` of `健全信用制度体系。完善…`."""
    return text.split("。", 1)[0].strip()


def _assemble(
    text: str, finished: list[tuple[RawTask, bool, _Open]], problems: list[Problem]
) -> Plan:
    # the `一、` level is the group; only without one does `（一）` take its place
    use_top = any(task.top for _, _, task in finished)
    sections: dict[tuple[int, str] | None, list[tuple[RawTask, bool]]] = {}
    for raw, has_roles, task in finished:
        group = task.top if use_top else task.sub
        raw.category_no, raw.category = group or (0, "")
        sections.setdefault(group, []).append((raw, has_roles))
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
    tasks = build_tasks(raws, year, problems)
    if not finished:
        problems.append(
            Problem(1, "未找到任何编号任务（如“1.……（区发改局牵头，2021年6月底前完成）”）")
        )
    return Plan(tasks=tasks, problems=problems, year=year)
