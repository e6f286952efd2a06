"""Telegram adapters: every handler module is registered here, in order."""

from __future__ import annotations

from types import ModuleType

from bot.telegram.context import DubanApp
from handlers import (
    activity,
    assign,
    awaiting,
    blocked,
    evidence,
    extensions,
    fallback,
    gate,
    kept,
    metrics,
    milestones,
    onboarding,
    plan_import,
    plans,
    receipts,
    rectify,
    reminders,
    review,
    slips,
    tasks,
    updates,
    views,
)

# Order matters: within a handler group the first matching handler wins (handlers/groups.py).
HANDLER_MODULES: list[ModuleType] = [
    gate,  # Group.GATE: dedup and who may speak; runs before everything
    onboarding,
    tasks,
    awaiting,  # matches only text the bot asked for (extension, refusal reason)
    # updates before evidence etc.: its dialogue must see the text typed inside it first.
    updates,
    activity,  # before evidence: photos in /activity are its own
    rectify,  # before evidence: files in /rectify are its own
    metrics,  # /metric
    assign,  # before evidence and kept: the text typed in its dialogue is its own
    views,
    plans,  # /plans
    plan_import,  # before evidence: a coordinator's plan file naming no task
    evidence,
    kept,  # the task pressed for what a person wrote without one
    extensions,
    milestones,  # /milestone, 时间节点 and its buttons
    review,
    blocked,  # 受阻 alerts: 答复单位
    reminders,  # /snooze, /remind
    slips,  # /slip, 生成督办单
    receipts,  # 签收
    fallback,  # stays last: takes whatever no other handler in Group.COMMANDS took
]


def register_all(application: DubanApp) -> None:
    """Call `register(application)` of each module in HANDLER_MODULES, in order."""
    for module in HANDLER_MODULES:
        module.register(application)
