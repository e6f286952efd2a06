"""The history (table "events"): every change of state, who made it, about which task and unit.

Appended to, never rewritten; served from in-memory indexes by task, unit and time.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Unpack, cast

from bot.store.records import Event, EventFields, EventKind, EventRow
from bot.store.repository import Repository, UnitOfWork, iso

EVENTS = "events"


class History(Repository):
    """The events table and its indexes."""

    tables = (EVENTS,)

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._by_task: dict[int | None, list[int]] = defaultdict(list)
        self._by_unit: dict[str | None, list[int]] = defaultdict(list)
        self._by_time: list[tuple[str, int]] = []  # (at, id), sorted
        self._kinds_by_task: dict[int | None, Counter[str]] = defaultdict(Counter)
        for doc_id, doc in self._table(EVENTS).raw_docs():
            self._index(doc_id, doc)

    def _index(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        self._by_task[doc.get("task")].append(doc_id)
        self._by_unit[doc.get("unit")].append(doc_id)
        self._kinds_by_task[doc.get("task")][doc.get("kind", "")] += 1
        key = (doc.get("at", ""), doc_id)
        if not self._by_time or key >= self._by_time[-1]:
            self._by_time.append(key)
        else:  # a rehearsal clock set back in time
            bisect.insort(self._by_time, key)

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
        self._index(doc_id, doc)
        return {"id": doc_id, **doc}

    def first_event(self) -> EventRow | None:
        """The oldest event: when the store started tracking."""
        doc = self._table(EVENTS).get(doc_id=1)
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
        table = cast(dict[str, EventRow], self._table(EVENTS)._read_table())
        lo = iso(since) if since else None
        hi = iso(until) if until else None
        ids: Iterable[int]
        if task is not None:
            ids = self._by_task.get(task, [])
        elif unit is not None:
            ids = self._by_unit.get(unit, [])
        elif lo or hi:
            times = self._by_time
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
        return len(self._table(EVENTS))
