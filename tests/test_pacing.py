"""Pacing: 3 at once then 1 a second per private chat, 20 a minute per group, answers first."""

from __future__ import annotations

import asyncio

from bot.telegram.pacing import OVERALL_BURST, Pacer
from sandbox.flood import FloodGate, FloodLimits


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


# -- against Telegram's limits (the stand-in's flood model) --------------------------------
async def _burst_through_pacer(contacts: int, per_contact: int) -> list[tuple[float, int]]:
    """Every contact is owed `per_contact` answers at the same moment (taken in turn): (time,
    chat) of each send as the pacer lets it go."""
    pacer, t = _pacer()
    pacer.pace_overall(28.0)  # the delivery policy's default
    sent: list[tuple[float, int]] = []
    for _ in range(per_contact):
        for chat in range(800_000, 800_000 + contacts):
            async with pacer.slot(chat):
                sent.append((t.now, chat))
    return sent


def _refused(arrivals: list[tuple[float, int]]) -> int:
    gate = FloodGate(FloodLimits(enabled=True))
    return sum(gate.check(chat, False, at) is not None for at, chat in arrivals)


async def test_a_burst_stays_within_telegrams_rates() -> None:
    sent = await _burst_through_pacer(contacts=200, per_contact=3)
    assert len(sent) == 600
    for start, _ in sent:  # any one second: the burst plus a second's pace, never 30 + 30
        assert sum(start <= at < start + 1 for at, _ in sent) <= OVERALL_BURST + 28
    assert _refused(sent) == 0
    pace = (600 - OVERALL_BURST) / (sent[-1][0] - sent[0][0])
    assert 27.5 <= pace <= 28.5  # after the burst: the policy's 28 a second, not slower


async def test_sends_held_up_on_the_way_still_pass() -> None:
    """A stall between the pacer and Telegram (a busy machine, a garbage collection, the
    network) delivers what left during it all at once: the pacer keeps enough of Telegram's
    allowance that a quarter-second stall is not refused, even right after a burst."""
    sent = await _burst_through_pacer(contacts=200, per_contact=3)
    stall = 0.25
    held = [((at // stall + 1) * stall, chat) for at, chat in sent]  # each at its stall's end
    assert _refused(held) == 0
    # The limiter's own burst (28, then 28 a second) does not leave that room.
    limiter_like = [(0.0, 900_000 + i) for i in range(28)]
    limiter_like += [(0.0, 901_000 + i) for i in range(int(28 * stall))]
    assert _refused([(stall, chat) for _, chat in limiter_like]) > 0
