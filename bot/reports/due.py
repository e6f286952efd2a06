"""What the reminder sweep would send today, and what a 催办 reaches: the planner over the store.

`duban preview reminders` and the live sweep call the same `planned`, so a preview is exactly
what goes out (less what the ledger already has).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.domain.planner import Reminder, plan_all, plan_reminders
from bot.domain.policy import Policy, policy_of
from bot.features.chase import Target, chase
from bot.store.deliveries import LedgerKind

if TYPE_CHECKING:
    from bot.services import Services
    from bot.store import Store


def planned(
    services: Services,
    day: date,
    policy: Policy | None = None,
    *,
    include_unreachable: bool = False,
) -> list[Reminder]:
    """What the rules schedule on `day` for the current store (the planner, nothing else).

    With include_unreachable, also the reminders no bound contact could receive.
    """
    store, settings = services.store, services.settings
    planner = plan_all if include_unreachable else plan_reminders
    return planner(
        store.plan.tasks(),
        store.parts.states(),
        store.people.contacts(),
        services.calendar,
        policy or policy_of(services),
        day,
        units=services.units,
        coordinators=settings.coordinators,
        summary_chat=settings.summary_chat_id,
        closed=services.store.plan.closed_tasks(),
        inspection_chat=getattr(settings, "inspection_chat_id", None),
        # Catch-up is what *today's* sweep adds for days the bot was down; the preview of a
        # later day assumes the sweeps in between ran (they catch up first).
        escalated=escalated_keys(store) if day == services.clock.now().date() else None,
        since=services.tracking_start(),
    )


def escalated_keys(store: Store) -> set[str]:
    """The escalations already made (ledger keys `esc…:<task>:<unit>:<occurrence>>chat`)."""
    return {
        entry["key"].split(">", 1)[0] for entry in store.deliveries.ledger(LedgerKind.ESCALATION)
    }


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
    """`duban preview reminders`: what the sweep of `day` sends, in the CONTRACT shape."""
    return [r.to_json() for r in planned(services, day)]
