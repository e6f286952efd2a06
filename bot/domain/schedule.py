"""序时进度: the progress a task is due to have made by a day, and whether it lags behind it.

Pure functions of (task, the day tracking started, today, what was reported, policy).

The rule, from milestones when a task has them: the share of its milestones whose day has
passed. A plan promises its nodes (时间节点), not a path between them, so between two nodes
nothing more is owed than the nodes already passed: a unit is never told it lags by a
trajectory the plan did not set, and a missed node is lagging by itself anyway. A node is
owed from the day after its date, as a deadline is overdue from the day after it (a node due
today is still on time today). Without milestones, a task with one deadline is due to move
evenly from the day tracking started (the plan's start, or its import) to its deadline; the
policy can switch this fallback off, for plans where steady progress would mislead (a
building finished in one go). Periodic and ongoing work without milestones owes no progress.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.policy import DueProgressPolicy
from bot.domain.progress import planned_percent
from bot.plan.model import Milestone, Task
from bot.store.records import StateView

DueSource = Literal["milestones", "elapsed", "none"]


@dataclass(frozen=True)
class DueProgress:
    """The progress due on a day (None: none is due) and what it was read from."""

    percent: int | None
    source: DueSource


@dataclass(frozen=True)
class Lag:
    """A task's standing against its 序时进度 on a day."""

    due: DueProgress
    missed: tuple[Milestone, ...]  # passed and not reported done, oldest first
    behind: int  # percentage points the reported percent trails the due progress (0: none)
    lagging: bool  # 滞后序时进度: a missed milestone, or behind by more than the tolerance


def passed(milestone: Milestone, today: date) -> bool:
    """Whether a milestone is owed on `today` (from the day after its date)."""
    return today > milestone.due


def due_progress(task: Task, start: date, today: date, policy: DueProgressPolicy) -> DueProgress:
    """The progress `task` is due to have made by `today`, tracking having started on `start`."""
    if task.milestones:
        owed = sum(1 for m in task.milestones if passed(m, today))
        return DueProgress(round(100 * owed / len(task.milestones)), "milestones")
    if policy.proportional and task.deadline.kind == "once" and task.deadline.due is not None:
        return DueProgress(planned_percent(task, start, today), "elapsed")
    return DueProgress(None, "none")


def lag(
    task: Task,
    start: date,
    today: date,
    reported: int,
    done: Collection[Milestone],
    policy: DueProgressPolicy,
) -> Lag:
    """Whether `task` lags its 序时进度 on `today`: a milestone has passed and is not among
    `done`, or the `reported` percent trails the due progress by more than the tolerance.
    A task reported at 100% has done every step."""
    due = due_progress(task, start, today, policy)
    if reported >= 100:
        return Lag(due, (), 0, False)
    missed = tuple(m for m in sorted(task.milestones) if passed(m, today) and m not in done)
    behind = max((due.percent or 0) - reported, 0)
    return Lag(due, missed, behind, bool(missed) or behind > policy.tolerance_points)


def milestones_done(states: Iterable[StateView]) -> dict[int, dict[Milestone, str]]:
    """Task → the milestones its lead units reported done (`milestones_done` on a lead's
    part), each with when it was first reported done (ISO).

    A milestone is one step of the whole task: reported done by any of its leads, it is done
    (the lead who did the step reports it; the others are not asked again).
    """
    out: dict[int, dict[Milestone, str]] = {}
    for state in states:
        if state.get("role", "lead") != "lead" or "task" not in state:
            continue
        found = out.setdefault(state["task"], {})
        for mark in state.get("milestones_done") or ():
            done = Milestone(date.fromisoformat(mark["due"]), str(mark.get("text", "")))
            at = str(mark.get("at") or "")
            found[done] = min(found.get(done, at), at)
    return {task: found for task, found in out.items() if found}
