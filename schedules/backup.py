"""When the daily backup runs: each tick asks the feature (`bot.features.backups`), which makes
it once a day at or after the policy's time, caught up after downtime."""

from __future__ import annotations

from bot.features.backups import back_up_if_due
from bot.telegram.context import SERVICES, DubanApp


async def backup_tick(application: DubanApp) -> str | None:
    """Make today's backup if it is due; the archive's path, or None."""
    services = application.bot_data.get(SERVICES)
    if services is None:
        return None
    return await back_up_if_due(services)
