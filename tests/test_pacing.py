"""Pacing: 3 at once then 1 a second per private chat, 20 a minute per group, answers first."""

from __future__ import annotations

import asyncio

from bot.telegram.pacing import Pacer


class VirtualTime:
    """A clock that moves only when someone sleeps on it: no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _pacer() -> tuple[Pacer, VirtualTime]:
    t = VirtualTime()
    return Pacer(clock=t.clock, sleep=t.sleep), t


async def test_a_private_chat_gets_a_burst_of_three_then_one_a_second() -> None:
    pacer, t = _pacer()
    stamps = []
    for _ in range(6):
        async with pacer.slot(2001):
            stamps.append(round(t.now, 2))
    assert stamps == [0, 0, 0, 1, 2, 3]


async def test_a_group_gets_twenty_a_minute() -> None:
    pacer, t = _pacer()
    for _ in range(21):
        async with pacer.slot(-100500, bulk=True):
            pass
    assert 2.9 <= t.now <= 3.1  # the 21st waits for a token: 60/20 s


async def test_other_chats_do_not_wait_for_a_busy_one() -> None:
    pacer, t = _pacer()
    for _ in range(10):
        async with pacer.slot(2001):
            pass
    busy_until = t.now
    assert busy_until >= 7
    async with pacer.slot(2002):  # a fresh chat right then: no wait
        assert t.now == busy_until


async def test_answers_go_ahead_of_bulk_sends() -> None:
    pacer, _ = _pacer()
    order: list[str] = []
    release = asyncio.Event()

    async def answer() -> None:
        async with pacer.slot(2001):
            await release.wait()
            order.append("answer")

    async def bulk(chat: int) -> None:
        async with pacer.slot(chat, bulk=True):
            order.append(f"bulk{chat}")

    answering = asyncio.create_task(answer())
    await asyncio.sleep(0)
    bulks = [asyncio.create_task(bulk(c)) for c in (3001, 3002)]
    await asyncio.sleep(0)
    assert order == []  # bulk holds back while the answer is in flight
    release.set()
    await asyncio.gather(answering, *bulks)
    assert order == ["answer", "bulk3001", "bulk3002"]


async def test_disabled_pacer_never_waits() -> None:
    t = VirtualTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep, enabled=False)
    for _ in range(10):
        async with pacer.slot(2001):
            pass
    assert t.now == 0
