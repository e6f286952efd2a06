"""The /activity and /rectify reports: the checks on their answers, storing a finished draft,
and the confirmation saying what was recorded."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.features import campaign
from bot.features.pending import Draft
from bot.plan.refs import task_ref
from bot.text import dialogues

if TYPE_CHECKING:
    from bot.features.access import Actor
    from bot.services import Services

TITLE_LIMIT = 200
CASES_LIMIT = 3000
NIL_WORDS = ("无", "没有", "暂无", "-", "—")


def activity_day_problem(day: date | None, today: date) -> str | None:
    """Why the day an activity was held cannot be taken (not understood, or in the future)."""
    if day is None:
        return dialogues.activity("bad_date")
    return dialogues.activity("future_date", day=day) if day > today else None


def title_problem(title: str) -> str | None:
    """Why an activity's name cannot be taken (empty, or over TITLE_LIMIT characters)."""
    return (
        dialogues.activity("bad_title", limit=TITLE_LIMIT)
        if not title or len(title) > TITLE_LIMIT
        else None
    )


def cases_of(text: str) -> str:
    """Typical cases as typed (无 and the like for none), within CASES_LIMIT characters."""
    return "" if text in NIL_WORDS else text[:CASES_LIMIT]


def field_labels() -> list[str]:
    """The 专项治理 fields, each labelled with its measure (`#25 电信网络`)."""
    return [f"{task_ref(campaign.field_task(f))} {f}" for f in campaign.FIELDS]


def save_activity(services: Services, actor: Actor, d: Draft) -> str:
    """Store a finished /activity draft; the confirmation saying what was recorded."""
    day = date.fromisoformat(d["day"])  # kept as text in the draft, which is stored as JSON
    record = campaign.add_activity(
        services.store,
        unit=d["unit"],
        actor=actor.user_id,
        at=services.clock.now(),
        form=d["form"],
        carrier=d["carrier"],
        day=day,
        title=d["title"],
        participants=d["participants"],
        enterprises=d["enterprises"],
        photos=d["files"],
    )
    return dialogues.activity(
        "act_saved",
        day=day,
        unit=d["unit"],
        form=record["form"],
        carrier=record["carrier"],
        title=record["title"],
        participants=record["participants"],
        firms=record["enterprises"],
        photos=len(record["photos"]),
    )


def save_rectification(services: Services, actor: Actor, d: Draft) -> str:
    """Store a finished /rectify draft; the confirmation saying what was recorded."""
    record = campaign.add_rectification(
        services.store,
        unit=d["unit"],
        actor=actor.user_id,
        at=services.clock.now(),
        field_name=d["field"],
        identified=d["identified"],
        rectified=d["rectified"],
        cases=d["cases"],
        evidence=d["files"],
    )
    return dialogues.rectify(
        "rf_saved",
        task=record["task"],
        field=record["field"],
        found=record["identified"],
        fixed=record["rectified"],
        files=len(record["evidence"]),
    )
