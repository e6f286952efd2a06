"""/activity: report a 诚信建设万里行 activity (#24) step by step, photos kept as its evidence."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from bot.features import campaign, campaign_reports
from bot.telegram import callbacks as cb
from bot.text import dialogues
from handlers.common import today
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

A_UNIT, A_FORM, A_CARRIER, A_DATE, A_TITLE, A_PEOPLE, A_FIRMS, A_PHOTOS = range(8)


async def start(update: Update, context: Context) -> int:
    """The first question: the form of the activity."""
    unit = draft(context)["unit"]
    await answer(
        update,
        context,
        dialogues.activity("act_start", unit=unit),
        buttons("act", "f", list(campaign.FORMS), 3),
    )
    return A_FORM


form_button = choice_step(
    "form",
    campaign.FORMS,
    A_CARRIER,
    lambda form: (
        dialogues.activity("act_carrier", form=form),
        buttons("act", "c", list(campaign.CARRIERS), 3),
    ),
)
carrier_button = choice_step(
    "carrier",
    campaign.CARRIERS,
    A_DATE,
    lambda carrier: (dialogues.activity("act_date", carrier=carrier), None),
)


async def date_text(update: Update, context: Context) -> int:
    """The day it was held: understood, and not in the future."""
    day = campaign.activity_day(text_of(update), today(context))
    problem = campaign_reports.activity_day_problem(day, today(context))
    if problem is not None:
        await answer(update, context, problem)
        return A_DATE
    draft(context)["day"] = day
    await answer(update, context, dialogues.activity("act_title", day=day))
    return A_TITLE


async def title_text(update: Update, context: Context) -> int:
    """The activity's name, within its length limit."""
    title = text_of(update).strip()
    if (problem := campaign_reports.title_problem(title)) is not None:
        await answer(update, context, problem)
        return A_TITLE
    draft(context)["title"] = title
    await answer(update, context, dialogues.activity("act_people"))
    return A_PEOPLE


people_text = count_step(
    "participants", A_PEOPLE, A_FIRMS, partial(dialogues.activity, "act_firms")
)
firms_text = count_step(
    "enterprises", A_FIRMS, A_PHOTOS, partial(dialogues.activity, "act_photos"), done_button("act")
)


ACTIVITY = Dialogue(
    command="activity",
    prefix="act",
    unit_state=A_UNIT,
    files_state=A_PHOTOS,
    files_prompt=partial(dialogues.activity, "act_photos"),
    start=start,
    finish=campaign_reports.save_activity,
    files_task=lambda _draft: campaign.ACTIVITY_TASK,
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The /activity conversation (before the evidence handler: see handlers.dialogue)."""
    steps: States = {
        A_FORM: [CallbackQueryHandler(form_button, pattern=cb.choices("act", "f"))],
        A_CARRIER: [CallbackQueryHandler(carrier_button, pattern=cb.choices("act", "c"))],
        A_DATE: [MessageHandler(TEXT, date_text)],
        A_TITLE: [MessageHandler(TEXT, title_text)],
        A_PEOPLE: [MessageHandler(TEXT, people_text)],
        A_FIRMS: [MessageHandler(TEXT, firms_text)],
    }
    application.add_handler(ACTIVITY.handler(steps))
