"""受阻 in chat: 答复单位 under the coordinators' alert (bot.telegram.notices), and the answer
delivered to the unit."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.features import blocked, pending
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.notices import tell_unit
from bot.text.render import render
from handlers.common import AWAITED_TEXT, confirm


async def answer_button(update: Update, context: DubanContext) -> None:
    """答复单位: the coordinator is asked for the answer; the next text is delivered."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    button = cb.button_of(update, cb.AnswerBlocked)
    unit = blocked.unit_at(services, button.unit_index)
    if unit is None or not services.is_coordinator(user.id):
        await query.answer("无法答复：单位不存在或无权限", show_alert=True)
        return
    message = query.message
    blocked.expect_answer(
        services,
        user.id,
        button.task,
        unit,
        message.chat.id if message else None,
        message.message_id if message else None,
    )
    await query.answer()
    await context.outbox.notify(
        user.id, render("blocked_answer.html.j2", step="ask", task_id=button.task, unit=unit)
    )


async def answer_text(update: Update, context: DubanContext, wait: pending.Wait) -> None:
    """The coordinator's answer: delivered to the unit's contacts, recorded in the history."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    services, task_id, unit = context.services, wait["task"], wait["unit"]
    assert task_id is not None and unit is not None  # 答复单位 waits for one unit's part
    text = (message.text or "").strip()
    if not text or len(text) > blocked.ANSWER_LIMIT:
        await context.outbox.answer(
            message,
            render(
                "blocked_answer.html.j2",
                step="bad",
                limit=blocked.ANSWER_LIMIT,
                task_id=task_id,
                unit=unit,
            ),
        )
        return  # still waiting for a usable answer
    pending.clear(services.store, user.id, "text")
    blocked.record_answer(services, user.id, task_id, unit, text)
    notice = render(
        "blocked_answer.html.j2",
        step="notice",
        task_id=task_id,
        unit=unit,
        answer=text,
    )
    reached = await tell_unit(context, unit, task_id, notice)
    done = render(
        "blocked_answer.html.j2", step="done", task_id=task_id, unit=unit, reached=reached
    )
    await confirm(context, message, done, task_id, unit)


def register(application: DubanApp) -> None:
    """答复单位 under a 受阻 alert (the answer itself arrives through handlers.awaiting)."""
    AWAITED_TEXT["answer_blocked"] = answer_text
    application.add_handler(
        CallbackQueryHandler(answer_button, pattern=cb.matches(cb.AnswerBlocked))
    )
