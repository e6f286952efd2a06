"""Dialogues that survive a restart: persistent conversations and their drafts, kept in the store.

python-telegram-bot keeps a ConversationHandler's state and `user_data` in memory; with this
persistence a dialogue marked `persistent=True` (the 更新进度 dialogue) picks up where it was
after a restart. Everything goes into the store's journalled ledger, so there is one durable
file set, no pickle, and a write is on disk once `Application.update_persistence` returns —
the Application runs it every UPDATE_INTERVAL seconds and on a clean stop.

Only the `user_data` keys named in `user_keys` are kept (the drafts of persistent dialogues):
other dialogues' drafts may hold values a JSON store cannot, and are not meant to outlive a
restart. Bot and chat data are not persisted: bot_data holds the live services.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.services import Services
from handlers.updates import DRAFT_KEY

ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
UPDATE_INTERVAL = 1.0  # seconds: at most this much of a dialogue is lost to kill -9
_CONVERSATION = "dialogue:conv:"
_USER = "dialogue:user:"


class DialoguePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Persistent conversations' states and drafts in the store's ledger."""

    def __init__(
        self,
        services: Callable[[], Services | None],
        user_keys: Iterable[str],
        update_interval: float = UPDATE_INTERVAL,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._services = services
        self._user_keys = tuple(user_keys)
        self._written: dict[int, dict[str, Any]] = {}  # what the store holds, to skip rewrites

    def _store(self) -> Any:
        services = self._services()
        return services.store if services is not None else None

    # -- user data: the drafts -------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        store = self._store()
        if store is None:
            return {}
        found: dict[int, dict[str, Any]] = {}
        for entry in store.ledger(_USER):
            if entry.get("data"):
                user_id = int(entry["key"].removeprefix(_USER))
                found[user_id] = dict(entry["data"])
        self._written = {k: dict(v) for k, v in found.items()}
        return found

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        kept = {k: data[k] for k in self._user_keys if data.get(k) is not None}
        if self._written.get(user_id, {}) == kept:
            return  # every update marks its user; most change nothing worth a write
        store = self._store()
        if store is None:
            return
        store.ledger_put(f"{_USER}{user_id}", data=kept or None)
        self._written[user_id] = kept

    async def drop_user_data(self, user_id: int) -> None:
        await self.update_user_data(user_id, {})

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """The in-memory copy is the live one: nothing to refresh."""

    # -- conversations -----------------------------------------------------------------------
    async def get_conversations(self, name: str) -> ConversationDict:
        store = self._store()
        if store is None:
            return {}
        prefix = f"{_CONVERSATION}{name}:"
        return {
            tuple(json.loads(entry["key"].removeprefix(prefix))): entry["state"]
            for entry in store.ledger(prefix)
            if entry.get("state") is not None
        }

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        store = self._store()
        if store is None:
            return
        store.ledger_put(f"{_CONVERSATION}{name}:{json.dumps(list(key))}", state=new_state)

    # -- what is not persisted ---------------------------------------------------------------
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        pass

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        pass

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        pass

    async def flush(self) -> None:
        """Each write is already in the store's journal."""


def dialogue_persistence(services: Callable[[], Services | None]) -> DialoguePersistence:
    """The persistence of the Application: the 更新进度 dialogue and its draft."""
    return DialoguePersistence(services, user_keys=(DRAFT_KEY,))
