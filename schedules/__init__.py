"""Timed jobs: each module here decides *when* the core runs, nothing more."""

from __future__ import annotations

from telegram.ext import Application

from schedules import tick


def schedule_all(application: Application) -> None:  # type: ignore[type-arg]
    """Set up the one tick job: the reminder sweep, then the weekly summary."""
    tick.schedule(application)
