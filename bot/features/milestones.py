"""Milestones (时间节点) changed and reported in chat: /milestone, the card's 时间节点 and ✅.

Who may: a coordinator, or a bound contact of one of the task's lead units; supporters and
strangers are refused. A coordinator's add, move or remove takes effect at once, and so does a
lead contact's add or remove (the coordinators are told); a contact's move is a request a
coordinator approves or rejects, as an extension is (a review record of kind "milestone",
bot.features.review). The task's deadline never moves with a milestone.

A milestone reported done is marked on the lead unit's part (`milestones_done`, event
"milestone.done"); a coordinator marks it for every lead unit, on their behalf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.milestones import MAX_MILESTONES, MAX_TEXT, done_of, open_ones
from bot.domain.status import effective_due
from bot.features import review
from bot.features.access import Actor
from bot.features.errors import CodedError
from bot.features.extensions import split_dated
from bot.features.plan_period import snooze_limit
from bot.plan.model import Milestone, Task
from bot.services import Services
from bot.store.records import EventDetails, MilestoneMark, ReviewRecord, StateRow

KIND = "milestone"  # the review records of a contact's move


class MilestoneError(CodedError, ValueError):
    """A milestone that cannot be added, moved, removed or marked; nothing was stored.

    codes: "unknown_task", "forbidden" (info `supporter`: the actor's unit supports the task),
    "closed", "plan_closed" (its plan is closed: read only), "no_date", "no_text", "text_too_long", "past", "after_deadline" (info `limit`),
    "too_many", "not_found", "duplicate", "same_day", "done", "none_open", "pending"
    (info `record`), "which" (a move naming one day while several milestones are open).
    """


@dataclass(frozen=True)
class Editor:
    """Who changes a task's milestones: a coordinator (`unit` None) or a lead unit's contact."""

    task: Task
    unit: str | None

    @property
    def coordinator(self) -> bool:
        return self.unit is None


Done = Literal["added", "moved", "removed", "requested", "done"]


@dataclass(frozen=True)
class Change:
    """What a milestone command did: `old` → `new` (a request waits in `record`)."""

    what: Done
    editor: Editor
    old: Milestone | None
    new: Milestone | None
    record: ReviewRecord | None = None

    @property
    def task(self) -> Task:
        return self.editor.task


def _leads(services: Services, task_id: int) -> list[StateRow]:
    return [
        s
        for s in services.store.parts.states(task=task_id)
        if s["role"] == "lead" and not s.get("removed")
    ]


def lead_units(services: Services, task_id: int) -> list[str]:
    """The task's lead units (those whose contacts may edit, and who hear of a change)."""
    return [s["unit"] for s in _leads(services, task_id)]


def editor(services: Services, actor: Actor, task_id: int) -> Editor:
    """The actor as the editor of the task's milestones; MilestoneError when they may not."""
    task = services.store.plan.task(task_id)
    if task is None:
        raise MilestoneError("unknown_task", task=task_id)
    if actor.is_coordinator:
        return Editor(task, None)
    leads = {s["unit"] for s in _leads(services, task_id)}
    mine = [u for u in actor.units if u in leads]
    if mine:
        return Editor(task, mine[0])
    parts = {s["unit"] for s in services.store.parts.states(task=task_id)}
    raise MilestoneError("forbidden", task=task_id, supporter=bool(parts & set(actor.units)))


def done(services: Services, task_id: int) -> frozenset[Milestone]:
    """The task's milestones its leads reported done."""
    return done_of(_leads(services, task_id))


def parse(text: str, today: date) -> Milestone:
    """`DATE text` → the milestone (`6月30日 完成方案制定`); MilestoneError otherwise."""
    found = split_dated(text, today)
    if found is None:
        raise MilestoneError("no_date", text=(text or "").strip()[:40])
    due, words = found
    if not words:
        raise MilestoneError("no_text", due=due)
    if len(words) > MAX_TEXT:
        raise MilestoneError("text_too_long", limit=MAX_TEXT, length=len(words))
    return Milestone(due, words)


def parse_day(text: str, today: date) -> date:
    """A date alone (`7月15日`), for a move; MilestoneError("no_date") otherwise."""
    found = split_dated(text, today)
    if found is None:
        raise MilestoneError("no_date", text=(text or "").strip()[:40])
    return found[0]


def latest_day(services: Services, task: Task, today: date) -> date:
    """The last day a milestone may fall on: the task's deadline as its leads have it (an
    approved extension counts), or the end of the plan period for a task without one."""
    leads = (effective_due(task, s, today) for s in _leads(services, task.id))
    dues = [d for d in (task.deadline.due, *leads) if d is not None]
    if task.deadline.kind == "once" and dues:
        return max(dues)
    return snooze_limit(services.store, today)


def _check_day(services: Services, task: Task, due: date, today: date) -> None:
    if due < today:
        raise MilestoneError("past", due=due, today=today)
    if due > (limit := latest_day(services, task, today)):
        raise MilestoneError("after_deadline", due=due, limit=limit, task=task.id)


def _open_task(services: Services, actor: Actor, task_id: int) -> Editor:
    ed = editor(services, actor, task_id)
    if not services.store.plan.is_followed(task_id):
        raise MilestoneError("plan_closed", task=task_id)
    if services.store.plan.task_meta(task_id).get("closed"):
        raise MilestoneError("closed", task=task_id)
    return ed


def find(task: Task, day: date | None) -> Milestone:
    """The task's milestone on `day` (the first, when several share it)."""
    for milestone in task.milestones:
        if milestone.due == day:
            return milestone
    raise MilestoneError("not_found", task=task.id, due=day)


def add(services: Services, actor: Actor, task_id: int, milestone: Milestone) -> Change:
    """A new milestone, at once."""
    ed = _open_task(services, actor, task_id)
    _check_day(services, ed.task, milestone.due, services.clock.now().date())
    if len(ed.task.milestones) >= MAX_MILESTONES:
        raise MilestoneError("too_many", task=task_id, limit=MAX_MILESTONES)
    if milestone in ed.task.milestones:
        raise MilestoneError("duplicate", task=task_id, due=milestone.due)
    _edit(services, actor, ed, None, milestone)
    return Change("added", ed, None, milestone)


def remove(services: Services, actor: Actor, task_id: int, milestone: Milestone) -> Change:
    """A milestone taken off the task, at once."""
    ed = _open_task(services, actor, task_id)
    if milestone not in ed.task.milestones:
        raise MilestoneError("not_found", task=task_id, due=milestone.due)
    _edit(services, actor, ed, milestone, None)
    return Change("removed", ed, milestone, None)


def move(services: Services, actor: Actor, task_id: int, milestone: Milestone, due: date) -> Change:
    """A milestone to another day: at once for a coordinator, a request from a contact."""
    ed = _open_task(services, actor, task_id)
    if milestone not in ed.task.milestones:
        raise MilestoneError("not_found", task=task_id, due=milestone.due)
    if milestone in done(services, task_id):
        raise MilestoneError("done", task=task_id, due=milestone.due)
    if due == milestone.due:
        raise MilestoneError("same_day", due=due)
    _check_day(services, ed.task, due, services.clock.now().date())
    new = Milestone(due, milestone.text)
    if new in ed.task.milestones:
        raise MilestoneError("duplicate", task=task_id, due=due)
    if ed.unit is None:
        _edit(services, actor, ed, milestone, new)
        return Change("moved", ed, milestone, new)
    if (existing := review.open_request(services.store, KIND, task_id, ed.unit)) is not None:
        raise MilestoneError("pending", record=existing)
    day, old_day = due.isoformat(), milestone.due.isoformat()
    services.store.history.record(
        "milestone.request",
        at=services.clock.now(),
        actor=actor.user_id,
        task=task_id,
        unit=ed.unit,
        due=day,
        old_due=old_day,
        text=new.text,
    )
    record = review.insert(
        services, KIND, task_id, ed.unit, actor, due=day, old_due=old_day, text=new.text
    )
    return Change("requested", ed, milestone, new, record)


def _edit(
    services: Services, actor: Actor, ed: Editor, old: Milestone | None, new: Milestone | None
) -> None:
    services.store.plan.edit_milestone(
        ed.task.id, old=old, new=new, at=services.clock.now(), actor=actor.user_id
    )


def mark_done(
    services: Services, actor: Actor, task_id: int, milestone: Milestone | None = None
) -> Change:
    """Report a milestone done (None: the earliest one open), on the contact's lead part, or
    by a coordinator on every lead's part."""
    ed = editor(services, actor, task_id)
    finished = done(services, task_id)
    if milestone is None:
        waiting = open_ones(ed.task.milestones, finished)
        if not waiting:
            raise MilestoneError("none_open", task=task_id, any=bool(ed.task.milestones))
        milestone = waiting[0]
    elif milestone not in ed.task.milestones:
        raise MilestoneError("not_found", task=task_id, due=milestone.due)
    elif milestone in finished:
        raise MilestoneError("done", task=task_id, due=milestone.due)
    now = services.clock.now()
    mark: MilestoneMark = {
        "due": milestone.due.isoformat(),
        "text": milestone.text,
        "at": now.isoformat(timespec="seconds"),
        "by": actor.user_id,
    }
    details: EventDetails = {"milestone": {"due": mark["due"], "text": mark["text"]}}
    if ed.unit is None:
        details["on_behalf"] = True
    units = [ed.unit] if ed.unit else [s["unit"] for s in _leads(services, task_id)]
    for unit in units:
        state = services.store.parts.state(task_id, unit)
        marks = (state.get("milestones_done") if state else None) or []
        services.store.parts.update_state(
            task_id,
            unit,
            at=now,
            actor=actor.user_id,
            event="milestone.done",
            details=details,
            milestones_done=[*marks, mark],
        )
    return Change("done", ed, None, milestone)
