"""The plan (table "tasks"): the tasks as imported, their revisions, closed and archived marks.

A task's document id is its number. Importing merges by number: history and parts stay,
changes become revisions, tasks the new plan leaves out are archived.

Milestones changed in chat (`edit_milestone`) survive a re-import of the same plan: the task
keeps the file's own list under `milestones_file`, and while the file's deadline cell still
gives that list the chat's edits stand. When the file's milestones changed, the file wins: its
list replaces the chat's, recorded as a revision of the task like any other change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from tinydb.table import Document

from bot.plan.model import Milestone, Plan, Task
from bot.store.history import History
from bot.store.office import Office
from bot.store.parts import Parts
from bot.store.records import EventKind, FieldChange, MilestoneRow, Role, TaskMeta, TaskRow
from bot.store.repository import Repository, UnitOfWork, iso

TASKS = "tasks"
# A task → its concrete units and their roles, groups expanded.
Responsible = Callable[[Task], Iterable[tuple[str, Role]]]


@dataclass(frozen=True)
class ImportResult:
    added: list[int]
    changed: list[int]
    archived: list[int]
    unchanged: list[int]


class PlanTasks(Repository):
    """The tasks of the plan, by number."""

    tables = (TASKS,)

    def __init__(self, uow: UnitOfWork, history: History, parts: Parts, office: Office) -> None:
        super().__init__(uow)
        self._history = history
        self._parts = parts
        self._office = office
        self._first_import: str | None = None

    def imported_at(self) -> datetime | None:
        """When the plan was first imported (stores from before this was kept: the first
        import event)."""
        raw = self._office.meta("imported_at")
        if raw is None:
            if self._first_import is None:
                first = next(iter(self._history.events(kinds=["plan.import"])), None)
                self._first_import = first["at"] if first else ""
            raw = self._first_import or None
        return datetime.fromisoformat(raw) if raw else None

    def year(self) -> int | None:
        """The year the plan imported last is for."""
        return cast(int | None, self._office.meta("plan_year"))

    def has_plan(self) -> bool:
        return len(self._table(TASKS)) > 0

    def tasks(self, *, include_archived: bool = False) -> list[Task]:
        docs = sorted(self._table(TASKS).raw_docs())
        return [
            Task.from_record(doc) for _, doc in docs if include_archived or not doc.get("archived")
        ]

    def task(self, task_id: int) -> Task | None:
        doc = self._table(TASKS).get(doc_id=task_id)
        if doc is None or doc.get("archived"):
            return None
        return Task.from_record(doc)

    def task_meta(self, task_id: int) -> TaskMeta:
        """Store-side facts of a task: archived, closed, revision."""
        doc: dict[str, Any] = dict(self._table(TASKS).get(doc_id=task_id) or {})
        return {
            "archived": doc.get("archived"),
            "closed": doc.get("closed"),
            "revision": doc.get("revision"),
        }

    def closed_tasks(self) -> set[int]:
        """The tasks whose completion a coordinator approved (办结)."""
        docs = self._table(TASKS).raw_docs()
        return {int(i) for i, doc in docs if doc.get("closed") and not doc.get("archived")}

    def set_task_closed(self, task_id: int, closed: bool) -> None:
        self._table(TASKS).update({"closed": closed}, doc_ids=[task_id])

    def import_plan(
        self,
        plan: Plan,
        *,
        at: datetime,
        actor: int | str | None = "cli",
        responsible: Responsible | None = None,
    ) -> ImportResult:
        """Load or merge a plan by task number: history and states stay, changes are revisions.

        `responsible(task) -> [(unit_name, role)]` expands a task to its concrete units so each
        gets a state row; without it the plan's names are used as written.
        """
        record = partial(self._history.record, at=at, actor=actor)  # this import did it
        tasks_table = self._table(TASKS)
        existing = cast(dict[int, TaskRow], dict(tasks_table.raw_docs()))
        added, changed, unchanged = [], [], []
        seen = set()
        for task in plan.tasks:
            seen.add(task.id)
            rec = task.to_record()
            old = existing.get(task.id)
            if old is not None and old.get("milestones_file") is not None:
                if rec["milestones"] == old["milestones_file"]:
                    rec["milestones"] = old.get("milestones") or []  # the chat's edits stand
                    rec["milestones_file"] = old["milestones_file"]
                else:
                    rec["milestones_file"] = None  # the file changed its cell: the file wins
            if old is None:
                tasks_table.insert(Document({**rec, "revision": 1}, doc_id=task.id))
                record("plan.task_added", task=task.id, title=task.title)
                added.append(task.id)
            else:
                # compared in today's shape: a record stored before a field existed (milestones,
                # remarks) has its default, not a change
                before = Task.from_record(dict(old)).to_record()
                diff: dict[str, FieldChange] = {
                    k: {"old": before.get(k), "new": v}
                    for k, v in rec.items()
                    if k not in ("line", "milestones_file") and before.get(k) != v
                }
                if diff or old.get("archived"):
                    revision = int(old.get("revision", 1)) + 1
                    tasks_table.update(
                        {**rec, "archived": False, "revision": revision}, doc_ids=[task.id]
                    )
                    record("plan.revision", task=task.id, revision=revision, changes=diff)
                    changed.append(task.id)
                else:
                    if rec.get("milestones_file") != old.get("milestones_file"):
                        # the file took its cell back, as the chat had it: no edits to keep
                        tasks_table.update({"milestones_file": None}, doc_ids=[task.id])
                    unchanged.append(task.id)
            self._parts.ensure(task.id, _pairs(task, responsible))
        archived = []
        for task_id, old in existing.items():
            if task_id not in seen and not old.get("archived"):
                tasks_table.update({"archived": True}, doc_ids=[task_id])
                record("plan.task_archived", task=task_id)
                archived.append(task_id)
        if self._office.meta("imported_at") is None:
            # The day the plan came into use: nothing due before it is chased or escalated.
            self._office.set_meta("imported_at", iso(at))
        self._office.set_meta("plan_year", plan.year)
        self._office.set_meta("plan_source", plan.source)
        record("plan.import", source=plan.source, added=added, changed=changed, archived=archived)
        return ImportResult(added, changed, archived, unchanged)

    def edit_milestone(
        self,
        task_id: int,
        *,
        old: Milestone | None,
        new: Milestone | None,
        at: datetime,
        actor: int | str | None,
    ) -> tuple[Milestone, ...]:
        """Add (`old` None), move or reword, or remove (`new` None) one milestone of a task,
        recorded as "milestone.added" / "milestone.moved" / "milestone.removed" with both sides;
        the task's deadline stays. Its milestones afterwards, in date order.

        Raises KeyError when the task, or `old` among its milestones, is not there.
        """
        doc = self._table(TASKS).get(doc_id=task_id)
        if doc is None or doc.get("archived"):
            raise KeyError(f"no task {task_id}")
        current = list(Task.from_record(dict(doc)).milestones)
        if old is not None:
            if old not in current:
                raise KeyError(f"task {task_id} has no milestone {old}")
            current.remove(old)
        if new is not None:
            current.append(new)
        listed: list[MilestoneRow] = [
            {"due": m.due.isoformat(), "text": m.text} for m in sorted(current)
        ]
        fields: dict[str, Any] = {"milestones": listed}
        if doc.get("milestones_file") is None:
            fields["milestones_file"] = doc.get("milestones") or []  # what the file said
        self._table(TASKS).update(fields, doc_ids=[task_id])
        kind: EventKind = (
            "milestone.added"
            if old is None
            else "milestone.removed"
            if new is None
            else "milestone.moved"
        )
        self._history.record(
            kind,
            at=at,
            actor=actor,
            task=task_id,
            old=_row(old),
            new=_row(new),
        )
        return tuple(sorted(current))


def _row(milestone: Milestone | None) -> MilestoneRow | None:
    return {"due": milestone.due.isoformat(), "text": milestone.text} if milestone else None


def _pairs(task: Task, responsible: Responsible | None) -> list[tuple[str, Role]]:
    """The task's (unit, role) pairs: expanded by `responsible`, or as the plan names them."""
    if responsible is not None:
        return [(name, role) for name, role in responsible(task)]
    pairs: list[tuple[str, Role]] = [(u, "lead") for u in task.leads]
    pairs += [(u, "supporter") for u in task.supporters if u not in task.leads]
    return pairs
