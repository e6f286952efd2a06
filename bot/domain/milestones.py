"""Where a task's milestones (时间节点) stand on a day: ✅ done, ⏳ coming, 🔴 missed.

A milestone is done when a lead unit reported it done (the marks in its part's
`milestones_done`); it is missed from the day after its date until then (as a deadline is
overdue, bot.domain.schedule.passed). Pure functions of the task, the parts and the day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from bot.domain.schedule import passed
from bot.plan.model import Milestone
from bot.store.records import MilestoneMark, StateView

MAX_MILESTONES = 12  # on one task: more is a plan to split, not a task to follow
MAX_TEXT = 200  # characters of a milestone's text
Standing = Literal["done", "coming", "missed"]
STANDING_MARKS: dict[Standing, str] = {"done": "✅", "coming": "⏳", "missed": "🔴"}


def marked(mark: MilestoneMark) -> Milestone:
    """The milestone a mark names."""
    return Milestone(date.fromisoformat(mark["due"]), mark["text"])


def done_of(states: Iterable[StateView]) -> frozenset[Milestone]:
    """The milestones the task's lead units reported done (any lead's mark counts)."""
    return frozenset(
        marked(mark)
        for state in states
        if state.get("role") == "lead"
        for mark in state.get("milestones_done") or ()
    )


def standing(milestone: Milestone, done: Iterable[Milestone], today: date) -> Standing:
    if milestone in done:
        return "done"
    return "missed" if passed(milestone, today) else "coming"


def open_ones(milestones: Sequence[Milestone], done: Iterable[Milestone]) -> list[Milestone]:
    """The milestones not reported done, earliest first."""
    finished = set(done)
    return [m for m in sorted(milestones) if m not in finished]
