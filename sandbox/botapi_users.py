"""The user side of the local Bot API: people who write, press and block; what tests observe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.botapi_core import ServerCore
from sandbox.botapi_model import (
    COMMAND_RE,
    GROUP_TYPES,
    ApiCall,
    ChatState,
    Event,
    Injection,
    Message,
)
from sandbox.telegram_html import utf16_len

log = logging.getLogger(__name__)
T = TypeVar("T")


class UserSide(ServerCore):
    """Users and groups acting on the bot, test knobs, and what was sent, for tests to read."""

    # ---------------------------------------------------------------- test knobs

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` ("*" = any but getUpdates) with an error."""
        self._injections.setdefault(method.lower(), []).append(
            Injection(status, description, retry_after, times)
        )

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next calls of `method` but answer only after `seconds` (a lost reply)."""
        self._delays.setdefault(method.lower(), []).extend([seconds] * times)

    # ---------------------------------------------------------------- user side

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = False,
    ) -> dict[str, Any]:
        """Register a Telegram user; `started` = they have already opened a chat with the bot."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        if started:
            self.started.add(user_id)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: list[int] | tuple[int, ...] = (),
        admins: list[int] | tuple[int, ...] = (),
        type: str = "supergroup",
    ) -> dict[str, Any]:
        """Create a group the bot is in; the first admin is its owner."""
        if type not in GROUP_TYPES:
            raise ValueError(f"group type must be one of {GROUP_TYPES}")
        chat = ChatState({"id": chat_id, "type": type, "title": title})
        chat.members = set(members) | set(admins)
        chat.admins = list(admins)
        self.chats[chat_id] = chat
        self._emit("chat", chat_id, dict(chat.info))
        return chat.info

    async def user_sends_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to: Message | int | None = None,
    ) -> Message:
        """The user sends `text` (to the bot's private chat unless `chat_id` names a group)."""
        if not text:
            raise ValueError("a message needs text")
        return await self._user_message(user_id, chat_id, reply_to, {"text": text})

    async def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: Message | int | None = None,
        chat_id: int | None = None,
        declared_size: int | None = None,
    ) -> Message:
        """The user sends a file; `declared_size` fakes a big file without its bytes."""
        mime_type = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._store_file(data, "documents", file_name, mime_type, declared_size)
        content: dict[str, Any] = {"document": stored.describe()}
        if caption:
            content["caption"] = caption
        return await self._user_message(user_id, chat_id, reply_to, content)

    async def user_sends_photo(
        self,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        reply_to: Message | int | None = None,
        chat_id: int | None = None,
        declared_size: int | None = None,
    ) -> Message:
        """The user sends a picture (as Telegram does: a list of sizes, no file name)."""
        stored = self._store_file(data, "photos", None, None, declared_size)
        content: dict[str, Any] = {"photo": self._photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return await self._user_message(user_id, chat_id, reply_to, content)

    async def user_presses_button(
        self, user_id: int, message: Message | int, callback_data: str, chat_id: int | None = None
    ) -> str:
        """The user presses the inline button carrying `callback_data`; returns the query id."""
        user = self._user(user_id)
        current = self._lookup(message, chat_id if chat_id is not None else user_id)
        buttons = [
            button
            for row in (current.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
        if not any(button.get("callback_data") == callback_data for button in buttons):
            shown = [button.get("callback_data") for button in buttons]
            raise ValueError(f"no button with callback_data {callback_data!r}; buttons: {shown}")
        query_id = str(self._take_id() * 7919 + 4_000_000_000_000)
        query = {
            "id": query_id,
            "from": user,
            "message": current,
            "chat_instance": str(abs(current["chat"]["id"]) * 31 + 17),
            "data": callback_data,
        }
        self.callback_queries[query_id] = query
        self._emit("callback_query", current["chat"]["id"], query)
        await self._push_update({"callback_query": query})
        return query_id

    async def user_blocks_bot(self, user_id: int) -> None:
        """The user blocks the bot: later sends to them fail with 403."""
        self.blocked.add(user_id)
        await self._push_member_change(user_id, "member", "kicked")
        self._emit("block", user_id, {"user_id": user_id, "blocked": True})

    async def user_unblocks_bot(self, user_id: int) -> None:
        """The user unblocks the bot (Telegram then lets the bot write again)."""
        if user_id in self.blocked:
            self.blocked.discard(user_id)
            await self._push_member_change(user_id, "kicked", "member")
            self._emit("block", user_id, {"user_id": user_id, "blocked": False})

    # ---------------------------------------------------------------- observing

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Recorded calls, optionally of one method (case-insensitive)."""
        if method is None:
            return list(self.sent)
        return [call for call in self.sent if call.method.lower() == method.lower()]

    def messages_to(self, chat_id: int, include_deleted: bool = False) -> list[Message]:
        """What the bot has sent to a chat, as it looks now (edits applied), oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            msg
            for mid, msg in chat.messages.items()
            if msg["from"]["id"] == self.bot_user["id"]
            and (include_deleted or mid not in chat.deleted)
        ]

    def history(self, chat_id: int) -> list[Message]:
        """Every message still in the chat, both sides, oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [msg for mid, msg in chat.messages.items() if mid not in chat.deleted]

    def message(self, chat_id: int, message_id: int) -> Message | None:
        chat = self.chats.get(chat_id)
        return None if chat is None else chat.messages.get(message_id)

    def chat(self, chat_id: int) -> dict[str, Any] | None:
        chat = self.chats.get(chat_id)
        return None if chat is None else chat.info

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (getUpdates with a higher offset)."""
        return list(self._updates)

    def commands_for(self, chat_id: int, user_id: int | None = None) -> list[dict[str, Any]]:
        """The command menu a user sees in a chat, resolving scopes as Telegram does."""
        chat = self.chats.get(chat_id)
        is_group = chat is not None and chat.is_group
        language = (self.users.get(user_id or chat_id) or {}).get("language_code", "")
        keys: list[str] = []
        if is_group:
            if user_id is not None:
                keys.append(f"chat_member:{chat_id}:{user_id}")
            if chat is not None and user_id in chat.admins:
                keys.append(f"chat_administrators:{chat_id}")
            keys.append(f"chat:{chat_id}")
            if chat is not None and user_id in chat.admins:
                keys.append("all_chat_administrators")
            keys.append("all_group_chats")
        else:
            keys += [f"chat:{chat_id}", "all_private_chats"]
        keys.append("default")
        for key in keys:
            for candidate in (f"{key}|{language}" if language else None, key):
                if candidate and candidate in self.commands:
                    return self.commands[candidate]
        return []

    async def wait_until(self, condition: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait until `condition()` is truthy (re-checked on every change); return its value."""
        assert self._cond is not None, "server not started"
        box: list[T] = []

        def check() -> bool:
            value = condition()
            if value:
                box.append(value)
                return True
            return False

        async with self._cond:
            async with asyncio.timeout(timeout):
                await self._cond.wait_for(check)
        return box[0]

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The oldest bot message in the chat not returned by an earlier call and matching."""

        def find() -> Message | None:
            for msg in self.messages_to(chat_id, include_deleted=True):
                key = (chat_id, msg["message_id"])
                if key not in self._returned and (predicate is None or predicate(msg)):
                    self._returned.add(key)
                    return msg
            return None

        try:
            return await self.wait_until(find, timeout)
        except TimeoutError:
            texts = [m.get("text") or m.get("caption") for m in self.messages_to(chat_id)]
            raise TimeoutError(
                f"no matching bot message in chat {chat_id} within {timeout}s; "
                f"the bot sent: {texts}"
            ) from None

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The bot's answerCallbackQuery for a button press."""
        return await self.wait_until(lambda: self.callback_answers.get(query_id), timeout)

    def listen(self) -> asyncio.Queue[Event]:
        """A queue that receives every event from now on (call `unlisten` when done)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._listeners.append(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[Event]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(queue)

    def subscribe(self, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call `callback(event)` (sync or async) on every event; returns the unsubscriber."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return unsubscribe

    async def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        reply_to: Message | int | None,
        content: dict[str, Any],
    ) -> Message:
        user = self._user(user_id)
        if chat_id is None or chat_id == user_id:
            chat = self._private_chat(user_id)
            self.started.add(user_id)
            await self.user_unblocks_bot(user_id)
        else:
            group = self.chats.get(chat_id)
            if group is None or not group.is_group:
                raise ValueError(f"unknown group {chat_id}; call add_group first")
            chat = group
            chat.members.add(user_id)
        target = None if reply_to is None else self._lookup(reply_to, chat.id)
        text = content.get("text") or content.get("caption") or ""
        commands = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": len(m[0])}
            for m in COMMAND_RE.finditer(text)
        ]
        if commands:
            content["entities" if "text" in content else "caption_entities"] = commands
        msg = self._add_message(chat, user, content, target)
        if self._bot_sees(chat, msg, commands):
            await self._push_update({"message": msg})
        return msg

    def _bot_sees(self, chat: ChatState, msg: Message, commands: list[dict[str, Any]]) -> bool:
        """Privacy mode: in groups a bot gets commands, replies to it and mentions only."""
        if not chat.is_group or not self.group_privacy:
            return True
        text = msg.get("text") or msg.get("caption") or ""
        replied = msg.get("reply_to_message", {}).get("from", {}).get("id")
        return bool(
            commands or replied == self.bot_user["id"] or f"@{self.bot_user['username']}" in text
        )

    async def _push_member_change(self, user_id: int, old: str, new: str) -> None:
        chat = self._private_chat(user_id)

        def member(status: str) -> dict[str, Any]:
            # A "kicked" member carries until_date (0 = for ever), as Telegram sends it.
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": self.bot_user, **extra}

        member_update = {
            "chat": dict(chat.info),
            "from": self._user(user_id),
            "date": self._now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        await self._push_update({"my_chat_member": member_update})
