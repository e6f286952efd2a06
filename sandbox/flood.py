"""Telegram's flood limits as token buckets: overall per bot, per private chat, per group."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class FloodLimits:
    """The documented limits; off unless `enabled`.

    `slack` lets a bucket dip that many tokens below empty: requests paced exactly at the limit
    by the client (AIORateLimiter) arrive bunched by a few milliseconds, and Telegram does not
    answer those with 429 either. The sustained rate is still enforced exactly.
    """

    enabled: bool = False
    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 5
    group_per_minute: float = 20.0
    slack: float = 1.0


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, slack: float) -> float:
        """Seconds until one token (less the slack) is available; 0 if it is now."""
        missing = (1.0 - slack) - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


@dataclass
class FloodGate:
    """Decides whether one more message may go to a chat now; returns retry_after if not."""

    limits: FloodLimits
    _overall: _Bucket | None = None
    _chats: dict[int | str, _Bucket] = field(default_factory=dict)

    def check(self, chat_id: int | str, is_group: bool, now: float) -> int | None:
        """Take a token from every bucket the message passes, or return seconds to wait."""
        if not self.limits.enabled:
            return None
        limits = self.limits
        if self._overall is None:
            rate = limits.overall_per_second
            self._overall = _Bucket(rate, rate, rate, now)
        chat = self._chats.get(chat_id)
        if chat is None:
            if is_group:
                rate, capacity = limits.group_per_minute / 60.0, limits.group_per_minute
            else:
                rate, capacity = limits.private_per_second, float(limits.private_burst)
            chat = self._chats[chat_id] = _Bucket(rate, capacity, capacity, now)
        buckets = (self._overall, chat)
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait(limits.slack) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None

    def reset(self) -> None:
        """Forget all history (e.g. between benchmark runs)."""
        self._overall = None
        self._chats.clear()
