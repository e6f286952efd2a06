"""A month of the campaign through the real sandbox, stepped an hour at a time (bench/rehearsal.py).

Deterministic: a FixedClock moves from Monday 21 June 2021 08:55 to Friday 23 July 17:00 and
each step runs the bot's tick once; the people of the demo act in chat along the way. The
checks are what a coordinator would look at: workday 09:00 reminders, one message per chat
and morning, the overdue cadence and the one escalation, one weekly summary with its chart,
one no-contact notice a week, no error, and that the nil return, the snooze and the approved
claim took effect.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from bench.rehearsal import COORDINATOR, GROUP, Outcome, actions, check, per_day_table, rehearse
from bot.domain.clock import SHANGHAI


async def test_a_month_rehearsed_has_nothing_a_coordinator_would_find_wrong(
    tmp_path: Path,
) -> None:
    out: Outcome = await rehearse(tmp_path / "state", flood_limits=False)
    assert out.done == [label for _, label, _ in actions()], out.failed
    assert check(out) == [], per_day_table(out)

    def days(chat: int, start: str) -> list[date]:
        return [
            datetime.fromtimestamp(m["date"], SHANGHAI).date()
            for m in out.bot_messages(chat)
            if (m.get("text") or "").startswith(start)
        ]

    # the escalations: 7 July for the 30 June deadlines, 15 July for July's #1 reports
    assert days(GROUP, "🚨") == days(COORDINATOR, "🚨") == [date(2021, 7, 7), date(2021, 7, 15)]
    assert len(days(GROUP, "📊")) == 5
    assert days(COORDINATOR, "📋") == [
        date(2021, 6, 21),
        date(2021, 6, 28),
        date(2021, 7, 5),
        date(2021, 7, 12),
        date(2021, 7, 19),
    ]
