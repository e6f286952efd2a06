"""/metric: a KPI value reported by one of its owning lead units or a coordinator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.features import kpis
from bot.text import dialogues

if TYPE_CHECKING:
    from bot.features.access import Actor
    from bot.services import Services


def report_metric(services: Services, actor: Actor, args: Sequence[str], at: datetime) -> str:
    """`KEY VALUE` from the actor: recorded if the actor may report it; what they are told."""
    if actor.is_stranger:
        return dialogues.dialogue("no_unit")
    if len(args) < 2:
        return dialogues.metric("metric_usage", kpis=kpis.kpi_rows(services.store))
    if len(args) > 2 and args[-1] in ("%", "％"):  # "98.5 %": the sign belongs to the number
        args = [*args[:-2], args[-2] + args[-1]]
    word, raw = " ".join(args[:-1]), args[-1]
    kpi = kpis.find_kpi(word)
    if kpi is None:
        return dialogues.metric("metric_unknown", word=word)
    value = kpis.parse_value(raw)
    if value is None:
        return dialogues.metric("metric_bad_value", value=raw)
    if (problem := kpis.value_problem(kpi, value)) is not None:
        return dialogues.metric("metric_bad_range", name=kpi.name, value=raw, problem=problem)
    owners = kpis.metric_owners(services.store, services.units, kpi)
    allowed, unit = kpis.reporting_unit(owners, actor.units, actor.is_coordinator)
    if not allowed:
        return dialogues.metric("metric_denied", name=kpi.name, task=kpi.task, leads=owners)
    kpis.record_metric(services.store, kpi, value, at=at, actor=actor.user_id, unit=unit)
    latest = kpis.latest_values(kpis.metric_records(services.store))
    return dialogues.metric(
        "metric_saved",
        name=kpi.name,
        value=f"{kpis.fmt_number(value)}{kpi.unit}",
        target=kpi.target_text(latest),
        met=kpi.met(value, latest),
        day=at.date(),
    )
