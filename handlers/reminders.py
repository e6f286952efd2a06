"""Reminder commands: /snooze N DURATION (contacts) and /remind N|UNIT (coordinators); and
whether a contact can receive reminders (blocked the bot, or back in touch)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import CommandHandler, TypeHandler

from bot.features import chase, snooze, sweep
from bot.features.access import Grant, authorize
from bot.features.refs import closed_text, lookup_text
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.notices import chase_now
from bot.telegram.outbox import mark_unreachable
from bot.text.render import render
from handlers.common import (
    REF_COMMANDS,
    actor_of,
    confirm,
    coordinator_message,
    task_named,
    task_unit_args,
)
from handlers.groups import Group

# After the commands (group 0) and the dialogue guard (1): sees every update the gate admitted.
REACH_GROUP = Group.REACH


async def snooze_command(update: Update, context: DubanContext) -> None:
    """/snooze N [UNIT] 3天|下周一|DATE: no reminders for that part until then (取消 resumes)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services, actor = context.services, actor_of(update, context)
    parsed = task_unit_args(services, context.args or [], actor.units)
    if parsed is None:
        await context.outbox.answer(message, snooze.usage())
        return
    found, unit, rest = parsed
    if (task_id := await task_named(update, context, found)) is None:
        return
    grant = authorize(actor, services, task_id, unit)
    if not isinstance(grant, Grant):
        await context.outbox.answer(message, grant.text)
        return
    at, words = services.clock.now(), "".join(rest)
    text = snooze.snooze(services.store, grant.task_id, grant.unit, words, at=at, actor=user.id)
    await confirm(context, message, text, grant.task_id, grant.unit)


async def remind_command(update: Update, context: DubanContext) -> None:
    """/remind N|UNIT (coordinator): an immediate 催办 to every responsible contact, and who got it."""
    refusal = render("remind_result.html.j2", outcome="coordinator_only")
    message = await coordinator_message(update, context, refusal)
    if message is None:
        return
    services = context.services
    arg = " ".join(context.args or []).strip()
    if (ref := lookup_text(services.store, arg)) is not None:
        unknown = chase.problem_text(chase.Target(problem="unknown_task"), arg, services.units)
        if (task_id := await task_named(update, context, ref, unknown=unknown)) is None:
            return
        if (closed := closed_text(services.store, task_id)) is not None:
            await context.outbox.answer(message, closed)
            return
        found = chase.Target(task_id=task_id)
    else:
        found = chase.target(arg, services.store, services.units)
    if found.problem:
        await context.outbox.answer(message, chase.problem_text(found, arg, services.units))
        return
    items, text = await chase_now(context, found, arg, actor_of(update, context).user_id)
    # A reply to the result is about what was chased: one task's part a note, several ask #N.
    about = list(dict.fromkeys((item.task, item.unit) for item in items))
    await context.outbox.answer(message, text, about=about, kind="confirmation")


async def reach_watch(update: Update, context: DubanContext) -> None:
    """A contact who blocks the bot is marked unreachable at once (coordinators told once);
    one who unblocks it or writes to it again receives reminders again."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    services = context.services
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status == ChatMemberStatus.BANNED:
        await mark_unreachable(context.bot, services, user.id, "blocked by the user")
        return
    sweep.reachable_again(services, user.id)


def register(application: DubanApp) -> None:
    REF_COMMANDS["snooze"] = snooze_command
    REF_COMMANDS["remind"] = remind_command
    application.add_handler(CommandHandler("snooze", snooze_command))
    application.add_handler(CommandHandler("remind", remind_command))
    application.add_handler(TypeHandler(Update, reach_watch), group=REACH_GROUP)
