"""Task cards (/mytasks) and the task detail (/task N): what a unit sees of its work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.domain import progress
from bot.domain.days import days_left
from bot.domain.milestones import STANDING_MARKS, done_of, open_ones, standing
from bot.domain.status import effective_due, period_key
from bot.domain.urgency import URGENCIES, Urgency, urgency_of, work_order
from bot.features import kpis
from bot.features.receipts import receipt_of
from bot.plan.model import Milestone, Task
from bot.reports.lagging import TaskLag, lags
from bot.reports.snapshot import plan_headings
from bot.reports.views import EVENT_LABELS
from bot.store.plans import FIRST_SLOT, PlanInfo
from bot.store.records import PartStatus, StateRow
from bot.text.render import render

if TYPE_CHECKING:
    from bot.features.access import Actor
    from bot.services import Services

HISTORY_SHOWN = 30
MILESTONES_SHOWN = 5  # lines of milestones on a card: a phone screen holds the card still
# Bookkeeping, not work on the task: the reminders sent, contacts bound, the summary posted.
_QUIET_KINDS = ("plan.task_added", "plan.import", "reminder", "summary.", "contact.", "invite.")


@dataclass(frozen=True)
class MilestoneLines:
    """A card's milestones: each shown one as (✅/⏳/🔴, milestone), those left out counted."""

    shown: tuple[tuple[str, Milestone], ...] = ()
    done_hidden: int = 0  # done ones not listed (a long list shows the open ones)
    more: int = 0  # later open ones not listed
    next_open: tuple[int, Milestone] | None = None  # the earliest open one (its index)


def milestone_lines(
    milestones: tuple[Milestone, ...],
    done: frozenset[Milestone],
    today: date,
    most: int = MILESTONES_SHOWN,
) -> MilestoneLines:
    """The milestones in date order; a long list leaves the done ones out first, then the
    latest open ones."""
    rows = [(STANDING_MARKS[standing(m, done, today)], m) for m in milestones]
    waiting = open_ones(milestones, done)
    next_open = (milestones.index(waiting[0]), waiting[0]) if waiting else None
    if len(rows) <= most:
        return MilestoneLines(tuple(rows), next_open=next_open)
    open_rows = [(mark, m) for mark, m in rows if m not in done]
    shown = tuple(open_rows[:most])
    return MilestoneLines(shown, len(rows) - len(open_rows), len(open_rows) - len(shown), next_open)


@dataclass(frozen=True)
class Card:
    """One unit's part of one task, ready to render with its buttons."""

    task: Task
    unit: str
    state: StateRow
    due: date | None
    days_left: int | None  # working days (bot.domain.days): negative when late
    updated_by: str | None
    reported_now: bool = False  # a periodic task whose current period is reported
    overdue: bool = False  # past due and owed (bot.domain.progress.is_overdue)
    nil_return: bool = False  # this period's report was a 零报告

    @property
    def shown_status(self) -> str:
        """The status as shown: "nil" (零报告) for this period's nil return."""
        return "nil" if self.nil_return else self.state["status"]

    signed_at: str | None = None  # when the unit signed for the task (签收)
    needs_receipt: bool = False  # a unit reached through its own contacts: 签收 applies
    milestones: MilestoneLines = MilestoneLines()
    lag: TaskLag | None = None  # the task's 序时进度 (None: closed, archived)

    @property
    def open(self) -> bool:
        return self.state["status"] != PartStatus.DONE

    @property
    def text(self) -> str:
        return render("task_card.html.j2", c=self)


def names_by_user(services: Services) -> dict[int, str]:
    """Display names of everyone who ever acted: contacts (bound or not) and coordinators.
    Shared (callers must not change it): drawn once per change of the contacts and meta tables
    (coordinators' names), as each card asks for it."""
    coordinators = services.settings.coordinators

    def compute() -> dict[int, str]:
        known = services.store.people.coordinator_names()
        names = {
            uid: f"{known[uid]}（督办）" if uid in known else "督办人员" for uid in coordinators
        }
        for doc in services.store.people.contacts(former=True):
            names.setdefault(doc["user_id"], doc.get("name") or str(doc["user_id"]))
        return names

    return services.store.derived(
        "names_by_user", (services.store.people, services.store.office), coordinators, compute
    )


def card(services: Services, task: Task, state: StateRow, today: date) -> Card:
    since = services.tracking_start()
    due = effective_due(task, state, today, since)
    period = period_key(task, today)
    who = state.get("updated_by")
    names = names_by_user(services) if who is not None else {}
    signed = receipt_of(services, task.id, state["unit"])
    return Card(
        task=task,
        unit=state["unit"],
        state=state,
        due=due,
        days_left=None if due is None else (0 if due == today else _nonzero(services, today, due)),
        updated_by=names.get(who, str(who)) if isinstance(who, int) else who,
        reported_now=period is not None and period in (state.get("reported") or []),
        overdue=progress.is_overdue(task, state, today, since),
        nil_return=progress.nil_return(task, state, today),
        signed_at=signed["at"] if signed else None,
        needs_receipt=state["unit"] != services.units.coordinator.name,
        milestones=milestones_of(services, task, today),
        lag=lags(services, today).get(task.id),
    )


def milestones_of(services: Services, task: Task, today: date) -> MilestoneLines:
    """The task's milestones as a card lists them (done: reported by a lead unit)."""
    if not task.milestones:
        return MilestoneLines()
    done = done_of(services.store.parts.states(task=task.id))
    return milestone_lines(task.milestones, done, today)


def _nonzero(services: Services, today: date, due: date) -> int:
    """Working days left (≥ 1 before the due day, ≤ -1 after it), never 0 on another day."""
    left = days_left(services.calendar, today, due) or 0
    if due > today:
        return max(left, 1)
    return min(left, -1)


def cards_for(services: Services, actor: Actor, today: date) -> list[Card]:
    """The actor's units' parts of every live task (not archived, of an active plan), open
    ones first, soonest due first."""
    store = services.store
    out = []
    for unit in actor.units:
        for state in store.parts.states(unit=unit):
            task = store.plan.task(state["task"])
            if task is not None and store.plan.is_followed(task.id):
                out.append(card(services, task, state, today))
    far = date.max
    return sorted(out, key=lambda c: (not c.open, c.due or far, c.task.id, c.unit))


def mytasks_intro(actor: Actor, cards: list[Card]) -> str:
    return render(
        "mytasks_intro.html.j2",
        actor=actor,
        open_count=sum(c.open for c in cards),
        done_count=sum(not c.open for c in cards),
    )


def task_detail(services: Services, task_id: int, today: date) -> str | None:
    """Every responsible unit's status and the recent history of one task; None if unknown."""
    store = services.store
    task = store.plan.task(task_id)
    if task is None:
        return None
    parts = [card(services, task, s, today) for s in store.parts.states(task=task_id)]
    # Leads first, each group in the plan's order (as /status shows it), not by code point.
    parts.sort(key=lambda c: c.state["role"] != "lead")
    events = store.history.events(
        task=task_id, where=lambda e: not e["kind"].startswith(_QUIET_KINDS), last=HISTORY_SHOWN
    )
    kinds = store.history.event_kinds(task_id)
    total = sum(n for kind, n in kinds.items() if not kind.startswith(_QUIET_KINDS))
    return render(
        "task_detail.html.j2",
        task=task,
        meta=store.plan.task_meta(task_id),
        parts=parts,
        events=events,
        hidden=max(0, total - len(events)),
        names=names_by_user(services),
        milestones=milestones_of(services, task, today),
        labels=EVENT_LABELS,
        metric=kpis.describe,
    )


# -- the /mytasks list: one message, the open parts by urgency, pages of 8 ----------------
PAGE_SIZE = 8


@dataclass(frozen=True)
class TaskList:
    """One page of a unit's open parts, most urgent first, and what the page's buttons open."""

    units: tuple[str, ...]
    sections: tuple[tuple[str, tuple[Card, ...]], ...]  # (urgency, cards) of this page, in order
    tasks: tuple[int, ...]  # the tasks on this page, one button each, in order
    page: int
    pages: int
    open_count: int
    done_count: int
    counts: dict[Urgency, int]  # open parts per urgency over all pages
    heads: tuple[PlanInfo | None, ...] = ()  # per section: the plan heading printed before it

    @property
    def text(self) -> str:
        return render("mytasks_list.html.j2", lst=self)


def urgency(card: Card, today: date) -> Urgency:
    """`overdue`, `soon` or `later` (bot.domain.urgency)."""
    return urgency_of(
        overdue=card.overdue,
        workdays_left=card.days_left,
        waiting=card.reported_now or card.state.get("claim") == "pending",
    )


def shown_plans(services: Services) -> dict[int, PlanInfo]:
    """The active plans by slot when lists group tasks under a heading per plan (several are
    active), else none."""
    return {p.slot: p for p in services.store.plans.active()} if plan_headings(services) else {}


def task_list(
    cards: list[Card],
    units: tuple[str, ...],
    today: date,
    page: int = 0,
    plans: Mapping[int, PlanInfo] | None = None,
) -> TaskList:
    """Page `page` (clamped) of the open parts among `cards`, in the one order of work; with
    `plans` (bot.reports.cards.shown_plans), each page plan by plan under a heading each."""
    plans = plans or {}
    open_cards = [c for c in cards if c.open]

    def slot(c: Card) -> int:
        return c.task.plan or FIRST_SLOT if plans else 0

    ranked = sorted(
        open_cards,
        key=lambda c: work_order(urgency(c, today), c.state["role"], c.due, c.task.id, c.unit),
    )
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    # the most urgent first across plans; on a page, plan by plan
    shown = sorted(ranked[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], key=slot)
    parts = [(s, u) for s in dict.fromkeys(slot(c) for c in shown) for u in URGENCIES]
    sections = tuple(
        (u, tuple(c for c in shown if slot(c) == s and urgency(c, today) == u))
        for s, u in parts
        if any(slot(c) == s and urgency(c, today) == u for c in shown)
    )
    heads, last = [], None
    for _, cs in sections:
        s = slot(cs[0])
        heads.append(plans.get(s) if s != last else None)
        last = s
    counts = {u: sum(1 for c in ranked if urgency(c, today) == u) for u in URGENCIES}
    return TaskList(
        units=units,
        sections=sections,
        tasks=tuple(dict.fromkeys(c.task.id for c in shown)),
        page=page,
        pages=pages,
        open_count=len(open_cards),
        done_count=len(cards) - len(open_cards),
        counts=counts,
        heads=tuple(heads),
    )
