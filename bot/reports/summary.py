"""The weekly summary (督办周报): its data, pure, and its Telegram HTML text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.domain import progress
from bot.domain.days import DAY_KIND
from bot.domain.status import week_key, week_of
from bot.features import campaign, kpis, review
from bot.reports import scorecard, sections
from bot.reports.lagging import lagging
from bot.reports.snapshot import (
    by_plan,
    cn_number,
    plan_head,
    plan_headings,
    snapshot,
    task_of,
    unit_order,
)
from bot.store.plans import FIRST_SLOT
from bot.store.records import Event, EventKind, PartStatus
from bot.text.render import TELEGRAM_LIMIT, render, split_message

if TYPE_CHECKING:
    from bot.services import Services

TEMPLATE = "summary.html.j2"
HEADLINE_TEMPLATE = "summary_headline.html.j2"
REGULARITY_WEEKS = 4
SILENT_HORIZON_DAYS = 14  # a unit is expected to report on work due within two weeks
SILENT_REFS_SHOWN = 5


def week_bounds(day: date) -> tuple[date, date]:
    """Monday of the day's ISO week, and the day itself (the summary covers up to it)."""
    return day - timedelta(days=day.weekday()), day


def _bounds(services: Services, start: date, day: date) -> tuple[datetime, datetime]:
    tz = services.clock.tz
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def _human_events(events: Iterable[Event]) -> Iterator[Event]:
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
    for ev in _human_events(services.store.history.events(since=lo, until=hi)):
        if unit := ev.get("unit"):
            seen[unit].add(week_of(ev["at"]))
    return {unit: len(w) for unit, w in seen.items()}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{kpis.fmt_number(round(value, 1))}%"


LIST_LIMIT = 10  # long lists are cut to the first 10, "其余 N 个单位见 /status"
HEADLINE_LIMIT = 1000  # the first message: what a coordinator reads on a phone
MAX_MESSAGES = 3  # the headline and at most two messages of sections
NOTE_SHORT = 40
SECTION_BREAK = "\n§\n"  # the template's line between sections (never in user text)
PROGRESS_KINDS: tuple[EventKind, ...] = ("status", "note", "report")


def _week_notes(events: Iterable[Event], who: scorecard.Reporters) -> list[dict[str, Any]]:
    """This week's reports on tasks (/update, replies, nil returns, completion claims), newest
    first. A lead's 已完成 is a claim made with its note: one report, `claimed`."""
    events = [e for e in events if e.get("task") and e.get("unit")]
    claims = {(e["task"], e["unit"], e["at"]) for e in events if e["kind"] == "claim"}
    noted = {(e["task"], e["unit"], e["at"]) for e in events if e["kind"] in PROGRESS_KINDS}
    out: list[dict[str, Any]] = []
    for ev in events:
        key = (ev["task"], ev["unit"], ev["at"])
        if ev["kind"] not in PROGRESS_KINDS and not (ev["kind"] == "claim" and key not in noted):
            continue
        out.append(
            {
                "task": ev["task"],
                "unit": ev["unit"],
                "at": ev["at"],
                "id": ev.get("id", 0),
                "status": ev.get("status"),
                "percent": ev.get("percent"),
                "note": ev.get("note") or "",
                "nil": ev["kind"] == "report" and not ev.get("status"),
                "claimed": key in claims,
                "proxy": who.is_proxy(ev),
            }
        )
    # Newest first; two in the same second are in the order the store recorded them.
    out.sort(key=lambda n: (n["at"], n["id"]), reverse=True)
    return out


def _one_per_part(notes: list[dict[str, Any]], tasks: Iterable[int] | None) -> list[dict[str, Any]]:
    """The newest note of each unit's part (the list is newest first), of `tasks` (None: all)."""
    wanted = None if tasks is None else set(tasks)
    seen: set[tuple[int, str]] = set()
    out = []
    for n in notes:
        key = (n["task"], n["unit"])
        if (wanted is None or n["task"] in wanted) and key not in seen:
            seen.add(key)
            out.append(n)
    return out


def _cut(rows: list[Any], limit: int) -> tuple[list[Any], int]:
    return rows[:limit], max(0, len(rows) - limit)


@dataclass
class _Week:
    """What every section of one week's summary reads: the week, the plan's state, its notes."""

    services: Services
    day: date
    limit: int
    start: date
    end: date
    tasks: list[progress.TaskProgress]
    events: list[Event]
    notes: list[dict[str, Any]]
    who: scorecard.Reporters

    @property
    def titles(self) -> dict[int, str]:
        return {tp.task.id: tp.task.title for tp in self.tasks}


def _week(services: Services, day: date, limit: int) -> _Week:
    start, end = week_bounds(day)
    lo, hi = _bounds(services, start, end)
    tasks = snapshot(services, day)
    # the week's work on the active plans' tasks: an archived task or a closed plan's is not
    # counted (events on no task, such as a unit's KPI value, stay)
    live = {tp.task.id for tp in tasks}
    events = [
        ev
        for ev in _human_events(services.store.history.events(since=lo, until=hi))
        if ev.get("task") is None or ev["task"] in live
    ]
    who = scorecard.reporters(services)
    return _Week(services, day, limit, start, end, tasks, events, _week_notes(events, who), who)


def _build(services: Services, day: date, limit: int) -> dict[str, Any]:
    """Everything the weekly summary says, as plain data (no Telegram, no HTML)."""
    w = _week(services, day, limit)
    ranking = _ranking(w)
    return {
        **_overview(w),
        "progress": _progress(w),
        **_completed(w),
        **_overdue(w),
        "lagging": _lagging(w),
        "blocked": _blocked(w),
        **_silent(w),
        **_campaign_sections(w),
        **_kpis(w),
        "reviews": _reviews(w),
        "ranking": ranking,
        "behind": ranking["bottom"][:5],
    }


def _kpis(w: _Week) -> dict[str, Any]:
    """量化指标: the KPIs of the plan they were configured for (the first plan, whose keys are
    its numbers), while it is active; no other plan shows them."""
    plans = w.services.store.plans
    owner = plans.get(FIRST_SLOT)
    if owner is None or not owner.active:
        return {"kpis": [], "kpi_plan": None}
    return {
        "kpis": kpis.kpi_rows(w.services.store),
        "kpi_plan": owner if plan_headings(w.services) else None,
    }


def _overview(w: _Week) -> dict[str, Any]:
    """The week, overall progress, lights, statuses, the groups and leads done but open."""
    tasks = w.tasks
    return {
        "day": w.day,
        "week": week_key(w.day),
        "week_no": w.day.isocalendar()[1],
        "start": w.start,
        "end": w.end,
        "tasks": len(tasks),
        "percent": round(sum(t.percent for t in tasks) / len(tasks)) if tasks else 0,
        "lights": progress.light_counts(tasks),
        "statuses": progress.shown_counts(p for tp in tasks for p in tp.parts),
        "day_kind": DAY_KIND,
        "groups": [
            {
                "plan": plan_head(plan, plan_tasks) if n == 0 else None,
                "no": g.no,
                "no_cn": cn_number(g.no),
                "name": g.name,
                "percent": g.percent,
                "tasks": [
                    {"id": t.task.id, "light": t.light, "icon": progress.LIGHT_ICONS[t.light]}
                    for t in g.tasks
                ],
            }
            for plan, plan_tasks in by_plan(w.services, tasks, task_of)
            for n, g in enumerate(progress.groups(plan_tasks))
        ],
        "lead_done": [
            {"task": tp.task.id, "title": tp.task.title}
            for tp in tasks
            if tp.lead_done_open and tp.light != "closed"
        ],
    }


def _progress(w: _Week) -> dict[str, Any]:
    """本周进展: each unit's newest report on each task, newest first, as it was made (its
    status only when that report set one; a completion claim says so), and how many more."""
    pending = {
        (s["task"], s["unit"])
        for s in w.services.store.parts.states()
        if s.get("claim") == "pending"
    }
    rows = [
        {**n, "pending": (n["task"], n["unit"]) in pending} for n in _one_per_part(w.notes, None)
    ]
    shown, more = _cut(rows, w.limit)
    return {"rows": shown, "more": more, "total": len(w.notes)}


def _completed(w: _Week) -> dict[str, Any]:
    """Parts the units themselves reported done this week, by task."""
    completed: dict[int, list[str]] = defaultdict(list)
    for ev in w.events:
        task, unit = ev.get("task"), ev.get("unit")
        # A part the coordinator closed with the lead's claim is not the unit's completion.
        if ev.get("status") == PartStatus.DONE and task and unit and ev["kind"] != "part.closed":
            if unit not in completed[task]:
                completed[task].append(unit)
    closed = {tp.task.id for tp in w.tasks if tp.light == "closed"}
    titles = w.titles
    return {
        "completed": [
            {"task": tid, "title": titles.get(tid, ""), "units": units, "closed": tid in closed}
            for tid, units in sorted(completed.items())
        ],
        "completed_parts": sum(len(u) for u in completed.values()),
    }


def _overdue(w: _Week) -> dict[str, Any]:
    """逾期事项: every overdue part, supporters included, grouped by unit."""
    services = w.services
    by_unit = progress.overdue_by_unit(
        w.tasks,
        services.store.people.contacts(),
        services.calendar,
        w.day,
        services.units.coordinator.name,
    )
    overdue = [
        {
            "task": item.task.id,
            "title": item.task.title,
            "unit": unit,
            "role": item.role,
            "days": item.days,
            "workdays": item.workdays,
            "due": item.due,
        }
        for unit, items in by_unit.items()
        for item in items
    ]
    office = services.units.coordinator.name
    overdue_units = [
        {
            "unit": unit,
            "office": unit == office,
            "parts": [
                {"task": i.task.id, "role": i.role, "days": i.days, "due": i.due} for i in items
            ],
        }
        for unit, items in by_unit.items()
    ]
    shown, more = _cut(overdue_units, w.limit)
    return {
        "overdue": overdue,
        "overdue_units": {"rows": shown, "more": more, "total": len(by_unit)},
    }


def _lagging(w: _Week) -> dict[str, Any]:
    """滞后序时进度: open tasks behind the progress due by the day (and not overdue)."""
    titles = w.titles
    found = lagging(w.services, w.day)
    rows = [
        {"task": task, "title": titles.get(task, ""), "lag": lag} for task, lag in found.items()
    ]
    shown, more = _cut(rows, w.limit)
    return {
        "rows": shown,
        "more": more,
        "total": len(rows),
        "missed": sum(1 for lag in found.values() if lag.missed),
    }


def _blocked(w: _Week) -> dict[str, Any]:
    """受阻: each blocked part of an open task, with its reason."""
    blocked = [
        {
            "task": tp.task.id,
            "title": tp.task.title,
            "unit": p.unit,
            "role": p.role,
            "reason": p.note or "",
            "since": p.updated_at,
        }
        for tp in w.tasks
        if tp.light != "closed"
        for p in tp.parts
        if p.status == PartStatus.BLOCKED
    ]
    shown, more = _cut(blocked, w.limit)
    return {"rows": shown, "more": more, "total": len(blocked)}


def _silent(w: _Week) -> dict[str, Any]:
    """本周未报送: units with due work that recorded nothing of their own this week."""
    active = {ev["unit"] for ev in w.events if ev.get("unit") and w.who.is_own(ev)}
    # The coordinating office's parts are the coordinators' own work: not a unit to chase.
    active.add(w.services.units.coordinator.name)
    due_work = progress.due_work_by_unit(w.tasks, w.day, SILENT_HORIZON_DAYS)
    silent = [
        _silent_row(unit, due_work[unit])
        for unit in sorted(set(due_work) - active, key=unit_order(w.services))
    ]
    silent.sort(key=lambda row: -row["overdue"])  # units with the most overdue work first
    shown, more = _cut(silent, w.limit)
    return {
        "silent": silent,
        "silent_shown": shown,
        "silent_more": more,
        "silent_horizon": SILENT_HORIZON_DAYS,
    }


def _campaign_sections(w: _Week) -> dict[str, Any]:
    """诚信建设万里行 and 专项治理: their tasks' plain notes and structured reports."""
    found = sections.sections_for(tp.task for tp in w.tasks)
    out = {
        "campaign": _campaign(w, found.get("campaign")),
        "rectify": _rectify(w, found.get("rectify")),
    }
    # beside other plans, a section names the plan(s) whose tasks it reports on
    named = plan_headings(w.services)
    for key, data in out.items():
        section = found.get(key)
        slots = section.plans if named and section else ()
        data["plans"] = [p for p in map(w.services.store.plans.get, slots) if p is not None]
    return out


def _campaign(w: _Week, camp: sections.Section | None) -> dict[str, Any]:
    store, limit = w.services.store, w.limit
    camp_tasks = set(camp.tasks) if camp else set()
    acts = campaign.campaign_stats(
        [a for a in campaign.activities(store) if a.get("task") in camp_tasks], w.start, w.end
    )
    notes = _one_per_part(w.notes, camp_tasks)
    return {
        "present": bool(camp and camp.tasks),
        "title": camp.title if camp else "诚信建设万里行",
        "tasks": sorted(camp_tasks),
        "notes": notes[:limit],
        "notes_more": max(0, len(notes) - limit),
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
            for a in acts.week[:limit]
        ],
        "week_count": len(acts.week),
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
    }


def _rectify(w: _Week, rect: sections.Section | None) -> dict[str, Any]:
    rect_tasks = set(rect.tasks) if rect else set()
    fields = [
        f
        for f in campaign.rectify_stats(campaign.rectifications(w.services.store), w.start, w.end)
        if f.task in rect_tasks
    ]
    notes = _one_per_part(w.notes, rect_tasks)
    return {
        "present": bool(rect and rect.tasks),
        "title": rect.title if rect else "专项治理",
        "tasks": sorted(rect_tasks),
        "notes": notes[: w.limit],
        "notes_more": max(0, len(notes) - w.limit),
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
    }


def _reviews(w: _Week) -> dict[str, Any]:
    """待审核: completion claims and extension requests waiting for a coordinator."""
    titles = w.titles
    # the claims and requests on the active plans' live tasks
    pending = [r for r in review.records(w.services.store) if r["task"] in titles]
    return {
        "claims": [
            {
                "id": r["id"],
                "task": r["task"],
                "unit": r["unit"],
                "title": titles.get(r["task"], ""),
            }
            for r in pending
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
            for r in pending
            if r.get("kind") == "extension"
        ],
    }


def _ranking(w: _Week) -> dict[str, Any]:
    """通报: the units that earned praise and those that need to speed up, from the scorecard;
    early in a campaign (too few units with due work), no ranking at all."""
    card = scorecard.scorecard(w.services, w.day, w.tasks)
    rule = card.scoring
    top = [_score_row(s) for s in card.ranked if rule.praised(s)][: card.shown]
    # 需加快进度: the lowest-ranked units with a real shortfall, worst first.
    praised = {r["unit"] for r in top}
    bottom = [
        _score_row(s) for s in card.ranked[::-1] if s.unit not in praised and rule.lagging(s)
    ][: card.shown]
    office = card.office
    return {
        "open": card.open,
        "top": top,
        "bottom": bottom,
        "units": len(card.rows),
        "ranked": len(card.ranked),
        "with_due": card.with_due,
        "min_units": rule.rank_min_units,
        "unranked": [r.unit for r in card.unranked],
        "office": office.unit if office else None,
        "weeks": card.weeks,
        "rule": {
            "on_time": _share(rule.on_time_weight),
            "regular": _share(rule.regularity_weight),
            "penalty": _share(rule.overdue_penalty),
            "praise_on_time": _share(rule.praise_on_time),
            "praise_weeks": rule.praise_weeks,
            "praise_overdue": rule.praise_max_overdue,
        },
    }


def _share(value: float) -> str:
    """0.6 → "60" (a weight or a rate in points out of 100)."""
    return kpis.fmt_number(round(100 * value, 1))


def _silent_row(unit: str, parts: list[progress.PartProgress]) -> dict[str, Any]:
    """A unit that sent nothing this week, with the #N refs of the work it owes."""
    parts = sorted(parts, key=lambda p: (not p.overdue, p.task))
    return {
        "unit": unit,
        "overdue": sum(1 for p in parts if p.overdue),
        "refs": [{"task": p.task, "overdue": p.overdue} for p in parts[:SILENT_REFS_SHOWN]],
        "more": max(0, len(parts) - SILENT_REFS_SHOWN),
    }


def _score_row(score: scorecard.UnitScore) -> dict[str, Any]:
    return {
        "rank": score.rank,
        "unit": score.unit,
        "on_time": _percent(None if score.on_time is None else 100 * score.on_time),
        "regular": score.own_weeks,
        "overdue": score.overdue,
        "done": score.done,
        "parts": score.parts,
        "score": score.score,
    }


def headline(data: Mapping[str, Any]) -> str:
    """The first message: overall progress, this week, overdue, the five units most behind."""
    text = render(HEADLINE_TEMPLATE, **data).strip()
    if len(text) <= HEADLINE_LIMIT:
        return text
    # Only the unit names can grow; drop them from the end until the headline fits.
    behind = list(data.get("behind") or [])
    while behind and len(text) > HEADLINE_LIMIT:
        behind.pop()
        text = render(HEADLINE_TEMPLATE, **{**data, "behind": behind}).strip()
    return text[:HEADLINE_LIMIT]


def _sections(data: Mapping[str, Any]) -> list[str]:
    text = render(TEMPLATE, cn=cn_number, **data)
    return [part.strip() for part in text.split(SECTION_BREAK) if part.strip()]


def _pack(parts: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Sections into as few messages as fit; a section longer than a message is split."""
    out: list[str] = []
    for part in parts:
        for piece in split_message(part, limit):
            if out and len(out[-1]) + 2 + len(piece) <= limit:
                out[-1] += "\n\n" + piece
            else:
                out.append(piece)
    return out


class Summary(NamedTuple):
    """The weekly summary: its data (the lists cut to fit) and its messages as posted."""

    data: dict[str, Any]
    messages: list[str]  # the headline of ≤ 1,000 characters, then the sections (≤ 3 in all)

    @property
    def text(self) -> str:
        """The messages one after another (what `duban summary` prints)."""
        return "\n\n".join(self.messages)


def messages_of(services: Services, day: date) -> Summary:
    """The summary of `day`, the one way to read it: the data, the headline, the sections."""
    limit = LIST_LIMIT
    while True:
        data = _build(services, day, limit)
        body = _pack(_sections(data))
        if len(body) <= MAX_MESSAGES - 1 or limit <= 3:
            break
        limit = max(3, limit // 2)  # shorter lists before ever dropping a section
    if len(body) > MAX_MESSAGES - 1:
        keep = body[: MAX_MESSAGES - 1]
        keep[-1] = split_message(keep[-1] + "\n……（其余内容见 /status）")[0]
        body = keep
    return Summary(data, [headline(data), *body])
