"""The one repeating job: every simulated minute, the reminder sweep, telling kept input that
lapsed, the daily backup and the weekly summary.

The interval follows the clock: 60 real seconds on the real clock; under the rehearsal clock
60/S real seconds and at least once a real second (CONTRACT), never below 0.2 s so a fast
rehearsal leaves the event loop time for updates. It follows speed changes made while running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Job

from bot.config import make_clock
from bot.domain.clock import RehearsalClock
from bot.domain.policy import policy_of
from bot.telegram.context import DubanContext as Context
from bot.telegram.sweep import reminder_sweep
from schedules import summary
from schedules.backup import backup_tick
from schedules.lapses import lapse_tick

log = logging.getLogger(__name__)

JOB_NAME = "duban-tick"
# PTB leaves APScheduler's misfire_grace_time=1 s and no coalescing: a busy loop would then
# silently skip a tick. Late ticks still run, piled-up ones run once, never two at a time.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def interval_for(speed: float, rehearsal: bool = False) -> float:
    """Real seconds between ticks: one simulated minute, clamped to [0.2, 60] (to [0.2, 1]
    under the rehearsal clock, which the contract checks at least once a real second)."""
    longest = 1.0 if rehearsal else 60.0
    return min(longest, max(0.2, 60.0 / speed)) if speed > 0 else longest


def clock_interval(clock: Any) -> float:
    """The tick interval for this clock (a RehearsalClock is a rehearsal, whatever its speed)."""
    return interval_for(float(clock.speed), rehearsal=isinstance(clock, RehearsalClock))


def _interval(application: Any) -> float:
    services = application.bot_data.get("services")
    if services is not None:
        return clock_interval(services.clock)
    settings = application.bot_data.get("settings")
    return clock_interval(make_clock(settings)) if settings is not None else 60.0


def schedule(application: Any) -> Job[Any]:
    """Register the tick job on the application's JobQueue."""
    services = application.bot_data.get("services")
    if services is not None:
        policy_of(services)  # a malformed DUBAN_DATA_DIR/policy.yaml stops start-up, not each tick
    for old in application.job_queue.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    interval = _interval(application)
    # The first tick comes one interval after start, not at once: a restart's catch-up is
    # the same sweep a minute later, and the bot has finished starting by then.
    return application.job_queue.run_repeating(
        tick,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        job_kwargs=dict(JOB_KWARGS),
    )


Step = Callable[[Any], Awaitable[object]]  # one part of a tick, given the application


async def run_once(
    application: Any,
    *,
    sweep: Step = reminder_sweep,
    post_summary: Step | None = None,
) -> None:
    """One tick: the sweep, then the weekly summary; each fails alone. `sweep` and
    `post_summary` (by default summary.summary_tick, looked up at each tick) are for tests."""
    if application.bot_data.get("services") is None:
        return  # post_init has not run yet
    try:
        await sweep(application)
    except Exception:
        log.exception("reminder sweep failed")
    try:
        await lapse_tick(application)
    except Exception:
        log.exception("telling lapsed input failed")
    try:
        await backup_tick(application)
    except Exception:
        log.exception("daily backup failed")  # tried again next tick: no ledger entry yet
    try:
        await (post_summary or summary.summary_tick)(application)
    except Exception:
        log.exception("summary tick failed")


async def tick(context: Context) -> None:
    """The job callback; also re-times itself when the rehearsal clock's speed changed."""
    await run_once(context.application)
    job = context.job
    services = context.application.bot_data.get("services")
    if job is None or services is None:
        return
    wanted = clock_interval(services.clock)
    trigger = getattr(job.job, "trigger", None)
    current = getattr(getattr(trigger, "interval", None), "total_seconds", lambda: wanted)()
    if abs(current - wanted) > 1e-6:
        job.job.reschedule(trigger="interval", seconds=wanted)
