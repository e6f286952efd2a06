"""A closed plan's history leaves the store for a journal of its own, and stays readable.

Closing plan A moves its tasks' events to `plans/1/` in the data directory: the active plan's
history, start-up and writes no longer carry it, while `/status N`, the card and the export
still read the whole history of A's tasks. Reopening brings it back. The move survives kill -9
at every step: an interrupted move is finished at the next open.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.plan import BUNDLED_PLAN, load_plan
from bot.reports.cards import task_detail
from bot.reports.report import export_report
from bot.services import open_services
from bot.store import Store
from bot.store.backup import check_backup, make_backup, restore_backup, snapshot_bytes
from bot.store.plans import PlanError

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2021, 6, 1, 9, tzinfo=TZ)
ROOT = Path(__file__).resolve().parent.parent


def _two_plans(data_dir: Path) -> Store:
    """Plan A (the bundled 2021 plan, #18 at 60% with notes) beside plan B (2022)."""
    store = Store(data_dir, fsync=False)
    plan = load_plan(BUNDLED_PLAN)
    store.plan.import_plan(plan, at=AT)
    store.parts.update_state(18, "区司法局", at=AT, actor=2001, status="doing", percent=60)
    for i in range(5):
        store.history.record(
            "note", at=AT + timedelta(hours=i), actor=2001, task=18, unit="区司法局", note=f"A{i}"
        )
    store.history.record("note", at=AT, actor=2001, task=3, unit="区商务局", note="商务局A")
    new = replace(plan, title="2022年工作要点", year=2022)
    result = store.plan.import_plan(new, at=AT + timedelta(days=200), into="new")
    assert result.plan is not None and result.plan.code == "B"
    b18 = store.plan.find("B", 18)[0]
    store.history.record(
        "note", at=AT + timedelta(days=201), actor=2001, task=b18, unit="区司法局", note="B"
    )
    return store


def _notes(store: Store, task: int) -> list[str]:
    return [str(e.get("note")) for e in store.history.events(task=task, kinds=["note"])]


def test_closing_a_plan_moves_its_history_out_and_keeps_it_readable(tmp_path: Path) -> None:
    store = _two_plans(tmp_path)
    before = store.history.events(task=18)
    b18 = store.plan.find("B", 18)[0]
    total = store.history.event_count()

    plan = store.close_plan("A", at=AT + timedelta(days=210), actor=1001)

    assert not plan.active and (tmp_path / "plans" / "1" / "duban.json").is_file()
    # A's tasks' events left the store; B's and the plans' own stay
    moved = store.history.event_count(closed=True) - store.history.event_count()
    assert moved > len(before) and store.history.event_count() < total
    assert _notes(store, b18) == ["B"]
    assert all(e["task"] not in range(1, 26) for e in store.history.events())
    # the closed plan's task keeps its whole history, in order, ids unchanged
    assert store.history.events(task=18) == before
    assert store.history.events(task=18, last=2) == before[-2:]
    assert store.history.event_kinds(18)["note"] == 5
    # queries without a task cover the active plans unless asked
    assert not store.history.events(unit="区商务局", kinds=["note"])
    assert [
        e["note"] for e in store.history.events(unit="区商务局", kinds=["note"], closed=True)
    ] == ["商务局A"]
    assert store.history.event_count(closed=True) == total + 1  # plan.closed
    assert store.history.first_event() is not None

    # new events are numbered above every archived id, even after the store reopens
    store.close()
    store = Store(tmp_path, fsync=False)
    assert store.history.events(task=18) == before
    highest = max(e["id"] for e in store.history.events(closed=True))
    newest = store.history.record("note", at=AT, actor=1, task=b18, unit="区司法局", note="B2")
    assert newest["id"] == highest + 1
    # a read-only open reads the archive too, and writes nothing
    reader = Store(tmp_path, read_only=True)
    assert reader.history.events(task=18) == before
    store.close()


def test_refusals_move_nothing(tmp_path: Path) -> None:
    store = _two_plans(tmp_path)
    with pytest.raises(PlanError) as refused:
        store.close_plan("Z", at=AT, actor=1001)
    assert refused.value.reason == "unknown"
    store.close_plan("A", at=AT, actor=1001)
    with pytest.raises(PlanError) as again:
        store.close_plan("A", at=AT, actor=1001)
    assert again.value.reason == "already_closed"
    with pytest.raises(PlanError):
        store.reopen_plan("B", at=AT, actor=1001)
    assert store.history.archived().keys() == {1}


def test_reopening_brings_the_history_back(tmp_path: Path) -> None:
    store = _two_plans(tmp_path)
    before = store.history.events(task=18)
    store.close_plan("A", at=AT, actor=1001)
    store.reopen_plan("A", at=AT, actor=1001)
    assert not store.history.archived()
    assert store.history.events(task=18) == before
    assert [e["note"] for e in store.history.events(unit="区商务局", kinds=["note"])] == ["商务局A"]
    ids = [e["id"] for e in store.history.events()]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    # closing again writes over the archive left behind, nothing lost or doubled
    store.close_plan("A", at=AT, actor=1001)
    store.close()
    store = Store(tmp_path, fsync=False)
    assert store.history.events(task=18) == before
    everything = [e["id"] for e in store.history.events(closed=True)]
    assert len(everything) == len(set(everything)) == store.history.event_count(closed=True)
    store.close()


def test_a_plan_closed_by_plans_alone_is_settled_at_the_next_open(tmp_path: Path) -> None:
    store = _two_plans(tmp_path)
    before = store.history.events(task=18)
    store.plans.close("A", at=AT, actor=1001)
    store.close()
    store = Store(tmp_path, fsync=False)
    assert store.history.archived().keys() == {1}
    assert not store.history.events(task=18, closed=False) == []
    assert store.history.events(task=18) == before
    store.plans.reopen("A", at=AT, actor=1001)
    store.close()
    store = Store(tmp_path, fsync=False)
    assert not store.history.archived() and store.history.events(task=18) == before
    store.close()


def test_backups_hold_the_closed_plans_history(tmp_path: Path) -> None:
    store = _two_plans(tmp_path / "data")
    before = store.history.events(task=18)
    store.close_plan("A", at=AT, actor=1001)
    info = make_backup(store.dir, tmp_path / "backups", at=AT, snapshot=snapshot_bytes(store))
    store.close()
    assert "plans/1/duban.json" in check_backup(info.path)["files"]
    restore_backup(info.path, tmp_path / "restored")
    restored = Store(tmp_path / "restored", fsync=False)
    assert restored.history.events(task=18) == before
    restored.close()


# -- kill -9 in the middle of a move --------------------------------------------------------
_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from bot.store import Store
    from bot.store import history

    data_dir, stop = sys.argv[1], sys.argv[2]
    store = Store(data_dir)

    def killed(*_a, **_k):
        os.kill(os.getpid(), signal.SIGKILL)

    if stop == "archive-written":  # the plan's journal is written, the store not yet told
        history.History._put_record = killed
    elif stop == "recorded":  # the archive is recorded, the events are still in the store
        real = history.History._put_record
        def put(self, slot, record):
            real(self, slot, record)
            self._uow.sync()
            killed()
        history.History._put_record = put
    elif stop == "restoring":  # reopened, the events not yet back
        history.History.restore = killed
    at = datetime.fromisoformat("2021-12-31T18:00:00+08:00")
    if stop == "restoring":
        store.reopen_plan("A", at=at, actor=1001)
    else:
        store.close_plan("A", at=at, actor=1001)
    """
)


def _killed(data_dir: Path, stop: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data_dir), stop], env=env, cwd=ROOT, check=False
    )
    assert done.returncode == -signal.SIGKILL


@pytest.mark.parametrize("stop", ["archive-written", "recorded"])
def test_a_move_cut_short_by_kill_is_finished_at_the_next_open(tmp_path: Path, stop: str) -> None:
    store = _two_plans(tmp_path)
    before = store.history.events(task=18)
    everything = store.history.events()
    store.close()

    _killed(tmp_path, stop)

    # a read-only look in the meantime sees every event once
    reader = Store(tmp_path, read_only=True)
    assert reader.history.events(task=18) == before
    reader.close()
    store = Store(tmp_path, fsync=False)
    assert store.history.archived().keys() == {1}
    assert not any(e["task"] == 18 for e in store.history.events())
    assert store.history.events(task=18) == before
    ids = [e["id"] for e in store.history.events(closed=True)]
    assert len(ids) == len(set(ids)) and set(ids) >= {e["id"] for e in everything}
    store.close()


def test_a_reopen_cut_short_by_kill_is_finished_at_the_next_open(tmp_path: Path) -> None:
    store = _two_plans(tmp_path)
    before = store.history.events(task=18)
    store.close_plan("A", at=AT, actor=1001)
    store.close()

    _killed(tmp_path, "restoring")

    store = Store(tmp_path, fsync=False)
    assert store.plans.by_code("A").active and not store.history.archived()  # type: ignore[union-attr]
    assert store.history.events(task=18) == before
    assert [e["id"] for e in store.history.events() if e["task"] == 18] == [e["id"] for e in before]
    store.close()


def test_the_card_and_the_export_of_a_closed_plan_show_its_whole_history(tmp_path: Path) -> None:
    _two_plans(tmp_path).close()
    services = open_services(
        Settings(data_dir=tmp_path, coordinators=frozenset({1001}), summary_chat_id=-100500),
        writer=True,
        clock=FixedClock(AT + timedelta(days=220)),
    )
    try:
        services.store.close_plan("A", at=AT + timedelta(days=210), actor=1001)
        shown = task_detail(services, 18, (AT + timedelta(days=220)).date())
        assert shown is not None and all(f"A{i}" in shown for i in range(5))
        closed = services.store.plans.by_code("A")
        assert closed is not None and not closed.active
        # the closed plan's own export (`duban export --plan A`) holds its whole history
        report = export_report(services, tmp_path / "r.xlsx", plan=closed)
        book = openpyxl.load_workbook(report, read_only=True)
        notes = [str(row[-1]) for row in book["历史记录"].iter_rows(values_only=True)]
        assert {f"A{i}" for i in range(5)} | {"商务局A"} <= set(notes)
        # the active plans' export leaves it out
        book = openpyxl.load_workbook(export_report(services, tmp_path / "b.xlsx"), read_only=True)
        notes = [str(row[-1]) for row in book["历史记录"].iter_rows(values_only=True)]
        assert "B" in notes and not {f"A{i}" for i in range(5)} & set(notes)
    finally:
        services.close()
