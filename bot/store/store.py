"""The durable store: plan, per-unit task state, history, contacts, invites, ledgers.

One process owns a data directory (an flock'd lock file); read-only commands open it without
the lock and see every acknowledged write. Every change of state appends an event to the
history (who, unit, task, when, what). Callers that read, await, then write must hold
`store.lock` (an asyncio.Lock) around the whole sequence.
"""

from __future__ import annotations

import asyncio
import bisect
import fcntl
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, Unpack, cast

from tinydb.table import Document

from bot.plan.model import Plan, Task
from bot.store.journal import JournalDB, JournalStorage, JournalTable
from bot.store.records import (
    ContactRole,
    ContactRow,
    Event,
    EventDetails,
    EventFields,
    EventKind,
    EventRow,
    FieldChange,
    IntakeRow,
    InviteRow,
    LedgerEntry,
    MessageRef,
    MessageRow,
    ParkedFacts,
    ParkedRow,
    PartStatus,
    Role,
    SeenRow,
    StateChanges,
    StateRow,
    TaskMeta,
    TaskRow,
    UnreachableCause,
)

T = TypeVar("T")

STATUSES = frozenset(PartStatus)
# Events that count as the unit reporting progress (they stamp updated_at / updated_by).
PROGRESS_EVENTS: frozenset[EventKind] = frozenset({"status", "note", "evidence", "report"})
LOCK_FILE = "duban.lock"
# A task → its concrete units and their roles, groups expanded.
Responsible = Callable[[Task], Iterable[tuple[str, Role]]]
SEEN_UPDATES_KEPT = 5000


# Records a handler inserts carry the id of the update being handled ("upd"), so that handling
# the same update again after a crash or a failure finds what the first attempt wrote.
_ORIGIN: ContextVar[Origin | None] = ContextVar("duban_origin", default=None)
# Tables of the intake itself, and records keyed by their own identity (re-inserting is harmless).
UNTRACKED_TABLES = frozenset({"intake", "updates_seen", "parked", "ledger", "messages", "meta"})


@dataclass
class Origin:
    """The update whose handling is writing now; `replay` when an earlier attempt may have."""

    update_id: int
    replay: bool = False
    earlier: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    used: Counter[tuple[str, Any, Any, Any]] = field(default_factory=Counter)


def _signature(table: str, doc: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    return table, doc.get("kind"), doc.get("task"), doc.get("unit")


class StoreLocked(RuntimeError):
    """Another `duban run` holds this data directory."""


@dataclass(frozen=True)
class ImportResult:
    added: list[int]
    changed: list[int]
    archived: list[int]
    unchanged: list[int]


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class Store:
    """Domain operations on the TinyDB database in one data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        read_only: bool = False,
        fsync: bool = True,
        datasync: Callable[[int], None] = os.fdatasync,
    ) -> None:
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        self._lock_fh: Any = None
        if not read_only:
            self._acquire_lock()
        self.db = JournalDB(
            self.dir, storage=JournalStorage, read_only=read_only, fsync=fsync, datasync=datasync
        )
        self.lock = asyncio.Lock()
        self._state_ids: dict[tuple[int, str], int] = {}
        # rows of units a revised plan no longer names: kept with their history, out of sight
        self._removed_ids: dict[tuple[int, str], int] = {}
        self._events_by_task: dict[int | None, list[int]] = defaultdict(list)
        self._events_by_unit: dict[str | None, list[int]] = defaultdict(list)
        self._events_by_time: list[tuple[str, int]] = []  # (at, id), sorted
        self._kinds_by_task: dict[int | None, Counter[str]] = defaultdict(Counter)
        self._ledger_ids: dict[str, int] = {}
        self._message_refs: dict[tuple[int, int], list[MessageRef]] = {}
        self._seen: dict[int, int] = {}
        self._intake: dict[int, int] = {}  # update id → doc id of fetched, unhandled updates
        self._derived: dict[str, tuple[Hashable, Any]] = {}  # see derived()
        self._build_indexes()

    # -- lifecycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path | str, *, read_only: bool = False) -> Store:
        return cls(Path(data_dir), read_only=read_only)

    def _acquire_lock(self) -> None:
        self._lock_fh = (self.dir / LOCK_FILE).open("a+")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.seek(0)
            holder = self._lock_fh.read().strip() or "?"
            self._lock_fh.close()
            self._lock_fh = None
            raise StoreLocked(
                f"data directory {self.dir} is in use by another duban process (pid {holder})"
            ) from None
        self._lock_fh.seek(0)
        self._lock_fh.truncate()
        self._lock_fh.write(str(os.getpid()))
        self._lock_fh.flush()

    def close(self) -> None:
        self.db.close()
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def table(self, name: str) -> JournalTable:
        """A TinyDB table of this store (for feature-specific records)."""
        return self.db.table(name)  # type: ignore[return-value]

    @property
    def _storage(self) -> JournalStorage:
        return self.db.storage  # type: ignore[return-value]

    def batch(self) -> AbstractContextManager[None]:
        """Several writes made durable by one fsync at the end (no awaits inside)."""
        return self._storage.one_sync()

    def deferred(self) -> AbstractContextManager[None]:
        """Writes kept at once (a crash of the process loses none) but fsynced by the next
        `sync()`: bookkeeping that may wait a moment for power-cut durability (no awaits)."""
        return self._storage.deferred()

    def sync(self) -> None:
        """Make every write so far durable (callable from a worker thread)."""
        self._storage.sync()

    def unsynced(self) -> bool:
        """Whether a deferred write is not yet durable."""
        return self._storage.unsynced()

    def version(self, *tables: str) -> tuple[tuple[int, int], ...]:
        """The tables' change counters: a value derived from them is current while this is."""
        return tuple(self._storage.version(name) for name in tables)

    def derived(
        self, name: str, tables: tuple[str, ...], key: Hashable, compute: Callable[[], T]
    ) -> T:
        """`compute()`, remembered while `tables` are unchanged and `key` is the same: for a
        view read far more often than the records behind it change (the /status overview).
        The value is shared: callers must not change it."""
        full = (self.version(*tables), key)
        hit = self._derived.get(name)
        if hit is not None and hit[0] == full:
            return cast(T, hit[1])
        value = compute()
        self._derived[name] = (full, value)
        return value

    def _build_indexes(self) -> None:
        for doc_id, doc in self.table("states").raw_docs():
            ids = self._removed_ids if doc.get("removed") else self._state_ids
            ids[(doc["task"], doc["unit"])] = doc_id
        for doc_id, doc in self.table("events").raw_docs():
            self._index_event(doc_id, doc)
        for doc_id, doc in self.table("ledger").raw_docs():
            self._ledger_ids[doc["key"]] = doc_id
        for _, doc in self.table("messages").raw_docs():
            if doc.get("kind") == "forget":  # the message was edited to be about other tasks
                self._message_refs.pop((doc["chat"], doc["msg"]), None)
                continue
            self._message_refs.setdefault((doc["chat"], doc["msg"]), []).append(
                (doc["task"], doc.get("unit"))
            )
        for doc_id, doc in self.table("updates_seen").raw_docs():
            self._seen[doc["u"]] = doc_id
        for doc_id, doc in self.table("intake").raw_docs():
            self._intake[doc["u"]] = doc_id

    def _index_event(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        self._events_by_task[doc.get("task")].append(doc_id)
        self._events_by_unit[doc.get("unit")].append(doc_id)
        self._kinds_by_task[doc.get("task")][doc.get("kind", "")] += 1
        key = (doc.get("at", ""), doc_id)
        if not self._events_by_time or key >= self._events_by_time[-1]:
            self._events_by_time.append(key)
        else:  # a rehearsal clock set back in time
            bisect.insort(self._events_by_time, key)

    # -- meta -------------------------------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        doc: dict[str, Any] = dict(self.table("meta").get(doc_id=1) or {})
        return doc.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        meta = self.table("meta")
        if meta.get(doc_id=1) is None:
            meta.insert(Document({key: value}, doc_id=1))
        else:
            meta.update({key: value}, doc_ids=[1])

    def coordinator_names(self) -> dict[int, str]:
        """The names coordinators go by (their Telegram names, as last seen), by user id."""
        raw = self.meta("coordinator_names") or {}
        return {int(uid): str(name) for uid, name in raw.items() if str(uid).lstrip("-").isdigit()}

    def remember_coordinator(self, user_id: int, name: str) -> bool:
        """Keep a coordinator's name for the views and the export; True when it changed."""
        names = dict(self.meta("coordinator_names") or {})
        if not name or names.get(str(user_id)) == name:
            return False
        names[str(user_id)] = name
        self.set_meta("coordinator_names", names)
        return True

    # -- history ----------------------------------------------------------------------------
    def record(
        self,
        kind: EventKind,
        *,
        at: datetime,
        actor: int | str | None,
        task: int | None = None,
        unit: str | None = None,
        **data: Unpack[EventFields],
    ) -> Event:
        """Append one event to the history; returns it (with its id)."""
        doc: EventRow = {
            "at": _iso(at),
            "actor": actor,
            "task": task,
            "unit": unit,
            "kind": kind,
            **data,
        }
        doc_id, fresh = self._insert_once("events", doc)
        if not fresh:
            stored = cast(EventRow, self.table("events").get(doc_id=doc_id))
            return {"id": doc_id, **stored}
        self._index_event(doc_id, doc)
        return {"id": doc_id, **doc}

    # -- applying an update once --------------------------------------------------------------
    @contextmanager
    def origin(self, update_id: int, *, replay: bool) -> Iterator[Origin]:
        """Writes inside come from handling update `update_id` (per asyncio task).

        With `replay` (an earlier attempt may have written), the n-th record of a kind about a
        task and unit that the earlier attempt already wrote is found instead of written again.
        """
        found = Origin(update_id, replay)
        if replay:
            for name in self.db.tables():
                if name in UNTRACKED_TABLES:
                    continue
                for doc_id, doc in self.table(name).raw_docs():
                    if doc.get("upd") == update_id:
                        found.earlier.setdefault(name, []).append((doc_id, doc))
        token = _ORIGIN.set(found)
        try:
            yield found
        finally:
            _ORIGIN.reset(token)

    def insert_once(self, table: str, doc: Mapping[str, Any]) -> int:
        """Insert a record made while handling an update: once, however often it is handled.

        The record (a dict: a row TypedDict) gains the update's id under "upd" in place.
        """
        return self._insert_once(table, doc)[0]

    def _insert_once(self, table: str, doc: Mapping[str, Any]) -> tuple[int, bool]:
        origin = _ORIGIN.get()
        if origin is None or table in UNTRACKED_TABLES:
            return self.table(table).insert(doc), True
        assert isinstance(doc, dict)  # every row TypedDict is one
        doc["upd"] = origin.update_id
        if origin.replay:
            signature = _signature(table, doc)
            nth = origin.used[signature]
            origin.used[signature] += 1
            same = [
                i for i, d in origin.earlier.get(table, ()) if _signature(table, d) == signature
            ]
            if nth < len(same) and self.table(table).contains(doc_id=same[nth]):
                return same[nth], False
        return self.table(table).insert(doc), True

    def first_event(self) -> EventRow | None:
        """The oldest event: when the store started tracking."""
        doc = self.table("events").get(doc_id=1)
        return cast(EventRow, doc) if isinstance(doc, Mapping) else None

    def events(
        self,
        *,
        task: int | None = None,
        unit: str | None = None,
        kinds: Iterable[EventKind] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        where: Callable[[EventRow], bool] | None = None,
        last: int | None = None,
    ) -> list[Event]:
        """History in order of recording, filtered; served from in-memory indexes.

        `where(event)` filters further; `last=N` keeps only the newest N matches, looking at
        no more than it must (a task's recent history costs the same at any history length).
        """
        table = cast(dict[str, EventRow], self.table("events")._read_table())
        lo = _iso(since) if since else None
        hi = _iso(until) if until else None
        ids: Iterable[int]
        if task is not None:
            ids = self._events_by_task.get(task, [])
        elif unit is not None:
            ids = self._events_by_unit.get(unit, [])
        elif lo or hi:
            times = self._events_by_time
            start = bisect.bisect_left(times, (lo,)) if lo else 0
            end = bisect.bisect_left(times, (hi,)) if hi else len(times)
            ids = sorted(doc_id for _, doc_id in times[start:end])
        else:
            ids = [int(k) for k in table]
        if last is not None:
            ids = reversed(list(ids) if not isinstance(ids, list) else ids)
        wanted = set(kinds) if kinds is not None else None
        out: list[Event] = []
        for doc_id in ids:
            if last is not None and len(out) >= last:
                break
            doc = table.get(str(doc_id))
            if doc is None:
                continue
            if unit is not None and doc.get("unit") != unit:
                continue
            if wanted is not None and doc["kind"] not in wanted:
                continue
            if (lo and doc["at"] < lo) or (hi and doc["at"] >= hi):
                continue
            if where is not None and not where(doc):
                continue
            out.append({"id": doc_id, **doc})
        return out[::-1] if last is not None else out

    def event_kinds(self, task: int | None) -> Counter[str]:
        """How many events of each kind a task's history holds (None: events of no task)."""
        return Counter(self._kinds_by_task.get(task, ()))

    def event_count(self) -> int:
        return len(self.table("events"))

    # -- plan -------------------------------------------------------------------------------
    def imported_at(self) -> datetime | None:
        """When the plan was first imported (stores from before this was kept: the first
        import event)."""
        raw = self.meta("imported_at")
        if raw is None:
            cached = getattr(self, "_first_import", None)
            if cached is None:
                first = next(iter(self.events(kinds=["plan.import"])), None)
                cached = self._first_import = first["at"] if first else ""
            raw = cached or None
        return datetime.fromisoformat(raw) if raw else None

    def has_plan(self) -> bool:
        return len(self.table("tasks")) > 0

    def tasks(self, *, include_archived: bool = False) -> list[Task]:
        docs = sorted(self.table("tasks").raw_docs())
        return [
            Task.from_record(doc) for _, doc in docs if include_archived or not doc.get("archived")
        ]

    def task(self, task_id: int) -> Task | None:
        doc = self.table("tasks").get(doc_id=task_id)
        if doc is None or doc.get("archived"):
            return None
        return Task.from_record(doc)

    def task_meta(self, task_id: int) -> TaskMeta:
        """Store-side facts of a task: archived, closed, revision."""
        doc: dict[str, Any] = dict(self.table("tasks").get(doc_id=task_id) or {})
        return {
            "archived": doc.get("archived"),
            "closed": doc.get("closed"),
            "revision": doc.get("revision"),
        }

    def closed_tasks(self) -> set[int]:
        """The tasks whose completion a coordinator approved (办结)."""
        docs = self.table("tasks").raw_docs()
        return {int(i) for i, doc in docs if doc.get("closed") and not doc.get("archived")}

    def set_task_closed(self, task_id: int, closed: bool) -> None:
        self.table("tasks").update({"closed": closed}, doc_ids=[task_id])

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
        tasks_table = self.table("tasks")
        existing = cast(dict[int, TaskRow], dict(tasks_table.raw_docs()))
        added, changed, unchanged = [], [], []
        seen = set()
        for task in plan.tasks:
            seen.add(task.id)
            rec = task.to_record()
            old = existing.get(task.id)
            if old is None:
                tasks_table.insert(Document({**rec, "revision": 1}, doc_id=task.id))
                self.record("plan.task_added", at=at, actor=actor, task=task.id, title=task.title)
                added.append(task.id)
            else:
                # compared in today's shape: a record stored before a field existed (milestones,
                # remarks) has its default, not a change
                before = Task.from_record(dict(old)).to_record()
                diff: dict[str, FieldChange] = {
                    k: {"old": before.get(k), "new": v}
                    for k, v in rec.items()
                    if k != "line" and before.get(k) != v
                }
                if diff or old.get("archived"):
                    revision = int(old.get("revision", 1)) + 1
                    tasks_table.update(
                        {**rec, "archived": False, "revision": revision}, doc_ids=[task.id]
                    )
                    self.record(
                        "plan.revision",
                        at=at,
                        actor=actor,
                        task=task.id,
                        revision=revision,
                        changes=diff,
                    )
                    changed.append(task.id)
                else:
                    unchanged.append(task.id)
            self._ensure_states(task, responsible)
        archived = []
        for task_id, old in existing.items():
            if task_id not in seen and not old.get("archived"):
                tasks_table.update({"archived": True}, doc_ids=[task_id])
                self.record("plan.task_archived", at=at, actor=actor, task=task_id)
                archived.append(task_id)
        if self.meta("imported_at") is None:
            # The day the plan came into use: nothing due before it is chased or escalated.
            self.set_meta("imported_at", _iso(at))
        self.set_meta("plan_year", plan.year)
        self.set_meta("plan_source", plan.source)
        self.record(
            "plan.import",
            at=at,
            actor=actor,
            source=plan.source,
            added=added,
            changed=changed,
            archived=archived,
        )
        return ImportResult(added, changed, archived, unchanged)

    def _ensure_states(self, task: Task, responsible: Responsible | None) -> None:
        if responsible is not None:
            pairs = [(name, role) for name, role in responsible(task)]
        else:
            pairs = [(u, "lead") for u in task.leads]
            pairs += [(u, "supporter") for u in task.supporters if u not in task.leads]
        states = self.table("states")
        named = {name for name, _ in pairs}
        for key, doc_id in list(self._state_ids.items()):
            if key[0] == task.id and key[1] not in named:
                # the revision took the unit off the task: no more reminders, history kept
                states.update({"removed": True}, doc_ids=[doc_id])
                self._removed_ids[key] = self._state_ids.pop(key)
        for name, role in pairs:
            key = (task.id, name)
            if key in self._removed_ids:
                doc_id = self._removed_ids.pop(key)
                states.update({"removed": False, "role": role}, doc_ids=[doc_id])
                self._state_ids[key] = doc_id
                continue
            if key in self._state_ids:
                doc_id = self._state_ids[key]
                current: dict[str, Any] = dict(self.table("states").get(doc_id=doc_id) or {})
                if current.get("role") != role:
                    self.table("states").update({"role": role}, doc_ids=[doc_id])
                continue
            row: StateRow = {
                "task": task.id,
                "unit": name,
                "role": role,
                "status": PartStatus.TODO,
                "percent": None,
                "note": None,
                "updated_at": None,
                "updated_by": None,
                "claim": None,
                "due_override": None,
                "snoozed_until": None,
                "reported": [],
            }
            self._state_ids[key] = self.table("states").insert(row)

    # -- per-unit state ---------------------------------------------------------------------
    def state(self, task_id: int, unit: str) -> StateRow | None:
        doc_id = self._state_ids.get((task_id, unit))
        if doc_id is None:
            return None
        return cast(StateRow, dict(self.table("states").get(doc_id=doc_id) or {}))

    def states(self, *, task: int | None = None, unit: str | None = None) -> list[StateRow]:
        """State rows (copies), ordered by task then role (leads first) then unit order."""
        raw = cast(dict[str, StateRow], self.table("states")._read_table())
        out: list[StateRow] = []
        for (task_id, name), doc_id in self._state_ids.items():
            if (task is None or task_id == task) and (unit is None or name == unit):
                out.append(raw[str(doc_id)].copy())
        return out

    def update_state(
        self,
        task_id: int,
        unit: str,
        *,
        at: datetime,
        actor: int | str | None,
        event: EventKind = "status",
        details: EventDetails | None = None,
        **changes: Unpack[StateChanges],
    ) -> StateRow:
        """Change a unit's state of a task and record the change in the history.

        `details` go into the history event only (e.g. on_behalf), never into the state row.
        """
        doc_id = self._state_ids.get((task_id, unit))
        if doc_id is None:
            raise KeyError(f"unit {unit!r} has no part in task {task_id}")
        if "status" in changes and changes["status"] not in STATUSES:
            raise ValueError(f"unknown status {changes['status']!r}")
        stamp = (
            {"updated_at": _iso(at), "updated_by": actor, "updated_with": None}
            if event in PROGRESS_EVENTS
            else {}
        )
        if "status" in changes and "done_at" not in changes:
            # When the part was completed, for on-time rates: later notes must not move it.
            before = self.state(task_id, unit)
            if changes["status"] == "done" and (before is None or before.get("status") != "done"):
                changes["done_at"] = _iso(at)
            elif changes["status"] != "done":
                changes["done_at"] = None
        self.table("states").update({**changes, **stamp}, doc_ids=[doc_id])
        self.record(
            event, at=at, actor=actor, task=task_id, unit=unit, **changes, **(details or {})
        )
        row = self.state(task_id, unit)
        assert row is not None  # its doc id was found above
        return row

    def touch_state(
        self, task_id: int, unit: str, *, at: datetime, actor: int | str | None, what: str
    ) -> bool:
        """Stamp a part's updated_at/updated_by for progress reported outside the state row
        (`what`: "activity", a 诚信建设万里行 activity, or "rectify", a 专项治理 report); no event
        of its own, never backwards. The part's note stays the unit's last note, which is older.

        False when the unit has no part in the task.
        """
        doc_id = self._state_ids.get((task_id, unit))
        if doc_id is None:
            return False
        row = self.state(task_id, unit)
        current = row.get("updated_at") if row is not None else None
        try:
            newer = not current or at > datetime.fromisoformat(str(current))
        except (TypeError, ValueError):  # naive against aware, or a malformed stamp
            newer = True
        if newer:
            self.table("states").update(
                {"updated_at": _iso(at), "updated_by": actor, "updated_with": what},
                doc_ids=[doc_id],
            )
        return True

    # -- contacts ---------------------------------------------------------------------------
    def contacts(self, unit: str | None = None, *, former: bool = False) -> list[ContactRow]:
        """Bound contacts (of one unit when given); with `former`, those since unbound too."""
        return [
            cast(ContactRow, dict(doc))
            for _, doc in self.table("contacts").raw_docs()
            if (former or doc.get("active", True)) and (unit is None or doc["unit"] == unit)
        ]

    def units_of(self, user_id: int) -> list[str]:
        """The units a user is bound to, in binding order. Every update asks this (who is
        writing?): the index is built once per change of the contacts table, not per call."""
        return list(self._units_by_user().get(user_id, ()))

    def _units_by_user(self) -> dict[int, tuple[str, ...]]:
        def compute() -> dict[int, tuple[str, ...]]:
            units: dict[int, list[str]] = {}
            for _, doc in self.table("contacts").raw_docs():
                if doc.get("active", True):
                    units.setdefault(doc["user_id"], []).append(doc["unit"])
            return {user: tuple(found) for user, found in units.items()}

        return self.derived("units_by_user", ("contacts",), None, compute)

    def bind_contact(
        self,
        user_id: int,
        unit: str,
        *,
        name: str,
        at: datetime,
        username: str | None = None,
        via: str | None = None,
        role: ContactRole = "liaison",
    ) -> None:
        table = self.table("contacts")
        for doc_id, doc in table.raw_docs():
            if doc["user_id"] == user_id and doc["unit"] == unit:
                table.update(
                    {"active": True, "name": name, "reachable": True, "role": role},
                    doc_ids=[doc_id],
                )
                break
        else:
            contact: ContactRow = {
                "user_id": user_id,
                "unit": unit,
                "name": name,
                "username": username,
                "bound_at": _iso(at),
                "active": True,
                "reachable": True,
                "role": role,
            }
            table.insert(contact)
        self.record(
            "contact.bind", at=at, actor=user_id, unit=unit, name=name, invite=via, role=role
        )

    def contact(self, user_id: int, unit: str) -> ContactRow | None:
        """The user's active binding to a unit, if any."""
        return next((c for c in self.contacts(unit) if c["user_id"] == user_id), None)

    def unbind_contact(self, user_id: int, unit: str, *, at: datetime, actor: int) -> bool:
        table = self.table("contacts")
        for doc_id, doc in table.raw_docs():
            if doc["user_id"] == user_id and doc["unit"] == unit and doc.get("active", True):
                table.update({"active": False}, doc_ids=[doc_id])
                self.record("contact.unbind", at=at, actor=actor, unit=unit, user_id=user_id)
                return True
        return False

    def set_reachable(
        self,
        user_id: int,
        reachable: bool,
        *,
        at: datetime,
        cause: UnreachableCause | None = None,
    ) -> bool:
        """Mark a contact (un)reachable, recording why (`cause`) when known; True when this
        changed anything."""
        table = self.table("contacts")
        ids = [
            i
            for i, d in table.raw_docs()
            if d["user_id"] == user_id and d.get("reachable", True) != reachable
        ]
        if ids:
            table.update({"reachable": reachable}, doc_ids=ids)
            fields: EventFields = {"user_id": user_id, "reachable": reachable}
            if cause:
                fields["cause"] = cause
            self.record("contact.reachable", at=at, actor=None, **fields)
        return bool(ids)

    # -- invites ----------------------------------------------------------------------------
    def create_invite(
        self,
        unit: str,
        *,
        at: datetime,
        actor: int,
        ttl: timedelta = timedelta(days=7),
        role: ContactRole = "liaison",
    ) -> str:
        code = secrets.token_urlsafe(12)
        invite: InviteRow = {
            "code": code,
            "unit": unit,
            "created_by": actor,
            "created_at": _iso(at),
            "expires_at": _iso(at + ttl),
            "used_by": None,
            "used_at": None,
            "role": role,
        }
        self.table("invites").insert(invite)
        self.record("invite.create", at=at, actor=actor, unit=unit, role=role)
        return code

    def redeem_invite(
        self, code: str, user_id: int, *, name: str, at: datetime, username: str | None = None
    ) -> tuple[str | None, str]:
        """Bind the user through an invite: (unit, "ok") or (None, "unknown"|"used"|"expired")."""
        table = self.table("invites")
        for doc_id, doc in table.raw_docs():
            if not secrets.compare_digest(doc["code"], code):
                continue
            if doc["used_by"] is not None:
                return None, "used"
            if _iso(at) >= doc["expires_at"]:
                return None, "expired"
            table.update({"used_by": user_id, "used_at": _iso(at)}, doc_ids=[doc_id])
            self.bind_contact(
                user_id,
                doc["unit"],
                name=name,
                at=at,
                username=username,
                via=code[:4],
                role=doc.get("role") or "liaison",
            )
            return doc["unit"], "ok"
        return None, "unknown"

    # -- serial numbers -----------------------------------------------------------------------
    def take_serial(self, series: str, year: int) -> int:
        """The next number of a yearly series (督办单: "slip"): 1, 2, …, never handed out twice.

        Kept in the store's meta, so a restart continues where the last number left off; the
        caller records what the number was used for in the same batch.
        """
        key = f"serial:{series}:{year}"
        number = int(self.meta(key, 0)) + 1
        self.set_meta(key, number)
        return number

    # -- intake: every update fetched is kept until handled -----------------------------------
    def take_in(self, updates: Iterable[Mapping[str, Any]]) -> int:
        """Keep fetched updates (Bot API dicts) durably, one fsync for all; how many were new.

        Updates already handled or already kept are skipped: Telegram redelivers.
        """
        table, added = self.table("intake"), 0
        with self.batch():
            for raw in updates:
                uid = raw.get("update_id")
                if not isinstance(uid, int) or uid in self._seen or uid in self._intake:
                    continue
                kept: IntakeRow = {"u": uid, "d": dict(raw), "starts": 0, "fails": 0}
                self._intake[uid] = table.insert(kept)
                added += 1
        return added

    def intake_pending(self) -> list[IntakeRow]:
        """Updates kept but not yet handled, oldest first."""
        table = cast(dict[str, IntakeRow], self.table("intake")._read_table())
        return [table[str(doc_id)].copy() for _, doc_id in sorted(self._intake.items())]

    def kept(self, update_id: int) -> bool:
        """Whether this update is in the intake already, or was handled."""
        return update_id in self._intake or update_id in self._seen

    def intake_entry(self, update_id: int) -> IntakeRow | None:
        doc_id = self._intake.get(update_id)
        doc = self.table("intake").get(doc_id=doc_id) if doc_id is not None else None
        return cast(IntakeRow, dict(doc)) if doc is not None else None

    def intake_count(self, update_id: int, field_name: str) -> int:
        """Count one more start or failure of handling a kept update; the new count."""
        doc_id = self._intake.get(update_id)
        if doc_id is None:
            return 0
        doc: Mapping[str, Any] = self.table("intake").get(doc_id=doc_id) or {}
        count = int(doc.get(field_name, 0)) + 1
        self.table("intake").update({field_name: count}, doc_ids=[doc_id])
        return count

    def update_handled(self, update_id: int) -> bool:
        """Whether this update was handled to the end (or parked) already."""
        return update_id in self._seen

    def last_handled_update(self) -> int:
        """The highest update id recorded as handled (0: none)."""
        return max(self._seen, default=0)

    def finish_update(self, update_id: int, *, parked: ParkedFacts | None = None) -> None:
        """The update is handled (or parked with `parked` facts): never handle it again."""
        with self.batch():
            self.seen_update(update_id)
            doc_id = self._intake.pop(update_id, None)
            if parked is not None:
                entry = self.table("intake").get(doc_id=doc_id) if doc_id is not None else None
                row: ParkedRow = {"u": update_id, "d": dict(entry or {}).get("d"), **parked}
                self.table("parked").insert(row)
            if doc_id is not None:
                self.table("intake").remove(doc_ids=[doc_id])

    def parked(self) -> list[ParkedRow]:
        return [cast(ParkedRow, dict(doc)) for _, doc in self.table("parked").raw_docs()]

    # -- idempotence ledgers ----------------------------------------------------------------
    def seen_update(self, update_id: int) -> bool:
        """Record a handled update id; False the first time, True when it was seen before."""
        if update_id in self._seen:
            return True
        table = self.table("updates_seen")
        seen: SeenRow = {"u": update_id}
        self._seen[update_id] = table.insert(seen)
        if len(self._seen) > SEEN_UPDATES_KEPT * 2:
            # Telegram redelivers only the last unconfirmed batch: old ids need not be kept.
            oldest = sorted(self._seen.items(), key=lambda kv: kv[1])[:SEEN_UPDATES_KEPT]
            table.remove(doc_ids=[doc_id for _, doc_id in oldest])
            for uid, _ in oldest:
                del self._seen[uid]
        return False

    def ledger_get(self, key: str) -> LedgerEntry | None:
        doc_id = self._ledger_ids.get(key)
        doc = self.table("ledger").get(doc_id=doc_id) if doc_id is not None else None
        return cast(LedgerEntry, dict(doc)) if doc is not None else None

    def ledger_put(self, key: str, **fields: Any) -> None:
        """Create or update a ledger entry (reminders sent, summaries posted, …).

        The fields are the key's owner's to choose (JSON values; LedgerFields lists them).
        """
        doc_id = self._ledger_ids.get(key)
        if doc_id is not None:
            self.table("ledger").update(fields, doc_ids=[doc_id])
        else:
            self._ledger_ids[key] = self.table("ledger").insert({"key": key, **fields})

    def ledger(self, prefix: str = "") -> Iterator[LedgerEntry]:
        for _, doc in self.table("ledger").raw_docs():
            if doc["key"].startswith(prefix):
                yield cast(LedgerEntry, dict(doc))

    # -- which bot message is about which task ----------------------------------------------
    def remember_message(
        self,
        chat_id: int,
        message_id: int,
        *,
        task: int,
        unit: str | None = None,
        kind: str = "card",
    ) -> None:
        """Remember that a bot message concerns task (and unit), so replies to it count.

        A message about several tasks (a morning digest) is remembered once per task.
        """
        refs = self._message_refs.setdefault((chat_id, message_id), [])
        if (task, unit) in refs:
            return
        row: MessageRow = {
            "chat": chat_id,
            "msg": message_id,
            "task": task,
            "unit": unit,
            "kind": kind,
        }
        self.table("messages").insert(row)
        refs.append((task, unit))

    def forget_message(self, chat_id: int, message_id: int) -> None:
        """Forget what a bot message is about (it was edited: a list became a card, or back).

        Appends a marker rather than removing rows, so the table stays append-only.
        """
        if self._message_refs.pop((chat_id, message_id), None) is None:
            return
        row: MessageRow = {
            "chat": chat_id,
            "msg": message_id,
            "task": None,
            "unit": None,
            "kind": "forget",
        }
        self.table("messages").insert(row)

    def message_refs(self, chat_id: int, message_id: int) -> list[MessageRef]:
        """Every (task, unit) a bot message is about; [] for a message the bot does not know."""
        return list(self._message_refs.get((chat_id, message_id), ()))

    def message_ref(
        self, chat_id: int, message_id: int, task: int | None = None
    ) -> MessageRef | None:
        """The (task, unit) a bot message is about: the one for `task` when given, otherwise
        the message's only task (None when it covers several and the caller must ask)."""
        refs = self._message_refs.get((chat_id, message_id), [])
        if task is not None:
            return next((ref for ref in refs if ref[0] == task), None)
        return refs[0] if len({t for t, _ in refs}) == 1 else None
