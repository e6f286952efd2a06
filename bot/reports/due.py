"""What the reminder sweep would send on a day, and what a 催办 reaches: the planner over the store.

`duban preview reminders` and the live sweep call the same `planned` (`bot.features.sweep`), so
a preview is exactly what goes out (less what the ledger already has).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.domain.planner import Reminder
from bot.features.chase import Target, chase
from bot.features.sweep import planned

if TYPE_CHECKING:
    from bot.services import Services


def chased(services: Services, now: datetime, found: Target) -> list[Reminder]:
    """A coordinator's 催办 of the task or units `found` names, for the current store."""
    store = services.store
    return chase(
        store.plan.tasks(),
        store.parts.states(),
        store.people.contacts(),
        services.calendar,
        now.date(),
        units=services.units,
        task_id=found.task_id,
        unit_names=found.units,
        closed=services.store.plan.closed_tasks(),
        stamp=now.isoformat(timespec="seconds"),
    )


def preview_reminders(services: Services, day: date) -> list[dict[str, Any]]:
    """`duban preview reminders`: what the sweep of `day` sends, in the CONTRACT shape: each
    item's `task` is the task's number in its plan, `plan` the plan's code."""
    numbers = services.store.plan.naming().numbers
    out = []
    for r in planned(services, day):
        code, no = numbers.get(r.task, ("", r.task))
        out.append({**r.to_json(), "task": no, "plan": code})
    return out
