"""The intake (tables "intake", "updates_seen", "parked"): every update fetched is kept until
handled, handled ones are marked so a redelivery is skipped, and one that kept failing is
parked with what is known of why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from bot.store.records import IntakeRow, ParkedFacts, ParkedRow, SeenRow
from bot.store.repository import Repository, UnitOfWork

INTAKE = "intake"
SEEN = "updates_seen"
PARKED = "parked"
SEEN_UPDATES_KEPT = 5000


class Intake(Repository):
    """Kept updates, handled marks and parked updates."""

    tables = (INTAKE, SEEN, PARKED)

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._seen: dict[int, int] = {}
        self._kept: dict[int, int] = {}  # update id → doc id of fetched, unhandled updates
        for doc_id, doc in self._table(SEEN).raw_docs():
            self._seen[doc["u"]] = doc_id
        for doc_id, doc in self._table(INTAKE).raw_docs():
            self._kept[doc["u"]] = doc_id

    def take_in(self, updates: Iterable[Mapping[str, Any]]) -> int:
        """Keep fetched updates (Bot API dicts) durably, one fsync for all; how many were new.

        Updates already handled or already kept are skipped: Telegram redelivers.
        """
        table, added = self._table(INTAKE), 0
        with self._uow.batch():
            for raw in updates:
                uid = raw.get("update_id")
                if not isinstance(uid, int) or uid in self._seen or uid in self._kept:
                    continue
                kept: IntakeRow = {"u": uid, "d": dict(raw), "starts": 0, "fails": 0}
                self._kept[uid] = table.insert(kept)
                added += 1
        return added

    def intake_pending(self) -> list[IntakeRow]:
        """Updates kept but not yet handled, oldest first."""
        table = cast(dict[str, IntakeRow], self._table(INTAKE)._read_table())
        return [table[str(doc_id)].copy() for _, doc_id in sorted(self._kept.items())]

    def kept(self, update_id: int) -> bool:
        """Whether this update is in the intake already, or was handled."""
        return update_id in self._kept or update_id in self._seen

    def intake_entry(self, update_id: int) -> IntakeRow | None:
        doc_id = self._kept.get(update_id)
        doc = self._table(INTAKE).get(doc_id=doc_id) if doc_id is not None else None
        return cast(IntakeRow, dict(doc)) if doc is not None else None

    def intake_count(self, update_id: int, field_name: str) -> int:
        """Count one more start or failure of handling a kept update; the new count."""
        doc_id = self._kept.get(update_id)
        if doc_id is None:
            return 0
        doc: Mapping[str, Any] = self._table(INTAKE).get(doc_id=doc_id) or {}
        count = int(doc.get(field_name, 0)) + 1
        self._table(INTAKE).update({field_name: count}, doc_ids=[doc_id])
        return count

    def update_handled(self, update_id: int) -> bool:
        """Whether this update was handled to the end (or parked) already."""
        return update_id in self._seen

    def last_handled_update(self) -> int:
        """The highest update id recorded as handled (0: none)."""
        return max(self._seen, default=0)

    def finish_update(self, update_id: int, *, parked: ParkedFacts | None = None) -> None:
        """The update is handled (or parked with `parked` facts): never handle it again."""
        with self._uow.batch():
            self.seen_update(update_id)
            doc_id = self._kept.pop(update_id, None)
            if parked is not None:
                entry = self._table(INTAKE).get(doc_id=doc_id) if doc_id is not None else None
                row: ParkedRow = {"u": update_id, "d": dict(entry or {}).get("d"), **parked}
                self._table(PARKED).insert(row)
            if doc_id is not None:
                self._table(INTAKE).remove(doc_ids=[doc_id])

    def parked(self) -> list[ParkedRow]:
        return [cast(ParkedRow, dict(doc)) for _, doc in self._table(PARKED).raw_docs()]

    def seen_update(self, update_id: int) -> bool:
        """Record a handled update id; False the first time, True when it was seen before."""
        if update_id in self._seen:
            return True
        table = self._table(SEEN)
        seen: SeenRow = {"u": update_id}
        self._seen[update_id] = table.insert(seen)
        if len(self._seen) > SEEN_UPDATES_KEPT * 2:
            # Telegram redelivers only the last unconfirmed batch: old ids need not be kept.
            oldest = sorted(self._seen.items(), key=lambda kv: kv[1])[:SEEN_UPDATES_KEPT]
            table.remove(doc_ids=[doc_id for _, doc_id in oldest])
            for uid, _ in oldest:
                del self._seen[uid]
        return False
