"""督办单: a numbered supervision notice for one unit's open work, and its 签收 on paper.

Issuing one takes the next number of the year's series (`督办〔2021〕3号`, never handed out
twice, kept in the store) and records the number and what the slip lists in the history
("slip.issue"). The document itself is drawn by `bot.reports.slip`. A coordinator records a
paper receipt for the unit (代报: "receipt" with `on_behalf`), as for any other proxy report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.domain.days import days_late
from bot.domain.planner import reachable_contacts
from bot.domain.progress import is_overdue, part_due
from bot.features.access import Actor
from bot.plan.refs import task_ref
from bot.store.records import Event, EventDetails, PartStatus, Role
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services

SERIES = "slip"
NUMBER = "督办〔{year}〕{serial}号"


@dataclass(frozen=True)
class SlipLine:
    """One open task of the unit as the slip lists it."""

    task: int
    title: str
    deadline: str  # as the plan writes it
    due: date | None  # the part's own due date (an extension's, or this period's)
    role: Role
    status: PartStatus  # open: not done
    percent: int | None
    overdue_workdays: int  # 0: not overdue

    @property
    def ref(self) -> str:
        return task_ref(self.task)


@dataclass(frozen=True)
class Slip:
    number: str
    year: int
    serial: int
    office: str  # the issuing office's full name
    issued: date
    unit: str
    unit_full_name: str
    lines: tuple[SlipLine, ...]
    reply_by: date


@dataclass(frozen=True)
class SlipRefusal:
    """Why no slip was made (nothing was numbered or recorded): the short answer."""

    reason: str  # usage | unknown_unit | group | nothing_open | not_open
    text: str


def slip_request(words: Sequence[str]) -> tuple[str, list[int]]:
    """`/slip UNIT [#N…]` / `--unit UNIT --task N…`: the unit as written and the task numbers
    (refs with or without `#`)."""
    unit, tasks = [], []
    for word in words:
        raw = word.strip().lstrip("#＃")
        if raw.isdecimal() and len(raw) <= 6:
            tasks.append(int(raw))
        else:
            unit.append(word)
    return " ".join(unit), tasks


def number_of(year: int, serial: int) -> str:
    """督办〔2021〕3号."""
    return NUMBER.format(year=year, serial=serial)


def open_lines(services: Services, unit: str, today: date) -> list[SlipLine]:
    """The unit's open parts of open tasks of active plans: overdue first (longest first),
    then by due date."""
    store, calendar = services.store, services.calendar
    closed = store.plan.closed_tasks()
    lines = []
    for state in store.parts.states(unit=unit):
        task = store.plan.task(state["task"])
        if task is None or task.id in closed or state.get("status") == PartStatus.DONE:
            continue
        if not store.plan.is_followed(task.id):
            continue  # a closed plan's: never chased
        due = part_due(task, state, today)
        late = days_late(calendar, due, today) if is_overdue(task, state, today) else 0
        lines.append(
            SlipLine(
                task=task.id,
                title=task.title,
                deadline=task.deadline.text,
                due=due,
                role=state["role"],
                status=state.get("status") or PartStatus.TODO,
                percent=state.get("percent"),
                overdue_workdays=late,
            )
        )
    lines.sort(key=lambda ln: (-ln.overdue_workdays, ln.due or date.max, ln.task))
    return lines


def _refuse(reason: str, **context: object) -> SlipRefusal:
    return SlipRefusal(reason, render("slip.html.j2", step=reason, **context))


def issue_slip(
    services: Services, unit_name: str, task_ids: Sequence[int] = (), *, actor: Actor | str
) -> Slip | SlipRefusal:
    """Number and record a 督办单 for a unit's open work (only `task_ids`, when given)."""
    unit_name = unit_name.strip()
    if not unit_name:
        return _refuse("usage")
    directory = services.units
    unit = directory.get(unit_name)
    if unit is None:
        if directory.is_group(unit_name):
            return _refuse("group", name=unit_name)
        return _refuse("unknown_unit", name=unit_name, suggestion=directory.suggest(unit_name))
    now = services.clock.now()
    today = now.date()
    lines = open_lines(services, unit.name, today)
    if task_ids:
        wanted = list(dict.fromkeys(task_ids))
        have = {ln.task for ln in lines}
        missing = [t for t in wanted if t not in have]
        if missing:
            return _refuse("not_open", unit=unit.name, refs=[task_ref(t) for t in missing])
        lines = [ln for ln in lines if ln.task in wanted]
    if not lines:
        return _refuse("nothing_open", unit=unit.name)
    store = services.store
    reply_by = services.calendar.add_workdays(today, services.policy.slip.reply_workdays)
    with store.batch():
        serial = store.office.take_serial(SERIES, today.year)
        slip = Slip(
            number=number_of(today.year, serial),
            year=today.year,
            serial=serial,
            office=directory.coordinator.full_name,
            issued=today,
            unit=unit.name,
            unit_full_name=unit.full_name,
            lines=tuple(lines),
            reply_by=reply_by,
        )
        store.history.record(
            "slip.issue",
            at=now,
            actor=actor.user_id if isinstance(actor, Actor) else actor,
            unit=unit.name,
            number=slip.number,
            serial=serial,
            year=today.year,
            tasks=[ln.task for ln in lines],
            reply_by=reply_by.isoformat(),
            lines=[render("slip.html.j2", step="line", line=ln) for ln in lines],
        )
    return slip


def slip_issued_text(slip: Slip, sent_to: int = 0) -> str:
    """The caption of a slip sent to the coordinator (`sent_to`: the unit's contacts who got it)."""
    return render("slip.html.j2", step="issued", slip=slip, sent_to=sent_to)


def find_slip(services: Services, number: str) -> Event | None:
    """The issue record of a slip by its number (`督办〔2021〕3号`, `2021-3`, or `3` this year)."""
    raw = number.strip()
    year, serial = services.clock.now().year, raw
    for sep in ("〔", "-", "/"):
        if sep in raw:
            head, _, tail = raw.partition(sep)
            year_text = "".join(ch for ch in head if ch.isdigit())
            serial = tail
            if year_text:
                year = int(year_text)
            break
    digits = "".join(ch for ch in serial.split("〕")[-1] if ch.isdigit())
    if not digits or len(digits) > 6:
        return None
    target = number_of(year, int(digits))
    found = services.store.history.events(
        kinds=["slip.issue"], where=lambda e: e.get("number") == target
    )
    return found[-1] if found else None


def slip_receivers(services: Services, slip: Slip) -> tuple[int, ...]:
    """The unit's reachable 联络员: they get the slip in chat too, with a 签收 button."""
    return reachable_contacts(services.store.people.contacts()).get(slip.unit, ())


def slip_for_unit_text(slip: Slip) -> str:
    """The caption of a slip sent to the unit's contacts."""
    return render("slip.html.j2", step="to_unit", slip=slip)


def sign_slip(
    services: Services, actor: Actor, year: int, serial: int, *, own_message: bool
) -> str:
    """A unit's contact signs for a slip sent in chat; a short answer (a toast)."""
    number = number_of(year, serial)
    issued = find_slip(services, number)
    if issued is None or issued["unit"] is None:
        return render("slip.html.j2", step="no_such_slip", number=number)
    unit = issued["unit"]
    if not own_message or unit not in actor.units:
        return render("receipt.html.j2", step="not_yours", unit=unit)
    signed = _record_receipt(services, issued, actor=actor.user_id, name=actor.name)
    if isinstance(signed, str):
        return signed
    return render("slip.html.j2", step="signed", number=number)


def _record_receipt(
    services: Services, issued: Event, *, actor: int, name: str, on_behalf: bool = False
) -> Event | str:
    """Record a slip's 签收 once: the receipt, or the answer that it was signed for already."""
    unit, number = issued["unit"], issued.get("number")
    earlier = services.store.history.events(
        unit=unit, kinds=["receipt"], where=lambda e: e.get("number") == number
    )
    if earlier:
        return render(
            "slip.html.j2",
            step="already_signed",
            number=number,
            unit=unit,
            at=earlier[0]["at"],
            name=earlier[0].get("name"),
        )
    details: EventDetails = {"on_behalf": True} if on_behalf else {}
    return services.store.history.record(
        "receipt",
        at=services.clock.now(),
        actor=actor,
        unit=unit,
        number=number or "",
        tasks=list(issued.get("tasks") or []),
        name=name,
        **details,
    )


def record_paper_receipt(services: Services, actor: Actor, number: str, signer: str) -> str:
    """A coordinator records that a unit signed a paper slip (代报: on the unit's behalf)."""
    issued = find_slip(services, number)
    if issued is None or issued["unit"] is None:
        return render("slip.html.j2", step="no_such_slip", number=number)
    event = _record_receipt(
        services, issued, actor=actor.user_id, name=signer.strip(), on_behalf=True
    )
    if isinstance(event, str):
        return event
    return render(
        "slip.html.j2",
        step="receipt",
        number=event.get("number"),
        unit=event["unit"],
        name=event.get("name"),
        at=event["at"],
    )
