"""The durable store: acknowledged writes survive SIGKILL, re-import keeps history, one writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.clock import SHANGHAI
from bot.plan.model import Deadline, Plan, Task
from bot.storage import JOURNAL, SNAPSHOT, JournalDB, JournalStorage
from bot.store import Store, StoreLocked

AT = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)


def _task(task_id: int, title: str = "完善信用制度建设", due: str = "2021-06-30") -> Task:
    return Task(
        id=task_id, category_no=1, category="健全信用制度体系", title=title, text=title + "。",
        deadline=Deadline("once", "2021年6月", due=date.fromisoformat(due)),
        leads=("区发改局",), supporters=("区财政局",),
    )


def test_events_and_states_survive_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.import_plan(Plan(tasks=[_task(1), _task(2)], year=2021), at=AT)
    store.update_state(1, "区发改局", at=AT, actor=42, status="doing", percent=60, note="<b>&</b>")
    store.close()
    store = Store(tmp_path)
    state = store.state(1, "区发改局")
    assert state["status"] == "doing" and state["percent"] == 60 and state["note"] == "<b>&</b>"
    assert [e["kind"] for e in store.events(task=1)][-1] == "status"
    store.close()


def test_reimport_merges_by_number_keeping_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.import_plan(Plan(tasks=[_task(1), _task(2)], year=2021), at=AT)
    store.update_state(2, "区财政局", at=AT, actor=7, status="doing")
    result = store.import_plan(Plan(tasks=[_task(2, due="2021-07-31"), _task(3)], year=2021), at=AT)
    assert (result.added, result.changed, result.archived) == ([3], [2], [1])
    assert store.task(1) is None and store.task_meta(1)["archived"] is True
    assert store.task(2).deadline.due == date(2021, 7, 31)
    assert store.state(2, "区财政局")["status"] == "doing"
    revision = store.events(task=2, kinds=["plan.revision"])[0]
    assert revision["changes"]["deadline"]["old"]["due"] == "2021-06-30"
    store.close()


def test_second_writer_is_refused_but_readers_work(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    with pytest.raises(StoreLocked, match="in use"):
        Store(tmp_path)
    reader = Store(tmp_path, read_only=True)
    assert [t.id for t in reader.tasks()] == [1]
    with pytest.raises(PermissionError):
        reader.record("note", at=AT, actor=1)
    store.close()
    Store(tmp_path).close()


def test_invites_are_single_use_and_expire(tmp_path: Path) -> None:
    store = Store(tmp_path)
    code = store.create_invite("区司法局", at=AT, actor=1)
    assert store.redeem_invite(code, 5, name="A", at=AT) == ("区司法局", "ok")
    assert store.redeem_invite(code, 6, name="B", at=AT) == (None, "used")
    old = store.create_invite("区司法局", at=AT, actor=1)
    later = datetime(2021, 6, 9, tzinfo=SHANGHAI)
    assert store.redeem_invite(old, 6, name="B", at=later) == (None, "expired")
    assert store.redeem_invite("nope", 6, name="B", at=AT) == (None, "unknown")
    assert store.units_of(5) == ["区司法局"] and store.units_of(6) == []
    store.close()


def test_seen_update_is_durable(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.seen_update(100) is False
    assert store.seen_update(100) is True
    store.close()
    store = Store(tmp_path)
    assert store.seen_update(100) is True
    store.close()


def test_torn_journal_tail_is_ignored(tmp_path: Path) -> None:
    db = JournalDB(tmp_path, storage=JournalStorage)
    db.table("t").insert({"a": 1})
    db.storage._journal.write(b'{"t":"t","c":{"2":{"a":')  # a write cut short by a crash
    db.storage._journal.flush()
    db.storage._journal.close()
    db.storage._journal = None
    again = JournalDB(tmp_path, storage=JournalStorage)
    assert [d["a"] for d in again.table("t").all()] == [1]
    again.table("t").insert({"a": 2})
    again.close()
    assert [d["a"] for d in JournalDB(tmp_path, storage=JournalStorage).table("t").all()] == [1, 2]


WRITER = textwrap.dedent(
    """
    import sys
    from bot.storage import JournalDB, JournalStorage
    db = JournalDB(sys.argv[1], storage=JournalStorage)
    t = db.table("events")
    i = 0
    while True:
        i += 1
        t.insert({"i": i, "pad": "x" * (i % 700)})
        if i % 97 == 0:
            t.update({"touched": i}, doc_ids=[1])
        if i % 500 == 0:
            db.storage.compact()
        print(i, flush=True)  # acknowledged: the write returned
    """
)


@pytest.mark.parametrize("round_", range(6))
def test_sigkill_while_writing_loses_no_acknowledged_record(tmp_path: Path, round_: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    acked = 0
    deadline = time.monotonic() + 20
    target = 300 + round_ * 277
    assert proc.stdout is not None
    while acked < target and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert acked >= target
    db = JournalDB(tmp_path, storage=JournalStorage)
    seen = {d["i"] for d in db.table("events").all()}
    assert set(range(1, acked + 1)) <= seen
    db.close()
    assert (tmp_path / SNAPSHOT).exists() and (tmp_path / JOURNAL).exists()
    assert not list(tmp_path.glob(".*.tmp"))
