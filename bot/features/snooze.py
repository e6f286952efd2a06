"""/snooze: a unit's reminders for one task paused until a day, or resumed."""

from __future__ import annotations

from datetime import datetime

from bot.domain.dates import parse_duration_or_date
from bot.features.plan_period import snooze_limit
from bot.store import Store
from bot.text.render import render

CANCEL_WORDS = frozenset({"取消", "恢复", "off", "0"})


def usage() -> str:
    return render("snooze.html.j2", outcome="usage")


def snooze(store: Store, task_id: int, unit: str, words: str, *, at: datetime, actor: int) -> str:
    """Pause the part's reminders until `words` (3天, 下周一, a date; 取消 resumes): the reply."""
    resume = words.lower() in CANCEL_WORDS
    until = None if resume else parse_duration_or_date(words, at.date())
    if not resume and (until is None or until <= at.date()):
        return render("snooze.html.j2", outcome="bad_date", text=words)
    if until is not None and until > (limit := snooze_limit(store, at.date())):
        return render("snooze.html.j2", outcome="too_long", text=words, limit=limit)
    store.parts.update_state(
        task_id,
        unit,
        at=at,
        actor=actor,
        event="snooze",
        snoozed_until=until.isoformat() if until else None,
    )
    outcome = "snoozed" if until else "resumed"
    return render("snooze.html.j2", outcome=outcome, task=task_id, unit=unit, until=until)
