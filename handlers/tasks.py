"""/mytasks (one message: the open parts by urgency, a `#N` button each) and /task N.

A `#N` button turns the list message into that task's card by editing it, ↩ turns it back;
nothing piles up in the chat, and only one keyboard per list is ever live.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features.access import Actor
from bot.features.refs import lookup_text, unknown_text
from bot.plan.model import Milestone
from bot.reports.cards import (
    Card,
    cards_for,
    mytasks_intro,
    shown_plans,
    task_detail,
    task_list,
)
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import task_actions, task_card_buttons, task_list_buttons
from bot.telegram.outbox import About
from bot.text.render import render
from handlers.common import REF_COMMANDS, actor_of, plain_text, reply, task_named, today


def list_message(
    context: DubanContext, actor: Actor, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None, list[About]]:
    """The text, buttons and tasks of page `page` of the actor's /mytasks list."""
    services = context.services
    day = today(context)
    cards = cards_for(services, actor, day)
    if not actor.units:
        return mytasks_intro(actor, cards), None, []
    lst = task_list(cards, actor.units, day, page, shown_plans(services))
    about: list[About] = [(c.task.id, c.unit) for _, section in lst.sections for c in section]
    return lst.text, task_list_buttons(lst.tasks, lst.page, lst.pages), about


def _actor_cards(context: DubanContext, actor: Actor, task_id: int) -> list[Card]:
    return [c for c in cards_for(context.services, actor, today(context)) if c.task.id == task_id]


def _can_finish(cards: list[Card]) -> bool:
    return any(c.open and c.state.get("claim") != "pending" for c in cards)


def _next_milestone(cards: list[Card]) -> tuple[int, Milestone] | None:
    """The earliest open milestone a lead among `cards` can report done (its ✅ button)."""
    leads = (c.milestones.next_open for c in cards if c.state["role"] == "lead")
    return next((m for m in leads if m is not None), None)


async def mytasks(update: Update, context: DubanContext) -> None:
    """The unit's open tasks in one message, most urgent first, a `#N` button each."""
    text, markup, about = list_message(context, actor_of(update, context))
    await reply(update, context, text, markup, about=about, kind="digest")


async def more_tasks(update: Update, context: DubanContext) -> None:
    """更多… under a digest: the /mytasks list as a new message."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await mytasks(update, context)


async def list_page(update: Update, context: DubanContext) -> None:
    """◀ ▶ or ↩: the message shows a page of the list."""
    query, button = update.callback_query, cb.button_of(update, cb.TaskListPage)
    assert query is not None and query.message is not None
    text, markup, about = list_message(context, actor_of(update, context), button.page)
    await query.answer()
    await context.outbox.edit(
        query.message.chat.id, query.message.message_id, text, markup, about=about, kind="digest"
    )


async def open_card(update: Update, context: DubanContext) -> None:
    """`#N`: the message becomes task N's card with its actions and ↩ back to the list."""
    query, button = update.callback_query, cb.button_of(update, cb.OpenCard)
    assert query is not None and query.message is not None
    actor = actor_of(update, context)
    cards = _actor_cards(context, actor, button.task)
    if cards:
        text = "\n\n".join(c.text for c in cards)
        open_ = any(c.open for c in cards)
        markup = task_card_buttons(
            button.task,
            button.page,
            actions=open_,
            with_done=_can_finish(cards),
            next_milestone=_next_milestone(cards),
        )
        about: list[About] = [(c.task.id, c.unit) for c in cards]
    elif actor.is_coordinator and (
        detail := task_detail(context.services, button.task, today(context))
    ):
        text, markup, about = (
            detail,
            task_card_buttons(button.task, None, actions=False),
            [(button.task, None)],
        )
    else:  # a task no longer the unit's (re-planned) or a hand-made button
        await query.answer(plain_text(render("update_dialog.html.j2", step="stale")))
        return
    await query.answer()
    await context.outbox.edit(
        query.message.chat.id, query.message.message_id, text, markup, about=about, kind="card"
    )


async def task(update: Update, context: DubanContext) -> None:
    """One task: every responsible unit's status, the recent history, and the unit's actions."""
    services, actor = context.services, actor_of(update, context)
    found = lookup_text(services.store, context.args[0] if context.args else None, actor.units)
    if found is None:
        await reply(update, context, render("usage.html.j2", what="task"))
        return
    if (task_id := await task_named(update, context, found)) is None:
        return
    text = task_detail(services, task_id, today(context))
    if text is None:  # gone (archived) since the ref was looked up
        await reply(update, context, unknown_text(found))
        return
    cards = _actor_cards(context, actor, task_id)
    open_cards = [c for c in cards if c.open]
    markup = (
        task_actions(task_id, with_done=_can_finish(cards), next_milestone=_next_milestone(cards))
        if open_cards
        else None
    )
    units = {c.unit for c in cards}
    about: list[About] = [(task_id, units.pop() if len(units) == 1 else None)]
    await reply(update, context, text, markup, about=about, kind="detail")


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("mytasks", mytasks))
    REF_COMMANDS["task"] = task
    application.add_handler(CommandHandler("task", task))
    application.add_handler(CallbackQueryHandler(open_card, pattern=cb.matches(cb.OpenCard)))
    application.add_handler(CallbackQueryHandler(list_page, pattern=cb.matches(cb.TaskListPage)))
    application.add_handler(CallbackQueryHandler(more_tasks, pattern=cb.matches(cb.MoreTasks)))
