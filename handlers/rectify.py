"""/rectify: report 专项治理 figures for one field (#11 or #25) step by step, with evidence."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from bot.features import campaign, campaign_reports
from bot.telegram import callbacks as cb
from bot.text import dialogues
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
    text_of,
)

R_UNIT, R_FIELD, R_FOUND, R_FIXED, R_CASES, R_FILES = range(8, 14)


async def start(update: Update, context: Context) -> int:
    """The first question: the field, each labelled with its measure."""
    labels = campaign_reports.field_labels()
    await answer(
        update,
        context,
        dialogues.rectify("rf_start", unit=draft(context)["unit"]),
        buttons("rf", "f", labels, 1),
    )
    return R_FIELD


field_button = choice_step(
    "field",
    campaign.FIELDS,
    R_FOUND,
    lambda name: (dialogues.rectify("rf_found", field=name, task=campaign.field_task(name)), None),
)
found_text = count_step("identified", R_FOUND, R_FIXED, partial(dialogues.rectify, "rf_fixed"))
fixed_text = count_step("rectified", R_FIXED, R_CASES, partial(dialogues.rectify, "rf_cases"))


async def cases_text(update: Update, context: Context) -> int:
    """Typical cases in a few words (无 for none)."""
    draft(context)["cases"] = campaign_reports.cases_of(text_of(update).strip())
    await answer(update, context, dialogues.rectify("rf_evidence"), done_button("rf"))
    return R_FILES


RECTIFY = Dialogue(
    command="rectify",
    prefix="rf",
    unit_state=R_UNIT,
    files_state=R_FILES,
    files_prompt=partial(dialogues.rectify, "rf_evidence"),
    start=start,
    finish=campaign_reports.save_rectification,
    files_task=lambda d: campaign.field_task(d["field"]),
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The /rectify conversation (before the evidence handler: see handlers.dialogue)."""
    steps: States = {
        R_FIELD: [CallbackQueryHandler(field_button, pattern=cb.choices("rf", "f"))],
        R_FOUND: [MessageHandler(TEXT, found_text)],
        R_FIXED: [MessageHandler(TEXT, fixed_text)],
        R_CASES: [MessageHandler(TEXT, cases_text)],
    }
    application.add_handler(RECTIFY.handler(steps))
