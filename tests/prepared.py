"""A prepared store for the pure tests of views, summary and report (no bot, no network)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from bot.calendar import WorkCalendar
from bot.clock import SHANGHAI, FixedClock
from bot.config import Settings
from bot.services import Services
from bot.store import Store
from bot.units import Directory

HOSTILE = "<script>alert('x')</script> & <b>粗体</b> &amp; " * 100  # about 5,000 characters


def at(text: str) -> datetime:
    """ "2021-06-18 10:00" in Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def make_services(seeded: Path, tmp_path: Path, now: str = "2021-06-18 17:00") -> Services:
    """Services on a copy of the seeded store (the bundled plan), with a fixed clock."""
    data_dir = tmp_path / "state"
    shutil.copytree(seeded, data_dir)
    clock = FixedClock(at(now))
    settings = Settings(data_dir=data_dir, summary_chat_id=-100500, coordinators=frozenset({1001}))
    store = Store(data_dir, fsync=False)
    return Services(settings, clock, store, Directory.load(settings.units), WorkCalendar())
