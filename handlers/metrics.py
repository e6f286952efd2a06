"""/metric KEY VALUE: a KPI value from its owning lead units or a coordinator; /metric lists them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.features.metrics import report_metric
from bot.telegram.context import DubanApp, DubanContext
from handlers.common import actor_of


async def metric_command(update: Update, context: DubanContext) -> None:
    """/metric KEY VALUE: the value recorded and compared with its target; /metric: the list."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    actor, at = actor_of(update, context), services.clock.now()
    await context.outbox.answer(message, report_metric(services, actor, context.args or [], at))


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("metric", metric_command))
