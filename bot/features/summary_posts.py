"""Posting the weekly summary to the summary chat: once a week, and one record of each post.

`schedules/summary.py` decides *when* (the week's slot); the caller's `publish` sends the
summary (bot/telegram/publish.py). The ledger entry `summary:YYYY-Www` makes posting
idempotent: the tick may run every simulated minute, the bot may restart, and the week's
summary still goes out once. A post by hand (`/summary`) is recorded the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.services import Services
from bot.store.deliveries import LedgerKind, ledger_key
from bot.store.records import LedgerFields

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=15)  # after a failed post, wait this long (clock time)

Publish = Callable[[int, date], Awaitable[bool]]  # (chat, day) -> whether the headline went out


async def post_weekly(
    services: Services, publish: Publish, *, chat: int, week: str, now: datetime, late: bool
) -> bool:
    """Post `week`'s summary at `now` unless it went out already (or failed a moment ago);
    True if posted. `late`: the post comes after its slot (the bot was down at the time)."""
    key = ledger_key(LedgerKind.SUMMARY, week)
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
        key, status="sending", chat=chat, claimed_at=now.isoformat(timespec="seconds")
    )
    day = now.astimezone(services.settings.timezone).date()
    try:
        ok = await publish(chat, day)
    except Exception:  # noqa: BLE001 - the tick must survive; the next one retries
        log.exception("weekly summary failed")
        ok = False
    done_at = services.clock.now().isoformat(timespec="seconds")
    if ok:
        store.deliveries.ledger_put(
            key, status="sent", sent_at=done_at, day=day.isoformat(), late=late
        )
        record_posted(services, chat, week=week)
    else:
        store.deliveries.ledger_put(
            key, status="failed", failed_at=done_at, attempts=int(entry.get("attempts") or 0) + 1
        )
    return ok


async def post_now(
    services: Services, publish: Publish, *, chat: int, day: date, actor: int | None
) -> bool:
    """A coordinator's `/summary`: the summary of `day` now, whatever the week's ledger says."""
    ok = await publish(chat, day)
    if ok:
        record_posted(services, chat, actor=actor)
    return ok


def record_posted(
    services: Services, chat: int, *, week: str | None = None, actor: int | None = None
) -> None:
    """The history's `summary.posted`: the week's post (`week`), or one by hand (no week)."""
    at = services.clock.now()
    if week is not None:
        services.store.history.record("summary.posted", at=at, actor=actor, week=week, chat=chat)
    else:
        services.store.history.record("summary.posted", at=at, actor=actor, chat=chat, manual=True)
