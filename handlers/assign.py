"""/assign: an item assigned in chat (交办事项), in one line or step by step on a phone.

`/assign 区商务局、区财政局 7月15日前 报送防汛工作方案` stores it at once; `/assign` alone asks
for the units (buttons of recent ones, or typed), the date (本周五 / 下周五 / 月底, or typed),
the text, then shows a card to 确认 or 取消. Either way each unit is told at once, with 签收,
and the coordinator learns the item's ref and who could not be reached.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler

from bot.features import assign
from bot.features.assign import AssignError, Assignment
from bot.features.chase import Target
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.notices import chase_now
from bot.text.dialogues import assign as assign_text
from bot.text.render import render
from handlers.common import actor_of, command_rest, coordinator_message, drop_keyboard, today
from handlers.steps import TEXT, DialogueStep, Draft
from handlers.steps import Dialogue as Steps
from handlers.steps_report import answer, buttons, text_of

NAME = "assign"
PREFIX = "asg"  # its buttons' callback data (bot.telegram.callbacks.DIALOGUES)
STEPS = Steps(
    name=NAME,
    lapsed_text=partial(assign_text, "expired"),
    stale_text=partial(assign_text, "stale"),
)
CONFIRM_LABELS = ["确认", "取消"]


async def _store_and_tell(
    update: Update, context: DubanContext, chat_id: int, item: Assignment
) -> None:
    """Store the item, tell each unit at once (签收 under it), answer with the ref and reach."""
    actor = actor_of(update, context).user_id
    task = assign.assign(context.services, item, actor)
    _, reach = await chase_now(context, Target(task_id=task.id), NAME, actor, assigned=True)
    text = f"{assign.assigned_text(task)}\n\n{reach}"
    await context.outbox.answer(chat_id, text, about=[(task.id, None)], kind="confirmation")


async def assign_command(update: Update, context: DubanContext) -> None:
    """/assign UNIT[、UNIT…] DATE text stores the item; /assign alone asks step by step."""
    refusal = render("gate.html.j2", reason="coordinator_only")
    message = await coordinator_message(update, context, refusal)
    if message is None:
        return
    words = command_rest(message).strip()
    if not words:
        await _begin(update, context)
        return
    try:
        item = assign.parse(words, today(context), context.services.units)
    except AssignError as err:
        await context.outbox.answer(message, err.text)
        return
    await _store_and_tell(update, context, message.chat.id, item)


# -- step by step ----------------------------------------------------------------------------
def _units_markup(offered: list[str]) -> InlineKeyboardMarkup:
    rows = buttons(PREFIX, "u", offered, 2).inline_keyboard
    return InlineKeyboardMarkup([*rows, *buttons(PREFIX, "n", ["下一步"]).inline_keyboard])


async def _begin(update: Update, context: DubanContext) -> None:
    offered = assign.offered_units(context.services)
    await answer(update, context, assign_text("ask_units"), _units_markup(offered))
    STEPS.begin(update, context, DialogueStep.UNITS, {"offered": offered, "units": []})


async def _ask_date(update: Update, context: DubanContext, draft: Draft) -> DialogueStep:
    options = assign.offered_dates(today(context))
    labels = [f"{word} {day.month}月{day.day}日" for word, day in options]
    draft["offered"] = [day.isoformat() for _, day in options]
    text = assign_text("ask_date", units=assign.roles_of(draft["units"]))
    await answer(update, context, text, buttons(PREFIX, "d", labels, 3))
    return DialogueStep.DATE


async def _ask_text(update: Update, context: DubanContext, draft: Draft, due: date) -> DialogueStep:
    draft["due"] = due.isoformat()
    await answer(update, context, assign_text("ask_text", due=due))
    return DialogueStep.CONTENT


async def unit_button(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """A unit pressed: added (the first leads); more may follow before 下一步."""
    offered = draft.get("offered", [])
    option = cb.button_of(update, cb.Choice).option
    units = draft.setdefault("units", [])
    if option < len(offered) and offered[option] not in units:
        units.append(offered[option])
    text = assign_text("more_units", units=assign.roles_of(units))
    await answer(update, context, text, _units_markup(offered))  # the buttons at hand again
    return DialogueStep.UNITS


async def next_button(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """下一步 after the units: the date, once there is a unit."""
    if not draft.get("units"):
        await answer(update, context, assign_text("no_units_yet"))
        return DialogueStep.UNITS
    return await _ask_date(update, context, draft)


async def units_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """Units typed (`区商务局、区财政局`): added after any pressed, then the date."""
    try:
        typed = assign.units_named(text_of(update), context.services.units)
    except AssignError as err:
        await answer(update, context, err.retry_text)
        return DialogueStep.UNITS
    units = draft.setdefault("units", [])
    units += [u for u in typed if u not in units]
    return await _ask_date(update, context, draft)


async def date_button(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """本周五 / 下周五 / 月底 pressed."""
    offered = draft.get("offered", [])
    option = cb.button_of(update, cb.Choice).option
    if option >= len(offered):
        return await _ask_date(update, context, draft)
    return await _ask_text(update, context, draft, date.fromisoformat(offered[option]))


async def date_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """A date typed: understood, not past, not years ahead; else asked again."""
    try:
        due = assign.date_typed(text_of(update), today(context))
    except AssignError as err:
        await answer(update, context, err.retry_text)
        return DialogueStep.DATE
    return await _ask_text(update, context, draft, due)


async def content_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """The item's text; then the card to confirm."""
    try:
        draft["text"] = assign.check_text(text_of(update))
    except AssignError as err:
        await answer(update, context, err.retry_text)
        return DialogueStep.CONTENT
    return await _show_card(update, context, draft)


async def _show_card(update: Update, context: DubanContext, draft: Draft) -> DialogueStep:
    due = date.fromisoformat(draft["due"])
    card = assign.confirm_text(draft["units"], due, draft["text"])
    await answer(update, context, card, buttons(PREFIX, "c", CONFIRM_LABELS))
    return DialogueStep.CONFIRM


async def confirm_button(
    update: Update, context: DubanContext, draft: Draft
) -> DialogueStep | None:
    """确认 stores and tells (the date checked again: the card may have waited); 取消 drops."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    await query.answer()
    await drop_keyboard(update, context)
    if cb.button_of(update, cb.Choice).option != 0:
        await context.outbox.answer(chat.id, assign_text("cancelled"))
        return None
    try:
        due = assign.check_due(date.fromisoformat(draft["due"]), today(context))
    except AssignError as err:
        await context.outbox.answer(chat.id, err.text)
        return None
    item = Assignment(tuple(draft["units"]), due, draft["text"])
    await _store_and_tell(update, context, chat.id, item)
    return None


async def confirm_text(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """Text while the card waits: press a button."""
    await answer(update, context, assign_text("press_confirm"))
    return DialogueStep.CONFIRM


def register(application: DubanApp) -> None:
    """/assign and its dialogue (before the evidence and kept handlers: its text is its own)."""
    s = STEPS
    for handler in [
        CommandHandler(NAME, assign_command),
        s.on_button(DialogueStep.UNITS, cb.choices(PREFIX, "u"), unit_button),
        s.on_button(DialogueStep.UNITS, cb.choices(PREFIX, "n"), next_button),
        s.on_message(application, DialogueStep.UNITS, TEXT, units_text),
        s.on_button(DialogueStep.DATE, cb.choices(PREFIX, "d"), date_button),
        s.on_message(application, DialogueStep.DATE, TEXT, date_text),
        s.on_message(application, DialogueStep.CONTENT, TEXT, content_text),
        s.on_button(DialogueStep.CONFIRM, cb.choices(PREFIX, "c"), confirm_button),
        s.on_message(application, DialogueStep.CONFIRM, TEXT, confirm_text),
        s.lapse_handler(application),
    ]:
        application.add_handler(handler)
