"""The plan's period: the year its deadlines fall in, which bounds snoozes and extensions."""

from __future__ import annotations

from datetime import date, timedelta

from bot.store import Store

MIN_SNOOZE_SPAN = timedelta(days=366)  # once the plan year is over: at most a year ahead


def plan_year(store: Store, today: date) -> int:
    """The latest year a task of the plan is due in (today's year for a plan without dates)."""
    years = [t.deadline.due.year for t in store.plan.tasks() if t.deadline.due is not None]
    return max(years) if years else today.year


def snooze_limit(store: Store, today: date) -> date:
    """The last day a snooze may run to: the end of the plan period."""
    end = date(plan_year(store, today), 12, 31)
    return end if end > today else today + MIN_SNOOZE_SPAN


def extension_limit(store: Store, today: date) -> date:
    """The last day an extension may ask for: the end of the year after the plan year."""
    return date(max(plan_year(store, today), today.year) + 1, 12, 31)
