"""/rectify: report 专项治理 figures for one field (#11 or #25) step by step, with evidence."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from bot import campaign
from bot.access import Actor
from bot.services import Services
from handlers.dialogue import (
    TEXT,
    Context,
    Dialogue,
    States,
    answer,
    buttons,
    choice_step,
    count_step,
    done_button,
    draft,
    t,
    text_of,
)

R_UNIT, R_FIELD, R_FOUND, R_FIXED, R_CASES, R_FILES = range(8, 14)
CASES_LIMIT = 3000
NIL_WORDS = ("无", "没有", "暂无", "-", "—")


async def start(update: Update, context: Context) -> int:
    """The first question: the field, each labelled with its measure."""
    labels = [f"#{campaign.field_task(f)} {f}" for f in campaign.FIELDS]
    await answer(update, t("rf_start", unit=draft(context)["unit"]), buttons("rf:f", labels, 1))
    return R_FIELD


field_button = choice_step(
    "field",
    campaign.FIELDS,
    R_FOUND,
    lambda name: (t("rf_found", field=name, task=campaign.field_task(name)), None),
)
found_text = count_step("identified", R_FOUND, R_FIXED, "rf_fixed")
fixed_text = count_step("rectified", R_FIXED, R_CASES, "rf_cases")


async def cases_text(update: Update, context: Context) -> int:
    """Typical cases in a few words (无 for none)."""
    text = text_of(update).strip()
    draft(context)["cases"] = "" if text in NIL_WORDS else text[:CASES_LIMIT]
    await answer(update, t("rf_evidence"), done_button("rf"))
    return R_FILES


def finish(services: Services, actor: Actor, d: dict[str, Any]) -> str:
    """Store the report; the confirmation saying what was recorded."""
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
    return t(
        "rf_saved",
        task=record["task"],
        field=record["field"],
        found=record["identified"],
        fixed=record["rectified"],
        files=len(record["evidence"]),
    )


RECTIFY = Dialogue(
    command="rectify",
    prefix="rf",
    unit_state=R_UNIT,
    files_state=R_FILES,
    files_prompt="rf_evidence",
    start=start,
    finish=finish,
    files_task=lambda d: campaign.field_task(d["field"]),
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The /rectify conversation (before the evidence handler: see handlers.dialogue)."""
    steps: States = {
        R_FIELD: [CallbackQueryHandler(field_button, pattern=r"^rf:f:\d+$")],
        R_FOUND: [MessageHandler(TEXT, found_text)],
        R_FIXED: [MessageHandler(TEXT, fixed_text)],
        R_CASES: [MessageHandler(TEXT, cases_text)],
    }
    application.add_handler(RECTIFY.handler(steps))
