"""When kept input lapses: what a person wrote without a task and never filed is told, once.

Each tick looks for "kept" waits (bot.features.pending) past pending.WAIT: the person is told
that what they wrote was not recorded, the question's buttons are removed, the wait cleared.
"""

from __future__ import annotations

import logging

from bot.features import pending
from bot.telegram.context import OUTBOX, DubanApp
from bot.text.render import render

log = logging.getLogger(__name__)


async def lapse_tick(application: DubanApp) -> int:
    """Tell each person whose kept input lapsed; how many were told."""
    services = application.bot_data.get("services")
    outbox = application.bot_data.get(OUTBOX)
    if services is None or outbox is None or services.store.read_only:
        return 0
    store, now = services.store, services.clock.now()
    lapsed = pending.lapsed_kept(store, now)
    for user_id, wait in lapsed:
        pending.clear(store, user_id, "kept")  # told once, even if telling fails
        message = wait["draft"].get("message") or {}
        text = render(
            "kept.html.j2",
            step="lapsed",
            file=wait["action"] == "file",
            text=message.get("text") or "",
            name=(message.get("document") or {}).get("file_name"),
            tasks=[task for task, _ in wait["draft"].get("refs") or []] or ["编号"],
            minutes=int(pending.WAIT.total_seconds() // 60),
        )
        chat = wait["chat"] or user_id
        if wait["message"]:
            await outbox.drop_keyboard(chat, wait["message"])
        await outbox.notify(chat, text)
    return len(lapsed)
