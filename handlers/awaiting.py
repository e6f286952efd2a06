"""Answers the bot asked for after a button (the next text), and /cancel of any wait.

The awaited-text handler sits in group 0 with the other commands and dialogues, but its filter
matches only when the sender has an answer pending, so every other text passes on to the
handlers after it (handlers.awaiting must come before the note and dialogue handlers in
HANDLER_MODULES). /cancel is taken here only while something is awaited. In group 1, after
everything, any other command drops a pending text wait and any other button drops every
wait, so a stale wait never swallows a later note.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.features import pending
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.text.render import render
from handlers.common import AWAITED_TEXT
from handlers.groups import Group
from handlers.steps import NAMES_ITS_TASK

AFTER_GROUP = Group.AFTER


def _not_own(data: object) -> bool:
    """Buttons that do not themselves answer what the bot waits for (上传材料, 申请延期, 退回,
    a milestone's buttons: 新增节点 and 调整 ask for text, ✅ for its evidence)."""
    button = cb.parse(data)
    asks = isinstance(
        button, cb.UploadEvidence | cb.ExtendTask | cb.AnswerBlocked | cb.MilestoneAction
    )
    return not (asks or (isinstance(button, cb.Review) and button.verdict == "no"))


class _Awaited(filters.MessageFilter):
    """Matches a private message of a user the bot is waiting for (read from the store)."""

    def __init__(
        self, application: DubanApp, slots: tuple[pending.Slot, ...], lapsed: bool = False
    ) -> None:
        super().__init__(name=f"Awaited{slots}{' lapsed' if lapsed else ''}")
        self._application = application
        self._slots = slots
        self._look = pending.lapsed if lapsed else pending.expected

    def filter(self, message: Message) -> bool:
        services = self._application.bot_data.get("services")
        if services is None or message.from_user is None or message.chat.type != "private":
            return False
        now = services.clock.now()
        user_id = message.from_user.id
        return any(self._look(services.store, user_id, s, now) for s in self._slots)


async def awaited_text(update: Update, context: DubanContext) -> None:
    """The text the bot asked for (extension date and reason, or a refusal reason)."""
    user = update.effective_user
    services = context.services
    wait = pending.expected(services.store, user.id, "text", services.clock.now()) if user else None
    if wait is None:
        return  # expired between the filter and here
    if (answer := AWAITED_TEXT.get(wait["action"])) is not None:
        await answer(update, context, wait)


async def lapsed_text(update: Update, context: DubanContext) -> None:
    """Text that comes after the wait for it lapsed: say so once, instead of "没有看懂"."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    store, now = context.services.store, context.services.clock.now()
    wait = pending.lapsed(store, user.id, "text", now)
    pending.clear(store, user.id, "text")
    action = wait["action"] if wait else None
    minutes = int(pending.WAIT.total_seconds() // 60)
    await context.outbox.answer(
        message, render("awaiting_lapsed.html.j2", action=action, minutes=minutes)
    )


async def cancel(update: Update, context: DubanContext) -> None:
    """/cancel while the bot waits for anything (a dialogue, a file, an answer): it stops."""
    message, user = update.effective_message, update.effective_user
    if message is not None and user is not None:
        store, now = context.services.store, context.services.clock.now()
        dialogue = pending.expected(store, user.id, "dialogue", now) is not None
        pending.clear(store, user.id)
        text = render("awaiting_cancelled.html.j2", dialogue=dialogue)
        await context.outbox.answer(message, text)


async def any_command(update: Update, context: DubanContext) -> None:
    """Any other command: the bot no longer waits for text (a file wait stays)."""
    if update.effective_user is not None:
        pending.clear(context.services.store, update.effective_user.id, "text")


async def other_button(update: Update, context: DubanContext) -> None:
    """Another button than the ones that ask for input: the bot no longer waits for them."""
    if update.effective_user is not None:
        pending.clear(context.services.store, update.effective_user.id, "file", "text")


def register(application: DubanApp) -> None:
    text = filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED
    text_awaited = _Awaited(application, ("text",))
    application.add_handler(MessageHandler(text & text_awaited, awaited_text))
    text_lapsed = _Awaited(application, ("text",), lapsed=True)
    application.add_handler(MessageHandler(text & ~NAMES_ITS_TASK & text_lapsed, lapsed_text))
    any_awaited = _Awaited(application, pending.SLOTS)
    application.add_handler(CommandHandler("cancel", cancel, filters=any_awaited))
    application.add_handler(MessageHandler(filters.COMMAND, any_command), group=AFTER_GROUP)
    application.add_handler(CallbackQueryHandler(other_button, pattern=_not_own), group=AFTER_GROUP)
