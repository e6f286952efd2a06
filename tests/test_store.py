"""The durable store: acknowledged writes survive SIGKILL, re-import keeps history, one writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.clock import SHANGHAI
from bot.plan.model import Deadline, Plan, Task
from bot.services import open_services
from bot.store import Store, StoreLocked
from bot.store.journal import JOURNAL, SNAPSHOT, JournalDB, JournalStorage

AT = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)


def _task(task_id: int, title: str = "完善信用制度建设", due: str = "2021-06-30") -> Task:
    return Task(
        id=task_id,
        category_no=1,
        category="健全信用制度体系",
        title=title,
        text=title + "。",
        deadline=Deadline("once", "2021年6月", due=date.fromisoformat(due)),
        leads=("区发改局",),
        supporters=("区财政局",),
    )


def test_events_and_states_survive_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1), _task(2)], year=2021), at=AT)
    store.parts.update_state(
        1, "区发改局", at=AT, actor=42, status="doing", percent=60, note="<b>&</b>"
    )
    store.close()
    store = Store(tmp_path)
    state = store.parts.state(1, "区发改局")
    assert state["status"] == "doing" and state["percent"] == 60 and state["note"] == "<b>&</b>"
    assert [e["kind"] for e in store.history.events(task=1)][-1] == "status"
    store.close()


def test_reimport_merges_by_number_keeping_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1), _task(2)], year=2021), at=AT)
    store.parts.update_state(2, "区财政局", at=AT, actor=7, status="doing")
    result = store.plan.import_plan(
        Plan(tasks=[_task(2, due="2021-07-31"), _task(3)], year=2021), at=AT
    )
    assert (result.added, result.changed, result.archived) == ([3], [2], [1])
    assert store.plan.task(1) is None and store.plan.task_meta(1)["archived"] is True
    assert store.plan.task(2).deadline.due == date(2021, 7, 31)
    assert store.parts.state(2, "区财政局")["status"] == "doing"
    revision = store.history.events(task=2, kinds=["plan.revision"])[0]
    assert revision["changes"]["deadline"]["old"]["due"] == "2021-06-30"
    store.close()


def test_second_writer_is_refused_but_readers_work(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    with pytest.raises(StoreLocked, match="in use"):
        Store(tmp_path)
    reader = Store(tmp_path, read_only=True)
    assert [t.id for t in reader.plan.tasks()] == [1]
    with pytest.raises(PermissionError):
        reader.history.record("note", at=AT, actor=1)
    store.close()
    Store(tmp_path).close()


def test_invites_are_single_use_and_expire(tmp_path: Path) -> None:
    store = Store(tmp_path)
    code = store.people.create_invite("区司法局", at=AT, actor=1)
    assert store.people.redeem_invite(code, 5, name="A", at=AT) == ("区司法局", "ok")
    assert store.people.redeem_invite(code, 6, name="B", at=AT) == (None, "used")
    old = store.people.create_invite("区司法局", at=AT, actor=1)
    later = datetime(2021, 6, 9, tzinfo=SHANGHAI)
    assert store.people.redeem_invite(old, 6, name="B", at=later) == (None, "expired")
    assert store.people.redeem_invite("nope", 6, name="B", at=AT) == (None, "unknown")
    assert store.people.units_of(5) == ["区司法局"] and store.people.units_of(6) == []
    store.close()


def test_units_of_follows_binding_and_unbinding(tmp_path: Path) -> None:
    """units_of is drawn from an index kept per change of the contacts table."""
    store = Store(tmp_path)
    store.people.bind_contact(5, "区司法局", name="A", at=AT)
    assert store.people.units_of(5) == ["区司法局"]
    store.people.bind_contact(5, "区商务局", name="A", at=AT)
    store.people.bind_contact(6, "区商务局", name="B", at=AT)
    assert store.people.units_of(5) == ["区司法局", "区商务局"] and store.people.units_of(6) == [
        "区商务局"
    ]
    store.people.unbind_contact(5, "区司法局", at=AT, actor=1)
    assert store.people.units_of(5) == ["区商务局"]
    store.close()
    reader = Store(tmp_path, read_only=True)
    assert reader.people.units_of(5) == ["区商务局"]
    reader.close()


def test_seen_update_is_durable(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.intake.seen_update(100) is False
    assert store.intake.seen_update(100) is True
    store.close()
    store = Store(tmp_path)
    assert store.intake.seen_update(100) is True
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
    from bot.store.journal import JournalDB, JournalStorage
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
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
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
    store = Store(tmp_path)  # and the store opens on it, as `duban run` would
    assert store.history.event_count() >= acked
    store.close()


def test_reader_racing_a_compaction_sees_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Store(tmp_path)
    writer.history.record("note", at=AT, actor=1, note="in the snapshot")
    writer.close()
    writer = Store(tmp_path)
    for i in range(5):
        writer.history.record("note", at=AT, actor=1, note=f"journalled {i}")
    read_text = Path.read_text
    raced: list[bool] = []

    def snapshot_then_compaction(self: Path, *args: object, **kwargs: object) -> str:
        text = read_text(self, *args, **kwargs)  # type: ignore[arg-type]
        if self.name == SNAPSHOT and not raced:
            # between the reader's snapshot and its journal, the writer compacts and goes on
            raced.append(True)
            writer.db.storage.compact()
            writer.history.record("note", at=AT, actor=1, note="after the compaction")
        return text

    monkeypatch.setattr(Path, "read_text", snapshot_then_compaction)
    reader = Store(tmp_path, read_only=True)
    notes = [e["note"] for e in reader.history.events()]
    assert raced and len(notes) == 7 and notes[-1] == "after the compaction"
    reader.close()
    writer.close()


def count_reads(monkeypatch: pytest.MonkeyPatch, table: Any) -> list[str]:
    """From now on, the document ids `table` looks up (in order) are appended to the list."""
    raw = table._read_table()
    looked: list[str] = []

    class Counting(dict):  # type: ignore[type-arg]
        def get(self, key: str, default: object = None) -> object:
            looked.append(key)
            return super().get(key, default)

    monkeypatch.setattr(table, "_read_table", lambda: Counting(raw))
    return looked


def test_recent_history_looks_only_at_what_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path, fsync=False)
    store.plan.import_plan(Plan(tasks=[_task(1), _task(2)], year=2021), at=AT)
    for i in range(500):
        store.history.record(
            "note" if i % 3 else "remind", at=AT, actor=1, task=1 + i % 2, note=str(i)
        )
    every = store.history.events(task=1)
    looked = count_reads(monkeypatch, store.table("events"))
    recent = store.history.events(task=1, where=lambda e: e["kind"] == "note", last=5)
    assert recent == [e for e in every if e["kind"] == "note"][-5:]
    assert len(looked) <= 8  # not the task's 250 events
    assert store.history.event_kinds(1) == {"plan.task_added": 1, "note": 166, "remind": 84}
    store.close()


def test_events_in_a_time_range_come_from_the_time_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path, fsync=False)
    days = [datetime(2021, 6, d, 9, tzinfo=SHANGHAI) for d in (1, 2, 3, 5, 4)]  # one late entry
    for i in range(100):
        store.history.record("note", at=days[i % 5], actor=1, task=1, note=str(i))
    since, until = datetime(2021, 6, 4, tzinfo=SHANGHAI), datetime(2021, 6, 5, tzinfo=SHANGHAI)
    expected = [e for e in store.history.events(task=1) if e["at"].startswith("2021-06-04")]
    looked = count_reads(monkeypatch, store.table("events"))
    found = store.history.events(since=since, until=until)
    assert found == expected and len(found) == 20 and len(looked) == 20
    assert [e["id"] for e in found] == sorted(e["id"] for e in found)  # order of recording
    store.close()
    again = Store(tmp_path, read_only=True)  # the index is rebuilt the same on open
    assert again.history.events(since=since, until=until) == expected


def test_a_unit_taken_off_a_task_keeps_its_history_but_leaves_the_states(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    store.parts.update_state(1, "区财政局", at=AT, actor=7, status="doing", percent=50)
    revised = replace(_task(1), leads=("区发改局",), supporters=("区民政局",))
    store.plan.import_plan(Plan(tasks=[revised], year=2021), at=AT)
    assert [s["unit"] for s in store.parts.states(task=1)] == ["区发改局", "区民政局"]
    assert store.parts.state(1, "区财政局") is None
    with pytest.raises(KeyError):
        store.parts.update_state(1, "区财政局", at=AT, actor=7, status="done")
    assert [e["percent"] for e in store.history.events(task=1, unit="区财政局")] == [50]
    revision = store.history.events(task=1, kinds=["plan.revision"])[0]
    assert revision["changes"]["supporters"] == {"old": ["区财政局"], "new": ["区民政局"]}
    store.close()
    store = Store(tmp_path)  # the same after a restart; and back on the task, state and all
    assert store.parts.state(1, "区财政局") is None
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    assert store.parts.state(1, "区财政局")["percent"] == 50
    assert [s["unit"] for s in store.parts.states(task=1)] == ["区发改局", "区财政局"]
    store.close()


def test_read_only_commands_never_keep_a_starting_writer_out(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = open_services(settings)  # an empty store: loads the plan, as the writer
    assert not first.store.read_only and len(first.store.plan.tasks()) == 25
    first.close()
    reader = open_services(settings)  # `duban tasks`, `duban export`, … from now on
    assert reader.store.read_only
    writer = open_services(settings, writer=True)  # `duban run` starting meanwhile
    writer.store.history.record(
        "note", at=AT, actor=1, task=1, note="written while a reader is open"
    )
    writer.close()
    reader.close()
    assert open_services(settings).store.history.events(task=1)[-1]["note"].startswith("written")


def test_done_at_marks_the_completion_and_later_notes_keep_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    later = datetime(2021, 6, 9, 9, 0, tzinfo=SHANGHAI)
    store.parts.update_state(1, "区财政局", at=AT, actor=7, status="done")
    store.parts.update_state(1, "区财政局", at=later, actor=7, event="note", note="补充")
    store.parts.update_state(1, "区财政局", at=later, actor=7, status="done", note="再次确认")
    assert store.parts.state(1, "区财政局")["done_at"] == AT.isoformat(timespec="seconds")
    store.parts.update_state(1, "区财政局", at=later, actor=7, status="doing")
    assert store.parts.state(1, "区财政局")["done_at"] is None
    store.close()


def test_deferred_writes_are_kept_at_once_and_fsynced_later(tmp_path: Path) -> None:
    """Bookkeeping in `deferred()` is in the journal at once (a crash of the process loses
    none), made durable by the next sync(); a batch inside it waits for that sync too."""
    syncs: list[int] = []
    store = Store(tmp_path, datasync=lambda fd: (syncs.append(fd), os.fdatasync(fd))[1])
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    syncs.clear()  # counted from here
    with store.deferred():
        store.parts.update_state(1, "区发改局", at=AT, actor=42, percent=30)
        with store.batch():
            store.intake.seen_update(9)
    assert not syncs and store.unsynced()
    reader = Store(tmp_path, read_only=True)  # reads the journal file: the write is there
    assert reader.parts.state(1, "区发改局")["percent"] == 30
    reader.close()
    store.sync()
    assert len(syncs) == 1 and not store.unsynced()
    store.sync()  # nothing new: no second fsync
    store.parts.update_state(1, "区发改局", at=AT, actor=42, percent=40)  # an ordinary write syncs
    assert len(syncs) > 1 and not store.unsynced()
    store.close()


def test_sync_from_a_thread_while_writing_and_compacting(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    stop = threading.Event()

    def syncing() -> None:
        while not stop.is_set():
            store.sync()

    worker = threading.Thread(target=syncing)
    worker.start()
    try:
        for n in range(200):
            with store.deferred():
                store.deliveries.ledger_put(f"k{n}", n=n)
            if n % 50 == 0:
                store.db.storage.compact()  # type: ignore[attr-defined]
    finally:
        stop.set()
        worker.join()
    store.sync()
    assert not store.unsynced()
    store.close()
    store = Store(tmp_path)
    assert (
        store.deliveries.ledger_get("k199") is not None
        and store.deliveries.ledger_get("k0") is not None
    )
    store.close()


def test_a_derived_value_is_recomputed_exactly_when_its_tables_change(tmp_path: Path) -> None:
    store = Store(tmp_path, fsync=False)
    store.plan.import_plan(Plan(tasks=[_task(1)], year=2021), at=AT)
    calls: list[int] = []

    def value(n: int) -> int:
        calls.append(n)
        return n

    assert store.derived("v", ("tasks", "states"), "a", lambda: value(1)) == 1
    assert store.derived("v", ("tasks", "states"), "a", lambda: value(2)) == 1  # remembered
    store.deliveries.ledger_put("other", n=1)  # another table: still current
    assert store.derived("v", ("tasks", "states"), "a", lambda: value(3)) == 1
    store.parts.update_state(1, "区发改局", at=AT, actor=42, percent=30)
    assert store.derived("v", ("tasks", "states"), "a", lambda: value(4)) == 4
    assert store.derived("v", ("tasks", "states"), "b", lambda: value(5)) == 5  # another key
    store.plan.set_task_closed(1, True)
    assert store.derived("v", ("tasks", "states"), "b", lambda: value(6)) == 6
    assert calls == [1, 4, 5, 6]
    store.close()
