"""The normalised plan as YAML: for export, hand edits, and loading back to the same Tasks."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

import yaml

from bot.plan.build import title_of
from bot.plan.deadline import parse_deadline
from bot.plan.model import Deadline, DeadlineKind, Milestone, Plan, Problem, Task
from bot.plan.unitlist import split_units

_HEADER = (
    "# duban 任务分解表（规范化形式）。可直接编辑后用 `duban check` 校验、`duban import` 导入。\n"
    "# deadline 可写原文（如“2021年6月底前”“每月8日前报送…”“持续推进”），由程序解析；\n"
    "# 也可写成 {kind, text, due, day, action} 以明确指定。\n"
)
_KINDS: tuple[DeadlineKind, ...] = get_args(DeadlineKind)
_FIELDS = {"id", "category_no", "category", "title", "text", "deadline", "leads", "supporters"}
_FIELDS |= {"line", "milestones", "remarks"}


class _Dumper(yaml.SafeDumper):
    """Block style, with long texts folded so hand editing stays pleasant."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _deadline_out(deadline: Deadline, year: int | None) -> Any:
    """The text alone when it parses back to the same deadline, else every field."""
    if deadline.text and parse_deadline(deadline.text, year) == deadline:
        return deadline.text
    out: dict[str, Any] = {"kind": deadline.kind, "text": deadline.text}
    if deadline.due:
        out["due"] = deadline.due.isoformat()
    if deadline.day is not None:
        out["day"] = deadline.day
    if deadline.action:
        out["action"] = deadline.action
    return out


def dump_plan(plan: Plan) -> str:
    """The plan as readable YAML (Chinese as is, one task per block)."""
    tasks = [
        {
            "id": t.number,
            "category_no": t.category_no,
            "category": t.category,
            "title": t.title,
            "text": t.text,
            "deadline": _deadline_out(t.deadline, plan.year),
            "leads": list(t.leads),
            "supporters": list(t.supporters),
            **({"milestones": [m.to_json() for m in t.milestones]} if t.milestones else {}),
            **({"remarks": t.remarks} if t.remarks else {}),
            "line": t.line,
        }
        for t in plan.tasks
    ]
    body = yaml.dump(
        {"year": plan.year, **({"title": plan.title} if plan.title else {}), "tasks": tasks},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return _HEADER + body


def _lines_of(text: str) -> tuple[list[int], list[dict[str, int]]]:
    """Line numbers of each task entry and of each of its values, from the node tree."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    seq = root
    if isinstance(root, yaml.MappingNode):
        seq = next((v for k, v in root.value if k.value == "tasks"), None)
    if not isinstance(seq, yaml.SequenceNode):
        return [], []
    starts = [item.start_mark.line + 1 for item in seq.value]
    fields = [
        {k.value: v.start_mark.line + 1 for k, v in item.value}
        if isinstance(item, yaml.MappingNode)
        else {}
        for item in seq.value
    ]
    return starts, fields


def _units(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return split_units(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def _deadline_in(value: Any, year: int | None) -> Deadline | None:
    if isinstance(value, str):
        return parse_deadline(value, year)
    if not isinstance(value, dict) or value.get("kind") not in _KINDS:
        return None
    text = str(value.get("text") or "")
    due = value.get("due")
    try:
        due = date.fromisoformat(due) if isinstance(due, str) else due
    except ValueError:
        return None
    if due is not None and not isinstance(due, date):
        return None
    day = value.get("day")
    if day is not None and (not isinstance(day, int) or not 1 <= day <= 31):
        return None
    if value["kind"] == "once" and due is None:
        parsed = parse_deadline(text, year)
        due = parsed.due if parsed else None
        if due is None:
            return None
    return Deadline(kind=value["kind"], text=text, due=due, day=day, action=value.get("action"))


def load_yaml(text: str) -> Plan:
    """A Plan from its YAML form; defects become Problems with the YAML line."""
    problems: list[Problem] = []
    try:
        data = yaml.safe_load(text)
        starts, fields = _lines_of(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return Plan(problems=[Problem(line, f"YAML 格式错误：{getattr(exc, 'problem', exc)}")])
    year = data.get("year") if isinstance(data, dict) else None
    entries = data.get("tasks") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        return Plan(problems=[Problem(1, "YAML 中没有任务列表（tasks）")])
    if year is not None and not isinstance(year, int):
        problems.append(Problem(1, f"year 应为年份数字：{year!r}"))
        year = None
    tasks: list[Task] = []
    task_lines: dict[int, int] = {}
    seen: dict[int, int] = {}
    for index, entry in enumerate(entries):
        line = starts[index] if index < len(starts) else 1
        at = fields[index] if index < len(fields) else {}
        task = _task(entry, line, at, year, seen, problems)
        if task:
            tasks.append(task)
            task_lines[task.id] = line
    raw_title = data.get("title") if isinstance(data, dict) else None
    title = raw_title if isinstance(raw_title, str) else ""
    return Plan(tasks=tasks, problems=problems, year=year, task_lines=task_lines, title=title)


def _task(
    entry: Any,
    line: int,
    at: dict[str, int],
    year: int | None,
    seen: dict[int, int],
    problems: list[Problem],
) -> Task | None:
    if not isinstance(entry, dict):
        problems.append(Problem(line, "任务条目应为键值映射"))
        return None
    for key in entry.keys() - _FIELDS:
        problems.append(Problem(at.get(key, line), f"未知字段“{key}”", severity="warning"))
    number = entry.get("id")
    if not isinstance(number, int) or isinstance(number, bool):
        problems.append(Problem(at.get("id", line), f"任务序号无效：{number!r}"))
        return None
    text = entry.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(at.get("text", line), f"任务 {number} 缺少具体措施内容"))
        return None
    if number in seen:
        problems.append(
            Problem(line, f"任务序号 {number} 重复（第 {seen[number]} 行已有任务 {number}）")
        )
        return None
    seen[number] = line
    leads, supporters = _units(entry.get("leads")), _units(entry.get("supporters"))
    if leads is None or supporters is None:
        problems.append(Problem(line, f"任务 {number} 的单位应为名称列表"))
        leads, supporters = leads or [], supporters or []
    if not leads:
        problems.append(Problem(at.get("leads", line), f"任务 {number} 缺少牵头单位"))
    deadline = _deadline_in(entry.get("deadline"), year)
    if deadline is None:
        raw = entry.get("deadline")
        shown = raw.get("text", "") if isinstance(raw, dict) else "" if raw is None else str(raw)
        problems.append(
            Problem(at.get("deadline", line), f"任务 {number} 的时限要求无法识别：“{shown}”")
        )
        deadline = Deadline(kind="once", text=str(shown))
    milestones = _milestones(entry.get("milestones"))
    if milestones is None:
        problems.append(
            Problem(
                at.get("milestones", line),
                f"任务 {number} 的 milestones 应为列表，每项写成 {{due: YYYY-MM-DD, text: 内容}}",
            )
        )
    category_no = entry.get("category_no", 0)
    source_line = entry.get("line", line)
    return Task(
        id=number,
        category_no=category_no if isinstance(category_no, int) else 0,
        category=str(entry.get("category") or ""),
        title=str(entry.get("title") or title_of(text.strip())),
        text=text.strip(),
        deadline=deadline,
        leads=tuple(leads),
        supporters=tuple(supporters),
        line=source_line if isinstance(source_line, int) else line,
        milestones=milestones or (),
        remarks=str(entry.get("remarks") or ""),
    )


def _milestones(value: Any) -> tuple[Milestone, ...] | None:
    """`[{due: 2021-06-30, text: …}]` as Milestones in date order; None when malformed."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    found: list[Milestone] = []
    for item in value:
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            return None
        due = item.get("due")
        try:
            due = date.fromisoformat(due) if isinstance(due, str) else due
        except ValueError:
            return None
        if not isinstance(due, date):
            return None
        found.append(Milestone(due, str(item["text"]).strip()))
    return tuple(sorted(found))
