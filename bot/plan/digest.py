"""What a read plan holds, in a few facts: for the chat preview and `duban check --show`.

Pure data, no Telegram: the chat import feature renders a PlanDigest in its own template.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from bot.plan.model import Deadline, Plan, Task
from bot.plan.unitlist import normalize_unit

# suggest(name): None if the unit is known, else the nearest known name ("" if none is near)
Suggest = Callable[[str], str | None]

DEADLINE_KINDS = ("once", "monthly", "quarterly", "ongoing", "unreadable")


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
    return " | ".join(parts)
