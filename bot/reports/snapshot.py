"""What the read models share: the plan's progress as of a day, the units' order, 一…十九.

The summary, the views (/status), the chart, the export and the scorecard all read from here;
none of them reads another for these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain import progress
from bot.plan.model import Task
from bot.store.plans import FIRST_SLOT, PlanInfo

if TYPE_CHECKING:
    from bot.services import Services
    from bot.store import Store
    from bot.store.repository import Repository

CN_NUMERALS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1..19 → 一…十九 (group headings)."""
    if n <= 10:
        return CN_NUMERALS[n]
    return "十" + CN_NUMERALS[n - 10] if n < 20 else str(n)


def snapshot(services: Services, day: date) -> list[progress.TaskProgress]:
    """Every task's progress as of `day`, from the store (computed once while the tasks and
    states are unchanged: a coordinator paging through /status reads the same one)."""
    store = services.store
    since = services.tracking_start()

    def compute() -> list[progress.TaskProgress]:
        tasks = store.plan.tasks()
        states = store.parts.states(among={t.id for t in tasks})
        closed = sorted(store.plan.closed_tasks())
        return progress.task_progress(tasks, states, day, closed=closed, since=since)

    return list(store.derived("snapshot", progress_sources(store), (day, since), compute))


def progress_sources(store: Store) -> tuple[Repository, ...]:
    """What the plan's progress is made of: a view of it is current while these are (the
    plans too: closing one takes its tasks out)."""
    return store.plan, store.parts, store.plans


T = TypeVar("T")


def plan_headings(services: Services) -> bool:
    """Whether views group tasks under a heading per plan: only once several are active (one
    active plan reads as before plans sat side by side)."""
    return len(services.store.plans.active()) > 1


def by_plan(
    services: Services, items: Iterable[T], task_of: Callable[[T], Task]
) -> list[tuple[PlanInfo | None, list[T]]]:
    """`items` split by their task's plan, in plan order (each keeps its order within its
    plan); with one active plan a single part whose plan is None: no heading."""
    items = list(items)
    if not plan_headings(services):
        return [(None, items)] if items else []
    plans = {p.slot: p for p in services.store.plans.all()}
    parts: dict[int, list[T]] = {}
    for item in items:
        parts.setdefault(task_of(item).plan or FIRST_SLOT, []).append(item)
    return [(plans.get(slot), parts[slot]) for slot in sorted(parts)]


def task_of(tp: progress.TaskProgress) -> Task:
    return tp.task


def mean_percent(tasks: list[progress.TaskProgress]) -> int:
    """The tasks' mean percent done, rounded (0 for none)."""
    return round(sum(t.percent for t in tasks) / len(tasks)) if tasks else 0


def plan_head(plan: PlanInfo | None, tasks: list[progress.TaskProgress]) -> dict[str, Any] | None:
    """A plan's heading in a view: the plan, its task count and their mean (None: none)."""
    return (
        None
        if plan is None
        else {"plan": plan, "total": len(tasks), "percent": mean_percent(tasks)}
    )


def plan_groups(
    services: Services, tasks: list[progress.TaskProgress]
) -> list[tuple[PlanInfo | None, progress.Group]]:
    """The plans' groups of tasks, plan by plan (each group with its plan, None while one plan
    is active): two plans' 一、 are two groups."""
    return [
        (plan, g)
        for plan, plan_tasks in by_plan(services, tasks, task_of)
        for g in progress.groups(plan_tasks)
    ]


def group_no(plan: PlanInfo | None, no: int) -> str:
    """A group's number as a label names it: `三`, or `B·三` beside other plans."""
    return (f"{plan.code}·" if plan else "") + cn_number(no)


def headings(services: Services, tasks: Iterable[Task]) -> list[PlanInfo | None]:
    """For each task of a list in plan order, the plan heading printed before it (see
    bot.store.plans.Plans.headings)."""
    return services.store.plans.headings(t.plan for t in tasks)


def unit_order(services: Services) -> Callable[[str], Any]:
    """A sort key: units in the order of the unit list, any other name after them."""
    order = {u.name: i for i, u in enumerate(services.units.units)}
    return lambda name: (order.get(name, len(order)), name)
