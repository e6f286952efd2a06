"""Whatever no other handler took: stale buttons, unknown commands, stray text (stays last)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.features import pending
from bot.telegram.context import DubanApp, DubanContext
from bot.text.render import render
from handlers.common import actor_of, keep_and_ask, plain_text, reply


async def nothing_to_cancel(update: Update, context: DubanContext) -> None:
    """/cancel outside any dialogue."""
    await reply(update, context, render("update_dialog.html.j2", step="nothing"))


async def unknown_command(update: Update, context: DubanContext) -> None:
    """A command nobody handles: point to /help."""
    await reply(update, context, render("fallback.html.j2", what="command"))


async def stray_text(update: Update, context: DubanContext) -> None:
    """Private text that is neither a command nor a reply to a task message; right after a
    dialogue about a task, it is kept and that task offered."""
    message, user = update.effective_message, update.effective_user
    is_reply = message is not None and message.reply_to_message is not None
    if message is not None and user is not None and not is_reply:
        services = context.services
        last = pending.recent(services.store, user.id, "dialogue", services.clock.now())
        if last is not None and not actor_of(update, context).is_stranger:
            await keep_and_ask(context, message, [last], likely=last[0])
            return
    step = "unknown_reply" if is_reply else "stray"
    await reply(update, context, render("update_dialog.html.j2", step=step))


async def stray_message(update: Update, context: DubanContext) -> None:
    """A sticker, location, contact… in private: say what the bot understands."""
    await reply(update, context, render("update_dialog.html.j2", step="stray_kind"))


async def stale_button(update: Update, context: DubanContext) -> None:
    """A button whose dialogue is over (or from an old message)."""
    assert update.callback_query is not None
    text = plain_text(render("update_dialog.html.j2", step="stale"))
    await update.callback_query.answer(text)  # a toast: an old keyboard is no emergency


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("cancel", nothing_to_cancel))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(private_text, stray_text))
    # Anything else private that no handler took (edits and service messages say nothing).
    private_other = (
        filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL
    )
    application.add_handler(MessageHandler(private_other, stray_message))
    application.add_handler(CallbackQueryHandler(stale_button))
