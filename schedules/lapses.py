"""When kept input lapses: each tick, what a person wrote without a task and never filed is
told, once (`bot.features.pending.lapse_kept` decides and clears; the outbox tells)."""

from __future__ import annotations

from bot.features import pending
from bot.telegram.context import OUTBOX, SERVICES, DubanApp


async def lapse_tick(application: DubanApp) -> int:
    """Tell each person whose kept input lapsed; how many were told."""
    services = application.bot_data.get(SERVICES)
    outbox = application.bot_data.get(OUTBOX)
    if services is None or outbox is None or services.store.read_only:
        return 0
    notices = pending.lapse_kept(services.store, services.clock.now())
    for notice in notices:
        if notice.question is not None:
            await outbox.drop_keyboard(notice.chat, notice.question)
        await outbox.notify(notice.chat, notice.text)
    return len(notices)
