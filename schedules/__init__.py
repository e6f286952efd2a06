"""Timed jobs: each module in SCHEDULE_MODULES exposes `schedule(application)`."""

from __future__ import annotations

from importlib import import_module

from telegram.ext import Application

SCHEDULE_MODULES: list[str] = ["schedules.tick"]  # the one tick job: reminders, then summary


def schedule_all(application: Application) -> None:  # type: ignore[type-arg]
    """Set up every timed job; nothing happens when no module is registered."""
    for name in SCHEDULE_MODULES:
        import_module(name).schedule(application)
