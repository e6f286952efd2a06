"""/plans (coordinators): the plans side by side, with 关闭 / 重开 buttons; `/plans rename A X`."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import plan_admin
from bot.store.plans import PlanInfo
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from handlers.common import actor_of, drop_keyboard, plain_text, reply


def _button(text: str, action: str, slot: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb.PlanAction(action, slot).pack())


def _list_buttons(plans: list[PlanInfo]) -> InlineKeyboardMarkup | None:
    """关闭 X for an active plan, 重开 X for a closed one; two to a row."""
    buttons = [
        _button(f"关闭 {p.code}", "close", p.slot)
        if p.active
        else _button(f"重开 {p.code}", "reopen", p.slot)
        for p in plans
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows) if rows else None


def _markup(answer: plan_admin.Answer) -> InlineKeyboardMarkup | None:
    """确认关闭 / 取消 under the question before closing."""
    if answer.confirm is None:
        return None
    buttons = [
        _button("确认关闭", "confirm", answer.confirm),
        _button("取消", "keep", answer.confirm),
    ]
    return InlineKeyboardMarkup([buttons])


async def plans_command(update: Update, context: DubanContext) -> None:
    """The plans with 关闭 / 重开 buttons; `close|reopen|rename` by code (the gate admits
    coordinators only)."""
    services, actor = context.services, actor_of(update, context)
    answer = plan_admin.command(services, context.args or [], actor.user_id)
    if answer is None:
        text, plans = plan_admin.overview(services)
        await reply(update, context, text, _list_buttons(plans))
    else:
        await reply(update, context, answer.text, _markup(answer))


async def plan_button(update: Update, context: DubanContext) -> None:
    """关闭 X asks first; 确认关闭 closes, 取消 keeps it; 重开 X reopens; each told in one message."""
    query = update.callback_query
    assert query is not None
    button = cb.button_of(update, cb.PlanAction)
    user_id = actor_of(update, context).user_id
    answer = plan_admin.pressed(context.services, button.action, button.slot, user_id)
    if not answer.done:
        await query.answer(plain_text(answer.text))
        return
    await query.answer()
    if button.action in ("confirm", "keep"):
        await drop_keyboard(update, context)  # the question is answered
    await reply(update, context, answer.text, _markup(answer))


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("plans", plans_command))
    application.add_handler(CallbackQueryHandler(plan_button, pattern=cb.matches(cb.PlanAction)))
