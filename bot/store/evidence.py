"""Evidence files' records (table "evidence"): one per file kept, in the order kept."""

from __future__ import annotations

from typing import cast

from bot.store.records import EvidenceRecord, EvidenceRow
from bot.store.repository import Repository

EVIDENCE = "evidence"


class EvidenceFiles(Repository):
    """The records of evidence files (the files themselves are bot.features.evidence's)."""

    tables = (EVIDENCE,)

    def add(self, row: EvidenceRow) -> int:
        """Keep a file's record (once, however often its update is handled); its id."""
        return self._insert_once(EVIDENCE, row)

    def records(self, task: int | None = None, unit: str | None = None) -> list[EvidenceRecord]:
        """The records (of a task, of one unit, when given), in the order kept."""
        return [
            cast(EvidenceRecord, {"id": doc_id, **doc})
            for doc_id, doc in self._table(EVIDENCE).raw_docs()
            if (task is None or doc["task"] == task) and (unit is None or doc["unit"] == unit)
        ]
