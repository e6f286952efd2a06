"""/start (with an invite code), /help, /invite and /units: getting contacts bound."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import onboarding
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import confirm_unbind_buttons, unbind_buttons
from bot.telegram.menus import set_coordinator_menu
from handlers.common import actor_of, drop_keyboard, plain_text, reply


async def start(update: Update, context: DubanContext) -> None:
    """A welcome by role, or — with an invite code — binding to the invited unit."""
    services, user = context.services, update.effective_user
    assert user is not None
    if context.args:
        code = context.args[0]
        text = onboarding.redeem(services, user.id, user.full_name, code, user.username)
    else:
        actor = actor_of(update, context)
        text = onboarding.welcome_text(services, actor)
        if actor.is_coordinator and update.effective_chat.type == ChatType.PRIVATE:  # type: ignore[union-attr]
            # Telegram refuses a chat's menu before the person has opened the chat (at start-up).
            await set_coordinator_menu(context.bot, user.id)
    await reply(update, context, text)


async def help_command(update: Update, context: DubanContext) -> None:
    """What the bot is and which commands this person may use."""
    actor = actor_of(update, context)
    await reply(update, context, onboarding.welcome_text(context.services, actor, help_=True))


async def invite(update: Update, context: DubanContext) -> None:
    """A single-use, 7-day invite link for a unit and role (coordinators; the gate checks)."""
    words = list(context.args or [])
    name, role = onboarding.invite_target(context.services, words)
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    text = onboarding.make_invite(
        context.services,
        actor_of(update, context),
        name,
        context.bot.username,
        private=private,
        role=role,
        role_word=words[-1] if words else "",
    )
    await reply(update, context, text)


async def _unbind(update: Update, context: DubanContext, user_id: int, unit: str) -> str:
    """Unbind, tell the person removed; the answer for the coordinator."""
    done = onboarding.unbind(context.services, actor_of(update, context), user_id, unit)
    if done.note is not None:
        await context.outbox.notify(user_id, done.note)
    return done.text


async def units(update: Update, context: DubanContext) -> None:
    """Units with their contacts by role and 解绑/更换 buttons; `/units unbind WHO UNIT` unbinds."""
    args, services = context.args or [], context.services
    if args and args[0].lower() == "unbind":
        if len(args) < 3:
            await reply(update, context, onboarding.render_usage("unbind"))
            return
        user_id = onboarding.contact_named(services, args[1], args[2])
        if user_id is None:
            await reply(update, context, onboarding.not_bound_text(args[1], args[2]))
            return
        await reply(update, context, await _unbind(update, context, user_id, args[2]))
        return
    text, bound = onboarding.units_overview(services)
    await reply(update, context, text, unbind_buttons(bound))


async def unbind_button(update: Update, context: DubanContext) -> None:
    """The 解绑/更换 button under /units: asks to confirm, naming the person (coordinators)."""
    query, services = update.callback_query, context.services
    assert query is not None and query.data is not None
    button = cb.button_of(update, cb.Unbind)
    unit = onboarding.unit_at(services, button.unit_index)
    question = onboarding.ask_unbind(services, button.user, unit) if unit else None
    if question is None:
        missing = unit is None
        await query.answer(
            plain_text(onboarding.unit_missing_text() if missing else onboarding.not_bound_text())
        )
        return
    await query.answer()
    await reply(update, context, question, confirm_unbind_buttons(button.user, button.unit_index))


async def confirm_unbind_button(update: Update, context: DubanContext) -> None:
    """确认解绑 / 解绑并邀请新人 / 取消: the binding goes (and a new invite comes), or stays."""
    query, services = update.callback_query, context.services
    assert query is not None
    button = cb.button_of(update, cb.ConfirmUnbind)
    unit = onboarding.unit_at(services, button.unit_index)
    if unit is None:
        await query.answer(plain_text(onboarding.unit_missing_text()))
        return
    await query.answer()
    await drop_keyboard(update, context)
    if button.verdict == "no":
        await reply(update, context, onboarding.unbind_cancelled_text())
        return
    contact = services.store.people.contact(button.user, unit)
    await reply(update, context, await _unbind(update, context, button.user, unit))
    if button.verdict == "new" and contact is not None:
        text = onboarding.make_invite(
            services,
            actor_of(update, context),
            unit,
            context.bot.username,
            role=onboarding.contact_role(contact),
        )
        await reply(update, context, text)


def register(application: DubanApp) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CommandHandler("units", units))
    application.add_handler(CallbackQueryHandler(unbind_button, pattern=cb.matches(cb.Unbind)))
    application.add_handler(
        CallbackQueryHandler(confirm_unbind_button, pattern=cb.matches(cb.ConfirmUnbind))
    )
