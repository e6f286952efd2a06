"""/rectify: report 专项治理 figures for one field (#11 or #25) step by step, with evidence."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.features import campaign, campaign_reports
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.text import dialogues
from handlers.steps import TEXT, DialogueStep, Draft
from handlers.steps_report import (
    Report,
    answer,
    buttons,
    choice_step,
    count_step,
    done_button,
    text_of,
)


async def start(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """The first question: the field, each labelled with its measure."""
    labels = campaign_reports.field_labels()
    await answer(
        update,
        context,
        dialogues.rectify("rf_start", unit=draft["unit"]),
        buttons("rf", "f", labels, 1),
    )
    return DialogueStep.FIELD


field_button = choice_step(
    "field",
    campaign.FIELDS,
    DialogueStep.FOUND,
    lambda name: (dialogues.rectify("rf_found", field=name, task=campaign.field_task(name)), None),
)
found_text = count_step(
    "identified", DialogueStep.FOUND, DialogueStep.FIXED, partial(dialogues.rectify, "rf_fixed")
)
fixed_text = count_step(
    "rectified", DialogueStep.FIXED, DialogueStep.CASES, partial(dialogues.rectify, "rf_cases")
)


async def cases_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """Typical cases in a few words (无 for none)."""
    draft["cases"] = campaign_reports.cases_of(text_of(update).strip())
    await answer(update, context, dialogues.rectify("rf_evidence"), done_button("rf"))
    return DialogueStep.FILES


RECTIFY = Report(
    command="rectify",
    prefix="rf",
    files_prompt=partial(dialogues.rectify, "rf_evidence"),
    start=start,
    finish=campaign_reports.save_rectification,
    files_task=lambda d: campaign.field_task(d["field"]),
)


def register(application: DubanApp) -> None:
    """The /rectify dialogue (before the evidence handler: see handlers.steps_report)."""
    s = RECTIFY.steps
    RECTIFY.register(
        application,
        [
            s.on_button(DialogueStep.FIELD, cb.choices("rf", "f"), field_button),
            s.on_message(application, DialogueStep.FOUND, TEXT, found_text),
            s.on_message(application, DialogueStep.FIXED, TEXT, fixed_text),
            s.on_message(application, DialogueStep.CASES, TEXT, cases_text),
        ],
    )
