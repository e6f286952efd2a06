"""A local Telegram Bot API server: the real bot talks to it, tests and the web chat play the users.

It speaks the documented HTTP protocol (``/bot<token>/<method>``, JSON / form / multipart in,
``{"ok": ..., "result" | "error_code", "description", "parameters"}`` out) closely enough that an
unmodified python-telegram-bot ``Application`` runs against it. Everything lives in memory.
Messages, users and chats are plain Bot API JSON dicts, so they can be streamed to a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
import mimetypes
import re
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from bot.sandbox.flood import FloodGate, FloodLimits
from bot.sandbox.telegram_html import EntityParseError, parse_html, trim, utf16_len

log = logging.getLogger(__name__)

Message = dict[str, Any]
T = TypeVar("T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD = 50 * 1024 * 1024  # bots may upload up to 50 MB
GROUP_TYPES = ("group", "supergroup")
# Update types delivered when allowed_updates is empty or was never set.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "user_id",
        "cache_time",
        "message_thread_id",
        "max_connections",
        "from_chat_id",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "scope",
        "commands",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "menu_button",
        "message_ids",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_message",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
    }
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, plus the description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class ApiCall:
    """One request the bot made: what it asked and what it got."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    at: float = 0.0  # time.time() when answered


@dataclass
class Event:
    """Something a watcher (the web chat) may want to show; `data` is Bot API JSON."""

    seq: int
    kind: str  # message, edit, delete, callback_query, callback_answer, chat_action, commands, ...
    chat_id: int | None
    data: dict[str, Any]
    at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StoredFile:
    """An uploaded file as the server keeps it."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            out["file_name"] = self.file_name
        if self.mime_type is not None:
            out["mime_type"] = self.mime_type
        return out


@dataclass
class _Injection:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Chat:
    info: dict[str, Any]  # the Bot API Chat object
    members: set[int] = field(default_factory=set)
    admins: list[int] = field(default_factory=list)
    messages: dict[int, Message] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1
    menu_button: dict[str, Any] = field(default_factory=lambda: {"type": "commands"})

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_group(self) -> bool:
        return self.info["type"] in GROUP_TYPES


class BotApiServer:
    """The Bot API on loopback, for one bot; the user side is driven through async methods."""

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
        self.chats: dict[int, _Chat] = {}
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
        self._injections: dict[str, list[_Injection]] = {}
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

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(): the token is appended by the library."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port, then readable from `self.port`)."""
        self._cond = asyncio.Condition()
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Release long polls and close the listener."""
        self._closing = True
        await self._notify()
        for task in [self._webhook_task, *self._background]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

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
            _Injection(status, description, retry_after, times)
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
        chat = _Chat({"id": chat_id, "type": type, "title": title})
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

    # ---------------------------------------------------------------- keeping state

    def export_state(self) -> dict[str, Any]:
        """Users, chats with their history, file descriptions and counters, as JSON data.

        File contents stay in `self.files` (the caller stores them). Pending updates, callback
        queries, commands and the call log are not kept: the bot sets them up again.
        """
        files = [
            {k: v for k, v in asdict(stored).items() if k != "data"}
            for stored in self.files.values()
        ]
        chats = [
            {
                "info": chat.info,
                "members": sorted(chat.members),
                "admins": chat.admins,
                "messages": list(chat.messages.values()),
                "deleted": sorted(chat.deleted),
                "next_message_id": chat.next_message_id,
                "menu_button": chat.menu_button,
            }
            for chat in self.chats.values()
        ]
        return {
            "users": list(self.users.values()),
            "started": sorted(self.started),
            "blocked": sorted(self.blocked),
            "chats": chats,
            "files": files,
            "next_update_id": self._next_update_id,
            "next_id": self._next_id,
        }

    def import_state(self, state: dict[str, Any], read_file: Callable[[str], bytes | None]) -> None:
        """Take back what `export_state` gave; `read_file(file_id)` returns a file's bytes."""
        for user in state.get("users", []):
            self.users[int(user["id"])] = user
        self.started |= {int(u) for u in state.get("started", [])}
        self.blocked |= {int(u) for u in state.get("blocked", [])}
        for saved in state.get("chats", []):
            chat = _Chat(
                saved["info"],
                members={int(m) for m in saved.get("members", [])},
                admins=[int(a) for a in saved.get("admins", [])],
                messages={int(m["message_id"]): m for m in saved.get("messages", [])},
                deleted={int(m) for m in saved.get("deleted", [])},
                next_message_id=int(saved.get("next_message_id", 1)),
                menu_button=saved.get("menu_button") or {"type": "commands"},
            )
            self.chats[chat.id] = chat
        for described in state.get("files", []):
            data = read_file(described["file_id"])
            if data is None:
                continue  # its message still shows; a download answers 404
            stored = StoredFile(data=data, **described)
            self.files[stored.file_id] = stored
            self._files_by_path[stored.file_path] = stored
        self._next_update_id = max(self._next_update_id, int(state.get("next_update_id", 0)))
        self._next_id = max(self._next_id, int(state.get("next_id", 0)))

    def continue_update_ids_after(self, update_id: int) -> None:
        """Number new updates above `update_id` (a bot drops ids it has already seen)."""
        self._next_update_id = max(self._next_update_id, update_id + 1)

    # ---------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        handler = self._methods.get(method.lower())
        if handler is None:
            # Telegram answers 404 too; the log line says which method the stand-in lacks.
            log.warning("Bot API method %s is not implemented by the sandbox", method)
            return self._error_response(ApiError(404, "Not Found"))
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._error_response(exc)
        try:
            self._inject(method)
            result = await handler(params)
        except ApiError as exc:
            self._record(method, params, exc)
            return self._error_response(exc)
        self._record(method, params, result)
        delays = self._delays.get(method.lower())
        if delays:
            await asyncio.sleep(delays.pop(0))
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    @staticmethod
    def _error_response(exc: ApiError) -> web.Response:
        return web.json_response(exc.payload(), status=exc.code, dumps=_dumps)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Merge query string and body (JSON, urlencoded or multipart) into typed params."""
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                raw.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                try:
                    form = await request.post()
                except web.HTTPRequestEntityTooLarge:
                    raise ApiError(413, "Request Entity Too Large") from None
                for key, value in form.items():
                    raw[key] = value
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                params[key] = _Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, str | bytes):
                text = value.decode() if isinstance(value, bytes) else value
                params[key] = _coerce(key, text)
            else:
                params[key] = value
        return params

    def _inject(self, method: str) -> None:
        for key in (method.lower(), "*"):
            if key == "*" and method.lower() == "getupdates":
                continue
            queue = self._injections.get(key)
            if queue:
                injection = queue[0]
                injection.times -= 1
                if injection.times <= 0:
                    queue.pop(0)
                raise ApiError(injection.status, injection.description, injection.retry_after)

    def _record(self, method: str, params: dict[str, Any], outcome: Any) -> None:
        shown = {k: v.describe() if isinstance(v, _Upload) else v for k, v in params.items()}
        if isinstance(outcome, ApiError):
            call = ApiCall(
                method, shown, False, None, outcome.code, outcome.description, time.time()
            )
        else:
            call = ApiCall(method, shown, True, outcome, at=time.time())
        self.sent.append(call)
        if method.lower() != "getupdates":
            self._emit("api_call", params.get("chat_id"), asdict(call), notify=False)

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

    def _private_chat(self, user_id: int) -> _Chat:
        chat = self.chats.get(user_id)
        if chat is None:
            user = self._user(user_id)
            info = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    info[key] = user[key]
            chat = self.chats[user_id] = _Chat(info, members={user_id})
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
        chat: _Chat,
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
            for m in _COMMAND_RE.finditer(text)
        ]
        if commands:
            content["entities" if "text" in content else "caption_entities"] = commands
        msg = self._add_message(chat, user, content, target)
        if self._bot_sees(chat, msg, commands):
            await self._push_update({"message": msg})
        return msg

    def _bot_sees(self, chat: _Chat, msg: Message, commands: list[dict[str, Any]]) -> bool:
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
        width, height = _image_size(stored.data)
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

    # ---------------------------------------------------------------- validation helpers

    def _target_chat(self, params: dict[str, Any]) -> _Chat:
        """The chat a send goes to; refuses unknown chats and users who cannot be written to."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None and chat.is_group:
            return chat
        if not isinstance(chat_id, int) or chat_id not in self.users:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return self._private_chat(chat_id)

    def _existing_message(self, chat: _Chat, message_id: Any, missing: str) -> Message:
        if not isinstance(message_id, int) or message_id not in chat.messages:
            raise bad_request(missing)
        if message_id in chat.deleted:
            raise bad_request(missing)
        return chat.messages[message_id]

    def _chat_for_edit(self, params: dict[str, Any], missing: str) -> _Chat:
        if params.get("inline_message_id"):
            raise bad_request(missing)
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> Message | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                raise bad_request("message to be replied not found")
        else:
            message_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        found = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if found is None or message_id in chat.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return found

    @staticmethod
    def _reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return markup  # reply keyboards and force_reply are stored as given
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
                actions = {
                    "callback_data",
                    "url",
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "callback_game",
                    "pay",
                    "web_app",
                    "copy_text",
                }
                if not actions & button.keys():
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
        # Empty keyboards behave as "no keyboard" in Telegram's answers.
        return markup if any(keyboard) else None

    @staticmethod
    def _formatted(
        text: str, params: dict[str, Any], entities_key: str, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """Apply parse_mode (HTML checked strictly), trim, and enforce the length limit."""
        mode = str(params.get("parse_mode") or "").lower()
        entities = params.get(entities_key) or []
        if mode == "html":
            try:
                text, entities = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif mode not in ("", "markdown", "markdownv2"):
            raise bad_request("unsupported parse_mode")
        text, entities = trim(text, entities)
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, entities

    def _flood_check(self, chat: _Chat) -> None:
        retry_after = self.flood.check(chat.id, chat.is_group, time.monotonic())
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _media_input(self, params: dict[str, Any], key: str, folder: str) -> StoredFile:
        """The file a send refers to: a fresh upload, an attach:// part or a known file_id."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, _Upload):
            if len(value.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type
            if mime in (None, "application/octet-stream") and value.filename:
                mime = mimetypes.guess_type(value.filename)[0] or mime
            name = value.filename if folder == "documents" else None
            return self._store_file(value.data, folder, name, mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        if not value:
            raise bad_request(f"there is no {key} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not caption:
            return {}
        text, entities = self._formatted(
            str(caption), params, "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        out: dict[str, Any] = {"caption": text} if text else {}
        if entities:
            out["caption_entities"] = entities
        return out

    async def _send(self, chat: _Chat, params: dict[str, Any], content: dict[str, Any]) -> Message:
        markup = self._reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._flood_check(chat)
        if markup is not None:
            content["reply_markup"] = markup
        return self._add_message(chat, self.bot_user, content, reply_to)

    # ---------------------------------------------------------------- Bot API methods

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._cond is not None
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if isinstance(timeout, str):
            with contextlib.suppress(ValueError):
                timeout = float(timeout)
        if not isinstance(limit, int) or not isinstance(timeout, int | float):
            raise bad_request("wrong parameter type")
        limit = min(max(limit, 1), 100)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self.long_polls += 1

        def ready() -> bool:
            return self._closing or generation != self._poll_generation or bool(self._deliverable())

        try:
            await self._notify()  # an older long poll still waiting is now superseded
            async with self._cond:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._cond.wait_for(ready)
        finally:
            self.long_polls -= 1
            self._notify_soon()
        if generation != self._poll_generation and not self._closing:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable()[:limit]

    def _deliverable(self) -> list[dict[str, Any]]:
        """Pending updates of allowed types; the others are dropped as Telegram does."""
        self._updates = [
            u
            for u in self._updates
            if next(k for k in u if k != "update_id") in self._allowed_updates
        ]
        return self._updates

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not re.match(r"https?://", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        self._poll_generation += 1
        await self._notify()
        self._kick_webhook()
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("last_error_date", "last_error_message"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        if info["url"]:
            info["max_connections"] = 40
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key = kind
        elif kind in ("chat", "chat_administrators"):
            key = f"{kind}:{scope.get('chat_id')}"
        elif kind == "chat_member":
            key = f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
        else:
            raise bad_request("wrong bot command scope type specified")
        language = params.get("language_code") or ""
        return f"{key}|{language}" if language else key

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not _BOT_COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        key = self._scope_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        self._emit("commands", None, {"scope": key, "commands": commands})
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        key = self._scope_key(params)
        self.commands.pop(key, None)
        self._emit("commands", None, {"scope": key, "commands": []})
        return True

    async def _api_setMyDescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyName(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setChatMenuButton(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        chat_id = params.get("chat_id")
        chats = [self.chats[chat_id]] if chat_id in self.chats else []
        if chat_id is None:
            self.default_menu_button = button
        for chat in chats:
            chat.menu_button = button
        return True

    async def _api_getChatMenuButton(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is not None:
            return chat.menu_button
        return self.default_menu_button

    async def _api_sendMessage(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise bad_request("message text is empty")
        text, entities = self._formatted(
            str(raw), params, "entities", MAX_TEXT, "message is too long"
        )
        if not text:
            raise bad_request("message text is empty")
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send(chat, params, content)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        caption = self._caption(params)
        stored = self._media_input(params, "document", "documents")
        return await self._send(chat, params, {"document": stored.describe(), **caption})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Message:
        chat = self._target_chat(params)
        caption = self._caption(params)
        stored = self._media_input(params, "photo", "photos")
        photo = self._photo_sizes(stored)
        return await self._send(chat, params, {"photo": photo, **caption})

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._target_chat(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._emit("chat_action", chat.id, {"chat_id": chat.id, "action": action})
        return True

    async def _api_editMessageText(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise bad_request("message text is empty")
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(
            str(raw), params, "entities", MAX_TEXT, "message is too long"
        )
        if not text:
            raise bad_request("message text is empty")
        changes: dict[str, Any] = {"text": text, "entities": entities or None}
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        changes["reply_markup"] = self._reply_markup(params)
        return self._edit(chat, msg, changes)

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        if "text" in msg:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(params)
        changes: dict[str, Any] = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
            "reply_markup": self._reply_markup(params),
        }
        return self._edit(chat, msg, changes)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Message:
        missing = "message to edit not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        return self._edit(chat, msg, {"reply_markup": self._reply_markup(params)})

    def _edit(self, chat: _Chat, msg: Message, changes: dict[str, Any]) -> Message:
        if msg["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        if all(msg.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = dict(msg)
        for key, value in changes.items():
            if value is None:
                edited.pop(key, None)
            else:
                edited[key] = value
        edited["edit_date"] = self._now()
        chat.messages[msg["message_id"]] = edited
        self._emit("edit", chat.id, edited)
        return edited

    async def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        missing = "message to delete not found"
        chat = self._chat_for_edit(params, missing)
        msg = self._existing_message(chat, params.get("message_id"), missing)
        chat.deleted.add(msg["message_id"])
        self._emit("delete", chat.id, {"chat_id": chat.id, "message_id": msg["message_id"]})
        return True

    async def _api_deleteMessages(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to delete not found")
        for message_id in params.get("message_ids") or []:
            if message_id in chat.messages and message_id not in chat.deleted:
                chat.deleted.add(message_id)
                self._emit("delete", chat.id, {"chat_id": chat.id, "message_id": message_id})
        return True

    async def _api_pinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to pin not found")
        msg = self._existing_message(chat, params.get("message_id"), "message to pin not found")
        self._emit("pin", chat.id, {"chat_id": chat.id, "message_id": msg["message_id"]})
        return True

    async def _api_unpinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_edit(params, "message to unpin not found")
        self._emit("unpin", chat.id, {"chat_id": chat.id, "message_id": params.get("message_id")})
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = {
            "callback_query_id": query_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
        }
        self.callback_answers[query_id] = answer
        chat_id = self.callback_queries[query_id]["message"]["chat"]["id"]
        self._emit("callback_answer", chat_id, answer)
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": quote(stored.file_path),
        }

    async def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    async def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        user_id = params.get("user_id")
        if user_id == self.bot_user["id"]:
            return {"status": "member", "user": self.bot_user}
        user = self.users.get(user_id)  # type: ignore[arg-type]
        if user is None:
            raise bad_request("user not found")
        if chat.admins and user_id == chat.admins[0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        if user_id in chat.members:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    async def _api_getChatMemberCount(self, params: dict[str, Any]) -> int:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return len(chat.members) + 1


_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


@dataclass
class _Upload:
    """A multipart file part."""

    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"file_name": self.filename, "mime_type": self.content_type, "size": len(self.data)}


def _coerce(key: str, value: str) -> Any:
    """Form values are strings; give the well-known parameters their JSON types."""
    if key in _INT_PARAMS:
        with contextlib.suppress(ValueError):
            return int(value)
        return value
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; a plausible default otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 800, 600
