"""Each unit's part of a task (table "states"): status, percent, note, claim, deadline moves.

A change of a part is recorded in the history with it. Parts of units a revised plan no longer
names are kept with their history, out of sight.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Unpack, cast

from bot.store.history import History
from bot.store.records import EventDetails, EventKind, PartStatus, Role, StateChanges, StateRow
from bot.store.repository import Repository, UnitOfWork, iso

STATES = "states"
STATUSES = frozenset(PartStatus)
# Events that count as the unit reporting progress (they stamp updated_at / updated_by).
PROGRESS_EVENTS: frozenset[EventKind] = frozenset(
    {"status", "note", "evidence", "report", "milestone.done"}
)


class Parts(Repository):
    """The per-unit state rows, indexed by (task, unit)."""

    tables = (STATES,)

    def __init__(self, uow: UnitOfWork, history: History) -> None:
        super().__init__(uow)
        self._history = history
        self._ids: dict[tuple[int, str], int] = {}
        # rows of units a revised plan no longer names: kept with their history, out of sight
        self._removed_ids: dict[tuple[int, str], int] = {}
        self._by_task: dict[int, list[tuple[str, int]]] | None = None  # see _task_index
        for doc_id, doc in self._table(STATES).raw_docs():
            ids = self._removed_ids if doc.get("removed") else self._ids
            ids[(doc["task"], doc["unit"])] = doc_id

    def ensure(self, task_id: int, pairs: Iterable[tuple[str, Role]]) -> None:
        """Give each (unit, role) a part of the task; parts of units not named are removed."""
        pairs = list(pairs)
        self._by_task = None
        states = self._table(STATES)
        named = {name for name, _ in pairs}
        for key, doc_id in list(self._ids.items()):
            if key[0] == task_id and key[1] not in named:
                # the revision took the unit off the task: no more reminders, history kept
                states.update({"removed": True}, doc_ids=[doc_id])
                self._removed_ids[key] = self._ids.pop(key)
        for name, role in pairs:
            key = (task_id, name)
            if key in self._removed_ids:
                doc_id = self._removed_ids.pop(key)
                states.update({"removed": False, "role": role}, doc_ids=[doc_id])
                self._ids[key] = doc_id
                continue
            if key in self._ids:
                doc_id = self._ids[key]
                current: dict[str, Any] = dict(states.get(doc_id=doc_id) or {})
                if current.get("role") != role:
                    states.update({"role": role}, doc_ids=[doc_id])
                continue
            row: StateRow = {
                "task": task_id,
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
            self._ids[key] = states.insert(row)

    def state(self, task_id: int, unit: str) -> StateRow | None:
        doc_id = self._ids.get((task_id, unit))
        if doc_id is None:
            return None
        return cast(StateRow, dict(self._table(STATES).get(doc_id=doc_id) or {}))

    def states(
        self,
        *,
        task: int | None = None,
        unit: str | None = None,
        among: Collection[int] | None = None,
    ) -> list[StateRow]:
        """State rows (copies), ordered by task then role (leads first) then unit order;
        `among`: of those tasks only (the active plans' for a view of them)."""
        raw = cast(dict[str, StateRow], self._table(STATES)._read_table())
        out: list[StateRow] = []
        if task is not None or among is not None:
            index = self._task_index()
            wanted = [task] if task is not None else list(index)
            for task_id in wanted:
                if among is not None and task_id not in among:
                    continue
                for name, doc_id in index.get(task_id, ()):
                    if unit is None or name == unit:
                        out.append(raw[str(doc_id)].copy())
            return out
        for (_, name), doc_id in self._ids.items():
            if unit is None or name == unit:
                out.append(raw[str(doc_id)].copy())
        return out

    def _task_index(self) -> dict[int, list[tuple[str, int]]]:
        """The parts by task, in the order they came (rebuilt after `ensure`)."""
        if self._by_task is None:
            self._by_task = {}
            for (task_id, name), doc_id in self._ids.items():
                self._by_task.setdefault(task_id, []).append((name, doc_id))
        return self._by_task

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
        doc_id = self._ids.get((task_id, unit))
        if doc_id is None:
            raise KeyError(f"unit {unit!r} has no part in task {task_id}")
        if "status" in changes and changes["status"] not in STATUSES:
            raise ValueError(f"unknown status {changes['status']!r}")
        stamp = (
            {"updated_at": iso(at), "updated_by": actor, "updated_with": None}
            if event in PROGRESS_EVENTS
            else {}
        )
        if "status" in changes and "done_at" not in changes:
            # When the part was completed, for on-time rates: later notes must not move it.
            before = self.state(task_id, unit)
            if changes["status"] == PartStatus.DONE and (
                before is None or before.get("status") != PartStatus.DONE
            ):
                changes["done_at"] = iso(at)
            elif changes["status"] != PartStatus.DONE:
                changes["done_at"] = None
        self._table(STATES).update({**changes, **stamp}, doc_ids=[doc_id])
        self._history.record(
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
        doc_id = self._ids.get((task_id, unit))
        if doc_id is None:
            return False
        row = self.state(task_id, unit)
        current = row.get("updated_at") if row is not None else None
        try:
            newer = not current or at > datetime.fromisoformat(str(current))
        except (TypeError, ValueError):  # naive against aware, or a malformed stamp
            newer = True
        if newer:
            self._table(STATES).update(
                {"updated_at": iso(at), "updated_by": actor, "updated_with": what},
                doc_ids=[doc_id],
            )
        return True
