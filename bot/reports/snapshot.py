"""What the read models share: the plan's progress as of a day, the units' order, 一…十九.

The summary, the views (/status), the chart, the export and the scorecard all read from here;
none of them reads another for these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.domain import progress

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
    """What the plan's progress is made of: a view of it is current while these are."""
    return store.plan, store.parts, store.plans


def unit_order(services: Services) -> Callable[[str], Any]:
    """A sort key: units in the order of the unit list, any other name after them."""
    order = {u.name: i for i, u in enumerate(services.units.units)}
    return lambda name: (order.get(name, len(order)), name)
