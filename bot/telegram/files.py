"""Evidence from a Telegram message: the file vetted, downloaded, kept, and the answer.

The evidence handler and the step-by-step reports (handlers.steps_report) both keep files this
way; the rules themselves are bot.features.evidence's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from telegram import Message
from telegram.error import TelegramError

from bot.features import evidence, pending
from bot.features.access import Actor, Grant, authorize
from bot.features.evidence import EvidenceError, Vetted
from bot.services import Services
from bot.store.records import FileRef
from bot.telegram.context import DubanContext
from bot.text.render import render

log = logging.getLogger(__name__)


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


async def refuse(context: DubanContext, message: Message, reason: str, **extra: Any) -> None:
    """Say why the file was not kept, and which kinds are."""
    text = render(
        "evidence_refused.html.j2", reason=reason, kinds=evidence.accepted_kinds(), **extra
    )
    await context.outbox.answer(message, text)


async def file_for_task(
    context: DubanContext, actor: Actor, message: Message, task_id: int, unit_hint: str | None
) -> None:
    """Keep a document or photo as evidence of task N (the unit hinted, else the actor's)."""
    services = context.services
    grant = authorize(actor, services, task_id, unit_hint)
    if not isinstance(grant, Grant):
        await context.outbox.answer(message, grant.text)
        return
    try:
        vetted, file_id, unique_id = vet_message(message, services)
    except EvidenceError as err:
        await _refuse_vetting(context, message, err)
        return
    await _download_and_keep(context, services, actor, grant, message, vetted, file_id, unique_id)


async def _refuse_vetting(context: DubanContext, message: Message, err: EvidenceError) -> None:
    doc = message.document
    if err.code == "size":
        size = (doc.file_size if doc else message.photo[-1].file_size) or 0
        await refuse(context, message, "size", size=evidence.format_size(size))
    elif err.code == "mismatch":
        await refuse(context, message, err.code, **err.info)
    else:
        ext = evidence.extension_of(doc.file_name if doc else None)
        await refuse(
            context, message, err.code, ext=ext if ext.isascii() and len(ext) <= 10 else ""
        )


async def _download_and_keep(
    context: DubanContext,
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
            await refuse(context, message, "size", size=evidence.format_size(tg_file.file_size))
            return
        await tg_file.download_to_drive(custom_path=temp)
    except TelegramError as err:
        evidence.discard(temp)
        log.warning("evidence download failed: %s", err)
        too_big = "too big" in str(err).lower()
        await refuse(context, message, "size" if too_big else "download")
        return
    except BaseException:
        evidence.discard(temp)  # a cancelled or failed download leaves no half file behind
        raise
    try:
        saved = keep_downloaded(
            services, actor, message, temp, vetted, grant.task_id, grant.unit, unique_id
        )
    except EvidenceError as err:
        await refuse(context, message, err.code)
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
    """Keep a downloaded file as evidence of the task for the unit, sent by the actor in message
    (noting the milestone when it comes right after the unit reported one done)."""
    wait = pending.expected(services.store, actor.user_id, "file", services.clock.now())
    milestone = (
        wait["draft"].get("milestone")
        if wait is not None and (wait["task"], wait["unit"]) == (task_id, unit)
        else None
    )
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
        milestone=milestone,
    )


async def _reply_saved(context: DubanContext, message: Message, saved: evidence.Saved) -> None:
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
        milestone=rec.get("milestone"),
    )
    about = [(rec["task"], rec["unit"])]
    await context.outbox.answer(message, text, about=about, kind="confirmation")


async def keep_draft_file(
    context: DubanContext,
    services: Services,
    actor: Actor,
    message: Message,
    task_id: int,
    unit: str,
) -> FileRef:
    """Keep a photo or document sent inside a dialogue (its draft holds the returned reference)
    through bot/evidence; a unit without a part keeps a reference only."""
    vetted, file_id, unique_id = vet_message(message, services)
    ref: FileRef = {
        "name": vetted.display_name,
        "file_id": file_id,
        "file_unique_id": unique_id,
    }
    if services.store.parts.state(task_id, unit) is None:
        # Evidence is recorded on the unit's part of the task; without one, a reference.
        return ref
    temp = evidence.temp_path(services.settings.data_dir, task_id, unit)
    try:
        tg_file = await context.bot.get_file(file_id)
        await tg_file.download_to_drive(custom_path=temp)
    except TelegramError:
        evidence.discard(temp)
        raise
    saved = keep_downloaded(services, actor, message, temp, vetted, task_id, unit, unique_id)
    ref["evidence"] = saved.record["id"]
    return ref
