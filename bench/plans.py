"""Closed plans beside the active one: four closed plans of 100,000 events each and the seed.

The closed plans' histories are written straight into their archives (`plans/<slot>/`, as
`Store.close_plan` leaves them) rather than through 400,000 writes; the active plan is the
bundled plan with a few thousand events. A fresh process then opens the store and measures
what the active plan costs: the open, the /status overview, a durable update, its RSS, and
reading a closed plan's task history (the first read loads that plan's archive).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bench.store import HISTORY_SHOWN, SAMPLES, _median_ms, _status_ms, _write_ms
from bot.domain.clock import SHANGHAI
from bot.domain.units import Directory
from bot.plan import BUNDLED_PLAN, load_plan
from bot.store import Store
from bot.store.history import ARCHIVE_DIR, EVENTS
from bot.store.journal import add_documents

CLOSED = 4
CLOSED_EVENTS = 100_000
ACTIVE_EVENTS = 3_000
OPENS = 7


def _history(
    tasks: list[int], units: list[str], n: int, start: datetime, first_id: int
) -> dict[int, dict[str, object]]:
    """n notes on `tasks` over a year from `start`, numbered from `first_id`."""
    step = timedelta(days=365) / n
    return {
        first_id + i: {
            "at": (start + step * i).isoformat(timespec="seconds"),
            "actor": 2000 + i % 400,
            "task": tasks[i % len(tasks)],
            "unit": units[i % len(units)],
            "kind": "note",
            "note": "进展顺利，已完成第一阶段" * (1 + i % 3),
        }
        for i in range(n)
    }


def build(data_dir: Path) -> None:
    """Four closed plans (2017–2020) with their archives, and the 2021 plan active."""
    plan = load_plan(BUNDLED_PLAN)
    directory = Directory.load()
    units = [u.name for u in directory.units]
    store = Store(data_dir, fsync=False)
    for year in range(2021 - CLOSED, 2022):
        at = datetime(year, 1, 10, 9, tzinfo=SHANGHAI)
        result = store.plan.import_plan(
            replace(plan, title=f"{year}年社会信用体系建设工作要点", year=year),
            at=at,
            into="new",
            responsible=lambda t: [(u.name, r) for u, r in directory.responsible(t)],
        )
        assert result.plan is not None
        if year == 2021:
            break
        slot = result.plan.slot
        keys = [t.id for t in store.plan.tasks(plan=slot)]
        first = store.history.event_count(closed=True) + 1
        add_documents(
            data_dir / ARCHIVE_DIR / str(slot),
            EVENTS,
            _history(keys, units, CLOSED_EVENTS, at, first),
            fsync=False,
        )
        store.close_plan(result.plan.code, at=at + timedelta(days=360), actor="bench")
    active = [t.id for t in store.plan.tasks()]
    start = datetime(2021, 1, 11, 9, tzinfo=SHANGHAI)
    for i in range(ACTIVE_EVENTS - store.history.event_count()):
        store.history.record(
            "note",
            at=start + timedelta(hours=i),
            actor=2000 + i % 400,
            task=active[i % len(active)],
            unit=units[i % len(units)],
            note="进展顺利，已完成第一阶段",
        )
    store.close()


def measure(data_dir: Path) -> dict[str, float]:
    """In a fresh process: the open, /status, a durable write, RSS, a closed task's history."""
    opens = []
    for _ in range(OPENS):
        t0 = time.perf_counter()
        store = Store(data_dir)
        opens.append(time.perf_counter() - t0)
        store.close()
    store = Store(data_dir)
    status = _status_ms(store)
    active = [t.id for t in store.plan.tasks()]
    write = _write_ms(store, datetime(2021, 6, 1, 9, tzinfo=SHANGHAI), active)
    rss = _rss_mb()
    old = store.plan.find("A", 18)[0]
    t0 = time.perf_counter()
    shown = store.history.events(task=old, last=HISTORY_SHOWN)
    first_read = time.perf_counter() - t0
    assert len(shown) == HISTORY_SHOWN

    def read(i: int) -> None:
        key = store.plan.find("A", 1 + i % 25)[0]
        assert len(store.history.events(task=key, last=HISTORY_SHOWN)) == HISTORY_SHOWN

    history = _median_ms(read, SAMPLES // 3)
    figures = {
        "plans": len(store.plans.all()),
        "events": store.history.event_count(closed=True),
        "hot_events": store.history.event_count(),
        "open_ms": sorted(opens)[OPENS // 2] * 1000,
        "status_p50_ms": status,
        "write_p50_ms": write,
        "rss_mb": rss,
        "rss_after_closed_read_mb": _rss_mb(),
        "closed_first_read_ms": first_read * 1000,
        "closed_history_p50_ms": history,
    }
    store.close()
    return figures


def _rss_mb() -> float:
    """The process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> str:
    with tempfile.TemporaryDirectory(prefix="duban-bench-plans-") as tmp:
        t0 = time.perf_counter()
        build(Path(tmp))
        built = time.perf_counter() - t0
        out = subprocess.run(
            [sys.executable, "-m", "bench.plans", "--measure", tmp],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    f = json.loads(out.splitlines()[-1])
    return (
        f"plans: plans={f['plans']} events={f['events']} open_ms={f['open_ms']:.1f} "
        f"status_p50_ms={f['status_p50_ms']:.2f} write_p50_ms={f['write_p50_ms']:.2f} "
        f"rss_mb={f['rss_mb']:.1f}\n"
        f"plans-closed: hot_events={f['hot_events']} "
        f"first_read_ms={f['closed_first_read_ms']:.0f} "
        f"task_history_p50_ms={f['closed_history_p50_ms']:.2f} "
        f"rss_after_mb={f['rss_after_closed_read_mb']:.1f} build_s={built:.1f}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        print(main())
