"""One morning's reminders to 500 distinct contacts through the flood-limited Bot API stand-in.

The stand-in enforces Telegram's limits (30 messages/s overall); the real sweep and delivery
path (AIORateLimiter, retries, ledger, history) sends. Goal: all delivered, none twice, in at
most 1.2 × the limit's bound of 500/30 s. Loopback only.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from bot.config import Settings
from bot.domain.clock import SHANGHAI, FixedClock
from bot.domain.planner import plan_all
from bot.domain.policy import default_policy
from bot.services import open_services
from bot.telegram.courier import sweep
from bot.telegram.outbox import sending_bot
from sandbox.botapi import BotApiServer
from sandbox.flood import FloodLimits

CHATS = 500
OVERALL_PER_SECOND = 30.0
DAY = date(2021, 6, 23)  # a week before the 30 June deadlines: most units have a reminder
FIRST_USER = 700_000


async def _run(data_dir: Path) -> str:
    server = BotApiServer(flood_limits=FloodLimits(enabled=True))
    await server.start()
    try:
        settings = Settings(
            token=server.token,
            api_base_url=server.base_url,
            file_base_url=server.base_file_url,
            data_dir=data_dir,
        )
        clock = FixedClock(datetime.combine(DAY, settings.reminder_time, tzinfo=SHANGHAI))
        services = open_services(settings, writer=True, clock=clock)
        store = services.store
        # The units the rules remind that morning, each given a share of the 500 contacts.
        planned = plan_all(
            store.plan.tasks(),
            store.parts.states(),
            [],
            services.calendar,
            default_policy(),
            DAY,
            units=services.units,
        )
        units = list(dict.fromkeys(r.unit for r in planned if r.kind != "escalation"))
        users = range(FIRST_USER, FIRST_USER + CHATS)
        for uid, unit in zip(users, itertools.cycle(units), strict=False):
            server.add_user(uid, f"联系人{uid - FIRST_USER}")
            server.started.add(uid)  # as if each had sent /start
            store.people.bind_contact(uid, unit, name=f"联系人{uid - FIRST_USER}", at=clock.now())
        server.flood.reset()
        bot = sending_bot(
            server.token, server.base_url, server.base_file_url, default_policy().delivery
        )
        async with bot:
            started = time.perf_counter()
            report = await sweep(bot, services)
            seconds = time.perf_counter() - started
        services.close()
        per_chat = Counter(
            call.params.get("chat_id")
            for call in server.calls("sendMessage")
            if call.ok and call.params.get("chat_id") in users
        )
        lost = sum(1 for uid in users if per_chat[uid] == 0)
        duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
        throttled = sum(1 for call in server.calls("sendMessage") if call.error_code == 429)
        bound = CHATS / OVERALL_PER_SECOND
        line = (
            f"fanout: chats={len(per_chat)} seconds={seconds:.1f} bound={bound:.1f} "
            f"ratio={seconds / bound:.2f} lost={lost} duplicates={duplicates}"
        )
        logging.getLogger(__name__).info(
            "reminders=%d messages=%d 429s=%d", len(report.delivered), report.messages, throttled
        )
        return line
    finally:
        await server.stop()


def main() -> str:
    """Run the fan-out benchmark; its one line (`python -m bench` prints it)."""
    with tempfile.TemporaryDirectory(prefix="duban-fanout-") as tmp:
        return asyncio.run(_run(Path(tmp) / "state"))


if __name__ == "__main__":
    print(main(), flush=True)
