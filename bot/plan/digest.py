"""What a read plan holds, in a few facts: for the chat preview and `duban check --show`.

Pure data, no Telegram: the chat import feature renders a PlanDigest in its own template.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import get_args

from bot.plan.columns import is_person
from bot.plan.model import Deadline, DeadlineKind, Plan, Task
from bot.plan.unitlist import normalize_unit

_LONG_NAME = 30  # a unit's name longer than this has likely taken in words of the measure

# suggest(name): None if the unit is known, else the nearest known name ("" if none is near)
Suggest = Callable[[str], str | None]

DEADLINE_KINDS = (*get_args(DeadlineKind), "unreadable")


@dataclass(frozen=True)
class PlanDigest:
    """A plan in brief: how many tasks per group, deadlines by kind, what needs a look."""

    tasks: int
    year: int | None
    groups: tuple[tuple[str, int], ...]  # (group name, tasks) in document order
    deadlines: dict[str, int] = field(default_factory=dict)  # kind (DEADLINE_KINDS) -> tasks
    first_due: date | None = None
    last_due: date | None = None
    unknown_units: tuple[tuple[str, str], ...] = ()  # (name as written, nearest known or "")
    problems: tuple[str, ...] = ()  # `行 N：…`, errors first
    doubts: tuple[str, ...] = ()  # `第 N 项：牵头单位未能识别`, one line per uncertain task
    errors: int = 0
    warnings: int = 0
    milestones: int = 0  # dated steps (时间节点) across the tasks

    @property
    def importable(self) -> bool:
        return self.errors == 0 and self.tasks > 0


def deadline_kind(deadline: Deadline) -> str:
    """The kind for counting: `unreadable` for a once-deadline without a date."""
    if deadline.kind == "once" and deadline.due is None:
        return "unreadable"
    return deadline.kind


def unknown_units(plan: Plan, suggest: Suggest) -> Iterator[tuple[Task, str, str]]:
    """Each unit name of the plan that `suggest` does not know, once (by its normalized name):
    the task it first stands in, the name, and the nearest known unit ("" when none)."""
    seen: set[str] = set()
    for task in plan.tasks:
        for name in (*task.leads, *task.supporters):
            key = normalize_unit(name)
            if key in seen:
                continue
            seen.add(key)
            nearest = suggest(name)
            if nearest is not None:
                yield task, name, nearest


def unit_doubts(task: Task) -> list[str]:
    """What looks wrong in a task's unit names: a person's name, a name that took in text."""
    out = []
    for name in (*task.leads, *task.supporters):
        if is_person(name):
            out.append(f"“{name}”像是人名，不是单位")
        elif len(name) > _LONG_NAME or any(c in name for c in "。：:"):
            out.append(f"单位“{name[:_LONG_NAME]}…”可能混入了其他文字")
    return out


def task_doubts(task: Task) -> list[str]:
    """What the reader is not sure of in one task, each said plainly (never a guess kept quiet)."""
    out = []
    if not task.leads:
        out.append("牵头单位未能识别")
    if task.deadline.kind == "once" and task.deadline.due is None:
        out.append("时限未能识别")
    return out + unit_doubts(task)


def plan_doubts(plan: Plan) -> list[str]:
    """`第 3 项：牵头单位未能识别；时限未能识别`, one line per task the reader is unsure of."""
    lines = []
    for task in plan.tasks:
        if doubts := task_doubts(task):
            lines.append(f"第 {task.id} 项：{'；'.join(doubts)}")
    return lines


def digest_plan(plan: Plan, suggest: Suggest) -> PlanDigest:
    """The digest of a read plan; `suggest` judges unit names (see bot.plan.suggester)."""
    groups: Counter[str] = Counter()
    for task in plan.tasks:
        groups[task.category or "（未分组）"] += 1
    kinds = Counter(deadline_kind(t.deadline) for t in plan.tasks)
    dues = [t.deadline.due for t in plan.tasks if t.deadline.due]
    ordered = sorted(plan.problems, key=lambda p: (p.severity != "error", p.line))
    return PlanDigest(
        tasks=len(plan.tasks),
        year=plan.year,
        groups=tuple(groups.items()),
        deadlines={k: kinds[k] for k in DEADLINE_KINDS if kinds[k]},
        first_due=min(dues) if dues else None,
        last_due=max(dues) if dues else None,
        unknown_units=tuple((name, near) for _, name, near in unknown_units(plan, suggest)),
        problems=tuple(f"行 {p.line}：{p.message}" for p in ordered),
        doubts=tuple(plan_doubts(plan)),
        errors=sum(p.severity == "error" for p in plan.problems),
        warnings=sum(p.severity == "warning" for p in plan.problems),
        milestones=sum(len(t.milestones) for t in plan.tasks),
    )


def describe_deadline(deadline: Deadline) -> str:
    """`2022-06-30（2022年6月底前完成）`, `每月8日（…）`, `持续（持续推进）`, `未识别（按上级要求）`."""
    written = f"（{deadline.text}）" if deadline.text else ""
    if deadline.kind == "once":
        return (deadline.due.isoformat() if deadline.due else "未识别") + written
    if deadline.kind == "monthly":
        return (f"每月{deadline.day}日" if deadline.day else "每月") + written
    if deadline.kind == "quarterly":
        return (f"每季度{deadline.day}日" if deadline.day else "每季度") + written
    return "持续" + written


def describe_task(task: Task) -> str:
    """One line per task as read, for a person to verify against the document."""
    group = f"[{task.category}] " if task.category else ""
    parts = [f"#{task.id} {group}{task.title}", f"牵头：{'、'.join(task.leads) or '（无）'}"]
    if task.supporters:
        parts.append(f"配合：{'、'.join(task.supporters)}")
    parts.append(describe_deadline(task.deadline))
    if task.milestones:
        parts.append("节点：" + "；".join(f"{m.due.isoformat()} {m.text}" for m in task.milestones))
    if doubts := unit_doubts(task):  # a missing lead or date already shows as （无）/未识别
        parts.append(f"待核对：{'；'.join(doubts)}")
    return " | ".join(parts)
