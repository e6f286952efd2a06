"""The reminder planner: which reminders a day's sweep sends, as a pure function of the data.

Preview and live sending both call `plan_reminders`; the sweep only adds the ledger (what was
already sent) and the sending. Every reminder has a ledger key unique per task, unit, kind and
occurrence, so a key is scheduled on exactly one day and a re-run of a day sends nothing new.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, get_args

from bot.domain.calendar import WorkCalendar
from bot.domain.contacts import LEADER, contact_role
from bot.domain.policy import Policy
from bot.domain.schedule import milestones_done
from bot.domain.status import chased, next_period_day, period_due, period_key
from bot.domain.units import Directory
from bot.domain.urgency import urgency_of, work_order
from bot.plan.model import Milestone, Task
from bot.store.records import ContactRow, PartStatus, ReminderKind, Role, StateRow, StateView

P = ParamSpec("P")

KINDS: tuple[ReminderKind, ...] = tuple(k for k in get_args(ReminderKind) if k != "manual")
ESCALATIONS: tuple[ReminderKind, ...] = ("escalation", "escalation2")
# Overdue work told to the unit's 分管领导: addressed to a unit's people, but not the daily kind.
LEADER_KIND: ReminderKind = "leader"
StateRows = Iterable[StateRow] | Mapping[tuple[int, str], StateRow]


@dataclass(frozen=True)
class Reminder:
    """One reminder of one unit's part of a task (or an escalation of it) on one day."""

    task: int
    unit: str
    role: str  # a Role, or "coordinator" (escalations)
    kind: ReminderKind
    due: date | None
    key: str  # ledger key: unique per task / unit / kind / occurrence
    contacts: tuple[int, ...]  # chat ids that receive it (bound, reachable users; chats)
    workdays_left: int | None = None  # working days after today up to the due date
    workdays_overdue: int | None = None
    period: str | None = None  # "2021-06" / "2021-Q2" for periodic reports
    late_catch_up: bool = False  # an escalation due on an earlier day, made now (bot was down)
    text: str | None = None  # a milestone's text (its steps', "；"-joined, when they share a day)

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT shape of `duban preview reminders --json` (a milestone's: its text)."""
        out: dict[str, Any] = {
            "task": self.task,
            "unit": self.unit,
            "role": self.role,
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "contacts": list(self.contacts),
        }
        if self.kind == "milestone":
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class OpenPart:
    """One unit's part of a task, with its state row (empty before any update)."""

    task: Task
    unit: str
    role: Role
    state: StateView


def state_index(states: StateRows) -> dict[tuple[int, str], StateRow]:
    """State rows by (task, unit)."""
    if isinstance(states, Mapping):
        return dict(states)
    return {(s["task"], s["unit"]): s for s in states}


def reachable_contacts(
    contacts: Iterable[ContactRow],
    coordinator_unit: str | None = None,
    coordinators: Iterable[int] = (),
) -> dict[str, tuple[int, ...]]:
    """Unit name → the user ids of its active, reachable liaisons (sorted, unique).

    The coordinator unit's parts (区发改局's own) are addressed to the coordinators too. A
    unit's 分管领导 are not here: they get no daily reminders (see `reachable_leaders`).
    """
    by_unit: dict[str, set[int]] = {}
    for c in contacts:
        if c.get("active", True) and c.get("reachable", True) and contact_role(c) != LEADER:
            by_unit.setdefault(c["unit"], set()).add(int(c["user_id"]))
    if coordinator_unit and coordinators:
        by_unit.setdefault(coordinator_unit, set()).update(int(u) for u in coordinators)
    return {unit: tuple(sorted(ids)) for unit, ids in by_unit.items()}


def reachable_leaders(contacts: Iterable[ContactRow]) -> dict[str, tuple[int, ...]]:
    """Unit name → the user ids of its active, reachable 分管领导 (sorted, unique)."""
    by_unit: dict[str, set[int]] = {}
    for c in contacts:
        if c.get("active", True) and c.get("reachable", True) and contact_role(c) == LEADER:
            by_unit.setdefault(c["unit"], set()).add(int(c["user_id"]))
    return {unit: tuple(sorted(ids)) for unit, ids in by_unit.items()}


def open_parts(
    tasks: Iterable[Task],
    states: Mapping[tuple[int, str], StateRow],
    units: Directory,
    closed: Iterable[int],
) -> Iterable[OpenPart]:
    """Every open unit part of every open task: groups expanded, state rows added."""
    shut = set(closed)
    for task in tasks:
        if task.id in shut:
            continue
        seen: set[str] = set()
        pairs: list[tuple[str, Role]] = [(u.name, role) for u, role in units.responsible(task)]
        pairs += [(s["unit"], s["role"]) for (t, _), s in states.items() if t == task.id]
        for name, role in pairs:
            if name in seen:
                continue
            seen.add(name)
            state: StateView = states.get((task.id, name)) or {}
            yield OpenPart(task, name, state.get("role") or role, state)


def _snoozed(state: StateView, day: date) -> bool:
    until = state.get("snoozed_until")
    return bool(until) and day < date.fromisoformat(str(until)[:10])


def override_due(state: StateView) -> date | None:
    """The deadline an approved extension set for the part, if any."""
    raw = state.get("due_override")
    return date.fromisoformat(str(raw)[:10]) if raw else None


class _Planner:
    """The rules of one day, applied part by part."""

    def __init__(
        self,
        calendar: WorkCalendar,
        policy: Policy,
        day: date,
        contacts: dict[str, tuple[int, ...]],
        escalate_to: tuple[int, ...],
        *,
        inspect_to: tuple[int, ...] = (),
        leaders: Mapping[str, tuple[int, ...]] | None = None,
        escalated: Collection[str] | None = None,
        since: date | None = None,
        done: Mapping[int, Collection[Milestone]] | None = None,
    ) -> None:
        self.cal = calendar
        self.policy = policy
        self.day = day
        self.contacts = contacts
        self.escalate_to = escalate_to
        self.inspect_to = inspect_to
        self.leaders = leaders or {}
        # Escalation keys already made (from the ledger); None: no catch-up (a pure day plan).
        self.escalated = escalated
        self.since = since
        self.done = done or {}  # task → the milestones its leads reported done

    def reminder(
        self, part: OpenPart, kind: ReminderKind, due: date | None, key: str, **kw: Any
    ) -> Reminder:
        left = None
        if due is not None and due >= self.day:
            left = self.cal.workdays_between(self.day, due)
        return Reminder(
            task=part.task.id,
            unit=part.unit,
            role=part.role,
            kind=kind,
            due=due,
            key=key,
            contacts=self.contacts.get(part.unit, ()),
            workdays_left=left,
            **kw,
        )

    def part(self, part: OpenPart) -> list[Reminder]:
        state = part.state
        if state.get("status") == PartStatus.DONE:
            return []
        kind = part.task.deadline.kind
        found: list[Reminder] = []
        if kind == "once":
            found = self.once(part)
        elif kind in ("monthly", "quarterly"):
            found = self.periodic(part)
        elif kind == "ongoing":
            found = self.ongoing(part)
        found += self.milestones(part)
        if _snoozed(state, self.day):
            # A snooze quiets the unit's own reminders, not the coordinators' escalation: it
            # comes on one day only, so a snooze over that day would hide the unit for good.
            return [r for r in found if r.kind in ESCALATIONS]
        return found

    def once(self, part: OpenPart) -> list[Reminder]:
        due = override_due(part.state) or part.task.deadline.due
        if due is None:
            return []
        base = f"rem:{part.task.id}:{part.unit}"
        if self.day > due:
            return self.overdue(part, due, due.isoformat())
        if part.state.get("claim") == "pending":
            return []  # the lead reported it done; the coordinator's review is what is pending
        offset = self.ahead(part.role, due)
        if offset == 0:
            return [self.reminder(part, "due", due, f"{base}:due:{due.isoformat()}")]
        if offset is not None:
            key = f"{base}:upcoming:{due.isoformat()}:{offset}"
            return [self.reminder(part, "upcoming", due, key)]
        return []

    def ahead(self, role: str, due: date) -> int | None:
        """Which reminder before `due` falls today: days before it (0: the due day), or None."""
        pol = self.policy.once
        offsets = list(pol.lead_days_before if role == "lead" else pol.supporter_days_before)
        if role in pol.due_day_roles:
            offsets.append(0)
        # Several offsets may move to the same workday (1 day before a Monday holiday is the
        # Friday, so is the due day): the one nearest the deadline wins, one message a day.
        for offset in sorted(set(offsets)):
            if self.cal.on_or_before(due - timedelta(days=offset)) == self.day:
                return offset
        return None

    def chase_day(self, due: date) -> int | None:
        """Working days late, when today is a day the overdue chase of `due` reminds; else None."""
        late = self.cal.workdays_between(due, self.day)
        if late >= 1 and (late - 1) % self.policy.overdue.every_workdays == 0:
            return late
        return None

    def milestones(self, part: OpenPart) -> list[Reminder]:
        """A lead's reminders of its task's milestones (时间节点), as of a deadline: before each
        one the deadline's reminders, after it the overdue chase (from the day tracking began).
        None for a milestone reported done, nor for the last step: due with the deadline, the
        deadline's own reminders cover it. Keys hold the milestone's day, so each is sent once."""
        if part.role != "lead" or part.state.get("claim") == "pending":
            return []
        end = override_due(part.state) or part.task.deadline.due
        done = self.done.get(part.task.id, ())
        steps: dict[date, list[str]] = {}
        for m in part.task.milestones:
            if m not in done and (end is None or m.due < end):
                steps.setdefault(m.due, []).append(m.text)
        out = []
        for due, texts in sorted(steps.items()):
            base = f"rem:{part.task.id}:{part.unit}:milestone:{due.isoformat()}"
            text = "；".join(texts)
            if self.day <= due:
                offset = self.ahead(part.role, due)
                if offset is not None:
                    key = f"{base}:due" if offset == 0 else f"{base}:{offset}"
                    out.append(self.reminder(part, "milestone", due, key, text=text))
            elif part.role in self.policy.overdue.roles and chased(due, self.since):
                late = self.chase_day(due)
                if late is not None:
                    key = f"{base}:overdue:{late}"
                    out.append(
                        self.reminder(part, "milestone", due, key, text=text, workdays_overdue=late)
                    )
        return out

    def overdue(
        self, part: OpenPart, due: date, occurrence: str, period: str | None = None
    ) -> list[Reminder]:
        pol = self.policy.overdue
        if part.role not in pol.roles or part.state.get("claim") == "pending":
            return []
        late = self.cal.workdays_between(due, self.day)
        out = []
        base = f"{part.task.id}:{part.unit}"
        if self.chase_day(due) is not None:
            out.append(
                Reminder(
                    task=part.task.id,
                    unit=part.unit,
                    role=part.role,
                    kind="overdue",
                    due=due,
                    key=f"rem:{base}:overdue:{occurrence}:{late}",
                    contacts=self.contacts.get(part.unit, ()),
                    workdays_overdue=late,
                    period=period,
                )
            )
        # The leader tier is addressed to the unit's own 分管领导 ("escl" keeps it among the
        # ledger's escalation keys, so it is caught up after downtime the same way).
        tiers: tuple[tuple[ReminderKind, str, int, tuple[int, ...], str], ...] = (
            ("escalation", "esc", pol.escalate_after_workdays, self.escalate_to, "coordinator"),
            ("escalation2", "esc2", pol.inspection_after_workdays, self.inspect_to, "coordinator"),
            (
                LEADER_KIND,
                "escl",
                pol.leader_after_workdays,
                self.leaders.get(part.unit, ()),
                part.role,
            ),
        )
        for kind, prefix, after, to, role in tiers:
            if not after or late < after or (kind != "escalation" and not to):
                # the second tier is off without DUBAN_INSPECTION_CHAT_ID; a unit without a
                # 分管领导 has no leader tier (one bound later is told of it, once, as catch-up)
                continue
            key = f"{prefix}:{base}:{occurrence}"
            catch_up = late > after
            if catch_up and not self._catch_up(key, due, after):
                continue
            out.append(
                Reminder(
                    task=part.task.id,
                    unit=part.unit,
                    role=role,
                    kind=kind,
                    due=due,
                    key=key,
                    contacts=to,
                    workdays_overdue=late,
                    period=period,
                    late_catch_up=catch_up,
                )
            )
        return out

    def _catch_up(self, key: str, due: date, after: int) -> bool:
        """Whether an escalation that fell due on an earlier workday is still to be made."""
        if self.escalated is None or key in self.escalated:
            return False
        fell_due = self.cal.add_workdays(due, after)
        return chased(fell_due, self.since)

    def periodic(self, part: OpenPart) -> list[Reminder]:
        task, state = part.task, part.state
        kind: ReminderKind = "quarterly" if task.deadline.kind == "quarterly" else "monthly"
        reported = set(state.get("reported") or ())
        out: list[Reminder] = []
        for probe in (self.day, next_period_day(task, self.day)):
            pkey, pdue = period_key(task, probe), period_due(task, probe)
            if pkey is None or pdue is None or pkey in reported:
                continue
            extended = override_due(state)
            if extended is not None and period_key(task, extended) == pkey:
                pdue = max(pdue, extended)
            base = f"rem:{task.id}:{part.unit}:{kind}:{pkey}"
            on_day = self.cal.on_or_before(pdue)
            n = self.policy.periodic.workdays_before
            before = self.cal.add_workdays(pdue, -n) if n else None
            if self.day == on_day and self.policy.periodic.on_day:
                out.append(self.reminder(part, kind, pdue, f"{base}:day", period=pkey))
            elif self.day == before and before != on_day:
                out.append(self.reminder(part, kind, pdue, f"{base}:before", period=pkey))
            elif self.day > pdue and period_key(task, self.day) == pkey:
                # Chased while the period lasts; the next period's reminders take over after.
                # A period due before the plan was imported is nobody's to chase.
                if chased(pdue, self.since):
                    out += self.overdue(part, pdue, pkey, period=pkey)
        return out

    def ongoing(self, part: OpenPart) -> list[Reminder]:
        if part.role != "lead":
            return []
        day = self.day
        if day != self.cal.first_workday_of_month(day.year, day.month):
            return []
        raw = part.state.get("updated_at")
        # Silent since the last update, or since tracking started (the plan's import).
        last = datetime.fromisoformat(str(raw)).date() if raw else self.since
        if last is not None and last > day - timedelta(days=self.policy.ongoing.stale_days):
            return []
        key = f"rem:{part.task.id}:{part.unit}:ongoing:{day.year}-{day.month:02d}"
        return [self.reminder(part, "ongoing", None, key)]


def plan_all(
    tasks: Iterable[Task],
    states: StateRows,
    contacts: Iterable[ContactRow],
    calendar: WorkCalendar,
    policy: Policy,
    day: date,
    *,
    units: Directory,
    coordinators: Iterable[int] = (),
    summary_chat: int | None = None,
    closed: Iterable[int] = (),
    inspection_chat: int | None = None,
    escalated: Collection[str] | None = None,
    since: date | None = None,
) -> list[Reminder]:
    """Every reminder the rules schedule on `day`, including those nobody can receive.

    `escalated`: the escalation keys already made (the ledger); with it, an escalation that
    fell due on an earlier workday (the bot was down) is made now, once — but never one that
    fell due before `since`, the day the plan was imported. Periods due before `since` are
    not chased either.
    """
    if not calendar.is_workday(day):
        return []
    coordinators = sorted(coordinators)
    contacts = list(contacts)
    index = state_index(states)
    escalate_to = tuple(dict.fromkeys([*([summary_chat] if summary_chat else []), *coordinators]))
    reach = reachable_contacts(contacts, units.coordinator.name, coordinators)
    planner = _Planner(
        calendar,
        policy,
        day,
        reach,
        escalate_to,
        inspect_to=(inspection_chat,) if inspection_chat else (),
        leaders=reachable_leaders(contacts),
        escalated=escalated,
        since=since,
        done=milestones_done(index.values()),
    )
    out: list[Reminder] = []
    for part in open_parts(tasks, index, units, closed):
        out += planner.part(part)
    return out


def _reachable(plan: Callable[P, list[Reminder]]) -> Callable[P, list[Reminder]]:
    """`plan`, keeping only the reminders at least one contact receives."""

    @functools.wraps(plan)
    def reachable(*args: P.args, **kwargs: P.kwargs) -> list[Reminder]:
        return [r for r in plan(*args, **kwargs) if r.contacts]

    return reachable


plan_reminders = _reachable(plan_all)
plan_reminders.__name__ = plan_reminders.__qualname__ = "plan_reminders"
plan_reminders.__doc__ = """The reminders the sweep of `day` sends: workdays only, each to at least
one contact (the arguments of `plan_all`).

Nothing for done parts, closed tasks, snoozed parts, or units without a bound reachable
contact (see `units_without_contacts` for those); escalations go to the summary chat and
the coordinators.
"""


def units_without_contacts(
    tasks: Iterable[Task],
    states: StateRows,
    contacts: Iterable[ContactRow],
    *,
    units: Directory,
    closed: Iterable[int] = (),
    coordinators: Iterable[int] = (),
) -> dict[str, list[int]]:
    """Unit → its open tasks, for units with open work but no bound, reachable contact.

    The coordinator unit is reached through the coordinators: it never counts as without.
    """
    reach = reachable_contacts(contacts, units.coordinator.name, coordinators)
    out: dict[str, list[int]] = {}
    for part in open_parts(tasks, state_index(states), units, closed):
        if part.state.get("status") == PartStatus.DONE or reach.get(part.unit):
            continue
        out.setdefault(part.unit, []).append(part.task.id)
    return out


def by_chat(
    reminders: Iterable[Reminder], skip: Callable[[Reminder, int], bool] | None = None
) -> dict[int, list[Reminder]]:
    """Each recipient chat's reminders, in order (one message per chat), minus what `skip` says."""
    out: dict[int, list[Reminder]] = {}
    for r in reminders:
        for chat in r.contacts:
            if skip is None or not skip(r, chat):
                out.setdefault(chat, []).append(r)
    return out


def in_work_order(reminders: Iterable[Reminder]) -> list[Reminder]:
    """One chat's reminders in the order /mytasks lists work (bot.domain.urgency)."""

    def key(r: Reminder) -> tuple[int, bool, date, int, str]:
        late = r.kind == "overdue" or (r.kind == "milestone" and r.workdays_overdue is not None)
        urgency = urgency_of(overdue=late, workdays_left=r.workdays_left)
        return work_order(urgency, r.role, r.due, r.task, r.unit)

    return sorted(reminders, key=key)
