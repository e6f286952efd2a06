"""The daily backup: once a day at or after the policy's time, caught up after downtime.

A ledger entry per day (`backup:YYYY-MM-DD`) makes it once a day whatever the number of ticks or
restarts; the archive itself is `bot.store.backup`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time
from typing import TYPE_CHECKING

from bot.store.backup import make_backup, prune, snapshot_bytes
from bot.store.deliveries import LedgerKind

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def backup_due(now: datetime, at: str, done_today: bool) -> bool:
    """Whether today's backup is due at `now` (at or after `at`, not yet made today)."""
    hour, minute = (int(x) for x in at.split(":"))
    return not done_today and now.time() >= time(hour, minute)


async def back_up_if_due(services: Services) -> str | None:
    """Make today's backup if it is due; the archive's path, or None."""
    store = services.store
    if store.read_only:
        return None
    policy = services.policy.backup
    now = services.clock.now()
    day = now.date().isoformat()
    if not backup_due(now, policy.at, store.deliveries.get(LedgerKind.BACKUP, day) is not None):
        return None
    settings = services.settings
    snapshot = snapshot_bytes(store)  # on the event loop: no write interleaves
    info = await asyncio.to_thread(
        make_backup, settings.data_dir, settings.backups, at=now, snapshot=snapshot
    )
    removed = await asyncio.to_thread(prune, settings.backups, policy.keep)
    store.deliveries.put(
        LedgerKind.BACKUP, day, at=now.isoformat(timespec="seconds"), path=str(info.path)
    )
    log.info("backup %s (%d files); %d old one(s) removed", info.path, info.files, len(removed))
    return str(info.path)
