"""/mytasks (a card per task of the actor's units) and /task N (one task in full)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.features.updates import UpdateError, parse_task_number
from bot.reports.cards import cards_for, mytasks_intro, task_detail
from bot.telegram.keyboards import task_actions
from bot.text.render import render
from handlers.common import Context, actor_of, reply, services_of, today


async def mytasks(update: Update, context: Context) -> None:
    """The unit's tasks as cards with 更新进度/上传材料/申请延期/标记完成 buttons."""
    services, actor = services_of(context), actor_of(update, context)
    cards = cards_for(services, actor, today(context))
    await reply(update, context, mytasks_intro(actor, cards))
    for card in cards:
        can_finish = card.open and card.state.get("claim") != "pending"
        buttons = task_actions(card.task.id, with_done=can_finish) if card.open else None
        sent = (await reply(update, context, card.text, buttons))[-1]
        services.store.remember_message(
            sent.chat_id, sent.message_id, task=card.task.id, unit=card.unit
        )


async def task(update: Update, context: Context) -> None:
    """One task: every responsible unit's status and the recent history."""
    services = services_of(context)
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
    for sent in await reply(update, context, text):
        services.store.remember_message(sent.chat_id, sent.message_id, task=task_id, kind="detail")


def register(application: Application) -> None:
    application.add_handler(CommandHandler("mytasks", mytasks))
    application.add_handler(CommandHandler("task", task))
