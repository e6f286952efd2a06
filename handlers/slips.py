"""/slip UNIT: the unit's 督办单 as a Word file; /slip 签收 N: a paper receipt, recorded."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import onboarding, slips
from bot.reports.slip import slip_document, slip_file_name
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import sign_slip_button
from bot.text.render import render
from handlers.common import actor_of, plain_text, reply

log = logging.getLogger(__name__)
RECEIPT_WORDS = ("签收", "receipt")


async def _send_slip(
    update: Update, context: DubanContext, chat_id: int, unit: str, tasks: list[int]
) -> None:
    """Number and record the slip, then send it as a document (or say why not)."""
    slip = slips.issue_slip(context.services, unit, tasks, actor=actor_of(update, context))
    if isinstance(slip, slips.SlipRefusal):
        await context.outbox.answer(chat_id, slip.text)
        return
    try:
        data = await asyncio.to_thread(slip_document, slip)
    except Exception:  # noqa: BLE001 - the number is taken; tell the coordinator, never fail silently
        log.exception("slip %s not drawn", slip.number)
        await context.outbox.answer(
            chat_id, render("slip.html.j2", step="failed", number=slip.number)
        )
        return
    name, sent_to = slip_file_name(slip), 0
    # The unit's own 联络员 get it too, with 签收: the first notice of a slip carries the button.
    to_unit = plain_text(slips.slip_for_unit_text(slip))
    for contact in slips.slip_receivers(context.services, slip):
        try:
            await context.outbox.document(
                contact,
                data,
                name,
                caption=to_unit,
                markup=sign_slip_button(slip.year, slip.serial),
            )
            sent_to += 1
        except TelegramError as exc:
            log.warning("slip %s not sent to %s: %s", slip.number, contact, exc)
    caption = plain_text(slips.slip_issued_text(slip, sent_to))
    await context.outbox.document(chat_id, data, name, caption=caption)


async def slip_command(update: Update, context: DubanContext) -> None:
    """A 督办单 for a unit (coordinators; the gate checks), or a paper receipt of one."""
    words, chat = list(context.args or []), update.effective_chat
    assert chat is not None
    if words and words[0] in RECEIPT_WORDS:
        if len(words) < 2:
            await reply(update, context, render("slip.html.j2", step="usage"))
            return
        actor = actor_of(update, context)
        text = slips.record_paper_receipt(context.services, actor, words[1], " ".join(words[2:]))
        await reply(update, context, text)
        return
    unit, tasks = slips.slip_request(words)
    await _send_slip(update, context, chat.id, unit, tasks)


async def make_slip_button(update: Update, context: DubanContext) -> None:
    """生成督办单 under the note of units nobody can be told: the slip, in the presser's chat."""
    query = update.callback_query
    assert query is not None and query.message is not None
    unit = onboarding.unit_at(context.services, cb.button_of(update, cb.MakeSlip).unit_index)
    if unit is None:
        await query.answer(plain_text(onboarding.unit_missing_text()))
        return
    await query.answer()
    await _send_slip(update, context, query.message.chat.id, unit, [])


async def slip_signed(update: Update, context: DubanContext) -> None:
    """签收督办单: recorded for the unit the slip was issued to; anyone else is refused."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    button = cb.button_of(update, cb.SignSlip)
    own = query.message is not None and query.message.chat.id == user.id
    text = slips.sign_slip(
        context.services, actor_of(update, context), button.year, button.serial, own_message=own
    )
    await query.answer(plain_text(text))


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("slip", slip_command))
    application.add_handler(CallbackQueryHandler(make_slip_button, pattern=cb.matches(cb.MakeSlip)))
    application.add_handler(CallbackQueryHandler(slip_signed, pattern=cb.matches(cb.SignSlip)))
