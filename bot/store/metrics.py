"""KPI values (table "metrics"): each value reported, with its day (bot.features.kpis)."""

from __future__ import annotations

from typing import cast

from bot.store.records import MetricRecord, MetricRow
from bot.store.repository import Repository

METRICS = "metrics"


class Metrics(Repository):
    """The values reported for the plan's KPIs."""

    tables = (METRICS,)

    def add(self, row: MetricRow) -> int:
        """Keep a value (once, however often its update is handled); its id."""
        return self._insert_once(METRICS, row)

    def records(self) -> list[MetricRecord]:
        """Every recorded value, oldest first."""
        return [cast(MetricRecord, {"id": i, **doc}) for i, doc in self._table(METRICS).raw_docs()]
