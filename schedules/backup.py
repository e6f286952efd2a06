"""When the daily backup runs: once a day at or after the policy's time, caught up after downtime.

A ledger entry per day (`backup:YYYY-MM-DD`) makes it once a day whatever the number of ticks or
restarts; the work itself is `bot.store.backup`, pure of Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time

from bot.store.backup import make_backup, prune, snapshot_bytes
from bot.store.deliveries import LedgerKind
from bot.telegram.context import DubanApp

log = logging.getLogger(__name__)


def backup_due(now: datetime, at: str, done_today: bool) -> bool:
    """Whether today's backup is due at `now` (at or after `at`, not yet made today)."""
    hour, minute = (int(x) for x in at.split(":"))
    return not done_today and now.time() >= time(hour, minute)


async def backup_tick(application: DubanApp) -> str | None:
    """Make today's backup if it is due; the archive's path, or None."""
    services = application.bot_data.get("services")
    if services is None or services.store.read_only:
        return None
    policy = services.policy.backup
    now = services.clock.now()
    day = now.date().isoformat()
    if not backup_due(
        now, policy.at, services.store.deliveries.get(LedgerKind.BACKUP, day) is not None
    ):
        return None
    settings = services.settings
    snapshot = snapshot_bytes(services.store)  # on the event loop: no write interleaves
    info = await asyncio.to_thread(
        make_backup, settings.data_dir, settings.backups, at=now, snapshot=snapshot
    )
    removed = await asyncio.to_thread(prune, settings.backups, policy.keep)
    services.store.deliveries.put(
        LedgerKind.BACKUP, day, at=now.isoformat(timespec="seconds"), path=str(info.path)
    )
    log.info("backup %s (%d files); %d old one(s) removed", info.path, info.files, len(removed))
    return str(info.path)
