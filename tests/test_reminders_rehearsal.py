"""The real Application's tick job on the rehearsal clock, against the Bot API stand-in.

These tests run in real time by nature (the rehearsal clock is what is being tested), so they
are kept short: a few real seconds each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import SHANGHAI, FixedClock, RehearsalClock
from bot.reports.due import preview_reminders
from bot.services import open_services
from bot.store import Store
from sandbox.botapi import BotApiServer
from schedules.tick import STEPS
from tests.harness import COORDINATOR, SUMMARY_CHAT, ChatEnv
from tests.prepared import copy_seeded

A, B, C = 2101, 2102, 2103
CONTACTS = ((A, "张三", "区发改局"), (B, "李四", "区总工会"), (C, "王五", "区金融发展服务中心"))


def _prepare(seed: Path, tmp_path: Path, botapi: BotApiServer) -> Path:
    """A data dir with three bound contacts, who (and the coordinator) have started the bot."""
    data_dir = copy_seeded(seed, tmp_path)
    store = Store(data_dir, fsync=False)
    at = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)
    for uid, name, unit in CONTACTS:
        botapi.add_user(uid, name, started=True)
        store.people.bind_contact(uid, unit, name=name, at=at)
    store.close()
    (data_dir / "duban.lock").unlink(missing_ok=True)
    botapi.add_user(COORDINATOR, "督办员", started=True)
    botapi.add_group(SUMMARY_CHAT, "信用办督办群", members=[COORDINATOR])
    return data_dir


@pytest.fixture
async def running() -> AsyncIterator[list[ChatEnv]]:
    """Stops whatever ChatEnv the test started, even when it fails."""
    envs: list[ChatEnv] = []
    yield envs
    for env in envs:
        await env.stop()


async def test_at_60x_the_0900_reminder_arrives_about_a_real_second_after_0900(
    botapi: BotApiServer, seeded_data_dir: Path, tmp_path: Path, running: list[ChatEnv]
) -> None:
    data_dir = _prepare(seeded_data_dir, tmp_path, botapi)
    # CONTRACT: at 60x, starting the clock at 08:59 on a workday shows that morning's sweep.
    started = time.monotonic()
    clock = RehearsalClock(datetime(2021, 6, 23, 8, 59, tzinfo=SHANGHAI), speed=60)
    nine = started + 60 / 60  # the real instant of simulated 09:00 (or a hair later)
    env = ChatEnv(botapi, data_dir, clock)  # type: ignore[arg-type]
    running.append(env)
    await env.start()
    message = await botapi.wait_for_message(B, timeout=5.0)
    arrived, simulated = time.monotonic(), clock.now()
    assert "#5" in message["text"] and "任务提醒" in message["text"]
    assert arrived >= nine, "sent before simulated 09:00"
    assert arrived - nine <= 2.0, f"{arrived - nine:.2f} s after simulated 09:00"
    assert datetime(2021, 6, 23, 9, 0, tzinfo=SHANGHAI) <= simulated
    assert simulated <= datetime(2021, 6, 23, 9, 2, tzinfo=SHANGHAI)


async def test_days_rehearsed_at_high_speed_send_exactly_what_the_preview_lists(
    botapi: BotApiServer,
    seeded_data_dir: Path,
    tmp_path: Path,
    running: list[ChatEnv],
) -> None:
    data_dir = _prepare(seeded_data_dir, tmp_path, botapi)

    async def no_summary(application: Any) -> None:
        """The weekly summary has its own tests; its chart would only slow the ticks here."""

    # Sunday noon to the small hours of Thursday: Sunday is quiet, Monday 5 July brings the
    # monthly reports (due the 8th), Tuesday the overdue chasers, Wednesday the escalations.
    start = datetime(2021, 7, 4, 12, 0, tzinfo=SHANGHAI)
    end = datetime(2021, 7, 8, 3, 0, tzinfo=SHANGHAI)  # six simulated hours before 09:00
    speed = 60_000.0  # a simulated day in 1.44 real seconds; ticks every 0.2 s
    days = [date(2021, 7, 4) + timedelta(days=i) for i in range(4)]
    settings = ChatEnv(botapi, data_dir, FixedClock(start)).settings
    services = open_services(settings, writer=True, clock=FixedClock(start))
    preview = {d: preview_reminders(services, d) for d in days}
    services.close()
    (data_dir / "duban.lock").unlink(missing_ok=True)
    expected = {
        (d.isoformat(), p["task"], p["unit"], p["kind"], chat)
        for d, items in preview.items()
        for p in items
        for chat in p["contacts"]
    }
    assert {k[3] for k in expected} >= {"monthly", "overdue", "escalation"}
    assert not preview[date(2021, 7, 4)]  # a Sunday

    clock = RehearsalClock(start, speed=speed)
    steps = {"post_summary": no_summary}
    env = ChatEnv(botapi, data_dir, clock, bot_data={STEPS: steps})  # type: ignore[arg-type]
    running.append(env)
    await env.start()
    # The rehearsal runs in real time: wait until the simulated clock has passed `end`.
    await asyncio.sleep(max(0.0, (end - clock.now()).total_seconds() / speed))
    assert clock.now() >= end
    ledger = [e for e in env.store.deliveries.ledger() if e["key"].startswith(("rem:", "esc:"))]
    sent = {(e["sent_at"][:10], e["task"], e["unit"], e["kind"], e["chat"]) for e in ledger}
    assert sent == expected
    assert all(e["sent_at"][11:] >= "09:00:00" for e in ledger)
    # one message per contact and morning (besides the one chase of work not signed for); the
    # escalations in one message per chat
    for uid, _, _ in CONTACTS:
        mornings = {s[0] for s in sent if s[4] == uid}
        told = [m for m in botapi.messages_to(uid) if not m["text"].startswith("✍️")]
        assert len(told) == len(mornings)
    escalations = [m for m in botapi.messages_to(SUMMARY_CHAT) if "逾期督办升级" in m["text"]]
    assert len(escalations) == 1
