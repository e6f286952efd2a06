"""The gatekeeper (group -1): act on each update once, and only for people allowed to speak."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.features.access import (
    Actor,
    admission,
    explain_once_today,
    remember_coordinator_name,
    resolve_actor,
)
from bot.features.mentions import leading_task
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.text.render import render
from handlers.common import plain_text, reply
from handlers.groups import Group

GATE_GROUP = Group.GATE


async def gate(update: Update, context: DubanContext) -> None:
    """Drop redelivered updates; strangers and group chatter get an explanation, nothing more."""
    services = context.services
    if services.store.intake.update_handled(update.update_id):
        raise ApplicationHandlerStop  # Telegram redelivers the last batch after a crash
    if update.edited_message or update.edited_channel_post or update.effective_user is None:
        raise ApplicationHandlerStop  # edits are not acted on again
    actor = resolve_actor(services, update.effective_user)
    context.actor = actor  # one context serves every handler group of this update
    remember_coordinator_name(services, actor, update.effective_user.full_name)
    if update.callback_query is not None and cb.parse(update.callback_query.data) is None:
        # Data no button kind knows (empty, hand-made, an old grammar): refused here, once.
        text = plain_text(render("update_dialog.html.j2", step="stale"))
        await update.callback_query.answer(text)
        raise ApplicationHandlerStop
    verdict = _verdict(update, actor)
    if verdict is not None:
        await _turn_away(update, context, verdict)
        raise ApplicationHandlerStop


def _verdict(update: Update, actor: Actor) -> str | None:
    chat = update.effective_chat
    in_group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    pressed = cb.parse(update.callback_query.data) if update.callback_query else None
    button = pressed.prefix if pressed is not None else None
    message = update.message
    command = _command(message) if message is not None else None
    addressed = message is not None and (not in_group or _replies_to_bot(message))
    mentions = message is not None and leading_task(message.text) is not None
    return admission(
        actor,
        in_group=in_group,
        command=command,
        button=button,
        addressed=addressed,
        mentions_task=mentions,
    )


def _command(message: Message) -> str | None:
    """The /command a message starts with (lower case, without @botname), if any."""
    text = message.text or message.caption or ""
    if not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0][1:]
    return word.partition("@")[0].lower() or None


def _replies_to_bot(message: Message) -> bool:
    target = message.reply_to_message
    return bool(target and target.from_user and target.from_user.is_bot)


async def _turn_away(update: Update, context: DubanContext, reason: str) -> None:
    if reason == "ignore":
        return
    text = render(
        "gate.html.j2", reason=reason, coordinator_unit=context.services.units.coordinator.name
    )
    if update.callback_query is not None:
        pressed = cb.parse(update.callback_query.data)
        quiet = pressed is not None and pressed.navigation  # a page or a card: a toast will do
        await update.callback_query.answer(plain_text(text), show_alert=not quiet)
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    stranger = context.actor is not None and context.actor.is_stranger
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user is not None and stranger:
        # One explanation per person per day in a group: forty strangers typing /status must
        # not fill the group (held at 20 messages a minute) with forty copies, again and again.
        if not explain_once_today(context.services, chat.id, user.id, reason):
            return
    await reply(update, context, text)


def register(application: DubanApp) -> None:
    application.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
