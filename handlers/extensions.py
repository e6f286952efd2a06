"""Extension requests in chat: /extend N DATE reason, and the 申请延期 button."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import extensions, pending
from bot.features.access import Actor, Grant, authorize
from bot.features.review import ReviewError
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.notices import announce
from bot.text.render import render
from handlers.common import (
    AWAITED_TEXT,
    REF_COMMANDS,
    actor_of,
    command_rest,
    confirm,
    pressed_grant,
    task_named,
    task_unit_args,
)


def _error(code: str, **info: Any) -> str:
    return render("extension_error.html.j2", code=code, info=info)


RETRYABLE = frozenset({"no_date", "no_reason", "reason_too_long", "not_later"})


async def _submit(
    context: DubanContext, message: Message, actor: Actor, grant: Grant, text: str
) -> str | None:
    """Parse `DATE reason`, record the request, confirm it, send it to coordinators.

    Returns None when done, else the error code (already explained to the user).
    """
    services = context.services
    try:
        ask = extensions.parse_request(text, services.clock.now().date())
        record = extensions.request_extension(
            services, grant.task_id, grant.unit, actor, ask.due, ask.reason
        )
    except ReviewError as err:
        await context.outbox.answer(message, _error(err.code, **err.info))
        return err.code
    reply = render(
        "extension_sent.html.j2",
        task_id=grant.task_id,
        unit=grant.unit,
        old_due=record["old_due"],
        due=record["due"],
        reason=record["reason"],
    )
    await confirm(context, message, reply, grant.task_id, grant.unit)
    await announce(context, record)
    return None


async def extend_command(update: Update, context: DubanContext) -> None:
    """/extend N [UNIT] DATE reason: a request for a later deadline, echoed with its weekday."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services, actor = context.services, actor_of(update, context)
    args = context.args or []
    parsed = task_unit_args(services, args, actor.units)
    if parsed is None:
        await context.outbox.answer(message, _error("usage"))
        return
    found, unit, rest = parsed
    if (task_id := await task_named(update, context, found)) is None:
        return
    grant = authorize(actor, services, task_id, unit)
    if not isinstance(grant, Grant):
        await context.outbox.answer(message, grant.text)
        return
    skip = len(args) - len(rest)  # the task number, and the unit if one was named
    tail = command_rest(message).split(maxsplit=skip)
    await _submit(context, message, actor, grant, tail[skip] if len(tail) > skip else "")


async def extend_button(update: Update, context: DubanContext) -> None:
    """申请延期: the bot asks for the date and reason in one message."""
    pressed = await pressed_grant(update, context, cb.ExtendTask)
    if pressed is None:
        return
    query, user, grant = pressed
    services, task_id = context.services, grant.task_id
    await query.answer()
    if extensions.is_ongoing(services, task_id):
        await context.outbox.answer(user.id, _error("ongoing", task=task_id))
        return
    now = services.clock.now()
    pending.expect(
        services.store, user.id, "text", "extend", now=now, task=task_id, unit=grant.unit
    )
    current = extensions.current_due(services, task_id, grant.unit, now.date())
    text = render("extension_ask.html.j2", task_id=task_id, unit=grant.unit, current=current)
    await context.outbox.answer(user.id, text, about=[(task_id, grant.unit)], kind="prompt")


async def extension_text(update: Update, context: DubanContext, wait: pending.Wait) -> None:
    """The `DATE reason` message after 申请延期; a wrong one can be retyped until it expires."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    services, task_id = context.services, wait["task"]
    assert task_id is not None  # 申请延期 waits for one task's request
    actor = actor_of(update, context)
    grant = authorize(actor, services, task_id, wait["unit"])
    if not isinstance(grant, Grant):
        pending.clear(services.store, user.id, "text")
        await context.outbox.answer(message, grant.text)
        return
    problem = await _submit(context, message, actor, grant, message.text or "")
    if problem not in RETRYABLE:
        pending.clear(services.store, user.id, "text")


def register(application: DubanApp) -> None:
    AWAITED_TEXT["extend"] = extension_text  # the `DATE reason` after 申请延期
    REF_COMMANDS["extend"] = extend_command
    application.add_handler(CommandHandler("extend", extend_command))
    application.add_handler(CallbackQueryHandler(extend_button, pattern=cb.matches(cb.ExtendTask)))
