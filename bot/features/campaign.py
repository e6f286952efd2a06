"""诚信建设万里行 activities (#24) and 专项治理 rectification records (#11, #25)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from bot.domain.dates import parse_chinese_date
from bot.plan.numerals import parse_number
from bot.store import Store
from bot.store.records import (
    ActivityRecord,
    ActivityRow,
    EventFields,
    EventKind,
    FileRef,
    RectificationRecord,
    RectificationRow,
)

ACTIVITY_TASK = 24
FORMS = ("论坛讲座", "现场活动", "展览展示", "媒体宣传", "其他")
CARRIERS = ("商圈", "校园", "企业", "街道社区", "村镇")

# The fields of #11 (two national special campaigns) and of #25 (nine sectors), in plan order.
FIELDS_11 = ("屡禁不止、屡罚不改严重违法失信行为", "信用服务机构失信")
FIELDS_25 = (
    "电信网络",
    "互联网信息服务",
    "防疫物资产品质量和市场秩序",
    "国家考试",
    "交通运输",
    "社会保险",
    "司法执行",
    "金融",
    "生态环境",
)
FIELDS = FIELDS_11 + FIELDS_25
EXIT_TARGET = 100.0  # 治理对象退出率 must reach 100%
_MONTH_DAY = re.compile(r"^\s*\d{1,2}\s*(?:月|[./-])\s*\d{1,2}\s*[日号]?\s*$")


def field_task(field_name: str) -> int:
    """The measure a rectification field belongs to (#11 or #25)."""
    return 11 if field_name in FIELDS_11 else 25


# No district report counts more than this: a larger figure is a typo, not a record.
MAX_COUNT = 10_000_000


def parse_count(text: str) -> int | None:
    """ "120", "120人", "一百二十" → 120; None when it is not a plausible count."""
    cleaned = re.sub(r"[\s,，]|人次|人|家|个|场", "", text or "")
    value = (
        int(cleaned)
        if cleaned.isdecimal() and len(cleaned) <= 18
        else (parse_number(cleaned) if cleaned else None)
    )
    ok = isinstance(value, int) and 0 <= value <= MAX_COUNT
    return value if ok else None


def activity_day(text: str, today: date) -> date | None:
    """The day an activity was held (昨天, 11月20日, 上周五, 2021-06-03…), or None."""
    day = parse_chinese_date(text, today)
    if day is not None and day > today and _MONTH_DAY.match(text):
        # An activity has taken place: "12月28日" said on 5 January is last year's.
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 2月29日
            return date(day.year - 1, 2, 28)
    return day


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _noted(
    store: Store,
    doc_id: int,
    doc: ActivityRow | RectificationRow,
    kind: EventKind,
    id_key: str,
    at: datetime,
) -> int:
    """Note a record just kept in the history (its id under `id_key`, its own fields with
    each list counted); the record's id."""
    counted = {
        k: len(v) if isinstance(v, list) else v
        for k, v in doc.items()
        if k not in ("task", "unit", "actor", "at", "upd")  # "upd": the keeping's, not the record's
    }
    if doc["unit"]:
        # An activity (#24) or a 专项治理 report (#11/#25) is the unit's progress on that task:
        # the part is not stale after one (the monthly 持续推进 reminder, the summary's light).
        store.parts.touch_state(doc["task"], doc["unit"], at=at, actor=doc["actor"], what=kind)
    # The record's own fields, lists counted: EventFields names each ("photos": int, …).
    event = cast(EventFields, {id_key: doc_id, **counted})
    store.history.record(
        kind, at=at, actor=doc["actor"], task=doc["task"], unit=doc["unit"], **event
    )
    return doc_id


def add_activity(
    store: Store,
    *,
    unit: str | None,
    actor: int | str | None,
    at: datetime,
    form: str,
    carrier: str,
    day: date,
    title: str,
    participants: int,
    enterprises: int,
    photos: Iterable[FileRef] = (),
) -> ActivityRecord:
    """Store one campaign activity linked to #24 and record it in the history."""
    if form not in FORMS or carrier not in CARRIERS:
        raise ValueError(f"unknown form or carrier: {form!r}, {carrier!r}")
    doc: ActivityRow = {
        "task": ACTIVITY_TASK,
        "unit": unit,
        "actor": actor,
        "at": _iso(at),
        "form": form,
        "carrier": carrier,
        "day": day.isoformat(),
        "title": title,
        "participants": int(participants),
        "enterprises": int(enterprises),
        "photos": [{**p} for p in photos],
    }
    doc_id = store.campaign.add_activity(doc)
    return {"id": _noted(store, doc_id, doc, "activity", "activity", at), **doc}


def add_rectification(
    store: Store,
    *,
    unit: str | None,
    actor: int | str | None,
    at: datetime,
    field_name: str,
    identified: int,
    rectified: int,
    cases: str,
    evidence: Iterable[FileRef] = (),
) -> RectificationRecord:
    """Store one 专项治理 report (objects found, objects rectified and exited, cases)."""
    if field_name not in FIELDS:
        raise ValueError(f"unknown field {field_name!r}")
    task = field_task(field_name)
    doc: RectificationRow = {
        "task": task,
        "unit": unit,
        "actor": actor,
        "at": _iso(at),
        "field": field_name,
        "identified": int(identified),
        "rectified": int(rectified),
        "cases": cases,
        "evidence": [{**e} for e in evidence],
    }
    doc_id = store.campaign.add_rectification(doc)
    return {"id": _noted(store, doc_id, doc, "rectify", "record", at), **doc}


def activities(store: Store) -> list[ActivityRecord]:
    """Every activity, in order of recording."""
    return store.campaign.activities()


def rectifications(store: Store) -> list[RectificationRecord]:
    """Every rectification report, in order of recording."""
    return store.campaign.rectifications()


def _in(day_text: str | None, start: date, end: date) -> bool:
    """Whether an ISO date or timestamp falls in [start, end]."""
    if not day_text:
        return False
    day = date.fromisoformat(day_text[:10])
    return start <= day <= end


@dataclass
class CampaignStats:
    """诚信建设万里行 at a glance."""

    week: list[ActivityRow]
    matrix: dict[str, dict[str, int]]  # form -> carrier -> count, since the start
    total: int
    participants: int
    enterprises: int
    week_enterprises: int
    carriers_missing: list[str]
    units: int


def campaign_stats(records: Iterable[ActivityRow], start: date, end: date) -> CampaignStats:
    """This week's activities (held or reported in [start, end]) and totals since the start."""
    records = list(records)
    pairs = Counter((r["form"], r["carrier"]) for r in records)
    week: list[ActivityRow] = [
        {**r} for r in records if _in(r.get("day"), start, end) or _in(r["at"], start, end)
    ]
    week.sort(key=lambda r: (r["day"], r["at"]))
    reached = {r["carrier"] for r in records}
    return CampaignStats(
        week=week,
        matrix={f: {c: pairs.get((f, c), 0) for c in CARRIERS} for f in FORMS},
        total=len(records),
        participants=sum(int(r.get("participants") or 0) for r in records),
        enterprises=sum(int(r.get("enterprises") or 0) for r in records),
        week_enterprises=sum(int(r.get("enterprises") or 0) for r in week),
        carriers_missing=[c for c in CARRIERS if c not in reached],
        units=len({r["unit"] for r in records if r.get("unit")}),
    )


@dataclass
class FieldStats:
    """One 专项治理 field: objects found and rectified, exit rate, this week's cases."""

    name: str
    task: int
    identified: int = 0
    rectified: int = 0
    reports: int = 0
    week_cases: list[str] = field(default_factory=list)

    @property
    def exit_rate(self) -> float | None:
        return 100.0 * self.rectified / self.identified if self.identified else None

    @property
    def met(self) -> bool | None:
        rate = self.exit_rate
        return None if rate is None else rate >= EXIT_TARGET


def rectify_stats(records: Iterable[RectificationRow], start: date, end: date) -> list[FieldStats]:
    """Every field in plan order with totals since the start and this week's cases."""
    stats = {name: FieldStats(name=name, task=field_task(name)) for name in FIELDS}
    for rec in records:
        fs = stats.get(rec["field"])
        if fs is None:
            continue
        fs.identified += int(rec.get("identified") or 0)
        fs.rectified += int(rec.get("rectified") or 0)
        fs.reports += 1
        if _in(rec.get("at"), start, end) and (rec.get("cases") or "").strip():
            fs.week_cases.append(rec["cases"].strip())
    return list(stats.values())


def total_exit_rate(fields: Iterable[FieldStats]) -> float | None:
    """Objects rectified and exited over objects found, all fields together."""
    found = rectified = 0
    for fs in fields:
        found += fs.identified
        rectified += fs.rectified
    return 100.0 * rectified / found if found else None
