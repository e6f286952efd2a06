"""Updates from different chats run concurrently; each chat's updates run in order.

PTB processes one update at a time by default, so a slow send to one chat (a group held at
Telegram's 20 messages a minute) delayed every other chat's answer. With this processor
(`ApplicationBuilder().concurrent_updates(PerChatProcessor())`) a chat waits only for itself:
a person's /update is never overtaken by their next message, a dialogue's steps stay in order,
and a busy group never delays a private answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.intake import IntakeProcessor

MAX_CONCURRENT = 256


def chat_key(update: object) -> object:
    """What orders an update: its chat (a button press: the chat of its message), else its
    sender, else nothing (such updates run freely)."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatProcessor(IntakeProcessor):
    """The intake's processing (each update kept, marked handled once done, retried or parked),
    with one lock per chat: concurrent across chats, serial within one. Each update runs in
    its own asyncio task, so the store's per-update origin (a ContextVar) stays its own."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__()
        BaseUpdateProcessor.__init__(self, max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await super().do_process_update(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await super().do_process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle chats: the dict stays small
                del self._waiting[key]
                self._locks.pop(key, None)
