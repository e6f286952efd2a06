"""The weekly summary (督办周报): its data, pure, and its Telegram HTML text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.domain import progress
from bot.domain.status import week_key
from bot.features import campaign, kpis
from bot.text.render import render, split_message

if TYPE_CHECKING:
    from bot.services import Services

TEMPLATE = "summary.html.j2"
REGULARITY_WEEKS = 4
RANKING_SHOWN = 5
SILENT_HORIZON_DAYS = 14  # a unit is expected to report on work due within two weeks
SILENT_REFS_SHOWN = 5
CN_NUMERALS = "零一二三四五六七八九十"


def week_bounds(day: date) -> tuple[date, date]:
    """Monday of the day's ISO week, and the day itself (the summary covers up to it)."""
    return day - timedelta(days=day.weekday()), day


@lru_cache(maxsize=1024)
def _day_week(day_text: str) -> str:
    return week_key(date.fromisoformat(day_text))


def _week_of(stamp: str) -> str:
    """The ISO week of an ISO timestamp; memoised by day, as thousands of events share one."""
    return _day_week(stamp[:10])


def cn_number(n: int) -> str:
    """1..19 → 一…十九 (group headings)."""
    if n <= 10:
        return CN_NUMERALS[n]
    return "十" + CN_NUMERALS[n - 10] if n < 20 else str(n)


def tracking_start(services: Services) -> date | None:
    """The day the store started tracking (its first event), for the 14-day staleness rule."""
    first = services.store.table("events").get(doc_id=1)
    at = progress.parse_at(first.get("at")) if first else None
    return at.date() if at else None


def _bounds(services: Services, start: date, day: date) -> tuple[datetime, datetime]:
    tz = services.clock.tz
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def snapshot(services: Services, day: date) -> list[progress.TaskProgress]:
    """Every task's progress as of `day`, from the store."""
    store = services.store
    tasks = store.tasks()
    closed = sorted(store.closed_tasks())
    return progress.task_progress(
        tasks, store.states(), day, closed=closed, since=tracking_start(services)
    )


def _human_events(events: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """Events caused by a person (a Telegram user id), not by the bot or the CLI."""
    for ev in events:
        actor = ev.get("actor")
        if isinstance(actor, int) and not isinstance(actor, bool):
            yield ev


def active_weeks(services: Services, day: date, weeks: int = REGULARITY_WEEKS) -> dict[str, int]:
    """Per unit, how many of the last `weeks` ISO weeks (up to `day`) it reported anything in."""
    start = week_bounds(day)[0] - timedelta(weeks=weeks - 1)
    lo, hi = _bounds(services, start, day)
    seen: dict[str, set[str]] = defaultdict(set)
    for ev in _human_events(services.store.events(since=lo, until=hi)):
        if ev.get("unit"):
            seen[ev["unit"]].add(_week_of(ev["at"]))
    return {unit: len(w) for unit, w in seen.items()}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{kpis.fmt_number(round(value, 1))}%"


def build_summary(services: Services, day: date) -> dict[str, Any]:
    """Everything the weekly summary says, as plain data (no Telegram, no HTML)."""
    store = services.store
    start, end = week_bounds(day)
    tasks = snapshot(services, day)
    titles = {tp.task.id: tp.task.title for tp in tasks}
    closed = {tp.task.id for tp in tasks if tp.light == "closed"}
    states = store.states()

    # One pass over the recent history serves "this week" and the regularity of 4 weeks.
    regular_from = start - timedelta(weeks=REGULARITY_WEEKS - 1)
    lo, hi = _bounds(services, regular_from, end)
    week_lo = _bounds(services, start, end)[0].isoformat(timespec="seconds")
    completed: dict[int, list[str]] = defaultdict(list)
    active_week: set[str] = set()
    active_weeks: dict[str, set[str]] = defaultdict(set)
    for ev in _human_events(store.events(since=lo, until=hi)):
        unit = ev.get("unit")
        if unit:
            active_weeks[unit].add(_week_of(ev["at"]))
        if ev["at"] < week_lo:
            continue
        if unit:
            active_week.add(unit)
        if ev.get("status") == "done" and ev.get("task") and unit:
            if unit not in completed[ev["task"]]:
                completed[ev["task"]].append(unit)

    due_work = progress.due_work_by_unit(tasks, day, SILENT_HORIZON_DAYS)
    silent = [
        _silent_row(unit, due_work[unit])
        for unit in sorted(set(due_work) - active_week, key=_unit_order(services))
    ]
    silent.sort(key=lambda row: not row["overdue"])  # units with overdue work first

    overdue: list[dict[str, Any]] = [
        {
            "task": item.task.id,
            "title": item.task.title,
            "unit": unit,
            "days": item.days,
            "workdays": item.workdays,
            "due": item.due,
        }
        for unit, items in progress.overdue_by_unit(
            tasks, store.contacts(), services.calendar, day
        ).items()
        for item in items
    ]
    overdue.sort(key=lambda o: (-o["days"], o["task"]))

    acts = campaign.campaign_stats(campaign.activities(store), start, end)
    fields = campaign.rectify_stats(campaign.rectifications(store), start, end)
    kpi_rows = kpis.kpi_statuses(kpis.metric_records(store), kpis.bundled_kpis())
    reviews = [
        {"id": i, **doc}
        for i, doc in store.table("reviews").raw_docs()
        if doc.get("status") == "pending"
    ]
    scores = progress.scorecard(
        tasks, day, {u: len(w) for u, w in active_weeks.items()}, REGULARITY_WEEKS
    )
    ranking = [_score_row(s) for s in scores]
    # Praise needs a record: a unit with nothing done on time and no report is not "best".
    rankable = [r for r, s in zip(ranking, scores, strict=True) if s.on_time or r["regular"]]
    lagging = [r for r in ranking if r["overdue"] or (r["on_time"] not in ("—", "100%"))]

    return {
        "day": day,
        "week": week_key(day),
        "week_no": day.isocalendar()[1],
        "start": start,
        "end": end,
        "tasks": len(tasks),
        "percent": round(sum(t.percent for t in tasks) / len(tasks)) if tasks else 0,
        "lights": progress.light_counts(tasks),
        "statuses": progress.status_counts(states),
        "groups": [
            {
                "no": g.no,
                "no_cn": cn_number(g.no),
                "name": g.name,
                "percent": g.percent,
                "tasks": [
                    {"id": t.task.id, "light": t.light, "icon": progress.LIGHT_ICONS[t.light]}
                    for t in g.tasks
                ],
            }
            for g in progress.groups(tasks)
        ],
        "completed": [
            {"task": tid, "title": titles.get(tid, ""), "units": units, "closed": tid in closed}
            for tid, units in sorted(completed.items())
        ],
        "overdue": overdue,
        "silent": silent,
        "silent_horizon": SILENT_HORIZON_DAYS,
        "campaign": {
            "week": [
                {
                    "day": date.fromisoformat(a["day"]),
                    "unit": a.get("unit") or "—",
                    "form": a["form"],
                    "carrier": a["carrier"],
                    "title": a["title"],
                    "participants": a["participants"],
                    "enterprises": a["enterprises"],
                }
                for a in acts.week
            ],
            "matrix": [
                {
                    "form": f,
                    "cells": [{"carrier": c, "count": n} for c, n in row.items()],
                    "total": sum(row.values()),
                }
                for f, row in acts.matrix.items()
            ],
            "carriers": list(campaign.CARRIERS),
            "total": acts.total,
            "participants": acts.participants,
            "units": acts.units,
            "enterprises": acts.enterprises,
            "week_enterprises": acts.week_enterprises,
            "missing": acts.carriers_missing,
        },
        "rectify": {
            "fields": [
                {
                    "name": f.name,
                    "task": f.task,
                    "identified": f.identified,
                    "rectified": f.rectified,
                    "rate": _percent(f.exit_rate),
                    "met": f.met,
                    "reports": f.reports,
                    "cases": f.week_cases[-3:],
                    "new_cases": len(f.week_cases),
                }
                for f in fields
            ],
            "reported": sum(1 for f in fields if f.reports),
            "identified": sum(f.identified for f in fields),
            "rectified": sum(f.rectified for f in fields),
            "rate": _percent(campaign.total_exit_rate(fields)),
            "target": _percent(campaign.EXIT_TARGET),
        },
        "kpis": [
            {
                "key": k.kpi.key,
                "name": k.kpi.name,
                "task": k.kpi.task,
                "target": k.target,
                "value": None if k.value is None else f"{kpis.fmt_number(k.value)}{k.kpi.unit}",
                "met": k.met,
                "day": k.day,
            }
            for k in kpi_rows
        ],
        "reviews": {
            "claims": [
                {
                    "id": r["id"],
                    "task": r["task"],
                    "unit": r["unit"],
                    "title": titles.get(r["task"], ""),
                }
                for r in reviews
                if r.get("kind") == "claim"
            ],
            "extensions": [
                {
                    "id": r["id"],
                    "task": r["task"],
                    "unit": r["unit"],
                    "due": date.fromisoformat(r["due"]) if r.get("due") else None,
                    "reason": r.get("reason") or "",
                }
                for r in reviews
                if r.get("kind") == "extension"
            ],
        },
        "ranking": {
            "top": rankable[:RANKING_SHOWN],
            "bottom": [r for r in lagging[::-1] if r not in rankable[:RANKING_SHOWN]][
                :RANKING_SHOWN
            ],
            "units": len(ranking),
            "weeks": REGULARITY_WEEKS,
        },
    }


def _silent_row(unit: str, parts: list[progress.Part]) -> dict[str, Any]:
    """A unit that sent nothing this week, with the #N refs of the work it owes."""
    parts = sorted(parts, key=lambda p: (not p.overdue, p.task))
    return {
        "unit": unit,
        "overdue": sum(1 for p in parts if p.overdue),
        "refs": [{"task": p.task, "overdue": p.overdue} for p in parts[:SILENT_REFS_SHOWN]],
        "more": max(0, len(parts) - SILENT_REFS_SHOWN),
    }


def _score_row(score: progress.Score) -> dict[str, Any]:
    return {
        "unit": score.unit,
        "on_time": _percent(None if score.on_time is None else 100 * score.on_time),
        "regular": round((score.regularity or 0) * REGULARITY_WEEKS),
        "overdue": score.overdue,
        "done": score.done,
        "parts": score.parts,
        "score": score.score,
    }


def _unit_order(services: Services) -> Any:
    order = {u.name: i for i, u in enumerate(services.units.units)}
    return lambda name: (order.get(name, len(order)), name)


def render_summary(data: Mapping[str, Any]) -> str:
    """Telegram HTML of summary data from `build_summary`."""
    return render(TEMPLATE, **data)


def render_summary_text(services: Services, day: date) -> str:
    """The weekly summary as Telegram HTML (may exceed one message: see summary_messages)."""
    return render_summary(build_summary(services, day))


def summary_messages(services: Services, day: date) -> list[str]:
    """The weekly summary split into messages within Telegram's limit."""
    return split_message(render_summary_text(services, day))


def weekly_trend(services: Services, day: date, weeks: int = 8) -> list[tuple[str, int, int]]:
    """(week, unit parts done, all unit parts) at the end of each of the last weeks.

    Replays the status history once; for the chart only (not timed with the summary).
    """
    store = services.store
    ends = [week_bounds(day)[0] - timedelta(weeks=k) + timedelta(days=6) for k in range(weeks)]
    ends = sorted(min(e, day) for e in ends)
    changes = [
        (ev["at"][:10], (ev["task"], ev["unit"]), ev["status"])
        for _, ev in store.table("events").raw_docs()
        if ev.get("status") and ev.get("task") and ev.get("unit")
    ]
    changes.sort(key=lambda c: c[0])
    status: dict[tuple[int, str], str] = {}
    out = []
    i = 0
    total = len(store.states())
    for end in ends:
        stamp = end.isoformat()
        while i < len(changes) and changes[i][0] <= stamp:
            status[changes[i][1]] = changes[i][2]
            i += 1
        done = sum(1 for s in status.values() if s == "done")
        out.append((week_key(end), done, total))
    return out
