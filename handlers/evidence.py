"""Evidence through chat: files and photos for a task, the 上传材料 button, and /evidence N."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters
from telegram.ext import MessageHandler as _MessageHandler

from bot.features import pending
from bot.features.access import Actor
from bot.features.evidence import task_in_caption
from bot.features.refs import lookup, lookup_text
from bot.features.updates import unit_of
from bot.plan.refs import Ref
from bot.reports import evidence_list
from bot.services import Services
from bot.store.records import PartStatus
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.files import file_for_task, refuse
from bot.text.render import render, split_message
from handlers.common import (
    REF_COMMANDS,
    actor_of,
    keep_and_ask,
    pressed_grant,
    task_named,
)

KEPT_CHOICES = 9  # 是 #N, then up to 8 of the person's other tasks (two rows of four)


def unit_in_text(services: Services, task_id: int, text: str | None) -> str | None:
    """A unit with a part in the task named in free text (`#18 区司法局 方案`), if any."""
    if not text:
        return None
    with_part = {s["unit"] for s in services.store.parts.states(task=task_id)}
    for word in re.split(r"[\s,，、;；:：]+", text):
        name = services.units.canonical(word) if word else None
        if name in with_part:
            return name
    return None


def _target(
    services: Services, message: Message, user_id: int
) -> tuple[int | None, str | None, str]:
    """(task, unit hint, how) for a file without `#N`: a reply to a bot message, or a button.

    how is "which" for a reply to a message about several tasks (a digest): the file is kept
    and the person asked which (handlers.common.keep_and_ask).
    """
    reply = message.reply_to_message
    if reply is not None and (
        refs := services.store.deliveries.message_refs(message.chat_id, reply.message_id)
    ):
        if len({task for task, _ in refs}) > 1:
            return None, None, "which"
        return refs[0][0], unit_of(refs, refs[0][0]), "reply"
    now = services.clock.now()
    if (wait := pending.expected(services.store, user_id, "file", now)) is not None:
        return wait["task"], wait["unit"], "button"
    return None, None, "none"


async def receive_file(update: Update, context: DubanContext) -> None:
    """A document or photo for task N: checked, downloaded, kept; the reply counts the files."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    actor = actor_of(update, context)
    if (ref := task_in_caption(message.caption)) is not None:
        await _captioned(update, context, actor, message, ref)
        return
    task_id, unit_hint, how = _target(services, message, user.id)
    if how == "which":  # a reply to a digest: keep the file, ask which of its tasks
        reply = message.reply_to_message
        assert reply is not None
        refs = services.store.deliveries.message_refs(message.chat_id, reply.message_id)
        await keep_and_ask(context, message, refs)
        return
    now = services.clock.now()
    if task_id is None and message.chat.type == "private":
        if (last := pending.recent(services.store, user.id, "file", now)) is not None:
            # right after a file captioned `#18`: is this one for #18 too?
            await keep_and_ask(
                context, message, _with_own_tasks(services, actor, last), likely=last[0]
            )
        else:
            await context.outbox.answer(message, render("evidence_how.html.j2", reason="none"))
        return
    if task_id is None:
        return  # in a group a file about nothing in particular is none of the bot's business
    await file_for_task(context, actor, message, task_id, unit_hint)


async def _captioned(
    update: Update, context: DubanContext, actor: Actor, message: Message, ref: Ref
) -> None:
    """A file captioned `#N …`: evidence for task N (in a private chat, a bare N of several
    plans is kept while the person picks the plan)."""
    services, now = context.services, context.services.clock.now()
    found = lookup(services.store, ref, actor.units)
    if (task_id := await task_named(update, context, found, action="file")) is None:
        return
    unit_hint = unit_in_text(services, task_id, message.caption)
    if pending.expected(services.store, actor.user_id, "file", now) is None:
        # the next file without a caption is offered this task (pending.recent)
        pending.finish(services.store, actor.user_id, "file", now=now, task=task_id, unit=unit_hint)
    await file_for_task(context, actor, message, task_id, unit_hint)


def _with_own_tasks(
    services: Services, actor: Actor, first: tuple[int, str | None]
) -> list[tuple[int, str | None]]:
    """`first`, then the actor's other open parts (the other choices under 是 #N)."""
    refs = [first]
    for unit in actor.units:
        refs += [
            (s["task"], unit)
            for s in services.store.parts.states(unit=unit)
            if s["status"] != PartStatus.DONE
        ]
    return list(dict.fromkeys(refs))[:KEPT_CHOICES]


async def upload_button(update: Update, context: DubanContext) -> None:
    """上传材料: the bot asks for the file and takes the next ones for task N."""
    pressed = await pressed_grant(update, context, cb.UploadEvidence)
    if pressed is None:
        return
    query, user, grant = pressed
    services, task_id = context.services, grant.task_id
    pending.expect(
        services.store,
        user.id,
        "file",
        "evidence",
        now=services.clock.now(),
        task=task_id,
        unit=grant.unit,
    )
    await query.answer()
    minutes = int(pending.WAIT.total_seconds() // 60)
    text = render(
        "evidence_how.html.j2", reason="ask", task_id=task_id, unit=grant.unit, minutes=minutes
    )
    chat_id = query.message.chat.id if query.message else user.id
    await context.outbox.answer(chat_id, text, about=[(task_id, grant.unit)], kind="evidence")


async def list_command(update: Update, context: DubanContext) -> None:
    """/evidence N: the task's files (coordinators: every unit; contacts: their own units)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services, actor = context.services, actor_of(update, context)
    args = context.args or []
    found = lookup_text(services.store, args[0], actor.units) if args else None
    if found is None:
        await context.outbox.answer(message, evidence_list.usage())
        return
    if (task_id := await task_named(update, context, found)) is None:
        return
    text = evidence_list.listing(services, actor, task_id)
    for part in split_message(text):
        await context.outbox.answer(message, part)


async def refuse_media(update: Update, context: DubanContext) -> None:
    """A video, voice or audio message: not a kind of evidence; say what is accepted."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == "private" or task_in_caption(message.caption) is not None:
        await refuse(context, message, "type", ext="")


def register(application: DubanApp) -> None:
    """Files and photos in private chats (or captioned in groups), the button, /evidence."""
    REF_COMMANDS["evidence"] = list_command
    application.add_handler(CommandHandler("evidence", list_command))
    application.add_handler(
        CallbackQueryHandler(upload_button, pattern=cb.matches(cb.UploadEvidence))
    )
    application.add_handler(
        _MessageHandler(
            (filters.Document.ALL | filters.PHOTO) & ~filters.UpdateType.EDITED, receive_file
        )
    )
    # A GIF comes as an animation *and* a document, so the handler above already vets it.
    other_media = filters.VIDEO | filters.VIDEO_NOTE | filters.VOICE | filters.AUDIO
    application.add_handler(_MessageHandler(other_media & ~filters.UpdateType.EDITED, refuse_media))
