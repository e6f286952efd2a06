"""The long-lived services every entry point shares: settings, clock, store, units, calendar,
and the policy (read once; `Services.reload_policy` reads it again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from bot.config import Settings, make_clock
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import Clock
from bot.domain.policy import Policy, policy_for
from bot.domain.units import Directory
from bot.plan import load_plan
from bot.plan.model import Plan
from bot.store import ImportResult, Store, StoreLocked
from bot.store.plan import Placement
from bot.store.plans import FIRST_SLOT
from bot.text.render import TELEGRAM_LIMIT

# Where an import goes: where its title puts it, a new plan, or the plan in that slot.
Into = int | Literal["auto", "new"]


class PlanError(RuntimeError):
    """The configured plan could not be loaded (its problems are in the message)."""

    def __init__(self, message: str, tasks: int = 0) -> None:
        super().__init__(message)
        self.tasks = tasks  # how many tasks were read in spite of the errors


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    units: Directory
    calendar: WorkCalendar
    message_limit: int = TELEGRAM_LIMIT  # the longest message Telegram takes (a test lowers it)
    _policy: Policy | None = field(default=None, init=False, repr=False)

    def close(self) -> None:
        self.store.close()

    @property
    def policy(self) -> Policy:
        """The policy in force: the bundled one with DUBAN_DATA_DIR/policy.yaml read over it,
        read on first use and kept (a command that needs no policy never reads it). Raises
        PolicyError (naming the file and key) when the override is malformed."""
        if self._policy is None:
            self._policy = policy_for(self.settings.data_dir)
        return self._policy

    def reload_policy(self) -> Policy:
        """Read the policy again after policy.yaml was edited (`duban run` does on SIGHUP).

        A malformed file raises PolicyError and the policy in force stays."""
        self._policy = policy_for(self.settings.data_dir)
        return self._policy

    def tracking_start(self, plan: int | None = None) -> date | None:
        """The day tracking of plan slot `plan` started: its import on the bot's clock (None,
        and a store from before that was kept: the first plan's, else the first event).
        Nothing due before it is chased or counted."""
        at = self.store.plan.imported_at(plan or None)
        if at is None and (plan or FIRST_SLOT) == FIRST_SLOT:
            first = self.store.history.first_event()
            raw = first.get("at") if first else None
            at = datetime.fromisoformat(raw) if raw else None
        if at is None:
            return None
        return at.astimezone(self.settings.timezone).date() if at.tzinfo else at.date()

    def tracking_starts(self) -> dict[int, date | None]:
        """Each plan's tracking start, by slot (the planner's and the lights' `since`)."""
        return {p.slot: self.tracking_start(p.slot) for p in self.store.plans.all()}

    def is_coordinator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.coordinators

    def read_plan(self, path: Path) -> tuple[Plan, Placement]:
        """Parse `path` and say where it would go among the plans, importing nothing; raises
        PlanError when it has errors."""
        plan = load_plan(path)
        if plan.errors:
            lines = "\n".join(p.format(str(path)) for p in plan.errors)
            raise PlanError(lines, tasks=len(plan.tasks))
        return plan, self.store.plan.placement(plan)

    def import_plan(
        self, path: Path, actor: int | str = "cli", into: Into = "auto"
    ) -> tuple[Plan, ImportResult]:
        """Parse `path` and load it: as a new plan, into plan slot `into`, or (`"auto"`)
        where its title puts it; raises PlanError when it has errors."""
        plan, _ = self.read_plan(path)
        return plan, self.import_read(plan, actor, into)

    def import_read(
        self, plan: Plan, actor: int | str = "cli", into: Into = "auto"
    ) -> ImportResult:
        """Load a plan already read (`read_plan`), as `import_plan` does."""
        return self.store.plan.import_plan(
            plan,
            at=self.clock.now(),
            actor=actor,
            responsible=lambda task: [(u.name, role) for u, role in self.units.responsible(task)],
            into=into,
        )


def open_services(
    settings: Settings,
    *,
    writer: bool = False,
    clock: Clock | None = None,
    with_plan: bool = True,
) -> Services:
    """Open the store: as the one writer, or read-only (a reader never keeps `duban run` out).

    An empty store is first loaded with the configured plan, as `duban run` does, unless
    `with_plan` is False (`duban import FILE`, whose file is the first plan).
    """
    store = Store(settings.data_dir) if writer else _reader(settings.data_dir, with_plan)
    services = Services(
        settings=settings,
        clock=clock or make_clock(settings),
        store=store,
        units=Directory.load(settings.units),
        calendar=WorkCalendar(),
    )
    if with_plan and not store.plan.has_plan() and not store.read_only:
        try:
            services.import_plan(settings.plan, actor="startup")
        except PlanError:
            store.close()
            raise
    return services


def _reader(data_dir: Path, with_plan: bool) -> Store:
    """A read-only store; the writer's lock only while an empty store gets its first plan."""
    store = Store(data_dir, read_only=True)
    if store.plan.has_plan() or not with_plan:
        return store
    store.close()
    try:
        return Store(data_dir)
    except StoreLocked:  # a writer came first: it loads the plan, we read what there is
        return Store(data_dir, read_only=True)
