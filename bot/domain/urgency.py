"""The one order of a unit's work, used by /mytasks and the morning digest alike.

Overdue first, then due soon (within a working week), then the rest; within each, the unit's
lead parts before its supporting parts, then the soonest due, then the plan's order.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Urgency = Literal["overdue", "soon", "later"]
URGENCIES: tuple[Urgency, ...] = ("overdue", "soon", "later")
SOON_WORKDAYS = 5  # "due soon": within a working week (working days left, bot.domain.days)


def urgency_of(*, overdue: bool, workdays_left: int | None, waiting: bool = False) -> Urgency:
    """`overdue`, `soon` (due within SOON_WORKDAYS working days and not waiting on anyone
    else: reported for the period, or claimed and under review) or `later`."""
    if overdue:
        return "overdue"
    if workdays_left is not None and 0 <= workdays_left <= SOON_WORKDAYS and not waiting:
        return "soon"
    return "later"


def work_order(
    urgency: Urgency, role: str, due: date | None, task: int, unit: str = ""
) -> tuple[int, bool, date, int, str]:
    """The sort key of one part in a unit's list of work (the module's order)."""
    return (URGENCIES.index(urgency), role != "lead", due or date.max, task, unit)
