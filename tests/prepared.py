"""A prepared store for the pure tests of views, summary and report (no bot, no network)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI, FixedClock
from bot.domain.units import Directory
from bot.features import campaign
from bot.services import Services
from bot.store import Store

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


def services_fixture(now: str) -> Callable[..., Iterator[Services]]:
    """A `services` fixture for a test module: make_services at `now`, closed afterwards."""

    @pytest.fixture
    def services(seeded_data_dir: Path, tmp_path: Path) -> Iterator[Services]:
        s = make_services(seeded_data_dir, tmp_path, now)
        yield s
        s.close()

    return services


def add_activity(
    store: Store,
    *,
    when: str = "2021-06-24 09:00",
    unit: str = "区文明办",
    actor: int = 2003,
    form: str = "论坛讲座",
    carrier: str = "校园",
    day: date = date(2021, 6, 23),
    title: str = "诚信进校园",
    participants: int = 120,
    enterprises: int = 0,
) -> dict[str, Any]:
    """A 诚信建设万里行 activity, recorded at `when` (by default 区文明办's 诚信进校园 lecture)."""
    return campaign.add_activity(
        store,
        unit=unit,
        actor=actor,
        at=at(when),
        form=form,
        carrier=carrier,
        day=day,
        title=title,
        participants=participants,
        enterprises=enterprises,
    )


def add_rectification(
    store: Store,
    *,
    when: str = "2021-06-24 11:00",
    unit: str = "区发改局",
    actor: int = 2002,
    field_name: str = "金融",
    identified: int = 10,
    rectified: int = 10,
    cases: str = "",
) -> dict[str, Any]:
    """A 专项治理 report, recorded at `when` (by default 区发改局's, in 金融)."""
    return campaign.add_rectification(
        store,
        unit=unit,
        actor=actor,
        at=at(when),
        field_name=field_name,
        identified=identified,
        rectified=rectified,
        cases=cases,
    )
