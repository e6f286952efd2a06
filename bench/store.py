"""Store cost at 1k and 100k events: durable write median, /status data median, growth."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain.clock import SHANGHAI
from bot.domain.units import Directory
from bot.plan import BUNDLED_PLAN, load_plan
from bot.store import Store

EVENTS = 100_000
SAMPLES = 300
HISTORY_SHOWN = 30  # /task N shows this many events, /status N fewer


def _fill(store: Store, units: list[str], n: int, start: datetime) -> None:
    rnd = random.Random(7)
    for i in range(n):
        store.history.record(
            "note",
            at=start + timedelta(minutes=i),
            actor=2000 + i % 400,
            task=1 + i % 25,
            unit=rnd.choice(units),
            note="进展顺利，已完成第一阶段" * (1 + i % 3),
        )


def _median_ms(action: Callable[[int], object], samples: int) -> float:
    times = []
    for i in range(samples):
        t0 = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _write_ms(store: Store, at: datetime, tasks: Sequence[int] = range(1, 26)) -> float:
    """A durable (fsynced) state change with its history event: SAMPLES of them."""

    def write(i: int) -> None:
        task = tasks[i % len(tasks)]
        unit = store.parts.states(task=task)[0]["unit"]
        store.parts.update_state(task, unit, at=at, actor=1, event="note", note=f"bench {i}")

    return _median_ms(write, SAMPLES)


def _status_ms(store: Store) -> float:
    """What /status reads: the active plans' tasks, their store-side facts, their state
    rows (bot/reports/snapshot.py), contacts."""

    def read(_: int) -> None:
        tasks = store.plan.tasks()
        closed = sorted(store.plan.closed_tasks())
        states = store.parts.states(among={t.id for t in tasks})
        contacts = store.people.contacts()
        assert tasks and states and contacts is not None and closed is not None
        store.history.first_event()

    return _median_ms(read, SAMPLES // 3)


def _history_ms(store: Store) -> float:
    """What /task N and /status N read: a task's recent history and how much more there is."""

    def read(i: int) -> None:
        task = 1 + i % 25
        recent = store.history.events(
            task=task, where=lambda e: e["kind"] != "plan.import", last=HISTORY_SHOWN
        )
        assert len(recent) == HISTORY_SHOWN and store.history.event_kinds(task)

    return _median_ms(read, SAMPLES // 3)


def main() -> str:
    plan = load_plan(BUNDLED_PLAN)
    directory = Directory.load()
    at = datetime(2021, 6, 1, 9, tzinfo=SHANGHAI)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        store = Store(Path(tmp))
        store.plan.import_plan(
            plan,
            at=at,
            responsible=lambda t: [(u.name, r) for u, r in directory.responsible(t)],
        )
        units = [u.name for u in directory.units]
        # each measurement's own writes bring the history to exactly 1,000 and 100,000 events
        _fill(store, units, 1_000 - SAMPLES - store.history.event_count(), at)
        write_1k = _write_ms(store, at)
        history_1k = _history_ms(store)
        # The bulk of the history goes in without fsync to keep the bench short; the measured
        # writes below are durable (fsynced) like every write in production.
        store.db.storage.fsync = False
        _fill(store, units, EVENTS - SAMPLES - store.history.event_count(), at)
        store.db.storage.fsync = True
        write_100k = _write_ms(store, at)
        status = _status_ms(store)
        history_100k = _history_ms(store)
        events = store.history.event_count()
        store.close()
    return (
        f"store: events={events} write_p50_ms={write_100k:.2f} status_p50_ms={status:.2f} "
        f"growth={write_100k / write_1k:.2f}\n"
        f"store-history: events={events} task_history_p50_ms={history_100k:.2f} "
        f"growth={history_100k / history_1k:.2f}"
    )


if __name__ == "__main__":
    print(main())
