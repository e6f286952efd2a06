"""The history (table "events"): every change of state, who made it, about which task and unit.

Appended to, never rewritten; served from in-memory indexes by task, unit and time. A closed
plan's history moves out of the store into a journal of its own, `plans/<slot>/` in the data
directory (table "archives" says whose tasks' events went there), so the years of plans no
longer followed cost nothing at start-up, per write or per /status; it is read (once, then
kept) when one of those tasks' history is asked for, and moves back when the plan reopens.
Event ids stay unique across the store and its archives: new events are numbered above every
id an archive holds (undo marks in the ledger name events by id).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack, cast

from tinydb.table import Document

from bot.store.journal import add_documents, fsync_dir, read_table
from bot.store.records import ArchiveRow, Event, EventFields, EventKind, EventRow
from bot.store.repository import Repository, UnitOfWork, iso

EVENTS = "events"
ARCHIVES = "archives"
ARCHIVE_DIR = "plans"  # in the data directory: one journal per closed plan, by slot
ARCHIVES_KEPT = 2  # closed plans' histories kept in memory once read (the last ones read)


class _Index:
    """One partition's events (the store's, or a closed plan's) by task, unit and time."""

    def __init__(self, docs: Mapping[str, EventRow]) -> None:
        self.by_task: dict[int | None, list[int]] = defaultdict(list)
        self.by_unit: dict[str | None, list[int]] = defaultdict(list)
        self.by_time: list[tuple[str, int]] = []  # (at, id), sorted
        self.kinds_by_task: dict[int | None, Counter[str]] = defaultdict(Counter)
        for doc_id in sorted(int(k) for k in docs):
            self.add(doc_id, docs[str(doc_id)])

    def add(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        self.by_task[doc.get("task")].append(doc_id)
        self.by_unit[doc.get("unit")].append(doc_id)
        self.kinds_by_task[doc.get("task")][doc.get("kind", "")] += 1
        key = (doc.get("at", ""), doc_id)
        if not self.by_time or key >= self.by_time[-1]:
            self.by_time.append(key)
        else:  # a rehearsal clock set back in time
            bisect.insort(self.by_time, key)

    def select(
        self,
        docs: Mapping[str, EventRow],
        *,
        task: int | None,
        unit: str | None,
        kinds: Iterable[EventKind] | None,
        lo: str | None,
        hi: str | None,
        where: Callable[[EventRow], bool] | None,
        last: int | None,
    ) -> list[Event]:
        ids: Iterable[int]
        if task is not None:
            ids = self.by_task.get(task, [])
        elif unit is not None:
            ids = self.by_unit.get(unit, [])
        elif lo or hi:
            times = self.by_time
            start = bisect.bisect_left(times, (lo,)) if lo else 0
            end = bisect.bisect_left(times, (hi,)) if hi else len(times)
            ids = sorted(doc_id for _, doc_id in times[start:end])
        else:
            ids = sorted(int(k) for k in docs)  # events back from an archive are stored last
        if last is not None:
            ids = reversed(list(ids) if not isinstance(ids, list) else ids)
        wanted = set(kinds) if kinds is not None else None
        out: list[Event] = []
        for doc_id in ids:
            if last is not None and len(out) >= last:
                break
            doc = docs.get(str(doc_id))
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


class _Archive:
    """A closed plan's history as its journal holds it, read once and kept (read-only)."""

    def __init__(self, directory: Path) -> None:
        self.docs = cast(dict[str, EventRow], read_table(directory, EVENTS))
        self.index = _Index(self.docs)


class History(Repository):
    """The events table and its indexes, and the closed plans' histories beside it."""

    tables = (EVENTS, ARCHIVES)

    def __init__(self, uow: UnitOfWork, *, archives: Path, fsync: bool = True) -> None:
        """`archives`: the directory of the closed plans' journals (`plans/` in the data
        directory)."""
        super().__init__(uow)
        self._dir = archives
        self._fsync = fsync
        self._archives: dict[int, _Archive] = {}  # slot → its history, in the order read
        self._reload()

    def _docs(self) -> dict[str, EventRow]:
        return cast(dict[str, EventRow], self._table(EVENTS)._read_table())

    def _reload(self) -> None:
        """Index the store's events again and learn which tasks' history is archived where."""
        self._hot = _Index(self._docs())
        records = self.archived()
        self._slot_of = {task: slot for slot, row in records.items() for task in row["tasks"]}
        self._table(EVENTS).keep_ids_above(max((r["last"] for r in records.values()), default=0))

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
            "at": iso(at),
            "actor": actor,
            "task": task,
            "unit": unit,
            "kind": kind,
            **data,
        }
        doc_id, fresh = self._found_or_inserted(EVENTS, doc)
        if not fresh:
            stored = cast(EventRow, self._table(EVENTS).get(doc_id=doc_id))
            return {"id": doc_id, **stored}
        self._hot.add(doc_id, doc)
        return {"id": doc_id, **doc}

    def first_event(self) -> EventRow | None:
        """The oldest event: when the store started tracking."""
        doc = self._table(EVENTS).get(doc_id=1)
        if isinstance(doc, Mapping):
            return cast(EventRow, doc)
        for row in self.archived().values():
            first = row["first"]
            if first is not None and first["id"] == 1:
                return cast(EventRow, {k: v for k, v in first.items() if k != "id"})
        return None

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
        closed: bool = False,
    ) -> list[Event]:
        """History in order of recording, filtered; served from in-memory indexes.

        `where(event)` filters further; `last=N` keeps only the newest N matches, looking at
        no more than it must (a task's recent history costs the same at any history length).
        A task's history is whole whatever its plan; without a task, the events of closed
        plans' tasks are left out unless `closed` (they are read from the plans' archives).
        """
        query: dict[str, Any] = {
            "task": task,
            "unit": unit,
            "kinds": kinds,
            "lo": iso(since) if since else None,
            "hi": iso(until) if until else None,
            "where": where,
            "last": last,
        }
        found = self._hot.select(self._docs(), **query)
        if task is not None:
            slots = [self._slot_of[task]] if task in self._slot_of else []
        else:
            slots = sorted(self.archived()) if closed else []
        if not slots:
            return found
        merged = {e["id"]: e for e in found}
        for slot in slots:
            archive = self._archive(slot)
            merged.update((e["id"], e) for e in archive.index.select(archive.docs, **query))
        out = [merged[i] for i in sorted(merged)]
        return out[max(0, len(out) - last) :] if last is not None else out

    def event_kinds(self, task: int | None) -> Counter[str]:
        """How many events of each kind a task's history holds (None: events of no task)."""
        counts = Counter(self._hot.kinds_by_task.get(task, ()))
        if task is not None and task in self._slot_of:
            counts.update(self._archive(self._slot_of[task]).index.kinds_by_task.get(task, ()))
        return counts

    def event_count(self, *, closed: bool = False) -> int:
        """How many events the store holds (with `closed`, and the closed plans' archives)."""
        moved = sum(r["events"] for r in self.archived().values()) if closed else 0
        return len(self._table(EVENTS)) + moved

    # -- closed plans' histories ---------------------------------------------------------------
    def archived(self) -> dict[int, ArchiveRow]:
        """The closed plans whose history is archived, by slot."""
        return {slot: cast(ArchiveRow, doc) for slot, doc in self._table(ARCHIVES).raw_docs()}

    def needs_archive(self, slot: int, tasks: Iterable[int]) -> bool:
        """Whether some of `tasks`' events (plan `slot`'s, a closed plan) are still here."""
        row = self.archived().get(slot)
        keys = set(tasks)
        if row is None or not keys <= set(row["tasks"]):
            return True
        return any(self._hot.by_task.get(key) for key in keys)

    def archive(self, slot: int, tasks: Iterable[int]) -> int:
        """Move the history of closed plan `slot`'s `tasks` out of the store into the plan's
        own journal; how many events moved.

        Safe to cut short anywhere (kill -9) and to do again, which finishes it: the archive
        is written and fsynced first, then recorded here, then the events leave the store in
        one journal entry, so each event is always in the store or the archive or both (reads
        keep one copy).
        """
        row = self.archived().get(slot)
        keys = sorted(set(tasks) | set(row["tasks"] if row else ()))
        docs = self._docs()
        moving = {
            i: docs[str(i)] for k in keys for i in self._hot.by_task.get(k, ()) if str(i) in docs
        }
        if row is not None and not moving and keys == sorted(row["tasks"]):
            return 0
        self._archives.pop(slot, None)
        kept = add_documents(self._dir / str(slot), EVENTS, moving, fsync=self._fsync)
        if self._fsync:
            fsync_dir(self._dir.parent)  # the archives' directory, if it is new
        first = min(kept, default=None)
        record: ArchiveRow = {
            "tasks": keys,
            "events": len(kept),
            "last": max(kept, default=0),
            "first": cast(Event, {"id": first, **kept[first]}) if first is not None else None,
        }
        with self._uow.batch():
            self._put_record(slot, record)
            self._table(EVENTS).remove(doc_ids=list(moving))
        self._reload()
        return len(moving)

    def restore(self, slot: int) -> int:
        """Bring reopened plan `slot`'s history back into the store; how many events came back.

        Safe to cut short and do again: the events come back in one journal entry before the
        record goes. The archive's files stay (a backup being written may still read them) and
        are written over when the plan closes again."""
        if slot not in self.archived():
            return 0
        archive = _Archive(self._dir / str(slot))
        docs = self._docs()
        back = [
            Document(dict(doc), doc_id=int(i))
            for i, doc in sorted(archive.docs.items(), key=lambda item: int(item[0]))
            if i not in docs
        ]
        with self._uow.batch():
            if back:
                self._table(EVENTS).insert_multiple(back)
            self._table(ARCHIVES).remove(doc_ids=[slot])
        self._archives.pop(slot, None)
        self._reload()
        return len(back)

    def _put_record(self, slot: int, record: ArchiveRow) -> None:
        table = self._table(ARCHIVES)
        if table.contains(doc_id=slot):
            table.update(dict(record), doc_ids=[slot])
        else:
            table.insert(Document(dict(record), doc_id=slot))

    def _archive(self, slot: int) -> _Archive:
        archive = self._archives.pop(slot, None)
        if archive is None:
            archive = _Archive(self._dir / str(slot))
        self._archives[slot] = archive  # the most recently read last
        while len(self._archives) > ARCHIVES_KEPT:
            self._archives.pop(next(iter(self._archives)))
        return archive
