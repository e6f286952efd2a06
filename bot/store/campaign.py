"""The campaigns' records (tables "activities" and "rectifications"): 诚信建设万里行 activities
and 专项治理 rectification reports (bot.features.campaign)."""

from __future__ import annotations

from typing import cast

from bot.store.records import (
    ActivityRecord,
    ActivityRow,
    RectificationRecord,
    RectificationRow,
)
from bot.store.repository import Repository

ACTIVITIES = "activities"
RECTIFICATIONS = "rectifications"


class Campaign(Repository):
    """Activities and rectification reports, in order of recording."""

    tables = (ACTIVITIES, RECTIFICATIONS)

    def add_activity(self, row: ActivityRow) -> int:
        """Keep an activity (once, however often its update is handled); its id."""
        return self._insert_once(ACTIVITIES, row)

    def add_rectification(self, row: RectificationRow) -> int:
        """Keep a rectification report (once, however often its update is handled); its id."""
        return self._insert_once(RECTIFICATIONS, row)

    def activities(self) -> list[ActivityRecord]:
        return [
            cast(ActivityRecord, {"id": i, **doc}) for i, doc in self._table(ACTIVITIES).raw_docs()
        ]

    def rectifications(self) -> list[RectificationRecord]:
        return [
            cast(RectificationRecord, {"id": i, **doc})
            for i, doc in self._table(RECTIFICATIONS).raw_docs()
        ]
