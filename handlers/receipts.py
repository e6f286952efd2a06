"""签收: the button under the first message that tells a unit of a task."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.features import onboarding, receipts
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from handlers.common import actor_of, plain_text


async def sign_button(update: Update, context: DubanContext) -> None:
    """签收 #N: recorded for the presser's unit; a press on someone else's message is refused."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    button = cb.button_of(update, cb.SignFor)
    unit = onboarding.unit_at(context.services, button.unit_index)
    own = query.message is not None and query.message.chat.id == user.id
    signing = receipts.sign_for(
        context.services, actor_of(update, context), button.task, unit, own_message=own
    )
    await query.answer(plain_text(signing.text))


def register(application: DubanApp) -> None:
    application.add_handler(CallbackQueryHandler(sign_button, pattern=cb.matches(cb.SignFor)))
