"""Store cost at 1k and 100k events: durable write median, /status data median, growth."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import SHANGHAI
from bot.plan import BUNDLED_PLAN, load_plan
from bot.store import Store
from bot.units import Directory

EVENTS = 100_000
SAMPLES = 300


def _fill(store: Store, units: list[str], n: int, start: datetime) -> None:
    rnd = random.Random(7)
    for i in range(n):
        store.record(
            "note", at=start + timedelta(minutes=i), actor=2000 + i % 400,
            task=1 + i % 25, unit=rnd.choice(units), note="进展顺利，已完成第一阶段" * (1 + i % 3),
        )


def _write_ms(store: Store, at: datetime) -> float:
    times = []
    for i in range(SAMPLES):
        t0 = time.perf_counter()
        store.update_state(1 + i % 25, store.states(task=1 + i % 25)[0]["unit"], at=at,
                           actor=1, event="note", note=f"bench {i}")
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _status_ms(store: Store) -> float:
    times = []
    for _ in range(SAMPLES // 3):
        t0 = time.perf_counter()
        tasks = store.tasks()
        states = store.states()
        contacts = store.contacts()
        assert tasks and states is not None and contacts is not None
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> str:
    plan = load_plan(BUNDLED_PLAN)
    directory = Directory.load()
    at = datetime(2021, 6, 1, 9, tzinfo=SHANGHAI)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        store = Store(Path(tmp))
        store.import_plan(
            plan, at=at,
            responsible=lambda t: [(u.name, r) for u, r in directory.responsible(t)],
        )
        units = [u.name for u in directory.units]
        _fill(store, units, 1_000 - store.event_count(), at)
        write_1k = _write_ms(store, at)
        # The bulk of the history goes in without fsync to keep the bench short; the measured
        # writes below are durable (fsynced) like every write in production.
        store.db.storage.fsync = False
        _fill(store, units, EVENTS - store.event_count(), at)
        store.db.storage.fsync = True
        write_100k = _write_ms(store, at)
        status = _status_ms(store)
        events = store.event_count()
        store.close()
    return (
        f"store: events={events} write_p50_ms={write_100k:.2f} status_p50_ms={status:.2f} "
        f"growth={write_100k / write_1k:.2f}"
    )


if __name__ == "__main__":
    print(main())
