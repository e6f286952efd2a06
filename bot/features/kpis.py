"""The plan's quantitative targets (data/kpis.yaml), recorded values and how they compare."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot import DATA
from bot.domain.datafile import entries
from bot.store import Store
from bot.store.records import MetricRecord, MetricRow

if TYPE_CHECKING:
    from bot.domain.units import Directory

KPI_FILE = DATA / "kpis.yaml"
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
COMPARISON_LABELS = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜", "==": "＝"}
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(%|％|家|户)?\s*$")


@dataclass(frozen=True)
class Kpi:
    """One quantitative target and the task (hence lead units) that owns it."""

    key: str
    name: str
    task: int
    unit: str = ""
    target: float | None = None
    comparison: str | None = None
    baseline: str | None = None
    factor: float | None = None
    aliases: tuple[str, ...] = ()

    def target_value(self, latest: Mapping[str, float]) -> float | None:
        """The number to compare against (factor × baseline for relative targets)."""
        if self.baseline is not None:
            base = latest.get(self.baseline)
            return None if base is None or self.factor is None else base * self.factor
        return self.target

    def met(self, value: float, latest: Mapping[str, float]) -> bool | None:
        """Whether `value` meets the target; None when there is no target to compare with."""
        target = self.target_value(latest)
        if target is None or self.comparison is None:
            return None
        return COMPARISONS[self.comparison](value, target)

    def target_text(self, latest: Mapping[str, float]) -> str:
        """e.g. "≥ 100%", "≥ 2 × 基数（= 240家）", or "—" for a reference figure."""
        if self.comparison is None:
            return "—"
        sign = COMPARISON_LABELS[self.comparison]
        if self.baseline is not None:
            target = self.target_value(latest)
            base = (
                f"（= {fmt_number(target)}{self.unit}）" if target is not None else "（基数未报）"
            )
            return f"{sign} {fmt_number(self.factor or 0)} × 基数{base}"
        return f"{sign} {fmt_number(self.target or 0)}{self.unit}"


def fmt_number(value: float) -> str:
    """100.0 → "100", 12.5 → "12.5"."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def describe(key: str | None, value: Any) -> str:
    """A recorded value as people read it: "双公示信息上报率 98.5%" (never the bare key)."""
    kpi = next((k for k in bundled_kpis() if k.key == key), None)
    try:
        number = fmt_number(float(value))
    except (TypeError, ValueError):
        number = str(value)
    return f"{kpi.name} {number}{kpi.unit}" if kpi else f"指标 {number}"


def load_kpis(path: Path = KPI_FILE) -> list[Kpi]:
    """Read the KPI list; ValueError names the file and the bad entry."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("kpis") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with a 'kpis' list")
    out = []
    for where, item in entries(items, path, "kpis", ("key", "name")):
        comparison = item.get("comparison")
        if comparison is not None and comparison not in COMPARISONS:
            raise ValueError(f"{where}: unknown comparison {comparison!r}")
        if not isinstance(item.get("task"), int):
            raise ValueError(f"{where}: needs the owning task number")
        out.append(
            Kpi(
                key=str(item["key"]),
                name=str(item["name"]),
                task=int(item["task"]),
                unit=str(item.get("unit") or ""),
                target=float(item["target"]) if item.get("target") is not None else None,
                comparison=comparison,
                baseline=item.get("baseline"),
                factor=float(item["factor"]) if item.get("factor") is not None else None,
                aliases=tuple(str(a) for a in item.get("aliases") or ()),
            )
        )
    return out


@lru_cache(maxsize=1)
def bundled_kpis() -> tuple[Kpi, ...]:
    return tuple(load_kpis())


def find_kpi(word: str, kpis: Iterable[Kpi] | None = None) -> Kpi | None:
    """The KPI a user means by its key, Chinese name or an alias."""
    wanted = word.strip().lower()
    for kpi in kpis if kpis is not None else bundled_kpis():
        if wanted in (kpi.key.lower(), kpi.name.lower(), *(a.lower() for a in kpi.aliases)):
            return kpi
    return None


def parse_value(text: str) -> float | None:
    """ "98.5", "98.5%", "240家" → the number; None when it is not one."""
    m = _NUMBER.match(text.replace("，", "").replace(",", ""))
    if not m or len(m.group(1)) > 18:  # more digits than any figure: a typo, not a value
        return None
    value = float(m.group(1))
    return value if math.isfinite(value) else None


def value_problem(kpi: Kpi, value: float) -> str | None:
    """Why a value cannot be this KPI's (said to the user), or None when it can."""
    if value < 0:
        return "不能为负数"
    if kpi.unit == "%" and value > 100:
        return "比例不能超过 100%"
    if kpi.unit in ("家", "户") and value != int(value):
        return f"应为整数（单位：{kpi.unit}）"
    return None


def record_metric(
    store: Store,
    kpi: Kpi,
    value: float,
    *,
    at: datetime,
    actor: int | str | None,
    unit: str | None,
) -> MetricRecord:
    """Store a value with its date and record it in the history."""
    doc: MetricRow = {
        "key": kpi.key,
        "value": value,
        "day": at.date().isoformat(),
        "at": at.isoformat(timespec="seconds"),
        "actor": actor,
        "unit": unit,
        "task": kpi.task,
    }
    doc_id = store.metrics.add(doc)
    store.history.record(
        "metric", at=at, actor=actor, task=kpi.task, unit=unit, key=kpi.key, value=value
    )
    return {"id": doc_id, **doc}


def metric_owners(store: Store, units: Directory, kpi: Kpi) -> list[str]:
    """The lead units of the KPI's task (group names expanded): they report its values."""
    task = store.plan.task(kpi.task)
    if task is None:
        return []
    return [u.name for name in task.leads for u in units.expand(name)]


def reporting_unit(
    owners: Sequence[str], actor_units: Iterable[str], coordinator: bool
) -> tuple[bool, str | None]:
    """(may the actor record, for which unit): its own owning unit, or for a coordinator the first."""
    mine = [u for u in actor_units if u in owners]
    if not mine and not coordinator:
        return False, None
    return True, mine[0] if mine else (owners[0] if owners else None)


def metric_records(store: Store) -> list[MetricRecord]:
    """Every recorded value, oldest first."""
    return store.metrics.records()


def latest_values(records: Iterable[MetricRow]) -> dict[str, float]:
    """The most recent value of each KPI key."""
    latest: dict[str, tuple[str, int, float]] = {}
    for n, rec in enumerate(records):
        stamp = (rec.get("at") or "", n)
        if rec["key"] not in latest or stamp >= latest[rec["key"]][:2]:
            latest[rec["key"]] = (stamp[0], n, float(rec["value"]))
    return {k: v[2] for k, v in latest.items()}


@dataclass(frozen=True)
class KpiStatus:
    kpi: Kpi
    value: float | None
    day: date | None
    met: bool | None
    target: str


def kpi_statuses(records: Iterable[MetricRow], kpis: Iterable[Kpi]) -> list[KpiStatus]:
    """Every KPI with its latest value and whether it meets the target."""
    records = list(records)
    latest = latest_values(records)
    days: dict[str, date] = {}
    for rec in records:
        if rec.get("day"):
            days[rec["key"]] = max(days.get(rec["key"], date.min), date.fromisoformat(rec["day"]))
    out = []
    for kpi in kpis:
        value = latest.get(kpi.key)
        out.append(
            KpiStatus(
                kpi=kpi,
                value=value,
                day=days.get(kpi.key),
                met=kpi.met(value, latest) if value is not None else None,
                target=kpi.target_text(latest),
            )
        )
    return out


def kpi_rows(store: Store) -> list[dict[str, Any]]:
    """Every KPI with its target, its latest value (with its unit), whether that meets the
    target and the day it was for: the list /metric and the weekly summary show."""
    rows = kpi_statuses(metric_records(store), bundled_kpis())
    return [
        {
            "key": k.kpi.key,
            "name": k.kpi.name,
            "task": k.kpi.task,
            "target": k.target,
            "value": None if k.value is None else f"{fmt_number(k.value)}{k.kpi.unit}",
            "met": k.met,
            "day": k.day,
        }
        for k in rows
    ]
