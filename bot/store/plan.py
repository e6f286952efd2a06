"""The tasks of every plan (table "tasks"): as imported, their revisions, closed and archived.

A task's document id is its key, its identity across plans (bot/plan/refs.py); the task
records its plan's slot and its number in that plan (records from before plans sat side by
side have neither: plan A's, keyed by number). Importing merges into one plan by number:
history and parts stay, changes become revisions, tasks the new file leaves out are archived;
the other plans are never touched.

Milestones changed in chat (`edit_milestone`) survive a re-import of the same plan: the task
keeps the file's own list under `milestones_file`, and while the file's deadline cell still
gives that list the chat's edits stand. When the file's milestones changed, the file wins: its
list replaces the chat's, recorded as a revision of the task like any other change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, cast

from tinydb.table import Document

from bot.plan.model import Deadline, Milestone, Plan, Task
from bot.plan.refs import Naming
from bot.plan.title import same_title, title_key
from bot.store.history import History
from bot.store.office import Office
from bot.store.parts import Parts
from bot.store.plans import ASSIGNED_TITLE, FIRST_SLOT, PlanInfo, Plans
from bot.store.records import EventKind, FieldChange, MilestoneRow, Role, TaskMeta, TaskRow
from bot.store.repository import Repository, UnitOfWork, iso

TASKS = "tasks"
# where a task stands, not what it says: never a revision
IDENTITY = frozenset({"line", "id", "no", "plan", "milestones_file"})
# A task → its concrete units and their roles, groups expanded.
Responsible = Callable[[Task], Iterable[tuple[str, Role]]]


@dataclass(frozen=True)
class ImportResult:
    """What an import did, by task key (`plan`: the plan it went into)."""

    added: list[int]
    changed: list[int]
    archived: list[int]
    unchanged: list[int]
    plan: PlanInfo | None = None
    new: bool = False  # it made `plan` (else it revised it)


@dataclass(frozen=True)
class ImportCounts:
    """What an import would do (`dry_run`), counted: into plan `code`, new or `revises`."""

    added: int
    changed: int
    archived: int
    unchanged: int
    code: str
    revises: bool


@dataclass(frozen=True)
class Placement:
    """Where an imported file goes: a new plan, or a revision of `target`; `sure` when the
    file says so plainly (same title, or a title no plan has and tasks no plan shares), else
    `why` says what makes it unsure and the import waits for someone to choose."""

    revises: bool
    target: PlanInfo | None
    sure: bool
    why: str = ""
    overlap: float = 0.0  # the share of the file's task titles the nearest plan has

    @property
    def into(self) -> int | Literal["new"]:
        """Where an import goes by default: the slot it revises, or a new plan."""
        return self.target.slot if self.revises and self.target else "new"


# A file sharing this much of a plan's task titles may be that plan retitled; this much, for
# the same year, is that plan.
SAME_TASKS = 0.6
ALL_TASKS = 0.9


def _same_file(a: str, b: str) -> bool:
    """Whether two sources are the same file name (a plan kept before titles were read)."""
    return bool(a) and bool(b) and Path(a).name == Path(b).name


class PlanTasks(Repository):
    """The tasks of the plan, by number."""

    tables = (TASKS,)

    def __init__(
        self,
        uow: UnitOfWork,
        history: History,
        parts: Parts,
        office: Office,
        plans: Plans,
    ) -> None:
        super().__init__(uow)
        self._history = history
        self._parts = parts
        self._office = office
        self._plans = plans
        self._first_import: str | None = None

    def imported_at(self, slot: int | None = None) -> datetime | None:
        """When plan `slot` came into use (None: the first plan; stores from before this was
        kept: the first import event)."""
        plan = self._plans.get(slot or FIRST_SLOT)
        if plan is not None and plan.imported_at is not None:
            return plan.imported_at
        if slot not in (None, FIRST_SLOT):
            return None
        raw = self._office.meta("imported_at")
        if raw is None:
            if self._first_import is None:
                first = next(iter(self._history.events(kinds=["plan.import"])), None)
                self._first_import = first["at"] if first else ""
            raw = self._first_import or None
        return datetime.fromisoformat(raw) if raw else None

    def year(self, slot: int | None = None) -> int | None:
        """The year plan `slot` is for (None: the newest active plan file's)."""
        if slot is None:
            files = [p for p in self._plans.active() if p.kind == "plan" and p.year]
            if files:
                return files[-1].year
            return cast(int | None, self._office.meta("plan_year"))
        plan = self._plans.get(slot)
        return plan.year if plan is not None else None

    def has_plan(self) -> bool:
        return len(self._table(TASKS)) > 0

    def tasks(
        self,
        *,
        include_archived: bool = False,
        plan: int | None = None,
        include_closed: bool = False,
    ) -> list[Task]:
        """The tasks of the active plans (or of plan slot `plan`, or of every plan with
        `include_closed`), by plan then number; archived ones only with `include_archived`."""
        plans = self._plans.all()
        active = {p.slot for p in plans if p.active}
        out = []
        for _, doc in self._table(TASKS).raw_docs():
            if doc.get("archived") and not include_archived:
                continue
            slot = _slot(doc)
            if plan is not None and slot != plan:
                continue
            if plan is None and not include_closed and plans and slot not in active:
                continue
            out.append(Task.from_record(doc))
        return sorted(out, key=lambda t: (t.plan or FIRST_SLOT, t.number, t.id))

    def task(self, task_id: int) -> Task | None:
        """The task with key `task_id`, of any plan (a closed plan's stays readable)."""
        doc = self._table(TASKS).get(doc_id=task_id)
        if doc is None or doc.get("archived"):
            return None
        return Task.from_record(doc)

    def plan_of(self, task_id: int) -> PlanInfo | None:
        """The plan task `task_id` belongs to."""
        doc = self._table(TASKS).get(doc_id=task_id)
        return self._plans.get(_slot(doc)) if doc is not None else None

    def is_followed(self, task_id: int) -> bool:
        """Whether the task's plan is active (a closed plan's tasks are never chased)."""
        plan = self.plan_of(task_id)
        return plan is None or plan.active

    def naming(self) -> Naming:
        """How tasks are named now (bot/domain/refs.py): each key's plan code and number."""
        return self._uow.derived("naming", (self, self._plans), None, self._naming)

    def _naming(self) -> Naming:
        codes = {p.slot: p.code for p in self._plans.all()}
        numbers = {}
        for key, doc in self._table(TASKS).raw_docs():
            slot = _slot(doc)
            numbers[int(key)] = (codes.get(slot, ""), _number(key, doc))
        return Naming(numbers, frozenset(p.code for p in self._plans.active()))

    def find(self, code: str | None, no: int, *, include_closed: bool = False) -> list[int]:
        """The keys of the tasks a ref names: plan `code`'s task `no`; without a code, task
        `no` of every active plan (or of every plan with `include_closed`), archived never."""
        if code is not None:
            plan = self._plans.by_code(code)
            slots = {plan.slot} if plan is not None else set()
        else:
            slots = {p.slot for p in self._plans.all() if p.active or include_closed}
        found = []
        for key, doc in self._table(TASKS).raw_docs():
            if doc.get("archived") or _slot(doc) not in slots:
                continue
            if _number(key, doc) == no:
                found.append(int(key))
        return sorted(found)

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

    def placement(self, plan: Plan) -> Placement:
        """Where `plan` (a file just read) belongs among the plans (see Placement)."""
        files = [p for p in self._plans.all() if p.kind == "plan"]
        if not files:
            return Placement(False, None, True)
        shared = {p.slot: self._shared_titles(plan, p.slot) for p in files}
        nearest = max(files, key=lambda p: (shared[p.slot], p.active, p.slot))
        if not plan.title:  # a plan built in code, not read from a document
            active = [p for p in files if p.active]
            return Placement(len(active) == 1, active[-1] if active else None, True)
        same = [
            p
            for p in files
            if same_title(plan.title, p.title)
            or (_same_file(plan.source, p.source) and (plan.titled_by_name or p.titled_by_name))
        ]
        if same:
            target = same[-1]
            overlap = shared[target.slot]
            if not target.active:
                return Placement(True, target, False, f"同名方案 {target.code} 已关闭", overlap)
            if plan.titled_by_name and overlap < 1 - SAME_TASKS:
                return Placement(
                    False,
                    target,
                    False,
                    f"文件名与方案 {target.code} 相同，但任务大多不同（相同 {overlap:.0%}）",
                    overlap,
                )
            return Placement(True, target, True, "", overlap)
        overlap = shared[nearest.slot]
        same_year = plan.year is not None and plan.year == nearest.year
        if overlap >= ALL_TASKS and same_year and nearest.active:
            return Placement(True, nearest, True, "", overlap)  # retitled, the same tasks
        if overlap >= SAME_TASKS:
            why = (
                f"标题与方案 {nearest.code}《{nearest.short}》不同，但 {overlap:.0%} 的任务与它相同"
            )
            return Placement(same_year, nearest, False, why, overlap)
        return Placement(False, None, True, "", overlap)

    def _by_number(self, slot: int) -> dict[int, tuple[int, TaskRow]]:
        """Plan `slot`'s task records (archived too) by their number: (key, record)."""
        return {
            _number(key, doc): (int(key), cast(TaskRow, doc))
            for key, doc in self._table(TASKS).raw_docs()
            if _slot(doc) == slot
        }

    def _shared_titles(self, plan: Plan, slot: int) -> float:
        """The share of `plan`'s task titles that plan `slot` has too."""
        if not plan.tasks:
            return 0.0
        have = {title_key(t.title) for t in self.tasks(plan=slot)}
        return sum(title_key(t.title) in have for t in plan.tasks) / len(plan.tasks)

    def dry_run(self, plan: Plan, into: int | Literal["new"]) -> ImportCounts:
        """What `import_plan(plan, into=into)` would do, counted, writing nothing."""
        if into == "new":
            return ImportCounts(len(plan.tasks), 0, 0, 0, self._plans.next_code(), False)
        target = self._plans.get(into)
        if target is None:
            raise KeyError(f"no plan in slot {into}")
        existing = self._by_number(target.slot)
        added = changed = unchanged = 0
        seen = set()
        for read in plan.tasks:
            seen.add(read.number)
            if read.number not in existing:
                added += 1
                continue
            key, old = existing[read.number]
            rec = _merged(old, replace(read, id=key, no=read.number, plan=target.slot).to_record())
            if _changes(old, rec) or old.get("archived"):
                changed += 1
            else:
                unchanged += 1
        archived = sum(
            1 for no, (_, old) in existing.items() if no not in seen and not old.get("archived")
        )
        return ImportCounts(added, changed, archived, unchanged, target.code, True)

    def import_plan(
        self,
        plan: Plan,
        *,
        at: datetime,
        actor: int | str | None = "cli",
        responsible: Responsible | None = None,
        into: int | Literal["new", "auto"] = "auto",
    ) -> ImportResult:
        """Load a plan file: as a new plan (`into="new"`) or as a revision of plan slot `into`,
        merged by task number: history and states stay, changes are revisions. Other plans
        are never touched. `"auto"`: where `placement` puts it (its default when unsure).

        `responsible(task) -> [(unit_name, role)]` expands a task to its concrete units so each
        gets a state row; without it the plan's names are used as written.
        """
        record = partial(self._history.record, at=at, actor=actor)  # this import did it
        tasks_table = self._table(TASKS)
        all_docs = cast(dict[int, TaskRow], dict(tasks_table.raw_docs()))
        if into == "auto":
            into = self.placement(plan).into
        made = into == "new"
        if into == "new":
            target = self._plans.create(
                kind="plan",
                title=plan.title,
                year=plan.year,
                source=plan.source,
                at=at,
                actor=actor,
            )
        else:
            found = self._plans.get(into)
            if found is None:
                raise KeyError(f"no plan in slot {into}")
            target = found
            self._plans.set_imported(
                target.slot, title=plan.title, year=plan.year, source=plan.source
            )
        existing = self._by_number(target.slot)
        taken = {int(k) for k in all_docs}
        next_key = max(taken, default=0) + 1
        added, changed, unchanged = [], [], []
        seen = set()
        for read in plan.tasks:
            number = read.number
            seen.add(number)
            old = existing[number][1] if number in existing else None
            if number in existing:
                key = existing[number][0]
            elif target.slot == FIRST_SLOT and number not in taken:
                key = number  # the first plan's keys are its numbers, as before plans
            else:
                key = next_key
            taken.add(key)
            next_key = max(taken) + 1
            task = replace(read, id=key, no=number, plan=target.slot)
            rec = _merged(old, task.to_record())
            if old is None:
                tasks_table.insert(Document({**rec, "revision": 1}, doc_id=key))
                record("plan.task_added", task=key, title=task.title)
                added.append(key)
            else:
                diff = _changes(old, rec)
                if diff or old.get("archived"):
                    revision = int(old.get("revision", 1)) + 1
                    tasks_table.update(
                        {**rec, "archived": False, "revision": revision}, doc_ids=[key]
                    )
                    record("plan.revision", task=key, revision=revision, changes=diff)
                    changed.append(key)
                else:
                    if rec.get("milestones_file") != old.get("milestones_file"):
                        # the file took its cell back, as the chat had it: no edits to keep
                        tasks_table.update({"milestones_file": None}, doc_ids=[key])
                    if "no" not in old:  # a record from before plans: now says its plan
                        tasks_table.update({"no": number, "plan": target.slot}, doc_ids=[key])
                    unchanged.append(key)
            self._parts.ensure(key, _pairs(task, responsible))
        archived = []
        for number, (key, old) in existing.items():
            if number not in seen and not old.get("archived"):
                tasks_table.update({"archived": True}, doc_ids=[key])
                record("plan.task_archived", task=key)
                archived.append(key)
        if self._office.meta("imported_at") is None:
            # The day the first plan came into use (each plan keeps its own in its record).
            self._office.set_meta("imported_at", iso(at))
        self._office.set_meta("plan_year", plan.year)
        self._office.set_meta("plan_source", plan.source)
        record(
            "plan.import",
            source=plan.source,
            added=added,
            changed=changed,
            archived=archived,
            plan=target.slot,
            code=target.code,
        )
        return ImportResult(
            added, changed, archived, unchanged, self._plans.get(target.slot), new=made
        )

    def assign(
        self,
        *,
        leads: Sequence[str],
        supporters: Sequence[str] = (),
        due: date,
        due_text: str,
        title: str,
        text: str,
        at: datetime,
        actor: int | str | None,
        responsible: Responsible | None = None,
    ) -> Task:
        """An item assigned in chat (交办事项): the next task of the standing list of kind
        `assigned` (made on first use), due once on `due`, with a part for each unit (the
        first of `leads` leads, as do the others of `leads`; `supporters` support)."""
        plan = self._plans.assigned() or self._plans.create(
            kind="assigned", title=ASSIGNED_TITLE, year=None, source="", at=at, actor=actor
        )
        tasks_table = self._table(TASKS)
        numbers, keys = [0], [0]
        for key, doc in tasks_table.raw_docs():
            keys.append(int(key))
            if _slot(doc) == plan.slot:
                numbers.append(_number(key, doc))
        key, number = max(keys) + 1, max(numbers) + 1
        task = Task(
            id=key,
            category_no=0,  # no numbered group, as a plan without categories
            category=ASSIGNED_TITLE,
            title=title,
            text=text,
            deadline=Deadline(kind="once", text=due_text, due=due),
            leads=tuple(leads),
            supporters=tuple(u for u in supporters if u not in leads),
            no=number,
            plan=plan.slot,
        )
        found, fresh = self._found_or_inserted(TASKS, {**task.to_record(), "revision": 1})
        if not fresh:  # the same update handled again after a crash: the item it stored
            return Task.from_record(dict(tasks_table.get(doc_id=found) or {}))
        if found != key:  # keys are never reused, so the next free id is the next key
            tasks_table.update({"id": found}, doc_ids=[found])
            task = replace(task, id=found)
        key = found
        self._history.record(
            "plan.task_added",
            at=at,
            actor=actor,
            task=key,
            title=title,
            plan=plan.slot,
            code=plan.code,
            due=due.isoformat(),
        )
        self._parts.ensure(key, _pairs(task, responsible))
        return task

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


def _slot(doc: Mapping[str, Any]) -> int:
    """The slot of a task record's plan (records from before plans: the first plan's)."""
    return int(doc.get("plan") or FIRST_SLOT)


def _number(key: int | str, doc: Mapping[str, Any]) -> int:
    """A task record's number in its plan (records from before plans: their key)."""
    return int(doc.get("no") or key)


def _merged(old: TaskRow | None, rec: dict[str, Any]) -> dict[str, Any]:
    """A file's task `rec` as it is stored over `old`: milestones changed in chat stand while
    the file's cell still gives what it gave; when the file changed it, the file wins."""
    if old is not None and old.get("milestones_file") is not None:
        if rec["milestones"] == old["milestones_file"]:
            rec["milestones"] = old.get("milestones") or []  # the chat's edits stand
            rec["milestones_file"] = old["milestones_file"]
        else:
            rec["milestones_file"] = None  # the file changed its cell: the file wins
    return rec


def _changes(old: TaskRow, rec: dict[str, Any]) -> dict[str, FieldChange]:
    """What a file's task `rec` changes in the stored task `old`, field by field; compared in
    today's shape: a record stored before a field existed (milestones, remarks) has its
    default, not a change."""
    before = Task.from_record(dict(old)).to_record()
    return {
        k: {"old": before.get(k), "new": v}
        for k, v in rec.items()
        if k not in IDENTITY and before.get(k) != v
    }


def _pairs(task: Task, responsible: Responsible | None) -> list[tuple[str, Role]]:
    """The task's (unit, role) pairs: expanded by `responsible`, or as the plan names them."""
    if responsible is not None:
        return [(name, role) for name, role in responsible(task)]
    pairs: list[tuple[str, Role]] = [(u, "lead") for u in task.leads]
    pairs += [(u, "supporter") for u in task.supporters if u not in task.leads]
    return pairs
