"""Telegram adapters: every handler module is registered here, in order."""

from __future__ import annotations

from importlib import import_module

from telegram.ext import Application

# Order matters: within a handler group the first matching handler wins.
HANDLER_MODULES: list[str] = [
    "handlers.gate",  # group -1: dedup and who may speak; runs before everything
    "handlers.onboarding",
    "handlers.tasks",
    "handlers.awaiting",  # matches only text the bot asked for (extension, refusal reason)
    # updates before evidence etc.: its dialogue must see the text typed inside it first.
    "handlers.updates",
    # ↓ other feature modules go here (all their handlers in group 0)
    "handlers.activity",  # before evidence: photos in /activity are its own
    "handlers.rectify",  # before evidence: files in /rectify are its own
    "handlers.metrics",  # /metric
    "handlers.views",
    "handlers.evidence",
    "handlers.extensions",
    "handlers.review",
    "handlers.blocked",  # 受阻 alerts: 答复单位
    "handlers.reminders",  # /snooze, /remind
    "handlers.fallback",  # stays last: takes whatever no other handler in group 0 took
]


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    """Call `register(application)` of each module in HANDLER_MODULES, in order."""
    for name in HANDLER_MODULES:
        import_module(name).register(application)
