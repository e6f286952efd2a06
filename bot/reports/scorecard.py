"""The one scorecard (单位评分): the summary's 通报 and the export's 单位评分 both read it.

The rule is written in `data/scoring.yaml` (explained there and in the README). Entries a
coordinator makes for a unit are 代报: shown in the history and the export, never counted as
the unit's own reporting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bot
from bot.domain import progress
from bot.domain.datafile import read_yaml
from bot.domain.schedule import milestones_done
from bot.domain.status import chased, periods_due, week_of
from bot.plan.model import Milestone
from bot.reports.snapshot import snapshot, unit_order
from bot.store.records import EventKind, EventRow, PartStatus

if TYPE_CHECKING:
    from bot.services import Services

SCORING_PATH = bot.DATA / "scoring.yaml"
# the events that mark a period reported
PERIOD_REPORT_KINDS: tuple[EventKind, ...] = ("status", "report")
# Events that are a unit reporting on its work (not bookkeeping, not the bot's own).
REPORTING_KINDS: frozenset[EventKind] = frozenset(
    {
        "status",
        "note",
        "report",
        "evidence",
        "claim",
        "extension.request",
        "activity",
        "rectify",
        "metric",
    }
)


@dataclass(frozen=True)
class Scoring:
    """The numbers of the rule (data/scoring.yaml)."""

    window_weeks: int = 4
    on_time_weight: float = 0.6
    regularity_weight: float = 0.4
    overdue_penalty: float = 0.05
    shown: int = 5
    praise_on_time: float = 0.8  # praised: on-time rate at least this (≥ 1 part on time) …
    praise_weeks: int = 3  # … or own reporting in at least this many weeks of the window …
    praise_max_overdue: int = 0  # … and no more parts overdue today than this
    rank_min_units: int = 10  # no ranking until this many units have due work in the window

    def praised(self, row: UnitScore) -> bool:
        """Real merit: work finished on time, or a sustained reporting record, and no more
        overdue work than allowed."""
        if row.overdue > self.praise_max_overdue:
            return False
        on_time = row.on_time_done > 0 and (row.on_time or 0) >= self.praise_on_time
        return on_time or row.own_weeks >= self.praise_weeks

    def lagging(self, row: UnitScore) -> bool:
        """需加快进度: overdue work, on-time rate under the praise line, or no own reporting."""
        low = row.on_time is not None and row.on_time < self.praise_on_time
        return row.overdue > 0 or low or row.own_weeks == 0


@lru_cache(maxsize=4)
def load_scoring(path: Path = SCORING_PATH) -> Scoring:
    """The scoring rule; a ValueError names the file and key of a bad value."""
    raw = read_yaml(path, "the scoring rule") or {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected a mapping")
    base = Scoring()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not hasattr(base, key):
            raise ValueError(f"{path}: {key}: unknown setting")
        default = getattr(base, key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{path}: {key}: expected a number ≥ 0, got {value!r}")
        if isinstance(default, int) and not isinstance(value, int):
            raise ValueError(f"{path}: {key}: expected a whole number, got {value!r}")
        values[key] = type(default)(value)
    scoring = Scoring(**values)
    if scoring.window_weeks < 1:
        raise ValueError(f"{path}: window_weeks: must be at least 1")
    if scoring.praise_on_time > 1:
        raise ValueError(f"{path}: praise_on_time: a share, at most 1")
    if scoring.praise_weeks > scoring.window_weeks:
        raise ValueError(f"{path}: praise_weeks: at most window_weeks ({scoring.window_weeks})")
    return scoring


# --- who reported: the unit itself, or a coordinator for it (代报) -----------------------


@dataclass(frozen=True)
class Reporters:
    """Who may report for whom: bound contacts per unit, the coordinators, their unit."""

    bound: Mapping[int, frozenset[str]]  # user id → units it was ever bound to
    coordinators: frozenset[int]
    coordinator_unit: str | None

    def is_proxy(self, ev: EventRow) -> bool:
        """A report for a unit made by a coordinator who is not that unit's contact.

        Only reporting can be 代报: a coordinator's decision about a unit's part (a claim
        approved or refused, an extension granted, a part closed, an answer, a 催办) is the
        coordinator's own act. Told by the event's kind, so stored events read right too.
        """
        actor, unit = ev.get("actor"), ev.get("unit")
        if not isinstance(actor, int) or isinstance(actor, bool) or not unit:
            return False
        if ev.get("kind") not in REPORTING_KINDS:
            return False
        if unit in self.bound.get(actor, ()):
            return False
        if ev.get("on_behalf"):
            return True
        return actor in self.coordinators and unit != self.coordinator_unit

    def is_own(self, ev: EventRow) -> bool:
        """The unit's own reporting: a person's reporting event, not 代报."""
        actor = ev.get("actor")
        if not isinstance(actor, int) or isinstance(actor, bool) or not ev.get("unit"):
            return False
        return ev.get("kind") in REPORTING_KINDS and not self.is_proxy(ev)


def reporters(services: Services) -> Reporters:
    bound: dict[int, set[str]] = defaultdict(set)
    for doc in services.store.people.contacts(former=True):
        bound[int(doc["user_id"])].add(doc["unit"])
    return Reporters(
        bound={k: frozenset(v) for k, v in bound.items()},
        coordinators=frozenset(services.settings.coordinators),
        coordinator_unit=services.units.coordinator.name,
    )


# --- the scorecard ------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitScore:
    """One unit's line: ranked (rank ≥ 1) or 不参与排名 (rank None)."""

    unit: str
    parts: int
    done: int
    overdue: int
    due: int  # parts with due work in the window
    on_time_done: int
    own_weeks: int
    proxy_entries: int  # 代报 in the window
    score: float | None  # 0..100, None without due work
    rank: int | None
    coordinator: bool = False  # the coordinating office: its parts are the coordinators' own

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def on_time(self) -> float | None:
        return self.on_time_done / self.due if self.due else None


@dataclass(frozen=True)
class Scorecard:
    day: date
    window_start: date
    weeks: int
    rows: list[UnitScore]  # ranked first (by rank), then the rest in directory order
    shown: int
    scoring: Scoring
    with_due: int  # units (the coordinating office aside) with due work in the window

    @property
    def open(self) -> bool:
        """Whether enough units have due work to rank them (early in a campaign, not yet)."""
        return self.with_due >= max(1, self.scoring.rank_min_units)

    @property
    def ranked(self) -> list[UnitScore]:
        return [r for r in self.rows if r.ranked]

    @property
    def unranked(self) -> list[UnitScore]:
        """Units with no due work in the window (the coordinating office aside)."""
        return [r for r in self.rows if r.due == 0 and not r.coordinator]

    @property
    def office(self) -> UnitScore | None:
        return next((r for r in self.rows if r.coordinator), None)

    def standing(self, row: UnitScore) -> int | str:
        """The 排名 cell: the rank, or why the unit has none."""
        if row.rank is not None:
            return row.rank
        if row.coordinator:
            return "督办单位"
        return "不参与排名" if row.due == 0 else "暂不排名"


def window_start(day: date, weeks: int) -> date:
    """Monday of the first ISO week of the window ending with `day`'s week."""
    return day - timedelta(days=day.weekday()) - timedelta(weeks=weeks - 1)


def _due_in_window(p: progress.PartProgress, day: date, start: date) -> bool:
    if p.due is None or p.due > day or p.closed_by == "coordinator":
        return False
    return p.due >= start or p.status != PartStatus.DONE


def _finished_on_time(p: progress.PartProgress) -> bool:
    finished = p.done_at or p.updated_at
    return (
        p.status == PartStatus.DONE
        and finished is not None
        and p.due is not None
        and (finished.date() <= p.due)
    )


Reports = Mapping[tuple[int, str, str], date]  # (task, unit, period) → day first reported
Marks = Mapping[int, Mapping[Milestone, str]]  # task → milestone → when reported done (ISO)


def _milestone_items(
    tp: progress.TaskProgress,
    p: progress.PartProgress,
    day: date,
    start: date,
    since: date | None,
    marks: Marks,
) -> list[bool]:
    """A lead part's milestones passed in the window, one item each: reported done by its
    day (or the part finished by then) or not. A milestone passed and not reported done is a
    late item, as is one reported done after its day. The last step, on or after the part's
    deadline, is the part's own item; milestones before tracking started are not owed."""
    if p.role != "lead" or p.closed_by == "coordinator":
        return []
    done = marks.get(tp.task.id, {})
    finished = (p.done_at or p.updated_at) if p.status == PartStatus.DONE else None
    out = []
    for m in tp.task.milestones:
        if day <= m.due or (p.due is not None and m.due >= p.due) or not chased(m.due, since):
            continue
        at = progress.parse_at(done.get(m))
        if m.due < start and (at is not None or finished is not None):
            continue  # done, and due before the window: as a part's item would be
        on_time = (at is not None and at.date() <= m.due) or (
            finished is not None and finished.date() <= m.due
        )
        out.append(on_time)
    return out


def _due_items(
    tp: progress.TaskProgress,
    p: progress.PartProgress,
    day: date,
    start: date,
    since: date | None,
    reports: Reports,
) -> list[bool]:
    """A part's due work in the window, one entry per item: finished on time or not.

    A periodic part owes one report per period due in the window (and after tracking
    started); a 零报告 is that period's report. Any other part is one item.
    """
    if p.report_missing is None:
        return [_finished_on_time(p)] if _due_in_window(p, day, start) else []
    lo = max(start, since) if since else start
    return [
        (reported := reports.get((p.task, p.unit, key))) is not None and reported <= due
        for key, due in periods_due(tp.task, lo, day)
    ]


def compute(
    tasks: Iterable[progress.TaskProgress],
    events: Iterable[EventRow],
    who: Reporters,
    day: date,
    unit_order: Callable[[str], Any],
    scoring: Scoring,
    *,
    since: date | None = None,
    reports: Reports | None = None,
    marks: Marks | None = None,
) -> Scorecard:
    """The scorecard of `day`, pure: parts, the window's events, who reports for whom, the day
    tracking started, when each period was first reported and each milestone reported done."""
    start = window_start(day, scoring.window_weeks)
    per_unit: dict[str, list[tuple[progress.TaskProgress, progress.PartProgress]]] = defaultdict(
        list
    )
    for tp in tasks:
        for p in tp.parts:
            per_unit[p.unit].append((tp, p))
    weeks: dict[str, set[str]] = defaultdict(set)
    proxies: dict[str, int] = defaultdict(int)
    lo = start.isoformat()
    hi = day.isoformat()
    for ev in events:
        unit, actor = ev.get("unit"), ev.get("actor")
        if not unit or ev.get("kind") not in REPORTING_KINDS:
            continue  # neither the unit's own reporting nor 代报
        if not isinstance(actor, int) or isinstance(actor, bool):
            continue  # the bot's or the CLI's record, not a person's
        if ev.get("at", "") < lo or ev["at"][:10] > hi:
            continue
        if who.is_proxy(ev):
            proxies[unit] += 1
        else:  # is_own
            weeks[unit].add(week_of(ev["at"]))
    drafts = []
    for unit, pairs in per_unit.items():
        items = [
            ok
            for tp, p in pairs
            for ok in (
                _due_items(tp, p, day, start, since, reports or {})
                + _milestone_items(tp, p, day, start, since, marks or {})
            )
        ]
        on_time = sum(items)
        overdue = sum(1 for _, p in pairs if p.overdue)
        own = min(len(weeks.get(unit, ())), scoring.window_weeks)
        score = None
        if items:
            value = (
                scoring.on_time_weight * (on_time / len(items))
                + scoring.regularity_weight * (own / scoring.window_weeks)
                - scoring.overdue_penalty * overdue
            )
            score = round(100 * max(0.0, value), 1)
        drafts.append(
            UnitScore(
                unit=unit,
                parts=len(pairs),
                done=sum(1 for _, p in pairs if p.status == PartStatus.DONE),
                overdue=overdue,
                due=len(items),
                on_time_done=on_time,
                own_weeks=own,
                proxy_entries=proxies.get(unit, 0),
                score=score,
                rank=None,
                coordinator=unit == who.coordinator_unit,
            )
        )
    # The coordinating office does not rank itself among the units it supervises.
    candidates = [d for d in drafts if d.score is not None and not d.coordinator]
    card_open = len(candidates) >= max(1, scoring.rank_min_units)
    ranked = sorted(candidates if card_open else [], key=lambda d: (_merit(d), unit_order(d.unit)))
    chosen = {d.unit for d in ranked}
    rest = sorted((d for d in drafts if d.unit not in chosen), key=lambda d: unit_order(d.unit))
    rows: list[UnitScore] = []
    for i, d in enumerate(ranked):
        # Equal merit, equal rank (1, 2, 2, 4): the directory's order decides no one's place.
        tied = i > 0 and _merit(ranked[i - 1]) == _merit(d)
        rows.append(_with_rank(d, rows[-1].rank if tied else i + 1))
    rows += rest
    return Scorecard(
        day, start, scoring.window_weeks, rows, scoring.shown, scoring, len(candidates)
    )


def _merit(row: UnitScore) -> tuple[bool, float, int]:
    """The ranking key: own reporting in the window first, then score, then fewer overdue."""
    return (row.own_weeks == 0, -(row.score or 0), row.overdue)


def _with_rank(row: UnitScore, rank: int | None) -> UnitScore:
    return replace(row, rank=rank)


def scorecard(
    services: Services, day: date, tasks: list[progress.TaskProgress] | None = None
) -> Scorecard:
    """The scorecard of `day` from the store (both the summary and the export call this)."""
    scoring = load_scoring()
    tasks = tasks if tasks is not None else snapshot(services, day)
    tz = services.clock.tz
    start = window_start(day, scoring.window_weeks)
    lo = datetime.combine(start, time(0), tzinfo=tz)
    hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    events = services.store.history.events(since=lo, until=hi)
    return compute(
        tasks,
        events,
        reporters(services),
        day,
        unit_order(services),
        scoring,
        since=services.tracking_start(),
        reports=period_reports(services, tasks),
        marks=milestones_done(services.store.parts.states()),
    )


def period_reports(
    services: Services, tasks: Iterable[progress.TaskProgress]
) -> dict[tuple[int, str, str], date]:
    """(task, unit, period) → the day the period was first reported (an update or a 零报告),
    from the periodic tasks' histories."""
    tz = services.clock.tz
    out: dict[tuple[int, str, str], date] = {}
    for tp in tasks:
        if tp.task.deadline.kind not in ("monthly", "quarterly"):
            continue
        for ev in services.store.history.events(task=tp.task.id, kinds=PERIOD_REPORT_KINDS):
            at = progress.parse_at(ev.get("at"))
            unit = ev.get("unit")
            if at is None or not unit:
                continue
            for period in ev.get("reported") or ():
                key = (tp.task.id, unit, period)
                if key not in out:
                    out[key] = at.astimezone(tz).date() if at.tzinfo else at.date()
    return out
