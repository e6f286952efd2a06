"""Pacing of sends to Telegram's limits, answers to people ahead of bulk sends.

Telegram asks for at most about one message per second in one chat (short bursts pass), 20 a
minute in a group and 30 a second overall. The AIORateLimiter on the bot keeps the group and
overall limits and retries a 429; this adds what it lacks:
- per private chat a token bucket: a burst of 3, then 1 a second (a /task split in two parts
  and its buttons arrive at once; a flood of notices to one coordinator is spread out);
- overall a bucket of OVERALL_BURST at `delivery.messages_per_second` (28): a stall anywhere
  between here and Telegram (a busy machine, a garbage collection, the network) delivers what
  left meanwhile all at once. Kept this far inside Telegram's 30 at once and 30 a second, such
  a bunch (up to a quarter second's worth) still finds allowance left. With the limiter's own
  burst of 28 it did not: 10–15 429s in a load a bare bot passed without one (bench/load.py);
- priority: while an answer to a person waits or is being sent, bulk sends (the reminder
  sweep, the summary) hold back, so someone asking /mytasks during the 09:00 sweep is answered
  first instead of queueing behind 500 reminders.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot

PRIVATE_RATE = 1.0  # messages per second, sustained, per private chat
PRIVATE_BURST = 3
GROUP_RATE = 20 / 60  # per group (the AIORateLimiter enforces it too; kept for one place)
GROUP_BURST = 20
OVERALL_RATE = 28.0  # the default of `delivery.messages_per_second`
OVERALL_BURST = 20  # Telegram's 30 less room for a stall's worth of sends arriving together


@dataclass
class Bucket:
    """A token bucket: `burst` tokens, refilled at `rate` a second.

    A token is taken when it is asked for, even one still to come (the bucket runs into debt):
    callers asking at once are given successive instants and each sleeps once, in turn. Polling
    instead woke every waiter at each refill, and only one of them could go (a burst of 40 sends
    cost 40 × 40 wake-ups: most of the pacer's CPU under load, bench/load.py).
    """

    rate: float
    burst: float
    tokens: float = field(default=math.nan)  # nan: untouched, full at first use
    stamp: float = 0.0

    def _refill(self, now: float) -> None:
        if math.isnan(self.tokens):
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait_for(self, now: float) -> float:
        """Take a token: the seconds until it is there (0: now)."""
        self._refill(now)
        self.tokens -= 1
        if self.tokens >= -1e-9:  # not a wait shorter than the clock can tell apart
            return 0.0
        return -self.tokens / self.rate

    def room(self, now: float) -> float:
        """Tokens free at `now`, none taken (negative: already promised to waiting sends)."""
        if math.isnan(self.tokens):
            return self.burst
        return min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)


class Pacer:
    """Per-chat buckets and the answers-first rule; `clock` and `sleep` are injectable."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        enabled: bool = True,
    ) -> None:
        self.clock = clock
        self.sleep = sleep or asyncio.sleep
        self.enabled = enabled
        self._buckets: dict[int, Bucket] = {}
        self._overall = Bucket(OVERALL_RATE, OVERALL_BURST)
        self._answers = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def pace_overall(self, rate: float) -> None:
        """Send at most `rate` messages a second overall (the delivery policy's pace)."""
        self._overall.rate = rate

    def _bucket(self, chat_id: int) -> Bucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            private = chat_id > 0
            bucket = Bucket(
                PRIVATE_RATE if private else GROUP_RATE, PRIVATE_BURST if private else GROUP_BURST
            )
            if len(self._buckets) > 10_000:  # old chats' buckets are full anyway
                self._buckets.clear()
            self._buckets[chat_id] = bucket
        return bucket

    async def _take(self, bucket: Bucket) -> None:
        if (wait := bucket.wait_for(self.clock())) > 0:
            await self.sleep(wait)

    def has_room(self, chat_id: int, reserve: int = 0) -> bool:
        """Whether a message to `chat_id` would go now with `reserve` tokens left over (a
        courtesy message, such as a group acknowledgement, yields to answers and summaries)."""
        if not self.enabled:
            return True
        return self._bucket(chat_id).room(self.clock()) >= 1 + reserve

    @asynccontextmanager
    async def slot(self, chat_id: int, *, bulk: bool = False) -> AsyncIterator[None]:
        """Hold this while sending one message to `chat_id`."""
        if not self.enabled:
            yield
            return
        if bulk:
            while not self._idle.is_set():  # answers first
                await self._idle.wait()
            await self._take(self._bucket(chat_id))
            await self._take(self._overall)
            yield
            return
        self._answers += 1
        self._idle.clear()
        try:
            await self._take(self._bucket(chat_id))
            await self._take(self._overall)
            yield
        finally:
            self._answers -= 1
            if not self._answers:
                self._idle.set()


# Keyed by identity: a Bot's hash changes once `initialize()` has fetched its user.
_pacers: dict[int, Pacer] = {}


def pacer_for(bot: Bot) -> Pacer:
    """The one pacer of a bot: the outbox's answers and the sweep's bulk sends share it."""
    key = id(bot)
    pacer = _pacers.get(key)
    if pacer is None:
        pacer = _pacers[key] = Pacer()
        weakref.finalize(bot, _pacers.pop, key, None)
    return pacer
