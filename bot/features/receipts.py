"""签收: a unit's bound contact acknowledges that the unit was told of a task.

The first message that tells a unit of a task carries a 签收 button; pressing it records who
and when (a "receipt" event of that task and unit). Work not signed for one workday after the
first notice is chased once more; after that the coordinators see it as 未签收. A paper 督办单
signed on paper is recorded by a coordinator (`bot.features.slips`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.domain.planner import ESCALATIONS, LEADER_KIND
from bot.features.access import Actor
from bot.store.records import Event, PartStatus
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services


def receipts(services: Services, unit: str) -> dict[int, Event]:
    """The unit's first 签收 of each task (slip receipts, which name a number, aside)."""
    found: dict[int, Event] = {}
    for ev in services.store.history.events(unit=unit, kinds=["receipt"]):
        task = ev.get("task")
        if task is not None and not ev.get("number"):
            found.setdefault(task, ev)
    return found


def receipt_of(services: Services, task_id: int, unit: str) -> Event | None:
    """The unit's 签收 of one task, if any."""
    found = services.store.history.events(
        task=task_id,
        kinds=["receipt"],
        where=lambda ev: ev.get("unit") == unit and not ev.get("number"),
    )
    return found[0] if found else None


def is_daily_notice(ev: Event) -> bool:
    """A reminder event that told the unit itself (not an escalation nor a leader's notice)."""
    kind = ev.get("reminder_kind")
    return (
        ev["kind"] == "reminder"
        and kind not in ESCALATIONS
        and kind != LEADER_KIND
        and ev.get("status") in ("sent", "uncertain")
    )


def notified(services: Services, unit: str) -> dict[int, str]:
    """Task → when the unit was first told of it by a reminder (its ISO time)."""
    first: dict[int, str] = {}
    for ev in services.store.history.events(unit=unit, kinds=["reminder"]):
        task = ev.get("task")
        if task is not None and is_daily_notice(ev):
            first.setdefault(task, ev["at"])
    return first


def needs_receipt(services: Services, task_id: int, unit: str) -> bool:
    """Whether a message about the task to the unit carries a 签收 button: a unit reached
    through its own contacts (not the coordinators' unit) that has not signed for it yet."""
    if unit == services.units.coordinator.name:
        return False
    return receipt_of(services, task_id, unit) is None


@dataclass(frozen=True)
class Signing:
    """The answer to a 签收 press (a toast) and whether it recorded anything."""

    text: str
    recorded: bool


def sign_for(
    services: Services, actor: Actor, task_id: int, unit: str | None, *, own_message: bool
) -> Signing:
    """Record that `actor` signed for the unit's task, or why not (nothing changes then)."""
    store = services.store
    if unit is None or store.plan.task(task_id) is None:
        return Signing(render("receipt.html.j2", step="gone"), False)
    if not own_message or unit not in actor.units:
        return Signing(render("receipt.html.j2", step="not_yours", unit=unit), False)
    earlier = receipt_of(services, task_id, unit)
    if earlier is not None:
        return Signing(
            render("receipt.html.j2", step="already", task=task_id, at=earlier["at"]), False
        )
    store.history.record(
        "receipt",
        at=services.clock.now(),
        actor=actor.user_id,
        task=task_id,
        unit=unit,
        name=actor.name,
    )
    return Signing(render("receipt.html.j2", step="signed", task=task_id, unit=unit), True)


# A chase comes the workday after the first notice (later, after downtime, up to this many
# workdays): older unsigned work, such as everything told of before 签收 existed, is only shown.
CHASE_WITHIN = 5


def unsigned_to_chase(services: Services, unit: str, today: date) -> list[int]:
    """The unit's open tasks first told of one to CHASE_WITHIN workdays before `today`, not
    signed for yet (the caller's ledger keeps each to one chase)."""
    store, calendar = services.store, services.calendar
    signed = receipts(services, unit)
    closed = store.plan.closed_tasks()
    out = []
    for task, at in notified(services, unit).items():
        if task in signed or task in closed or not store.plan.is_followed(task):
            continue
        state = store.parts.state(task, unit)
        if state is None or state.get("status") == PartStatus.DONE:
            continue
        first = date.fromisoformat(at[:10])
        if first < today and 1 <= calendar.workdays_between(first, today) <= CHASE_WITHIN:
            out.append(task)
    return sorted(out)
