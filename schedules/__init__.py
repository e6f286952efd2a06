"""Timed jobs: each module here decides *when* the core runs, nothing more."""

from __future__ import annotations

from bot.telegram.context import DubanApp
from schedules import tick


def schedule_all(application: DubanApp) -> None:
    """Set up the one tick job: the reminder sweep, then the weekly summary."""
    tick.schedule(application)
