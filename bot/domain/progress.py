"""Where the plan stands: traffic lights per task, status counts, overdue work, unit views.

Pure functions of (tasks, states, contacts, calendar, today): no store, no clock, no Telegram.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.calendar import WorkCalendar
from bot.domain.days import days_late
from bot.domain.status import Since, chased, effective_due, period_due, period_key, since_of
from bot.plan.model import Task
from bot.store.records import ContactRow, PartStatus, Role, StateRow, StateView

LIGHTS = ("red", "yellow", "green", "closed")
LIGHT_LABELS = {"red": "红", "yellow": "黄", "green": "绿", "closed": "已办结"}
LIGHT_ICONS = {"red": "🔴", "yellow": "🟡", "green": "🟢", "closed": "✅"}
SOON_DAYS = 7  # 黄: due within a week without progress
STALE_DAYS = 14  # 黄: no update for two weeks
_RANK = {"green": 0, "yellow": 1, "red": 2}


def parse_at(value: str | None) -> datetime | None:
    """An ISO timestamp from the store, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class PartProgress:
    """One unit's part of a task, with its deadline and light."""

    task: int
    unit: str
    role: Role
    status: PartStatus
    percent: int | None
    note: str | None
    updated_at: datetime | None
    due: date | None
    overdue: bool
    light: str
    claim: str | None = None
    done_at: datetime | None = None  # when the part was completed (a lead: when claimed)
    # Periodic parts: whether this period's report is still owed (missing, and the period due
    # after tracking started); None for a part driven by a date (a one-off deadline, an
    # extension, ongoing work).
    report_missing: bool | None = None
    closed_by: str | None = None  # "coordinator": closed with the lead's approved claim
    nil_return: bool = False  # this period's report was a 零报告 (nothing to report)

    @property
    def shown_status(self) -> str:
        """The status as shown: "nil" (零报告) for a part whose period report said nothing."""
        return "nil" if self.nil_return else self.status

    @property
    def progress(self) -> int:
        """Percent complete for averages: done counts 100, unknown counts 0."""
        if self.status == PartStatus.DONE:
            return 100
        return int(self.percent or 0)


@dataclass(frozen=True)
class TaskProgress:
    """A task with its parts and its overall light."""

    task: Task
    light: str
    parts: list[PartProgress]
    due: date | None

    @property
    def percent(self) -> int:
        """Average progress of the lead units (all units when there are no leads)."""
        leads = [p for p in self.parts if p.role == "lead"] or self.parts
        if self.light == "closed":
            return 100
        return round(sum(p.progress for p in leads) / len(leads)) if leads else 0

    @property
    def last_update(self) -> datetime | None:
        stamps = [p.updated_at for p in self.parts if p.updated_at]
        return max(stamps) if stamps else None

    @property
    def lead_done_open(self) -> bool:
        """牵头已完成，配合未完: every lead is done, some supporter's part is still open."""
        leads = [p for p in self.parts if p.role == "lead"]
        rest = [p for p in self.parts if p.role != "lead"]
        return (
            bool(leads)
            and all(p.status == PartStatus.DONE for p in leads)
            and any(p.status != PartStatus.DONE for p in rest)
        )


LEAD_DONE_LABEL = "牵头已完成，配合未完"


@dataclass(frozen=True)
class OverdueItem:
    """A unit's overdue part of a task (lead or supporter)."""

    task: Task
    unit: str
    due: date
    workdays: int
    days: int  # the one count shown everywhere: working days late (bot.domain.days)
    last_update: datetime | None
    reachable: bool
    status: PartStatus
    role: Role = "lead"


@dataclass
class Group:
    """One of the plan's groups (重点任务 一…九) and its tasks."""

    no: int
    name: str
    tasks: list[TaskProgress] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(sum(t.percent for t in self.tasks) / len(self.tasks)) if self.tasks else 0


def worst_light(lights: Iterable[str]) -> str:
    """The light of a whole made of parts with these lights: the worst of them (绿 if none)."""
    return max(lights, key=_RANK.__getitem__, default="green")


def part_due(task: Task, state: StateView, today: date, since: date | None = None) -> date | None:
    """The date this part is due by (None for ongoing work without an extension)."""
    return effective_due(task, state, today, since)


def is_overdue(task: Task, state: StateView, today: date, since: date | None = None) -> bool:
    """Whether this unit's part is past due and not done (ongoing work never is by date).

    `since`: the day tracking started (the plan's import); a period due before it is not owed.
    """
    if state.get("status") == PartStatus.DONE or state.get("claim") == "pending":
        return False
    due = part_due(task, state, today, since)
    if due is None or today <= due:
        return False
    if (owed := _report_owed(task, state, today, since)) is not None:
        # A periodic part is late only while this period's report is still owed.
        return owed
    return True


def _periodic(task: Task, state: StateView) -> bool:
    """A part driven by reporting periods (not by an extension's date)."""
    return task.deadline.kind in ("monthly", "quarterly") and not state.get("due_override")


def _reported_now(task: Task, state: StateView, today: date) -> bool:
    return period_key(task, today) in (state.get("reported") or [])


def _report_owed(task: Task, state: StateView, today: date, since: date | None) -> bool | None:
    """Periodic parts: whether this period's report is still owed (missing, and the period was
    due on or after tracking started); None for a part driven by a date."""
    if not _periodic(task, state):
        return None
    due = period_due(task, today)
    return not _reported_now(task, state, today) and (due is None or chased(due, since))


def nil_return(task: Task, state: StateView, today: date) -> bool:
    """This period's report of a periodic part said there was nothing to report (零报告): the
    period is reported and the part's status was never moved from 未启动."""
    return (
        _periodic(task, state)
        and _reported_now(task, state, today)
        and (state.get("status") or PartStatus.TODO) == PartStatus.TODO
    )


def part_light(
    task: Task, state: StateView, today: date, since: date | None = None
) -> tuple[str, date | None, bool]:
    """(light, due, overdue) of one unit's part."""
    due = part_due(task, state, today, since)
    if state.get("status") == PartStatus.DONE:
        return "green", due, False
    if is_overdue(task, state, today, since):
        return "red", due, True
    if state.get("status") == PartStatus.BLOCKED:
        return "yellow", due, False  # 受阻: the unit is waiting on something, never 绿
    if _periodic(task, state) and _reported_now(task, state, today):
        return "green", due, False  # this period's report is in (a 零报告 too): nothing owed
    no_progress = state.get("status") == PartStatus.TODO and not state.get("percent")
    if due is not None and 0 <= (due - today).days <= SOON_DAYS and no_progress:
        return "yellow", due, False
    updated = parse_at(state.get("updated_at"))
    last = updated.date() if updated else since
    if last is not None and (today - last).days >= STALE_DAYS and state.get("claim") != "pending":
        return "yellow", due, False
    return "green", due, False


def _part(task: Task, state: StateRow, today: date, since: date | None) -> PartProgress:
    light, due, overdue = part_light(task, state, today, since)
    return PartProgress(
        task=task.id,
        unit=state["unit"],
        role=state.get("role", "lead"),
        status=state.get("status") or PartStatus.TODO,
        percent=state.get("percent"),
        note=state.get("note"),
        updated_at=parse_at(state.get("updated_at")),
        due=due,
        overdue=overdue,
        light=light,
        claim=state.get("claim"),
        done_at=parse_at(state.get("done_at")),
        report_missing=_report_owed(task, state, today, since),
        closed_by=state.get("closed_by"),
        nil_return=nil_return(task, state, today),
    )


def task_progress(
    tasks: Iterable[Task],
    states: Iterable[StateRow],
    today: date,
    *,
    closed: Iterable[int] = (),
    since: Since = None,
) -> list[TaskProgress]:
    """Every task with its parts and light: the worst of its parts' (a supporter's overdue part
    makes the task 红 as a lead's does: the same report lists it as overdue)."""
    by_task: dict[int, list[StateRow]] = defaultdict(list)
    for state in states:
        by_task[state["task"]].append(state)
    closed_ids = set(closed)
    out = []
    for task in tasks:
        parts = [_part(task, s, today, since_of(since, task)) for s in by_task.get(task.id, [])]
        parts.sort(key=lambda p: p.role != "lead")
        light = "closed" if task.id in closed_ids else worst_light(p.light for p in parts)
        leads = [p.due for p in parts if p.role == "lead" and p.due]
        due = min(leads) if leads else None
        if due is None and task.deadline.kind == "once":
            due = task.deadline.due
        out.append(TaskProgress(task=task, light=light, parts=parts, due=due))
    return out


def light_counts(progress: Iterable[TaskProgress]) -> dict[str, int]:
    """Tasks per light, every light present."""
    counts = Counter(t.light for t in progress)
    return {light: counts.get(light, 0) for light in LIGHTS}


def status_counts(states: Iterable[StateView]) -> dict[str, int]:
    """Unit parts per status (todo, doing, done, blocked), every status present."""
    counts = Counter(s.get("status") or PartStatus.TODO for s in states)
    return {key: counts.get(key, 0) for key in PartStatus}


def shown_counts(parts: Iterable[PartProgress]) -> dict[str, int]:
    """Parts per status as shown: todo, doing, done, blocked, and nil (this period's 零报告,
    otherwise 未启动)."""
    counts = Counter(p.shown_status for p in parts)
    return {key: counts.get(key, 0) for key in (*PartStatus, "nil")}


def groups(progress: Iterable[TaskProgress]) -> list[Group]:
    """Tasks grouped by the plan's groups, in plan order."""
    found: dict[int, Group] = {}
    for tp in progress:
        group = found.setdefault(tp.task.category_no, Group(tp.task.category_no, tp.task.category))
        group.tasks.append(tp)
    return [found[k] for k in sorted(found)]


def due_work_by_unit(
    progress: Iterable[TaskProgress], today: date, horizon_days: int
) -> dict[str, list[PartProgress]]:
    """Each unit's open parts that are due: overdue, due within the horizon, report missing."""
    # Done parts, pending claims, closed tasks, ongoing work and far-off deadlines are left
    # out: nobody expects a unit to report on those every week.
    out: dict[str, list[PartProgress]] = defaultdict(list)
    for tp in progress:
        if tp.light == "closed":
            continue
        for p in tp.parts:
            if p.status == PartStatus.DONE or p.claim == "pending":
                continue
            if p.overdue or p.report_missing:
                out[p.unit].append(p)
            elif p.report_missing is None and p.due is not None:
                if (p.due - today).days <= horizon_days:
                    out[p.unit].append(p)
    return dict(out)


def reachable_units(
    contacts: Iterable[ContactRow], coordinator_unit: str | None = None
) -> set[str]:
    """Units with at least one bound contact the bot can still write to.

    The coordinator unit (区发改局) is reached through the coordinators themselves.
    """
    found = {c["unit"] for c in contacts if c.get("active", True) and c.get("reachable", True)}
    if coordinator_unit:
        found.add(coordinator_unit)
    return found


def overdue_by_unit(
    progress: Iterable[TaskProgress],
    contacts: Iterable[ContactRow],
    calendar: WorkCalendar,
    today: date,
    coordinator_unit: str | None = None,
) -> dict[str, list[OverdueItem]]:
    """Every overdue part (leads and supporters) grouped by unit, most overdue unit first."""
    reachable = reachable_units(contacts, coordinator_unit)
    out: dict[str, list[OverdueItem]] = defaultdict(list)
    for tp in progress:
        if tp.light == "closed":
            continue
        for p in tp.parts:
            if not p.overdue or p.due is None:
                continue
            late = days_late(calendar, p.due, today)
            out[p.unit].append(
                OverdueItem(
                    task=tp.task,
                    unit=p.unit,
                    due=p.due,
                    workdays=late,
                    days=late,
                    last_update=p.updated_at,
                    reachable=p.unit in reachable,
                    status=p.status,
                    role=p.role,
                )
            )
    for items in out.values():
        items.sort(key=lambda i: (-i.days, i.task.id))
    return dict(sorted(out.items(), key=lambda kv: (-max(i.days for i in kv[1]), kv[0])))


@dataclass
class UnitView:
    """One unit's parts across the plan and how it is doing."""

    unit: str
    parts: list[tuple[Task, PartProgress]]
    reachable: bool

    @property
    def counts(self) -> dict[str, int]:
        return shown_counts(p for _, p in self.parts)

    @property
    def overdue(self) -> int:
        return sum(1 for _, p in self.parts if p.overdue)

    @property
    def last_update(self) -> datetime | None:
        stamps = [p.updated_at for _, p in self.parts if p.updated_at]
        return max(stamps) if stamps else None


def unit_view(
    unit: str,
    progress: Iterable[TaskProgress],
    contacts: Iterable[ContactRow],
    coordinator_unit: str | None = None,
) -> UnitView:
    """The unit's tasks (leads first), with lights."""
    parts = [(tp.task, p) for tp in progress for p in tp.parts if p.unit == unit]
    parts.sort(key=lambda tp: (tp[1].role != "lead", tp[0].id))
    reachable = unit in reachable_units(contacts, coordinator_unit)
    return UnitView(unit=unit, parts=parts, reachable=reachable)


@dataclass(frozen=True)
class Score:
    """A unit's line in the 通报: on-time rate and reporting regularity."""

    unit: str
    parts: int
    done: int
    overdue: int
    on_time: float | None  # parts done by their due date / parts due so far
    regularity: float | None  # weeks with a report / weeks considered

    @property
    def score(self) -> float:
        # Nothing due yet is neutral: neither praised nor blamed.
        on_time = 0.5 if self.on_time is None else self.on_time
        regular = 0.0 if self.regularity is None else self.regularity
        return round(0.6 * on_time + 0.4 * regular, 4)


def scorecard(
    progress: Iterable[TaskProgress],
    today: date,
    active_weeks: Mapping[str, int] | None = None,
    weeks: int = 4,
) -> list[Score]:
    """Units ranked best first by on-time rate and reporting regularity."""
    per_unit: dict[str, list[PartProgress]] = defaultdict(list)
    for tp in progress:
        for p in tp.parts:
            per_unit[p.unit].append(p)
    scores = []
    for unit, parts in per_unit.items():
        due_so_far = on_time = 0
        for p in parts:
            if p.due is None:
                continue
            finished = p.done_at or p.updated_at
            done_on = finished.date() if p.status == PartStatus.DONE and finished else None
            if p.status == PartStatus.DONE and done_on is not None and done_on <= p.due:
                due_so_far += 1
                on_time += 1
            elif p.due < today or p.status == PartStatus.DONE:
                due_so_far += 1
        regularity = None
        if active_weeks is not None and weeks > 0:
            regularity = min(active_weeks.get(unit, 0), weeks) / weeks
        scores.append(
            Score(
                unit=unit,
                parts=len(parts),
                done=sum(1 for p in parts if p.status == PartStatus.DONE),
                overdue=sum(1 for p in parts if p.overdue),
                on_time=on_time / due_so_far if due_so_far else None,
                regularity=regularity,
            )
        )
    scores.sort(key=lambda s: (-s.score, s.overdue, s.unit))
    return scores


def planned_percent(task: Task, start: date, today: date) -> int:
    """Where the plan expects a task to be on `today`, tracking having started on `start`.

    A dated task is expected to move evenly from `start` to its deadline (100 from then on);
    periodic and ongoing work has no end date, so it is expected to move evenly through the
    year it runs in.
    """
    if task.deadline.kind == "once" and task.deadline.due is not None:
        end = task.deadline.due
    else:
        end = date(today.year, 12, 31)
    if today >= end or start >= end:
        return 100
    if today <= start:
        return 0
    return round(100 * (today - start).days / (end - start).days)
