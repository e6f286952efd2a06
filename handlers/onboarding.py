"""/start (with an invite code), /help, /invite and /units: getting contacts bound."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.features import onboarding
from bot.telegram import callbacks as cb
from bot.telegram.keyboards import unbind_buttons
from bot.telegram.menus import set_coordinator_menu
from handlers.common import Context, actor_of, reply


async def start(update: Update, context: Context) -> None:
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


async def help_command(update: Update, context: Context) -> None:
    """What the bot is and which commands this person may use."""
    actor = actor_of(update, context)
    await reply(update, context, onboarding.welcome_text(context.services, actor, help_=True))


async def invite(update: Update, context: Context) -> None:
    """A single-use, 7-day invite link for a unit (coordinators; the gate checks)."""
    name = " ".join(context.args or [])
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    text = onboarding.make_invite(
        context.services,
        actor_of(update, context),
        name,
        context.bot.username,
        private=private,
    )
    await reply(update, context, text)


async def units(update: Update, context: Context) -> None:
    """Units with their contacts and unbind buttons; `/units unbind USER_ID UNIT` unbinds."""
    args, services = context.args or [], context.services
    if args and args[0].lower() == "unbind":
        if len(args) < 3 or not args[1].lstrip("-").isdecimal():
            await reply(update, context, onboarding.render_usage("unbind"))
            return
        text = onboarding.unbind(services, actor_of(update, context), int(args[1]), args[2])
        await reply(update, context, text)
        return
    text, bound = onboarding.units_overview(services)
    await reply(update, context, text, unbind_buttons(bound))


async def unbind_button(update: Update, context: Context) -> None:
    """The 解绑 button under /units (coordinators; the gate checks)."""
    query, services = update.callback_query, context.services
    assert query is not None and query.data is not None
    button = cb.button_of(update, cb.Unbind)
    unit = onboarding.unit_at(services, button.unit_index)
    if unit is None:
        await query.answer(onboarding.unit_missing_text())
        return
    await query.answer()
    await reply(
        update, context, onboarding.unbind(services, actor_of(update, context), button.user, unit)
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CommandHandler("units", units))
    application.add_handler(CallbackQueryHandler(unbind_button, pattern=cb.matches(cb.Unbind)))
