"""The command menus: contacts see their commands; each coordinator's private chat sees all."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.features.access import CONTACT_COMMANDS, COORDINATOR_EXTRA
from bot.telegram.context import SERVICES, DubanApp

log = logging.getLogger(__name__)


def _commands(pairs: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, text[:256]) for name, text in pairs]


async def set_command_menus(application: DubanApp) -> None:
    """Contacts see their commands; each coordinator's private chat shows the full set."""
    bot, services = application.bot, application.bot_data[SERVICES]
    contact = _commands(CONTACT_COMMANDS)
    await bot.set_my_commands(contact, scope=BotCommandScopeDefault())
    await bot.set_my_commands(contact, scope=BotCommandScopeAllPrivateChats())
    for user_id in sorted(services.settings.coordinators):
        await set_coordinator_menu(bot, user_id)


async def set_coordinator_menu(bot: Bot, user_id: int) -> bool:
    """The full command menu in one coordinator's private chat; False if Telegram refused."""
    full = _commands(CONTACT_COMMANDS) + _commands(COORDINATOR_EXTRA)
    try:
        await bot.set_my_commands(full, scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:  # a coordinator who never opened the chat: set on their /start
        log.warning("no command menu for coordinator %s: %s", user_id, exc)
        return False
    return True
