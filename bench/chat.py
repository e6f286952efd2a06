"""Chat latency: duban against a bare python-telegram-bot bot on the same Bot API stand-in.

Both bots run in this process against their own `BotApiServer` on loopback with Telegram's
flood limits on, measured in the same run:
- status: a coordinator's /status round trip (send → the bot's answer arrives), p50 of 30;
- burst: 40 bound contacts send /mytasks at the same moment; seconds until all are answered;
- strangers: 40 strangers type /status in a group, then a contact asks /mytasks privately;
  milliseconds until that private answer (duban only: the bare bot has no gate).
The bare bot answers each command with one fixed text, PTB's defaults otherwise (one update
at a time) plus PTB's AIORateLimiter (without it, it loses answers to 429s under the limits).
The /status rounds are a second apart, as a person types: Telegram allows about one message a
second in one chat. Goals: status ≤ 1.5× the bare bot's; burst ≤ 2.2×: duban lets 20 answers
out at once and then 28 a second (bot/telegram/pacing.py), the bare bot 30 at once, which a
stall on the way turns into 429s (bench/load.py).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes

from bot.config import Settings
from bot.domain.clock import SHANGHAI, FixedClock
from bot.services import open_services
from bot.telegram.app import build_application
from bot.telegram.context import DubanApp
from sandbox.botapi import BotApiServer
from sandbox.flood import FloodLimits

COORDINATOR = 1001
ROUNDS = 30  # a median of 30: ten left it to the noise of one busy moment
PAUSE = 1.1  # seconds between two /status of one person
BURST = 40
FIRST_CONTACT = 800_000
FIRST_STRANGER = 900_000
GROUP = -100_777
NOW = datetime(2021, 6, 21, 10, 0, tzinfo=SHANGHAI)
UNITS = ("区司法局", "区市场监管局", "区经信局", "区商务局", "区财政局")

Starter = Callable[[BotApiServer, Path], Awaitable[DubanApp]]


async def _run_app(app: DubanApp) -> DubanApp:
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    return app


async def _stop_app(app: DubanApp) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


async def start_duban(server: BotApiServer, data_dir: Path) -> DubanApp:
    settings = Settings(
        token=server.token,
        api_base_url=server.base_url,
        file_base_url=server.base_file_url,
        data_dir=data_dir,
        coordinators=frozenset({COORDINATOR}),
    )
    services = open_services(settings, writer=True, clock=FixedClock(NOW))
    for i in range(BURST + 1):
        uid = FIRST_CONTACT + i
        services.store.people.bind_contact(uid, UNITS[i % len(UNITS)], name=f"联系人{i}", at=NOW)
    return await _run_app(build_application(settings, services))


async def start_bare(server: BotApiServer, data_dir: Path) -> DubanApp:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("收到")

    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(CommandHandler(["status", "mytasks"], answer))
    return await _run_app(app)


async def _round_trip(server: BotApiServer, user: int, text: str, chat: int | None = None) -> float:
    """Seconds from the user's message to the bot's first message after it in that chat."""
    where = chat if chat is not None else user
    started = time.perf_counter()
    sent = await server.user_sends_text(user, text, chat)

    def answered() -> bool:
        return any(m["message_id"] > sent["message_id"] for m in server.messages_to(where))

    await server.wait_until(answered, timeout=90)
    return time.perf_counter() - started


async def _measure(starter: Starter, tmp: Path, strangers: bool) -> dict[str, float]:
    server = BotApiServer(flood_limits=FloodLimits(enabled=True))
    await server.start()
    app = None
    try:
        server.add_user(COORDINATOR, "督办", started=True)
        contacts = [FIRST_CONTACT + i for i in range(BURST + 1)]
        for uid in contacts:
            server.add_user(uid, f"联系人{uid - FIRST_CONTACT}", started=True)
        app = await starter(server, tmp / "state")
        await _round_trip(server, COORDINATOR, "/status")  # warm up
        trips = []
        for _ in range(ROUNDS):
            await asyncio.sleep(PAUSE)
            trips.append(await _round_trip(server, COORDINATOR, "/status"))
        server.flood.reset()
        started = time.perf_counter()
        await asyncio.gather(*(_round_trip(server, uid, "/mytasks") for uid in contacts[:BURST]))
        burst = time.perf_counter() - started
        out = {"status_p50_ms": statistics.median(trips) * 1000, "burst_s": burst}
        if strangers:
            server.flood.reset()
            ids = [FIRST_STRANGER + i for i in range(BURST)]
            for uid in ids:
                server.add_user(uid, f"路人{uid - FIRST_STRANGER}")
            server.add_group(GROUP, "信用办工作群", members=[*ids, contacts[-1]])
            for uid in ids:
                await server.user_sends_text(uid, "/status", GROUP)
            out["strangers_private_ms"] = 1000 * await _round_trip(server, contacts[-1], "/mytasks")
        return out
    finally:
        if app is not None:
            await _stop_app(app)
        await server.stop()


async def _run(tmp: Path) -> str:
    bare = await _measure(start_bare, tmp / "bare", strangers=False)
    duban = await _measure(start_duban, tmp / "duban", strangers=True)
    return (
        f"chat: status_p50_ms={duban['status_p50_ms']:.1f} "
        f"baseline_p50_ms={bare['status_p50_ms']:.1f} "
        f"burst_s={duban['burst_s']:.2f} burst_baseline_s={bare['burst_s']:.2f} "
        f"strangers_private_ms={duban['strangers_private_ms']:.0f}"
    )


def main() -> str:
    """Run the chat benchmark; its one line (`python -m bench` prints it)."""
    logging.getLogger("telegram").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="duban-chat-") as tmp:
        return asyncio.run(_run(Path(tmp)))


if __name__ == "__main__":
    print(main(), flush=True)
