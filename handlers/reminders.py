"""Reminder commands: /snooze N DURATION (contacts) and /remind N|UNIT (coordinators); and
whether a contact can receive reminders (blocked the bot, or back in touch)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, CommandHandler, ContextTypes, TypeHandler

from bot.access import Grant, authorize
from bot.dates import parse_duration_or_date
from bot.reminders import by_chat, chase, chase_outcome
from bot.render import render
from handlers.common import actor_of, services_of, task_unit_args
from schedules.delivery import mark_unreachable
from schedules.reminders import closed_tasks, send_grouped

CANCEL_WORDS = frozenset({"取消", "恢复", "off", "0"})
# After the commands (group 0) and the dialogue guard (1): sees every update the gate admitted.
REACH_GROUP = 2


async def snooze_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/snooze N [UNIT] 3天|下周一|DATE: no reminders for that part until then (取消 resumes)."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    services = services_of(context)
    parsed = task_unit_args(services, context.args or [])
    if parsed is None:
        await message.reply_html(render("snooze.html.j2", outcome="usage"))
        return
    task_id, unit, rest = parsed
    grant = authorize(actor_of(update, context), services, task_id, unit)
    if not isinstance(grant, Grant):
        await message.reply_html(grant.text)
        return
    now = services.clock.now()
    words = "".join(rest)
    until = None if words.lower() in CANCEL_WORDS else parse_duration_or_date(words, now.date())
    if words.lower() not in CANCEL_WORDS and (until is None or until <= now.date()):
        await message.reply_html(render("snooze.html.j2", outcome="bad_date", text=words))
        return
    services.store.update_state(
        grant.task_id,
        grant.unit,
        at=now,
        actor=update.effective_user.id,
        event="snooze",
        snoozed_until=until.isoformat() if until else None,
    )
    outcome = "snoozed" if until else "resumed"
    text = render(
        "snooze.html.j2", outcome=outcome, task=grant.task_id, unit=grant.unit, until=until
    )
    await message.reply_html(text)


def _targets(services, arg: str) -> tuple[int | None, list[str] | None, str | None]:  # type: ignore[no-untyped-def]
    """`18`/`#18` → a task; a unit or group name → its units; else the reason it is neither."""
    raw = arg.lstrip("#＃")
    if raw.isdigit():
        return (
            (int(raw), None, None)
            if services.store.task(int(raw))
            else (None, None, "unknown_task")
        )
    members = services.units.expand(arg)
    if members:
        return None, [u.name for u in members], None
    return None, None, "unknown_unit"


async def remind_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remind N|UNIT (coordinator): an immediate 催办 to every responsible contact, and who got it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    if not services.is_coordinator(user.id):
        await message.reply_html(render("remind_result.html.j2", outcome="coordinator_only"))
        return
    arg = " ".join(context.args or []).strip()
    task_id, unit_names, problem = _targets(services, arg) if arg else (None, None, "usage")
    if problem:
        hint = services.units.suggest(arg) if problem == "unknown_unit" else None
        text = render("remind_result.html.j2", outcome=problem, arg=arg, hint=hint)
        await message.reply_html(text)
        return
    now = services.clock.now()
    store = services.store
    items = chase(
        store.tasks(),
        store.states(),
        store.contacts(),
        services.calendar,
        now.date(),
        units=services.units,
        task_id=task_id,
        unit_names=unit_names,
        closed=closed_tasks(services),
        stamp=now.isoformat(timespec="seconds"),
    )
    report = await send_grouped(
        context.bot, services, by_chat(items), now=now, manual=True, actor=user.id
    )
    outcome = chase_outcome(items, report.failed)
    text = render(
        "remind_result.html.j2",
        outcome="done" if items else "nothing_open",
        arg=arg,
        task=task_id,
        reached=outcome.reached,
        failed=outcome.failed,
        missing=outcome.missing,
        messages=report.messages,
    )
    await message.reply_html(text)


async def reach_watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact who blocks the bot is marked unreachable at once (coordinators told once);
    one who unblocks it or writes to it again receives reminders again."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    services = services_of(context)
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status == ChatMemberStatus.BANNED:
        await mark_unreachable(context.bot, services, user.id, "blocked by the user")
        return
    services.store.set_reachable(user.id, True, at=services.clock.now())


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("snooze", snooze_command))
    application.add_handler(CommandHandler("remind", remind_command))
    application.add_handler(TypeHandler(Update, reach_watch), group=REACH_GROUP)
