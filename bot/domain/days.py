"""How late a part is: one count, in working days, everywhere (digest, card, /status, summary).

Reminders and escalations already count working days (`overdue.every_workdays`,
`escalate_after_workdays`); the views used calendar days beside them, so the same part read
"逾期 16 天" in one place and "12 个工作日" in another. Every count now comes from here and
says its kind (`DAY_KIND`).
"""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import WorkCalendar

DAY_KIND = "工作日"


def days_late(calendar: WorkCalendar, due: date | None, today: date) -> int:
    """Working days after `due` up to and including `today` (0 when not yet late)."""
    if due is None or today <= due:
        return 0
    return calendar.workdays_between(due, today)


def days_left(calendar: WorkCalendar, today: date, due: date | None) -> int | None:
    """Working days after `today` up to and including `due`; negative when late; None: no date."""
    if due is None:
        return None
    if due >= today:
        return calendar.workdays_between(today, due)
    return -days_late(calendar, due, today)
