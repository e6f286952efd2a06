"""A coordinator's immediate 催办 (/remind N|UNIT): what it names, which parts it chases, and
which units it reached."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.domain.planner import (
    Reminder,
    StateRows,
    open_parts,
    override_due,
    reachable_contacts,
    state_index,
)
from bot.domain.status import period_due, period_key
from bot.domain.units import Directory
from bot.plan.model import Task
from bot.store import Store
from bot.store.deliveries import LedgerKind, ledger_key
from bot.store.records import ContactRow, Event, PartStatus, ReminderKind, UnreachableCause
from bot.text.render import render


@dataclass(frozen=True)
class Target:
    """What `/remind ARG` names: a task, or the units of a unit or group; else `problem`."""

    task_id: int | None = None
    units: list[str] | None = None
    problem: str | None = None  # usage, unknown_task, unknown_unit


def target(arg: str, store: Store, directory: Directory) -> Target:
    """`18`/`#18` → a task; a unit or group name → its units; else the reason it is neither."""
    if not arg:
        return Target(problem="usage")
    raw = arg.lstrip("#＃")
    if raw.isdecimal() and len(raw) <= 18:
        found = store.plan.task(int(raw)) is not None
        return Target(task_id=int(raw)) if found else Target(problem="unknown_task")
    members = directory.expand(arg)
    if members:
        return Target(units=[u.name for u in members])
    return Target(problem="unknown_unit")


def chase(
    tasks: Iterable[Task],
    states: StateRows,
    contacts: Iterable[ContactRow],
    calendar: WorkCalendar,
    day: date,
    *,
    units: Directory,
    task_id: int | None = None,
    unit_names: Iterable[str] | None = None,
    closed: Iterable[int] = (),
    stamp: str = "",
) -> list[Reminder]:
    """A coordinator's immediate 催办: one reminder per open part of a task or of some units.

    Unlike the planner this ignores snoozes and the calendar; parts nobody can receive come
    back with empty contacts so the coordinator can be told.
    """
    wanted = set(unit_names) if unit_names is not None else None
    reach = reachable_contacts(contacts)
    out = []
    for part in open_parts(tasks, state_index(states), units, closed):
        if task_id is not None and part.task.id != task_id:
            continue
        if wanted is not None and part.unit not in wanted:
            continue
        if part.state.get("status") == PartStatus.DONE:
            continue
        deadline = part.task.deadline
        due = override_due(part.state) or (
            deadline.due if deadline.kind == "once" else period_due(part.task, day)
        )
        period = period_key(part.task, day)
        kind: ReminderKind = "manual"
        left, late = None, None
        if due is not None and due < day:
            kind, late = "overdue", calendar.workdays_between(due, day)
        elif due is not None:
            left = calendar.workdays_between(day, due)
        out.append(
            Reminder(
                task=part.task.id,
                unit=part.unit,
                role=part.role,
                kind=kind,
                due=due,
                key=ledger_key(
                    LedgerKind.MANUAL, part.task.id, part.unit, stamp or day.isoformat()
                ),
                contacts=reach.get(part.unit, ()),
                workdays_left=left,
                workdays_overdue=late,
                period=period,
            )
        )
    return out


@dataclass(frozen=True)
class Unreachable:
    """A unit's bound contact the bot can no longer write to: who, why and since when."""

    name: str
    cause: UnreachableCause | None  # None in stores from before causes were kept
    since: str | None  # when Telegram first refused (ISO), None when the history lacks it


def unreachable_contacts(store: Store, units: Iterable[str]) -> dict[str, list[Unreachable]]:
    """Units among `units` whose every bound contact is unreachable, with those contacts."""
    wanted = set(units)
    bound: dict[str, list[ContactRow]] = {}
    for c in store.people.contacts():
        if c["unit"] in wanted:
            bound.setdefault(c["unit"], []).append(c)
    cut_off = {
        unit: rows
        for unit, rows in bound.items()
        if not any(c.get("reachable", True) for c in rows)
    }
    if not cut_off:
        return {}
    last: dict[int, Event] = {}  # each user's latest change of reachability
    for ev in store.history.events(kinds=["contact.reachable"]):
        if isinstance(ev.get("user_id"), int):
            last[ev["user_id"]] = ev
    out: dict[str, list[Unreachable]] = {}
    for unit in sorted(cut_off):
        for c in cut_off[unit]:
            change = last.get(c["user_id"])
            lost = change if change is not None and not change.get("reachable", True) else None
            out.setdefault(unit, []).append(
                Unreachable(
                    name=c.get("name") or str(c["user_id"]),
                    cause=lost.get("cause") if lost else None,
                    since=lost["at"] if lost else None,
                )
            )
    return out


@dataclass(frozen=True)
class ChaseOutcome:
    """The units a 催办 reached, those whose contacts it could not reach, those with none."""

    reached: list[str]
    failed: list[str]
    missing: list[str]


def chase_outcome(items: Iterable[Reminder], failed_chats: Iterable[int]) -> ChaseOutcome:
    """Sort a 催办's units by what sending did (a unit counts as reached by any one contact)."""
    items, failed_chats = list(items), set(failed_chats)
    reached = sorted({r.unit for r in items for chat in r.contacts if chat not in failed_chats})
    failed = sorted({r.unit for r in items if r.contacts and r.unit not in reached})
    missing = sorted({r.unit for r in items if not r.contacts})
    return ChaseOutcome(reached, failed, missing)


def problem_text(found: Target, arg: str, directory: Directory) -> str:
    """Why `/remind ARG` names nothing to chase (with the nearest unit name, if one is close)."""
    hint = directory.suggest(arg) if found.problem == "unknown_unit" else None
    return render("remind_result.html.j2", outcome=found.problem, arg=arg, hint=hint)


def result_text(
    store: Store,
    arg: str,
    items: list[Reminder],
    failed_chats: Iterable[int],
    messages: int,
    office: str | None = None,
    *,
    assigned: bool = False,
) -> str:
    """What the coordinator is told after a 催办 (`assigned`: after the news of an item just
    assigned): who got it, who could not, who has no contact.

    A unit whose bound contacts all blocked the bot (or cannot be written to for another
    reason) is named with who, why and since when: inviting someone is not what it needs.
    The coordinating office's own parts (`office`, 区发改局) are the coordinators' own work: they
    are named as such, never as a unit without a contact.
    """
    outcome = chase_outcome(items, failed_chats)
    own = [u for u in outcome.missing if u == office]
    # Units Telegram refused just now are marked unreachable by then: named the same way.
    cut_off = unreachable_contacts(
        store, [u for u in (*outcome.missing, *outcome.failed) if u != office]
    )
    return render(
        "remind_result.html.j2",
        outcome="done" if items else "nothing_open",
        arg=arg,
        reached=outcome.reached,
        failed=[u for u in outcome.failed if u not in cut_off],
        unreachable=cut_off,
        missing=[u for u in outcome.missing if u != office and u not in cut_off],
        own=own,
        messages=messages,
        assigned=assigned,
    )
