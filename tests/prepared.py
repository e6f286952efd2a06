"""The fixture family's base: services on a prepared store, without a bot or a network.

The pure tests of views, summary and report use `make_services` / `services_fixture`; the chat
fixture (tests/harness.py) runs the real Application on the same services.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI, Clock, FixedClock
from bot.domain.units import Directory
from bot.features import campaign, kpis
from bot.plan.model import Deadline, Milestone, Plan
from bot.services import Services, open_services
from bot.store import Store

COORDINATOR = 1001
SUMMARY_CHAT = -100500
START = datetime(2021, 6, 21, 10, 0, tzinfo=SHANGHAI)  # a Monday; task 18 is due 2021-06-30
HOSTILE = "<script>alert('x')</script> & <b>粗体</b> &amp; " * 100  # about 5,000 characters


def at(text: str) -> datetime:
    """ "2021-06-18 10:00" in Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@lru_cache(maxsize=4)
def _directory(path: Path) -> Directory:
    return Directory.load(path)


@lru_cache(maxsize=1)
def _calendar() -> WorkCalendar:
    return WorkCalendar()


def services_on(
    settings: Settings, clock: Clock, *, fsync: bool = False, **options: Any
) -> Services:
    """Services on the store in settings.data_dir (with `options`), by default without fsync:
    durability has its own tests (kill -9 of a real `duban run`, the fdatasync counts)."""
    store = Store(settings.data_dir, fsync=fsync, **options)
    return Services(settings, clock, store, _directory(settings.units), _calendar())


def copy_seeded(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded data directory at tmp_path/state, for one test to change."""
    data_dir = tmp_path / "state"
    shutil.copytree(seeded, data_dir)
    return data_dir


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the bundled plan, loaded once; each test works on a copy."""
    data_dir = tmp_path_factory.mktemp("seed") / "state"
    services = open_services(Settings(data_dir=data_dir), writer=True, clock=FixedClock(START))
    services.close()
    (data_dir / "duban.lock").unlink(missing_ok=True)
    return data_dir


def make_services(seeded: Path, tmp_path: Path, now: str = "2021-06-18 17:00") -> Services:
    """Services on a copy of the seeded store (the bundled plan), with a fixed clock."""
    settings = Settings(
        data_dir=copy_seeded(seeded, tmp_path),
        summary_chat_id=SUMMARY_CHAT,
        coordinators=frozenset({COORDINATOR}),
    )
    return services_on(settings, FixedClock(at(now)))


def with_milestones(services: Services, task_id: int, *steps: Milestone) -> None:
    """A revision of the plan: `task_id` is due at its last step, in these steps (时间节点)."""
    store = services.store
    text = "；".join(f"{m.due.year}年{m.due.month}月底前{m.text}" for m in steps)
    tasks = [
        replace(t, deadline=Deadline("once", text, steps[-1].due), milestones=steps)
        if t.id == task_id
        else t
        for t in store.plan.tasks()
    ]
    store.plan.import_plan(
        Plan(tasks=tasks),
        at=services.clock.now(),
        responsible=lambda t: [(u.name, role) for u, role in services.units.responsible(t)],
    )


def mark_done(
    services: Services, task_id: int, unit: str, day: date, *steps: Milestone, by: int = 0
) -> None:
    """`unit` (a lead) reports these milestones done on `day`: the marks on its part."""
    stamp = datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)
    marks = [
        {"due": m.due.isoformat(), "text": m.text, "at": stamp.isoformat(), "by": by} for m in steps
    ]
    services.store.parts.update_state(
        task_id, unit, at=stamp, actor=by, event="note", milestones_done=marks
    )


@contextmanager
def writer_services(
    tmp_path: Path,
    now: datetime,
    *,
    coordinators: frozenset[int],
    seeded: Path | None = None,
    **settings: Any,
) -> Iterator[Services]:
    """The writer's services in tmp_path/state (a copy of `seeded` when given, else empty: the
    bundled plan is loaded at `now`) at a fixed `now`, with `settings` over the defaults; closed
    afterwards."""
    data_dir = copy_seeded(seeded, tmp_path) if seeded is not None else tmp_path / "state"
    config = Settings(data_dir=data_dir, coordinators=coordinators, **settings)
    svc = open_services(config, writer=True, clock=FixedClock(now))
    try:
        yield svc
    finally:
        svc.close()


def services_fixture(now: str) -> Callable[..., Iterator[Services]]:
    """A `services` fixture for a test module: make_services at `now`, closed afterwards."""

    @pytest.fixture
    def services(seeded_data_dir: Path, tmp_path: Path) -> Iterator[Services]:
        s = make_services(seeded_data_dir, tmp_path, now)
        yield s
        s.close()

    return services


# The defaults of the campaign builders: 区文明办's 诚信进校园 lecture, 区发改局's 金融 report.
ACTIVITY: dict[str, Any] = {
    "unit": "区文明办",
    "actor": 2003,
    "form": "论坛讲座",
    "carrier": "校园",
    "day": date(2021, 6, 23),
    "title": "诚信进校园",
    "participants": 120,
    "enterprises": 0,
}
RECTIFICATION: dict[str, Any] = {
    "unit": "区发改局",
    "actor": 2002,
    "field_name": "金融",
    "identified": 10,
    "rectified": 10,
    "cases": "",
}


def add_activity(store: Store, *, when: str = "2021-06-24 09:00", **fields: Any) -> dict[str, Any]:
    """A 诚信建设万里行 activity, recorded at `when`: ACTIVITY with `fields` over it."""
    return campaign.add_activity(store, at=at(when), **{**ACTIVITY, **fields})


def add_rectification(
    store: Store, *, when: str = "2021-06-24 11:00", **fields: Any
) -> dict[str, Any]:
    """A 专项治理 report, recorded at `when`: RECTIFICATION with `fields` over it."""
    return campaign.add_rectification(store, at=at(when), **{**RECTIFICATION, **fields})


def add_metric(
    store: Store,
    kpi: str,
    value: float,
    *,
    when: str = "2021-06-24 12:00",
    actor: int = 2002,
    unit: str = "区发改局",
) -> dict[str, Any]:
    """A KPI value (`kpi` a key or name), recorded at `when` (by default by 区发改局)."""
    found = kpis.find_kpi(kpi)
    assert found is not None, kpi
    return kpis.record_metric(store, found, value, at=at(when), actor=actor, unit=unit)
