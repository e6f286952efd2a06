"""Review records (table "reviews"): completion claims and extension requests, and their
decisions (bot.features.review)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from bot.store.records import ReviewRecord, ReviewRow
from bot.store.repository import Repository

REVIEWS = "reviews"


class Reviews(Repository):
    """Claims and extension requests, by id."""

    tables = (REVIEWS,)

    def add(self, row: ReviewRow) -> int:
        """Keep a new request (once, however often its update is handled); its id."""
        return self._insert_once(REVIEWS, row)

    def get(self, record_id: int) -> ReviewRecord | None:
        doc = self._table(REVIEWS).get(doc_id=record_id)
        return cast(ReviewRecord, {"id": record_id, **doc}) if doc is not None else None

    def records(self) -> list[ReviewRecord]:
        """Every record, oldest first."""
        return [
            cast(ReviewRecord, {"id": doc_id, **doc})
            for doc_id, doc in sorted(self._table(REVIEWS).raw_docs())
        ]

    def update(self, record_id: int, fields: Mapping[str, Any]) -> None:
        """Write a decision (or another change) into a record."""
        self._table(REVIEWS).update(dict(fields), doc_ids=[record_id])
