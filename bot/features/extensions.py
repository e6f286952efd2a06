"""Extension requests (申请延期): a later deadline for one unit's part, asked for with a reason.

`7月15日 因数据未到齐` → (2021-07-15, "因数据未到齐"); the date must fall after the unit's
current effective deadline. The request becomes a pending review record; a coordinator's
approval sets the unit's `due_override` (bot.features.review.approve).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.dates import leading_date
from bot.domain.status import effective_due
from bot.features import review
from bot.features.plan_period import extension_limit, plan_year
from bot.features.review import ActorLike, ReviewError
from bot.services import Services
from bot.store.records import PartStatus, ReviewRecord


@dataclass(frozen=True)
class ExtensionAsk:
    due: date
    reason: str


def split_dated(text: str, today: date) -> tuple[date, str] | None:
    """`DATE rest` → (the date, the rest without its leading punctuation); None when the text
    does not begin with a date people write (`7月15日`, `下周五`, `2021-07-15`)."""
    text = (text or "").strip()
    if not text:
        return None
    found = leading_date(text, today)
    if found is None:
        return None
    return found[0], found[1].strip().lstrip("，,、:：;；").strip()


def parse_request(text: str, today: date) -> ExtensionAsk:
    """Split `DATE reason` and parse both; raises ReviewError("no_date"|"no_reason"|…)."""
    found = split_dated(text, today)
    if found is None:
        raise ReviewError("no_date", text=(text or "").strip()[:40])
    due, reason = found
    return ExtensionAsk(due, review.check_reason(reason))


def current_due(services: Services, task_id: int, unit: str, today: date) -> date | None:
    """The unit's effective deadline for the task today."""
    task = services.store.plan.task(task_id)
    if task is None:
        raise ReviewError("unknown_task", task=task_id)
    return effective_due(task, services.store.parts.state(task_id, unit), today)


def is_ongoing(services: Services, task_id: int) -> bool:
    """A 持续推进 task has no deadline, so nothing to extend."""
    task = services.store.plan.task(task_id)
    return task is not None and task.deadline.kind == "ongoing"


def validate(services: Services, task_id: int, unit: str, due: date, today: date) -> date | None:
    """The requested date must be after the current deadline (and after today); returns that."""
    review.responsible_state(services, task_id, unit)
    current = current_due(services, task_id, unit, today)
    if due <= today or (current is not None and due <= current):
        raise ReviewError("not_later", current=current, due=due, today=today)
    if due > (limit := extension_limit(services.store, today)):
        year = plan_year(services.store, today)
        raise ReviewError("too_far", due=due, limit=limit, plan_year=year, base=limit.year - 1)
    return current


def request_extension(
    services: Services,
    task_id: int,
    unit: str,
    actor: ActorLike | int,
    due: date,
    reason: str,
) -> ReviewRecord:
    """Record a request for a later deadline as a pending review; raises ReviewError."""
    reason = review.check_reason(reason)
    today = services.clock.now().date()
    state = review.responsible_state(services, task_id, unit)
    if is_ongoing(services, task_id):
        raise ReviewError("ongoing", task=task_id)
    if state["status"] == PartStatus.DONE:
        raise ReviewError("done", task=task_id, unit=unit)
    if services.store.plan.task_meta(task_id).get("closed"):
        raise ReviewError("closed", task=task_id)
    current = validate(services, task_id, unit, due, today)
    if (existing := review.open_request(services.store, "extension", task_id, unit)) is not None:
        raise ReviewError("pending", record=existing)
    services.store.history.record(
        "extension.request",
        at=services.clock.now(),
        actor=review.actor_id(actor),
        task=task_id,
        unit=unit,
        due=due.isoformat(),
        old_due=current.isoformat() if current else None,
        reason=reason,
    )
    return review.insert(
        services,
        "extension",
        task_id,
        unit,
        actor,
        due=due.isoformat(),
        old_due=current.isoformat() if current else None,
        reason=reason,
    )
