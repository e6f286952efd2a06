"""Weekly summary render time for the seed plan with 100,000 events (chart excluded)."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI, FixedClock
from bot.domain.units import Directory
from bot.features import campaign, kpis
from bot.plan import BUNDLED_PLAN, load_plan
from bot.reports.summary import messages_of
from bot.services import Services
from bot.store import Store

EVENTS = 100_000
RUNS = 15
DAY = date(2021, 6, 18)  # a Friday


def fill(services: Services, n: int, end: datetime) -> None:
    """History up to n events over the 100 days before `end`: notes, statuses, campaign."""
    store = services.store
    rnd = random.Random(11)
    states = store.parts.states()
    start = end - timedelta(days=100)
    step = timedelta(days=100) / n
    kpi_list = list(kpis.bundled_kpis())
    i = 0
    while store.history.event_count() < n:
        i += 1
        at = start + step * i
        state = states[i % len(states)]
        # every write's
        who: dict[str, Any] = {"unit": state["unit"], "actor": 5000 + i % 300, "at": at}
        roll = i % 50
        if roll == 0:
            status = rnd.choice(("doing", "done", "blocked"))
            store.parts.update_state(
                state["task"], **who, status=status, percent=rnd.randint(0, 100)
            )
        elif roll == 1:
            campaign.add_activity(
                store,
                **who,
                form=rnd.choice(campaign.FORMS),
                carrier=rnd.choice(campaign.CARRIERS),
                day=at.date(),
                title=f"诚信宣传 {i}",
                participants=rnd.randint(10, 300),
                enterprises=rnd.randint(0, 20),
            )
        elif roll == 2:
            campaign.add_rectification(
                store,
                **who,
                field_name=rnd.choice(campaign.FIELDS),
                identified=rnd.randint(1, 9),
                rectified=rnd.randint(0, 9),
                cases=f"典型案例 {i}：<依法处置> & 公示",
            )
        elif roll == 3:
            kpi = rnd.choice(kpi_list)
            kpis.record_metric(store, kpi, rnd.uniform(0, 120), **who)
        else:
            note = "进展顺利，已完成第一阶段" * (1 + i % 3)
            store.parts.update_state(state["task"], **who, event="note", note=note)


def main() -> str:
    plan = load_plan(BUNDLED_PLAN)
    directory = Directory.load()
    end = datetime.combine(DAY, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=15)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        store = Store(Path(tmp), fsync=False)
        clock = FixedClock(end - timedelta(days=101))
        services = Services(Settings(data_dir=Path(tmp)), clock, store, directory, WorkCalendar())
        store.plan.import_plan(
            plan,
            at=clock.now(),
            actor="bench",
            responsible=lambda t: [(u.name, r) for u, r in directory.responsible(t)],
        )
        fill(services, EVENTS, end)
        clock.set(end)
        messages_of(services, DAY)  # warm the template cache
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            messages_of(services, DAY)
            times.append(time.perf_counter() - t0)
        events = store.history.event_count()
        store.close()
    ms = statistics.median(times) * 1000
    return f"summary: tasks={len(plan.tasks)} events={events} render_ms={ms:.0f}"


if __name__ == "__main__":
    print(main())
