"""序时进度 over the store: each open task's standing against the progress due by a day.

The rule is `bot.domain.schedule.lag`; this module feeds it from the store. A task's reported
percent is its lowest lead's (a task is as far along as its slowest lead: one lead at 80% does
not carry another at 10%); its done milestones are those any lead reported done
(`milestones_done` on the lead's part). Closed (办结) and archived tasks never lag, and an
overdue task is shown as overdue, never also as lagging. /status, the card, /overdue, the
summary and the export all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.domain import progress
from bot.domain.schedule import Lag, lag, milestones_done
from bot.plan.model import Milestone
from bot.reports.snapshot import progress_sources, snapshot

if TYPE_CHECKING:
    from bot.services import Services

MISSED_SHOWN = 3  # missed milestones named in a line; the rest are counted


@dataclass(frozen=True)
class TaskLag:
    """One open task's Lag on a day, with what it was read from."""

    task: int
    reported: int  # the lowest lead's percent (a done part counts 100)
    lag: Lag
    overdue: bool  # a part is overdue: the task is shown as overdue, not as lagging

    @property
    def lagging(self) -> bool:
        """🟡 滞后序时进度 as the views show it: lagging, and not overdue (shown once, as that)."""
        return self.lag.lagging and not self.overdue

    @property
    def due_percent(self) -> int | None:
        return self.lag.due.percent

    @property
    def missed(self) -> tuple[Milestone, ...]:
        return self.lag.missed

    @property
    def missed_shown(self) -> tuple[Milestone, ...]:
        """The missed milestones a line names (the oldest); `missed_more` counts the rest."""
        return self.lag.missed[:MISSED_SHOWN]

    @property
    def missed_more(self) -> int:
        return max(0, len(self.lag.missed) - MISSED_SHOWN)


def reported_percent(tp: progress.TaskProgress) -> int:
    """The percent a task's lag is judged by: its lowest lead's (all units' without leads)."""
    leads = [p for p in tp.parts if p.role == "lead"] or tp.parts
    return min((p.progress for p in leads), default=0)


def lags(services: Services, day: date) -> dict[int, TaskLag]:
    """Every open task's TaskLag on `day` (closed and archived tasks have none), from the
    store; computed once while the tasks and states are unchanged."""
    store = services.store
    since = services.tracking_start()
    policy = services.policy.due_progress

    def compute() -> dict[int, TaskLag]:
        done = milestones_done(store.parts.states())
        start = since or day
        out = {}
        for tp in snapshot(services, day):
            if tp.light == "closed":
                continue
            reported = reported_percent(tp)
            found = lag(tp.task, start, day, reported, done.get(tp.task.id, {}), policy)
            overdue = any(p.overdue for p in tp.parts)
            out[tp.task.id] = TaskLag(tp.task.id, reported, found, overdue)
        return out

    key = (day, since, policy)
    return store.derived("lags", progress_sources(store), key, compute)


def lagging(services: Services, day: date) -> dict[int, TaskLag]:
    """The tasks 滞后序时进度 on `day`, by task."""
    return {task: found for task, found in lags(services, day).items() if found.lagging}
