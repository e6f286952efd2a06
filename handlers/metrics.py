"""/metric KEY VALUE: a KPI value from its owning lead units or a coordinator; /metric lists them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import kpis
from bot.store import Store
from handlers.common import actor_of, services_of
from handlers.dialogue import t


async def metric_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/metric KEY VALUE: record a KPI value (its owning lead units or a coordinator)."""
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    actor = actor_of(update, context)
    if actor.is_stranger:
        await message.reply_text(t("no_unit"))
        return
    args = context.args or []
    if len(args) < 2:
        await message.reply_text(t("metric_usage", kpis=_listing(services.store)))
        return
    word, raw = " ".join(args[:-1]), args[-1]
    kpi = kpis.find_kpi(word)
    if kpi is None:
        await message.reply_text(t("metric_unknown", word=word))
        return
    value = kpis.parse_value(raw)
    if value is None:
        await message.reply_text(t("metric_bad_value", value=raw))
        return
    owners = kpis.metric_owners(services.store, services.units, kpi)
    allowed, unit = kpis.reporting_unit(owners, actor.units, actor.is_coordinator)
    if not allowed:
        await message.reply_text(t("metric_denied", name=kpi.name, task=kpi.task, leads=owners))
        return
    now = services.clock.now()
    kpis.record_metric(services.store, kpi, value, at=now, actor=actor.user_id, unit=unit)
    latest = kpis.latest_values(kpis.metric_records(services.store))
    saved = t(
        "metric_saved",
        name=kpi.name,
        value=f"{kpis.fmt_number(value)}{kpi.unit}",
        target=kpi.target_text(latest),
        met=kpi.met(value, latest),
        day=now.date(),
    )
    await message.reply_text(saved)


def _listing(store: Store) -> list[dict[str, object]]:
    """Every KPI with its target and latest value, for the usage text."""
    rows = kpis.kpi_statuses(kpis.metric_records(store), kpis.bundled_kpis())
    return [
        {
            "key": r.kpi.key,
            "name": r.kpi.name,
            "task": r.kpi.task,
            "target": r.target,
            "value": None if r.value is None else f"{kpis.fmt_number(r.value)}{r.kpi.unit}",
        }
        for r in rows
    ]


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("metric", metric_command))
