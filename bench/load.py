"""Load: 600 updates from 200 contacts, duban against a bare python-telegram-bot bot.

Each bot runs as its own process (`duban run`; the bare bot: `python -m bench.load bare`)
against its own Bot API stand-in on loopback with Telegram's flood limits on, in the same run.
The stand-in and the 200 simulated contacts live in this process, so the CPU figure is the bot
process's alone: its user + system time (threads included, from /proc) from just before the
first update of the load until the last answer, divided by the updates; start-up and a short
warm-up are outside it. `flood_429` counts the stand-in's 429 answers to the bot in that time.

Each contact does three things, a person's pace (the next one once the answer has arrived,
after 0.2–1.2 s of reading), starting at random moments within the first 10 s:
- half: /mytasks, a press on its first task button, a plain reply to the card it opened;
- half: /task N (a task of its unit), a `#N …` note, /mytasks.
The bare bot answers every text with one fixed text under one button and a press by answering
it and editing the message (the least a bot can do for the same updates), with PTB's
AIORateLimiter and one update at a time, PTB's defaults. Goals: no more 429s than the bare bot,
CPU per update ≤ 2× the bare bot's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.domain.clock import SHANGHAI, FixedClock
from bot.services import open_services
from sandbox.botapi import BotApiServer, Event
from sandbox.flood import FloodLimits

CONTACTS = 200
STEPS = 3  # updates per contact
SPREAD = 10.0  # seconds within which the contacts start
THINK = (0.2, 1.2)  # seconds a person reads an answer before the next step
STARTUP = 60.0
ANSWER_TIMEOUT = 60.0  # per step: only reached when a bot never answers
FIRST_CONTACT = 600_000
WARM_UP = 599_999  # a contact whose few updates come before the measured load
NOW = datetime(2021, 6, 21, 10, 0, tzinfo=SHANGHAI)  # a Monday, as in the chat bench
SEED = 24
BARE_BUTTON = "card:1"


@dataclass
class Run:
    updates: int = 0
    cpu_s: float = 0.0
    flood_429: int = 0
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (all its threads), from /proc."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _seed(data_dir: Path, users: list[int]) -> dict[int, int]:
    """Bind each contact to a unit with a lead task, round the plan's units: user → task."""
    services = open_services(Settings(data_dir=data_dir), writer=True, clock=FixedClock(NOW))
    try:
        leads: dict[str, int] = {}
        for state in services.store.parts.states():
            if state.get("role") == "lead":
                leads.setdefault(state["unit"], state["task"])
        units = sorted(leads)
        tasks = {}
        with services.store.batch():
            for i, user in enumerate(users):
                unit = units[i % len(units)]
                services.store.people.bind_contact(user, unit, name=f"联络员{i}", at=NOW)
                tasks[user] = leads[unit]
        return tasks
    finally:
        services.close()
        (data_dir / "duban.lock").unlink(missing_ok=True)


class Watcher:
    """Counts the bot's messages and edits per chat and its answers to presses."""

    def __init__(self, server: BotApiServer) -> None:
        self.server = server
        self.seen: dict[int, int] = {}
        self.answered: set[str] = set()
        self._changed = asyncio.Event()
        server.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind == "message" and event.data.get("from", {}).get("is_bot"):
            chat = int(event.data["chat"]["id"])
            self.seen[chat] = self.seen.get(chat, 0) + 1
        elif event.kind == "callback_answer":
            self.answered.add(str(event.data["callback_query_id"]))
        else:
            return
        self._changed.set()
        self._changed = asyncio.Event()

    async def until(self, done: Any, timeout: float = ANSWER_TIMEOUT) -> bool:
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()
        return True


def _last_with_buttons(server: BotApiServer, chat: int) -> dict[str, Any] | None:
    for message in reversed(server.messages_to(chat)):
        if (message.get("reply_markup") or {}).get("inline_keyboard"):
            return message
    return None


def _first_button(message: dict[str, Any], prefix: str) -> str | None:
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data") or ""
            if data.startswith(prefix):
                return str(data)
    return None


async def _say(server: BotApiServer, watcher: Watcher, user: int, text: str, **kw: Any) -> None:
    before = watcher.seen.get(user, 0)
    await server.user_sends_text(user, text, **kw)
    await watcher.until(lambda: watcher.seen.get(user, 0) > before)


async def _contact(
    server: BotApiServer, watcher: Watcher, user: int, task: int, i: int, rnd: random.Random
) -> int:
    """One contact's three steps; returns how many updates it sent."""
    await asyncio.sleep(rnd.uniform(0, SPREAD))
    think = rnd.uniform(*THINK), rnd.uniform(*THINK)
    if i % 2 == 0:
        await _say(server, watcher, user, "/mytasks")
        await asyncio.sleep(think[0])
        listing = _last_with_buttons(server, user)
        data = listing and (_first_button(listing, "card:") or _first_button(listing, ""))
        if listing is None or data is None:
            raise RuntimeError(f"no button to press for {user}")
        query = await server.user_presses_button(user, listing, data)
        await watcher.until(lambda: query in watcher.answered)
        await asyncio.sleep(think[1])
        await _say(
            server, watcher, user, f"已与相关科室对接，材料下周报送（{i}）", reply_to=listing
        )
    else:
        await _say(server, watcher, user, f"/task {task}")
        await asyncio.sleep(think[0])
        await _say(server, watcher, user, f"#{task} 本周完成现场调研，正在整理问题清单（{i}）")
        await asyncio.sleep(think[1])
        await _say(server, watcher, user, "/mytasks")
    return STEPS


async def _measure(kind: str, tmp: Path) -> Run:
    server = BotApiServer(token="123:LOAD", flood_limits=FloodLimits(enabled=True))
    await server.start()
    process = None
    run = Run()
    try:
        users = [FIRST_CONTACT + i for i in range(CONTACTS)]
        for uid in [WARM_UP, *users]:
            server.add_user(uid, f"联络员{uid}", started=True)
        data_dir = tmp / kind
        tasks = _seed(data_dir, [WARM_UP, *users])
        env = server.child_env(
            data_dir,
            DUBAN_CLOCK_START=NOW.isoformat(),
            DUBAN_REMINDER_TIME="23:00",  # no reminder sweep inside the run
        )
        command = ["-m", "bot", "run"] if kind == "duban" else ["-m", "bench.load", "bare"]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await server.wait_until(lambda: server.long_polls > 0, timeout=STARTUP)
        watcher = Watcher(server)
        for text in ("/mytasks", f"/task {tasks[WARM_UP]}", f"#{tasks[WARM_UP]} 预热"):
            await _say(server, watcher, WARM_UP, text)
        await asyncio.sleep(1.0)
        server.flood.reset()
        calls_before = len(server.sent)
        rnd = random.Random(SEED)
        cpu_before = _cpu_seconds(process.pid)
        outcomes = await asyncio.gather(
            *(_contact(server, watcher, u, tasks[u], i, rnd) for i, u in enumerate(users)),
            return_exceptions=True,
        )
        await asyncio.sleep(0.5)  # a press's edit may follow its answer
        run.cpu_s = _cpu_seconds(process.pid) - cpu_before
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                run.unanswered += 1
                run.errors.append(repr(outcome))
            else:
                run.updates += outcome
        run.flood_429 = sum(1 for call in server.sent[calls_before:] if call.error_code == 429)
        return run
    finally:
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await server.stop()


def run_bare() -> None:
    """The bare bot (a child process): one fixed answer under one button, PTB's defaults."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("查看", callback_data=BARE_BUTTON)]])

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("收到", reply_markup=markup)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("已查看")

    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .base_file_url(os.environ["TELEGRAM_FILE_BASE_URL"])
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, answer))
    app.add_handler(CallbackQueryHandler(press))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


async def _run(tmp: Path) -> str:
    bare = await _measure("bare", tmp)
    duban = await _measure("duban", tmp)
    for name, run in (("bare", bare), ("duban", duban)):
        if run.unanswered:
            raise RuntimeError(f"{name}: {run.unanswered} contacts not answered: {run.errors[:3]}")
    return (
        f"load: updates={duban.updates} "
        f"cpu_ms_per_update={1000 * duban.cpu_s / duban.updates:.2f} "
        f"baseline={1000 * bare.cpu_s / bare.updates:.2f} "
        f"flood_429={duban.flood_429} baseline_429={bare.flood_429}"
    )


def main() -> str:
    """Run the load benchmark; its one line (`python -m bench` prints it)."""
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    tmp = Path(tempfile.mkdtemp(prefix="duban-load-"))
    try:
        return asyncio.run(_run(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["bare"]:
        run_bare()
    else:
        print(main(), flush=True)
