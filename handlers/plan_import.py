"""A coordinator's plan file in private chat: what was read, then 导入 / 取消 / 模板."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.features import pending, plan_import
from bot.features.evidence import task_in_caption
from bot.features.plan_import import PlanImportError
from bot.plan.template import template_bytes
from bot.telegram import callbacks as cb
from bot.telegram.context import SERVICES, DubanApp, DubanContext
from bot.text.render import render
from handlers.common import drop_keyboard, plain_text, reply

log = logging.getLogger(__name__)


def _text(what: str, **ctx: object) -> str:
    return render("plan_import.html.j2", what=what, **ctx)


class _PlanFile(filters.MessageFilter):
    """A coordinator's document in private chat that names no task: a plan to import.

    A file with `#N`, sent as a reply to a task message or after 上传材料 stays evidence.
    """

    def __init__(self, application: DubanApp) -> None:
        super().__init__(name="PlanFile")
        self._application = application

    def filter(self, message: Message) -> bool:
        services = self._application.bot_data.get(SERVICES)
        doc, user = message.document, message.from_user
        if services is None or doc is None or user is None or message.chat.type != "private":
            return False
        if not services.is_coordinator(user.id) or not plan_import.is_plan_file(doc.file_name):
            return False
        if task_in_caption(message.caption) is not None:
            return False
        reply_to = message.reply_to_message
        if reply_to is not None and services.store.deliveries.message_refs(
            message.chat_id, reply_to.message_id
        ):
            return False
        now = services.clock.now()
        return pending.expected(services.store, user.id, "file", now) is None


def _buttons(staged: plan_import.Staged | None) -> InlineKeyboardMarkup:
    """导入 / 取消 (when duban is sure where the file goes) and the other choices for a plan
    that can be imported; 模板 under every preview."""
    template = [InlineKeyboardButton("模板", callback_data=cb.PlanTemplate().pack())]
    if staged is None or staged.offer is None:
        return InlineKeyboardMarkup([template])
    token, offer = staged.token, staged.offer
    cancel = InlineKeyboardButton("取消", callback_data=cb.PlanImport("no", token).pack())
    choices = [
        InlineKeyboardButton(
            plan_import.choice_label(c), callback_data=cb.PlanImport.choice(c.into, token).pack()
        )
        for c in offer.choices
    ]
    if offer.proposal is None:  # not sure: only a choice imports
        return InlineKeyboardMarkup([choices, [cancel], template])
    ok = InlineKeyboardButton("导入", callback_data=cb.PlanImport("ok", token).pack())
    return InlineKeyboardMarkup(
        [[ok, cancel], choices, template] if choices else [[ok, cancel], template]
    )


async def _preview(update: Update, context: DubanContext, staged: plan_import.Staged) -> None:
    text = _text("preview", file_name=staged.file_name, d=staged.digest, offer=staged.offer)
    await reply(update, context, text, _buttons(staged))


async def plan_file(update: Update, context: DubanContext) -> None:
    """The file is read and summarised, with where it goes; 导入 / 取消 and the other choices
    under it when it can be imported."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.document is not None and user is not None
    doc = message.document
    if (doc.file_size or 0) > plan_import.MAX_BYTES:
        await reply(update, context, _text("too_big"))
        return
    try:
        data = bytes(await (await doc.get_file()).download_as_bytearray())
    except TelegramError as exc:
        log.warning("plan file download failed: %s", exc)
        await reply(update, context, _text("download"))
        return
    await _preview(
        update, context, plan_import.stage(context.services, user.id, doc.file_name, data)
    )


async def decide(update: Update, context: DubanContext) -> None:
    """导入 or a choice imports the plan there; 取消 forgets the file; a press after the plans
    changed is asked again with a new preview."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    button = cb.button_of(update, cb.PlanImport)
    services = context.services
    done: plan_import.Imported | plan_import.Staged | None = None
    try:
        if button.into == "no":
            plan_import.cancel(services, button.token, user.id)
        else:
            done = plan_import.carry_out(services, button.token, user.id, button.into)
    except PlanImportError as err:
        await query.answer(plain_text(_text("refused", code=err.code)))
        return
    await query.answer()
    await drop_keyboard(update, context)  # a used card has no live buttons
    if isinstance(done, plan_import.Staged):
        await reply(update, context, _text("changed"))
        await _preview(update, context, done)
        return
    await reply(update, context, _text("imported", done=done) if done else _text("cancelled"))


async def send_template(update: Update, context: DubanContext) -> None:
    """模板: the import template (Excel) as a document in the same chat."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    await query.answer()
    spec = plan_import.template_spec(context.services)  # the store is read on the loop's thread
    data = await asyncio.to_thread(template_bytes, spec)
    await context.outbox.document(
        chat.id, data, plan_import.TEMPLATE_FILE, caption=_text("template_caption", year=spec.year)
    )


def register(application: DubanApp) -> None:
    application.add_handler(MessageHandler(_PlanFile(application), plan_file))
    application.add_handler(CallbackQueryHandler(decide, pattern=cb.matches(cb.PlanImport)))
    application.add_handler(
        CallbackQueryHandler(send_template, pattern=cb.matches(cb.PlanTemplate))
    )
