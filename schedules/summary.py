"""When the weekly summary goes out: at DUBAN_SUMMARY_AT, once per ISO week, caught up late.

The ledger entry `summary:YYYY-Www` makes posting idempotent: the tick may run every simulated
minute, the bot may restart, and the week's summary still goes out once. A bot that was down
at the slot posts as soon as it runs again in the same week (e.g. started on Saturday).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.domain.policy import policy_of
from bot.domain.status import week_key
from bot.services import Services
from bot.store.records import LedgerFields
from bot.telegram.context import OUTBOX, SERVICES
from bot.telegram.outbox import Outbox
from bot.telegram.publish import post_summary

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=15)  # after a failed post, wait this long (clock time)


def slot_of_week(settings: Settings, now: datetime) -> datetime:
    """The summary instant of the ISO week containing `now` (in the bot's time zone)."""
    local = now.astimezone(settings.timezone)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=settings.summary_weekday)
    return datetime.combine(day, settings.summary_time, tzinfo=settings.timezone)


def due_week(settings: Settings, now: datetime) -> str | None:
    """The ISO week whose summary is due at `now` (its slot has passed), or None."""
    if now < slot_of_week(settings, now):
        return None
    return week_key(now.astimezone(settings.timezone).date())


def ledger_key(week: str) -> str:
    return f"summary:{week}"


async def post_weekly_summary(sender: Any, services: Services) -> bool:
    """Post this week's summary if its slot has passed and it has not gone out; True if posted."""
    settings = services.settings
    chat_id = settings.summary_chat_id
    now = services.clock.now()
    week = due_week(settings, now)
    if chat_id is None or week is None:
        return False
    key = ledger_key(week)
    store = services.store
    found = store.deliveries.ledger_get(key)
    entry: LedgerFields = found if found is not None else {}
    if entry.get("status") == "sent":
        return False
    if entry.get("status") == "failed" and entry.get("failed_at"):
        if now < datetime.fromisoformat(entry["failed_at"]) + RETRY_AFTER:
            return False
    # "sending" left by a process that died mid-send is retried: a duplicate beats a lost week.
    store.deliveries.ledger_put(
        key, status="sending", chat=chat_id, claimed_at=now.isoformat(timespec="seconds")
    )
    day = now.astimezone(settings.timezone).date()
    try:
        outbox = Outbox.of(sender, services, policy_of(services).delivery)
        ok = await post_summary(outbox, services, chat_id, day)
    except Exception:  # noqa: BLE001 - the tick must survive; the next one retries
        log.exception("weekly summary failed")
        ok = False
    done_at = services.clock.now().isoformat(timespec="seconds")
    if ok:
        store.deliveries.ledger_put(
            key,
            status="sent",
            sent_at=done_at,
            day=day.isoformat(),
            late=now > slot_of_week(settings, now) + timedelta(minutes=5),
        )
        store.history.record(
            "summary.posted", at=services.clock.now(), actor=None, week=week, chat=chat_id
        )
    else:
        store.deliveries.ledger_put(
            key, status="failed", failed_at=done_at, attempts=int(entry.get("attempts") or 0) + 1
        )
    return ok


async def summary_tick(application: Any) -> None:
    """The tick job's call: post the weekly summary when it is due."""
    services = application.bot_data.get(SERVICES)
    if services is None:
        return
    await post_weekly_summary(application.bot_data.get(OUTBOX) or application.bot, services)
