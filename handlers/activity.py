"""/activity: report a 诚信建设万里行 activity (#24) step by step, photos kept as its evidence."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from bot import campaign
from bot.access import Actor
from bot.services import Services
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
    t,
    text_of,
)

A_UNIT, A_FORM, A_CARRIER, A_DATE, A_TITLE, A_PEOPLE, A_FIRMS, A_PHOTOS = range(8)
TITLE_LIMIT = 200


async def start(update: Update, context: Context) -> int:
    """The first question: the form of the activity."""
    unit = draft(context)["unit"]
    await answer(update, t("act_start", unit=unit), buttons("act:f", list(campaign.FORMS), 3))
    return A_FORM


form_button = choice_step(
    "form",
    campaign.FORMS,
    A_CARRIER,
    lambda form: (t("act_carrier", form=form), buttons("act:c", list(campaign.CARRIERS), 3)),
)
carrier_button = choice_step(
    "carrier", campaign.CARRIERS, A_DATE, lambda carrier: (t("act_date", carrier=carrier), None)
)


async def date_text(update: Update, context: Context) -> int:
    """The day it was held: understood, and not in the future."""
    day_now = today(context)
    day = campaign.activity_day(text_of(update), day_now)
    if day is None:
        await answer(update, t("bad_date"))
        return A_DATE
    if day > day_now:
        await answer(update, t("future_date", day=day))
        return A_DATE
    draft(context)["day"] = day
    await answer(update, t("act_title", day=day))
    return A_TITLE


async def title_text(update: Update, context: Context) -> int:
    """The activity's name, within TITLE_LIMIT characters."""
    title = text_of(update).strip()
    if not title or len(title) > TITLE_LIMIT:
        await answer(update, t("bad_title", limit=TITLE_LIMIT))
        return A_TITLE
    draft(context)["title"] = title
    await answer(update, t("act_people"))
    return A_PEOPLE


people_text = count_step("participants", A_PEOPLE, A_FIRMS, "act_firms")
firms_text = count_step("enterprises", A_FIRMS, A_PHOTOS, "act_photos", done_button("act"))


def finish(services: Services, actor: Actor, d: dict[str, Any]) -> str:
    """Store the activity; the confirmation saying what was recorded."""
    record = campaign.add_activity(
        services.store,
        unit=d["unit"],
        actor=actor.user_id,
        at=services.clock.now(),
        form=d["form"],
        carrier=d["carrier"],
        day=d["day"],
        title=d["title"],
        participants=d["participants"],
        enterprises=d["enterprises"],
        photos=d["files"],
    )
    return t(
        "act_saved",
        day=d["day"],
        unit=d["unit"],
        form=record["form"],
        carrier=record["carrier"],
        title=record["title"],
        participants=record["participants"],
        firms=record["enterprises"],
        photos=len(record["photos"]),
    )


ACTIVITY = Dialogue(
    command="activity",
    prefix="act",
    unit_state=A_UNIT,
    files_state=A_PHOTOS,
    files_prompt="act_photos",
    start=start,
    finish=finish,
    files_task=lambda _draft: campaign.ACTIVITY_TASK,
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The /activity conversation (before the evidence handler: see handlers.dialogue)."""
    steps: States = {
        A_FORM: [CallbackQueryHandler(form_button, pattern=r"^act:f:\d+$")],
        A_CARRIER: [CallbackQueryHandler(carrier_button, pattern=r"^act:c:\d+$")],
        A_DATE: [MessageHandler(TEXT, date_text)],
        A_TITLE: [MessageHandler(TEXT, title_text)],
        A_PEOPLE: [MessageHandler(TEXT, people_text)],
        A_FIRMS: [MessageHandler(TEXT, firms_text)],
    }
    application.add_handler(ACTIVITY.handler(steps))
