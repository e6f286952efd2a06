"""/mytasks (a card per task of the actor's units) and /task N (one task in full)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.features.updates import UpdateError, parse_task_number
from bot.reports.cards import cards_for, mytasks_intro, task_detail
from bot.telegram.keyboards import task_actions
from bot.text.render import render
from handlers.common import Context, actor_of, reply, today


async def mytasks(update: Update, context: Context) -> None:
    """The unit's tasks as cards with 更新进度/上传材料/申请延期/标记完成 buttons."""
    services, actor = context.services, actor_of(update, context)
    cards = cards_for(services, actor, today(context))
    await reply(update, context, mytasks_intro(actor, cards))
    for card in cards:
        can_finish = card.open and card.state.get("claim") != "pending"
        buttons = task_actions(card.task.id, with_done=can_finish) if card.open else None
        await reply(
            update, context, card.text, buttons, about=[(card.task.id, card.unit)], kind="card"
        )


async def task(update: Update, context: Context) -> None:
    """One task: every responsible unit's status and the recent history."""
    services = context.services
    try:
        task_id = parse_task_number(context.args[0] if context.args else None)
    except UpdateError:
        await reply(update, context, render("usage.html.j2", what="task"))
        return
    text = task_detail(services, task_id, today(context))
    if text is None:
        await reply(
            update, context, render("update_error.html.j2", reason="unknown_task", task_id=task_id)
        )
        return
    await reply(update, context, text, about=[(task_id, None)], kind="detail")


def register(application: Application) -> None:
    application.add_handler(CommandHandler("mytasks", mytasks))
    application.add_handler(CommandHandler("task", task))
