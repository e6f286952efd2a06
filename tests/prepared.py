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
from bot.plan import load_plan
from bot.plan.model import Deadline, Milestone, Plan
from bot.services import Services, open_services
from bot.store import Store
from bot.store.plan import ImportResult

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


# A second plan beside the bundled one: 4 special tasks, numbered 1–4 like plan A's first four.
PLAN_B = """镇海区2021年诚信缺失突出问题专项治理工作方案
附件：专项治理任务分解表
重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |
一、专项治理 | 1.电信网络领域失信问题专项治理。开展电信网络诈骗失信问题治理，实现治理对象全量退出。 | 2021年9月 | 区公安分局 | 区发改局 |
2.司法执行领域失信问题专项治理。督促失信被执行人履行义务。 | 2021年9月 | 区法院 | 区司法局 | |
3.法律服务领域失信问题专项治理。规范律师、公证等法律服务机构诚信执业，建立失信档案。 | 2021年9月 | 区司法局 | 区法院、区发改局 | |
4.金融领域失信问题专项治理。清理金融领域失信行为。 | 2021年9月 | 区金融发展服务中心 | 区发改局 | |
"""
PLAN_B_NAME = "专项治理方案.txt"


def import_plan_b(services: Services, directory: Path) -> ImportResult:
    """Write PLAN_B into `directory` and import it as a new plan (B) beside the others."""
    source = directory / PLAN_B_NAME
    source.write_text(PLAN_B, encoding="utf-8")
    plan = load_plan(source)
    assert not plan.errors, plan.errors
    return services.store.plan.import_plan(
        plan,
        at=services.clock.now(),
        actor="cli",
        responsible=lambda task: [(u.name, r) for u, r in services.units.responsible(task)],
        into="new",
    )


@pytest.fixture(scope="session")
def two_plans_data_dir(seeded_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded store (the bundled plan: A) with a second active plan B (PLAN_B) beside it,
    loaded once; each test works on a copy (`copy_seeded`, or `running_env` for the chat).

    B's tasks: B1 区公安分局 (配合 区发改局), B2 区法院 (配合 区司法局), B3 区司法局 (配合 区法院、
    区发改局), B4 区金融发展服务中心 (配合 区发改局). So #3 is 区法院's in B only, 区发改局's and
    区司法局's in both A and B; #18 is A's alone.
    """
    root = tmp_path_factory.mktemp("two_plans")
    data_dir = copy_seeded(seeded_data_dir, root)
    services = open_services(Settings(data_dir=data_dir), writer=True, clock=FixedClock(START))
    try:
        import_plan_b(services, root)
    finally:
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
