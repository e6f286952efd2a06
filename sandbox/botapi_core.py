"""The local Bot API's state and its plumbing: ids, updates, chats, messages, files, webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import mimetypes
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from sandbox.botapi_model import (
    DEFAULT_UPDATE_TYPES,
    ApiCall,
    ChatState,
    Clock,
    Event,
    Injection,
    Message,
    StoredFile,
    image_size,
)
from sandbox.flood import FloodGate, FloodLimits

log = logging.getLogger(__name__)


class ServerCore:
    """What the Bot API methods and the user side share: the state and how it changes."""

    def __init__(
        self,
        token: str = "123:ABC",
        bot_username: str = "duban_bot",
        bot_name: str = "督办助手",
        *,
        flood_limits: FloodLimits | bool = False,
        clock: Clock | None = None,
        group_privacy: bool = True,
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not group_privacy,
            "supports_inline_queries": False,
        }
        if isinstance(flood_limits, bool):
            flood_limits = FloodLimits(enabled=flood_limits)
        self.flood = FloodGate(flood_limits)
        self.clock = clock
        self.group_privacy = group_privacy
        self.host = "127.0.0.1"
        self.port = 0

        self.users: dict[int, dict[str, Any]] = {}
        self.started: set[int] = set()  # users who have messaged the bot in private
        self.blocked: set[int] = set()
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.default_menu_button: dict[str, Any] = {"type": "commands"}
        self.sent: list[ApiCall] = []
        self.events: list[Event] = []
        self.long_polls = 0  # getUpdates calls waiting right now

        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._next_id = 1  # file numbers and callback query ids
        self._returned: set[tuple[int, int]] = set()  # (chat, message) given by wait_for_message
        self._injections: dict[str, list[Injection]] = {}
        self._delays: dict[str, list[float]] = {}
        self._listeners: list[asyncio.Queue[Event]] = []
        self._callbacks: list[Callable[[Event], Any]] = []
        self._cond: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            name[len("_api_") :].lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }

    # ---------------------------------------------------------------- state plumbing

    def _now(self) -> int:
        if self.clock is not None:
            return int(self.clock.now().timestamp())
        return int(time.time())

    def _emit(
        self, kind: str, chat_id: int | None, data: dict[str, Any], notify: bool = True
    ) -> Event:
        event = Event(len(self.events) + 1, kind, chat_id, data, time.time())
        self.events.append(event)
        for queue in self._listeners:
            queue.put_nowait(event)
        for callback in list(self._callbacks):
            try:
                outcome = callback(event)
                if inspect.isawaitable(outcome):
                    task = asyncio.ensure_future(outcome)
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
            except Exception:
                log.exception("event subscriber failed")
        if notify:
            self._notify_soon()
        return event

    def _notify_soon(self) -> None:
        if self._cond is None:
            return
        with contextlib.suppress(RuntimeError):
            task = asyncio.get_running_loop().create_task(self._notify())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _notify(self) -> None:
        if self._cond is None:
            return
        async with self._cond:
            self._cond.notify_all()

    async def _push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        await self._notify()
        self._kick_webhook()
        return update

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user first")
        return user

    def _private_chat(self, user_id: int) -> ChatState:
        chat = self.chats.get(user_id)
        if chat is None:
            user = self._user(user_id)
            info = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    info[key] = user[key]
            chat = self.chats[user_id] = ChatState(info, members={user_id})
        return chat

    def _lookup(self, message: Message | int, chat_id: int) -> Message:
        if isinstance(message, dict):
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        else:
            message_id = message
        chat = self.chats.get(chat_id)
        if chat is None or message_id not in chat.messages or message_id in chat.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        return chat.messages[message_id]

    def _add_message(
        self,
        chat: ChatState,
        sender: dict[str, Any],
        content: dict[str, Any],
        reply_to: Message | None = None,
    ) -> Message:
        msg: Message = {
            "message_id": chat.next_message_id,
            "from": sender,
            "chat": dict(chat.info),
            "date": self._now(),
        }
        chat.next_message_id += 1
        if reply_to is not None:
            msg["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        msg.update(content)
        chat.messages[msg["message_id"]] = msg
        self._emit("message", chat.id, msg)
        return msg

    def _store_file(
        self,
        data: bytes,
        folder: str,
        file_name: str | None,
        mime_type: str | None,
        declared_size: int | None = None,
    ) -> StoredFile:
        digest = hashlib.sha256(data if declared_size is None else secrets.token_bytes(16))
        n = self._take_id()
        suffix = (
            (mimetypes.guess_extension(mime_type or "") or "") if folder != "photos" else ".jpg"
        )
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1][:10]
        stored = StoredFile(
            file_id=f"{'AgAC' if folder == 'photos' else 'BQAC'}{n:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AQAD{digest.hexdigest()[:16]}",
            data=data,
            file_size=declared_size if declared_size is not None else len(data),
            file_path=f"{folder}/file_{n}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
        width, height = image_size(stored.data)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.file_size,
            }
        ]

    def _kick_webhook(self) -> None:
        """Start pushing updates to the webhook if one is set and reachable on loopback."""
        url = self.webhook.get("url")
        if not url or (self._webhook_task and not self._webhook_task.done()):
            return
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            return  # no network beyond loopback: the update stays pending
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook(url))

    async def _deliver_webhook(self, url: str) -> None:
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while self._updates and self.webhook.get("url") == url and not self._closing:
                update = self._updates[0]
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        ok = 200 <= response.status < 300
                        error = f"Wrong response from the webhook: {response.status}"
                except Exception as exc:  # any failure is retried, as Telegram does
                    ok, error = False, f"Connection failed: {exc}"
                if ok:
                    if self._updates and self._updates[0] is update:
                        self._updates.pop(0)
                    await self._notify()
                else:
                    self.webhook["last_error_date"] = self._now()
                    self.webhook["last_error_message"] = error
                    await asyncio.sleep(0.2)
