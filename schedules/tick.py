"""The one repeating job: every simulated minute, the reminder sweep, telling kept input that
lapsed, the daily backup and the weekly summary.

The interval follows the clock: 60 real seconds on the real clock; under the rehearsal clock
60/S real seconds and at least once a real second (CONTRACT), never below 0.2 s so a fast
rehearsal leaves the event loop time for updates. It follows speed changes made while running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from telegram.ext import Job

from bot.config import make_clock
from bot.domain.clock import Clock, RehearsalClock
from bot.features.sweep import SweepReport
from bot.telegram import courier
from bot.telegram.context import OUTBOX, SERVICES, DubanApp, DubanContext
from schedules import summary
from schedules.backup import backup_tick
from schedules.lapses import lapse_tick

log = logging.getLogger(__name__)

JOB_NAME = "duban-tick"
# bot_data: parts of the tick a test replaces, by run_once's keywords ({"post_summary": ...}).
STEPS = "tick_steps"
# PTB leaves APScheduler's misfire_grace_time=1 s and no coalescing: a busy loop would then
# silently skip a tick. Late ticks still run, piled-up ones run once, never two at a time.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def interval_for(speed: float, rehearsal: bool = False) -> float:
    """Real seconds between ticks: one simulated minute, clamped to [0.2, 60] (to [0.2, 1]
    under the rehearsal clock, which the contract checks at least once a real second)."""
    longest = 1.0 if rehearsal else 60.0
    return min(longest, max(0.2, 60.0 / speed)) if speed > 0 else longest


def clock_interval(clock: Clock) -> float:
    """The tick interval for this clock (a RehearsalClock is a rehearsal, whatever its speed)."""
    return interval_for(float(clock.speed), rehearsal=isinstance(clock, RehearsalClock))


def _interval(application: DubanApp) -> float:
    services = application.bot_data.get("services")
    if services is not None:
        return clock_interval(services.clock)
    settings = application.bot_data.get("settings")
    return clock_interval(make_clock(settings)) if settings is not None else 60.0


def schedule(application: DubanApp) -> Job[DubanContext]:
    """Register the tick job on the application's JobQueue."""
    jobs = application.job_queue
    assert jobs is not None  # the job-queue extra is a dependency (pyproject.toml)
    for old in jobs.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    interval = _interval(application)
    # The first tick comes one interval after start, not at once: a restart's catch-up is
    # the same sweep a minute later, and the bot has finished starting by then.
    return jobs.run_repeating(
        tick,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        job_kwargs=dict(JOB_KWARGS),
    )


async def reminder_sweep(application: DubanApp) -> SweepReport:
    """The sweep's part of a tick: the feature, delivered through the application's outbox."""
    return await courier.sweep(application.bot_data[OUTBOX], application.bot_data[SERVICES])


Step = Callable[[DubanApp], Awaitable[object]]  # one part of a tick, given the application


async def run_once(
    application: DubanApp,
    *,
    sweep: Step = reminder_sweep,
    post_summary: Step = summary.summary_tick,
) -> None:
    """One tick: the sweep, then the weekly summary; each fails alone. `sweep` and
    `post_summary` are for tests (the tick job takes them from bot_data[STEPS])."""
    if application.bot_data.get(SERVICES) is None:
        return  # post_init has not run yet
    steps: tuple[tuple[Step, str], ...] = (
        (sweep, "reminder sweep"),
        (lapse_tick, "telling lapsed input"),
        (backup_tick, "daily backup"),  # a failed one is tried again next tick (no ledger entry)
        (post_summary, "summary tick"),
    )
    for step, what in steps:
        try:
            await step(application)
        except Exception:
            log.exception("%s failed", what)


async def tick(context: DubanContext) -> None:
    """The job callback; also re-times itself when the rehearsal clock's speed changed."""
    application = cast(DubanApp, context.application)  # PTB types it loosely
    await run_once(application, **application.bot_data.get(STEPS, {}))
    job = context.job
    services = context.application.bot_data.get(SERVICES)
    if job is None or services is None:
        return
    wanted = clock_interval(services.clock)
    trigger = getattr(job.job, "trigger", None)
    current = getattr(getattr(trigger, "interval", None), "total_seconds", lambda: wanted)()
    if abs(current - wanted) > 1e-6:
        job.job.reschedule(trigger="interval", seconds=wanted)
