"""The long-lived services every entry point shares: settings, clock, store, units, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.calendar import WorkCalendar
from bot.clock import Clock
from bot.config import Settings, make_clock
from bot.plan import load_plan
from bot.plan.model import Plan
from bot.store import Store
from bot.units import Directory


class PlanError(RuntimeError):
    """The configured plan could not be loaded (its problems are in the message)."""


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    units: Directory
    calendar: WorkCalendar

    def close(self) -> None:
        self.store.close()

    def is_coordinator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.coordinators

    def import_plan(self, path: Path, actor: int | str = "cli") -> tuple[Plan, object]:
        """Parse `path` and merge it into the store; raises PlanError when it has errors."""
        plan = load_plan(path)
        if plan.errors:
            lines = "\n".join(p.format(str(path)) for p in plan.errors)
            raise PlanError(lines)
        result = self.store.import_plan(
            plan,
            at=self.clock.now(),
            actor=actor,
            responsible=lambda task: [(u.name, role) for u, role in self.units.responsible(task)],
        )
        return plan, result


def open_services(
    settings: Settings,
    *,
    writer: bool = False,
    clock: Clock | None = None,
) -> Services:
    """Open the store (as the one writer, or read-only when another process holds it).

    An empty store is first loaded with the configured plan, as `duban run` does.
    """
    data_dir = settings.data_dir
    if writer or not Store.is_locked(data_dir):
        store = Store(data_dir)
    else:
        store = Store(data_dir, read_only=True)
    services = Services(
        settings=settings,
        clock=clock or make_clock(settings),
        store=store,
        units=Directory.load(settings.units),
        calendar=WorkCalendar(),
    )
    if not store.has_plan() and not store.read_only:
        try:
            services.import_plan(settings.plan, actor="startup")
        except PlanError:
            store.close()
            raise
    return services
