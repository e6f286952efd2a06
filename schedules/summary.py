"""When the weekly summary goes out: at DUBAN_SUMMARY_AT, once per ISO week, caught up late.

Posting it, once per week whatever the ticks and restarts, is `bot.features.summary_posts`.
A bot that was down at the slot posts as soon as it runs again in the same week (e.g. started
on Saturday).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Bot

from bot.config import Settings
from bot.domain.status import week_key
from bot.features import summary_posts
from bot.reports.chart import chart_safely
from bot.services import Services
from bot.telegram.context import OUTBOX, SERVICES, DubanApp
from bot.telegram.outbox import Outbox
from bot.telegram.publish import Chart, publisher

LATE_AFTER = timedelta(minutes=5)  # a post this long after its slot is marked late


def slot_of_week(settings: Settings, now: datetime) -> datetime:
    """The summary instant of the ISO week containing `now` (in the bot's time zone)."""
    local = now.astimezone(settings.timezone)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=settings.summary_weekday)
    return datetime.combine(day, settings.summary_time, tzinfo=settings.timezone)


def due_week(settings: Settings, now: datetime) -> str | None:
    """The ISO week whose summary is due at `now` (its slot has passed), or None."""
    if now < slot_of_week(settings, now):
        return None
    return week_key(now.astimezone(settings.timezone).date())


async def post_weekly_summary(
    sender: Bot | Outbox, services: Services, *, chart: Chart = chart_safely
) -> bool:
    """Post this week's summary if its slot has passed and it has not gone out; True if posted.
    `chart` draws its chart (tests pass a quick one)."""
    settings = services.settings
    chat_id = settings.summary_chat_id
    now = services.clock.now()
    week = due_week(settings, now)
    if chat_id is None or week is None:
        return False
    late = now > slot_of_week(settings, now) + LATE_AFTER
    publish = publisher(sender, services, chart=chart)
    return await summary_posts.post_weekly(
        services, publish, chat=chat_id, week=week, now=now, late=late
    )


async def summary_tick(application: DubanApp, *, chart: Chart = chart_safely) -> None:
    """The tick job's call: post the weekly summary when it is due."""
    services = application.bot_data.get(SERVICES)
    if services is None:
        return
    sender = application.bot_data.get(OUTBOX) or application.bot
    await post_weekly_summary(sender, services, chart=chart)
