"""/activity: report a 诚信建设万里行 activity (#24) step by step, photos kept as its evidence."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.features import campaign, campaign_reports
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.text import dialogues
from handlers.common import today
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
    """The first question: the form of the activity."""
    await answer(
        update,
        context,
        dialogues.activity("act_start", unit=draft["unit"]),
        buttons("act", "f", list(campaign.FORMS), 3),
    )
    return DialogueStep.FORM


form_button = choice_step(
    "form",
    campaign.FORMS,
    DialogueStep.CARRIER,
    lambda form: (
        dialogues.activity("act_carrier", form=form),
        buttons("act", "c", list(campaign.CARRIERS), 3),
    ),
)
carrier_button = choice_step(
    "carrier",
    campaign.CARRIERS,
    DialogueStep.DATE,
    lambda carrier: (dialogues.activity("act_date", carrier=carrier), None),
)


async def date_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """The day it was held: understood, and not in the future."""
    day = campaign.activity_day(text_of(update), today(context))
    problem = campaign_reports.activity_day_problem(day, today(context))
    if problem is not None or day is None:
        await answer(update, context, problem or "")
        return DialogueStep.DATE
    draft["day"] = day.isoformat()
    await answer(update, context, dialogues.activity("act_title", day=day))
    return DialogueStep.TITLE


async def title_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """The activity's name, within its length limit."""
    title = text_of(update).strip()
    if (problem := campaign_reports.title_problem(title)) is not None:
        await answer(update, context, problem)
        return DialogueStep.TITLE
    draft["title"] = title
    await answer(update, context, dialogues.activity("act_people"))
    return DialogueStep.PEOPLE


people_text = count_step(
    "participants",
    DialogueStep.PEOPLE,
    DialogueStep.FIRMS,
    partial(dialogues.activity, "act_firms"),
)
firms_text = count_step(
    "enterprises",
    DialogueStep.FIRMS,
    DialogueStep.FILES,
    partial(dialogues.activity, "act_photos"),
    done_button("act"),
)


ACTIVITY = Report(
    command="activity",
    prefix="act",
    files_prompt=partial(dialogues.activity, "act_photos"),
    start=start,
    finish=campaign_reports.save_activity,
    files_task=lambda _draft: campaign.ACTIVITY_TASK,
)


def register(application: DubanApp) -> None:
    """The /activity dialogue (before the evidence handler: see handlers.steps_report)."""
    s = ACTIVITY.steps
    ACTIVITY.register(
        application,
        [
            s.on_button(DialogueStep.FORM, cb.choices("act", "f"), form_button),
            s.on_button(DialogueStep.CARRIER, cb.choices("act", "c"), carrier_button),
            s.on_message(application, DialogueStep.DATE, TEXT, date_text),
            s.on_message(application, DialogueStep.TITLE, TEXT, title_text),
            s.on_message(application, DialogueStep.PEOPLE, TEXT, people_text),
            s.on_message(application, DialogueStep.FIRMS, TEXT, firms_text),
        ],
    )
