"""The one source of "now": the real clock, or the rehearsal clock that runs faster."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    tz: tzinfo

    def now(self) -> datetime:
        """The current instant, timezone-aware in the clock's zone."""
        ...

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        ...


class RealClock:
    def __init__(self, tz: tzinfo = SHANGHAI) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    @property
    def speed(self) -> float:
        return 1.0


class RehearsalClock:
    """Simulated time: starts at `start` and advances `speed` simulated seconds per real one.

    The sandbox's clock panel can jump to an instant or change the speed while running.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        tz: tzinfo = SHANGHAI,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tz = tz
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor_sim = start if start.tzinfo else start.replace(tzinfo=tz)
        self._anchor_real = monotonic()
        self._speed = float(speed)

    def now(self) -> datetime:
        with self._lock:
            elapsed = (self._monotonic() - self._anchor_real) * self._speed
            return (self._anchor_sim + timedelta(seconds=elapsed)).astimezone(self.tz)

    @property
    def speed(self) -> float:
        return self._speed

    def set(self, instant: datetime | None = None, speed: float | None = None) -> None:
        """Jump to `instant` and/or change the speed, continuing from there."""
        current = self.now()
        with self._lock:
            target = instant if instant is not None else current
            self._anchor_sim = target if target.tzinfo else target.replace(tzinfo=self.tz)
            self._anchor_real = self._monotonic()
            if speed is not None:
                self._speed = float(speed)


class FixedClock:
    """A clock for tests: stands still until told to move."""

    def __init__(self, instant: datetime, tz: tzinfo = SHANGHAI) -> None:
        self.tz = tz
        self._now = instant if instant.tzinfo else instant.replace(tzinfo=tz)

    def now(self) -> datetime:
        return self._now

    @property
    def speed(self) -> float:
        return 1.0

    def set(self, instant: datetime | None = None, speed: float | None = None) -> None:
        if instant is not None:
            self._now = instant if instant.tzinfo else instant.replace(tzinfo=self.tz)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now
