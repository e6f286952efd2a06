"""Evidence through chat: files and photos for a task, the 上传材料 button, and /evidence N."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters
from telegram.ext import MessageHandler as _MessageHandler

from bot.features import evidence, pending
from bot.features.access import Actor, Grant, authorize
from bot.features.evidence import EvidenceError, Vetted
from bot.features.updates import unit_of
from bot.reports import evidence_list
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.text.render import render, split_message
from handlers.common import Context, actor_of, confirm, keep_and_ask, pressed_grant

log = logging.getLogger(__name__)
KEPT_CHOICES = 9  # 是 #N, then up to 8 of the person's other tasks (two rows of four)


def task_in_caption(caption: str | None) -> int | None:
    """`#18 承诺制工作方案` → 18."""
    m = evidence.TASK_REF.search(caption or "")
    return int(m[1]) if m else None


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
    """(task, unit hint, how) for a file: caption `#N`, a reply to a bot message, or a button.

    how is "which" for a reply to a message about several tasks (a digest) without `#N`: the
    file is kept and the person asked which (handlers.common.keep_and_ask).
    """
    if (task_id := task_in_caption(message.caption)) is not None:
        return task_id, unit_in_text(services, task_id, message.caption), "caption"
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


def vet_message(message: Message, services: Services) -> tuple[Vetted, str, str]:
    """Check a message's document or photo before download: (vetted, file_id, file_unique_id)."""
    if message.document is not None:
        doc = message.document
        vetted = evidence.vet(doc.file_name, doc.mime_type, doc.file_size)
        return vetted, doc.file_id, doc.file_unique_id
    photo = message.photo[-1]  # the largest size Telegram made
    return (
        evidence.vet_photo(photo.file_size, services.clock.now()),
        photo.file_id,
        photo.file_unique_id,
    )


async def _refuse(context: Context, message: Message, reason: str, **extra: Any) -> None:
    text = render(
        "evidence_refused.html.j2", reason=reason, kinds=evidence.accepted_kinds(), **extra
    )
    await context.outbox.reply(message, text)


async def receive_file(update: Update, context: Context) -> None:
    """A document or photo for task N: checked, downloaded, kept; the reply counts the files."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    actor = actor_of(update, context)
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
            await context.outbox.reply(message, render("evidence_how.html.j2", reason="none"))
        return
    if task_id is None:
        return  # in a group a file about nothing in particular is none of the bot's business
    if how == "caption" and pending.expected(services.store, user.id, "file", now) is None:
        # the next file without a caption is offered this task (pending.recent)
        pending.finish(services.store, user.id, "file", now=now, task=task_id, unit=unit_hint)
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
            if s["status"] != "done"
        ]
    return list(dict.fromkeys(refs))[:KEPT_CHOICES]


async def file_for_task(
    context: Context, actor: Actor, message: Message, task_id: int, unit_hint: str | None
) -> None:
    """Keep a document or photo as evidence of task N (the unit hinted, else the actor's)."""
    services = context.services
    grant = authorize(actor, services, task_id, unit_hint)
    if not isinstance(grant, Grant):
        await context.outbox.reply(message, grant.text)
        return
    try:
        vetted, file_id, unique_id = vet_message(message, services)
    except EvidenceError as err:
        await _refuse_vetting(context, message, err)
        return
    await _download_and_keep(context, services, actor, grant, message, vetted, file_id, unique_id)


async def _refuse_vetting(context: Context, message: Message, err: EvidenceError) -> None:
    doc = message.document
    if err.code == "size":
        size = (doc.file_size if doc else message.photo[-1].file_size) or 0
        await _refuse(context, message, "size", size=evidence.format_size(size))
    elif err.code == "mismatch":
        await _refuse(context, message, err.code, **err.info)
    else:
        ext = evidence.extension_of(doc.file_name if doc else None)
        await _refuse(
            context, message, err.code, ext=ext if ext.isascii() and len(ext) <= 10 else ""
        )


async def _download_and_keep(
    context: Context,
    services: Services,
    actor: Actor,
    grant: Grant,
    message: Message,
    vetted: Vetted,
    file_id: str,
    unique_id: str,
) -> None:
    store, data_dir = services.store, services.settings.data_dir
    # Telegram's file_unique_id names the same file: a resend needs no download at all.
    if earlier := evidence.find_duplicate(
        store, grant.task_id, grant.unit, file_unique_id=unique_id
    ):
        count = evidence.count_evidence(store, grant.task_id, grant.unit)
        await _reply_saved(context, message, evidence.Saved(earlier, True, count))
        return
    temp = evidence.temp_path(data_dir, grant.task_id, grant.unit)
    try:
        tg_file = await context.bot.get_file(file_id)
        if tg_file.file_size and tg_file.file_size > evidence.MAX_BYTES:
            evidence.discard(temp)
            await _refuse(context, message, "size", size=evidence.format_size(tg_file.file_size))
            return
        await tg_file.download_to_drive(custom_path=temp)
    except TelegramError as err:
        evidence.discard(temp)
        log.warning("evidence download failed: %s", err)
        too_big = "too big" in str(err).lower()
        await _refuse(context, message, "size" if too_big else "download")
        return
    except BaseException:
        evidence.discard(temp)  # a cancelled or failed download leaves no half file behind
        raise
    try:
        saved = keep_downloaded(
            services, actor, message, temp, vetted, grant.task_id, grant.unit, unique_id
        )
    except EvidenceError as err:
        await _refuse(context, message, err.code)
        return
    await _reply_saved(context, message, saved)


def keep_downloaded(
    services: Services,
    actor: Actor,
    message: Message,
    temp: Path,
    vetted: Vetted,
    task_id: int,
    unit: str,
    unique_id: str,
) -> evidence.Saved:
    """Keep a downloaded file as evidence of the task for the unit, sent by the actor in message."""
    return evidence.keep_file(
        services.store,
        services.settings.data_dir,
        temp,
        vetted,
        task_id=task_id,
        unit=unit,
        at=services.clock.now(),
        uploader=actor.user_id,
        uploader_name=actor.name,
        chat_id=message.chat_id,
        message_id=message.message_id,
        file_unique_id=unique_id,
        caption=evidence.caption_text(message.caption),
    )


async def _reply_saved(context: Context, message: Message, saved: evidence.Saved) -> None:
    rec = saved.record
    text = render(
        "evidence_saved.html.j2",
        duplicate=saved.duplicate,
        task_id=rec["task"],
        unit=rec["unit"],
        name=rec["name"],
        size=evidence.format_size(rec["size"]),
        count=saved.count,
        first_at=rec["at"],
        first_by=rec["uploader_name"],
        caption=rec.get("caption"),
    )
    await confirm(context, message, text, rec["task"], rec["unit"])


async def upload_button(update: Update, context: Context) -> None:
    """上传材料: the bot asks for the file and takes the next ones for task N."""
    query, user = update.callback_query, update.effective_user
    grant = await pressed_grant(update, context, cb.UploadEvidence)
    if grant is None or query is None or user is None:
        return
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
    await context.outbox.send(chat_id, text, about=[(task_id, grant.unit)], kind="evidence")


async def list_command(update: Update, context: Context) -> None:
    """/evidence N: the task's files (coordinators: every unit; contacts: their own units)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    args = context.args or []
    task_id = task_in_caption("#" + args[0].lstrip("#＃")) if args else None
    if task_id is None:
        await context.outbox.reply(message, evidence_list.usage())
        return
    text = evidence_list.listing(services, actor_of(update, context), task_id)
    for part in split_message(text):
        await context.outbox.reply(message, part)


async def refuse_media(update: Update, context: Context) -> None:
    """A video, voice or audio message: not a kind of evidence; say what is accepted."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == "private" or task_in_caption(message.caption) is not None:
        await _refuse(context, message, "type", ext="")


def register(application: Application) -> None:
    """Files and photos in private chats (or captioned in groups), the button, /evidence."""
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
