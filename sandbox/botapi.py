"""A local Telegram Bot API server: the real bot talks to it, tests and the web chat play the users.

It speaks the documented HTTP protocol (``/bot<token>/<method>``, JSON / form / multipart in,
``{"ok": ..., "result" | "error_code", "description", "parameters"}`` out) closely enough that an
unmodified python-telegram-bot ``Application`` runs against it. Everything lives in memory.
Messages, users and chats are plain Bot API JSON dicts, so they can be streamed to a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import ROOT
from sandbox.botapi_methods import BotApiMethods
from sandbox.botapi_model import (
    MAX_UPLOAD,
    ApiCall,
    ApiError,
    ChatState,
    Event,
    Message,
    StoredFile,
    Upload,
    bad_request,
    coerce_param,
    dumps,
)
from sandbox.botapi_users import UserSide

__all__ = ["ApiCall", "ApiError", "BotApiServer", "Event", "Message", "StoredFile"]

log = logging.getLogger(__name__)


class BotApiServer(UserSide, BotApiMethods):
    """The Bot API on loopback, for one bot; the user side is driven through async methods."""

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(): the token is appended by the library."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def child_env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        """The environment of a `duban` child process: this one without its DUBAN_/TELEGRAM_
        settings, pointed at this stand-in and `data_dir`, with `extra` over it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "TELEGRAM_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=self.token,
            TELEGRAM_API_BASE_URL=self.base_url,
            TELEGRAM_FILE_BASE_URL=self.base_file_url,
            DUBAN_DATA_DIR=str(data_dir),
            PYTHONPATH=str(ROOT),
            **extra,
        )
        return env

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
            chat = ChatState(
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
        return web.json_response({"ok": True, "result": result}, dumps=dumps)

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
        return web.json_response(exc.payload(), status=exc.code, dumps=dumps)

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
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, str | bytes):
                text = value.decode() if isinstance(value, bytes) else value
                params[key] = coerce_param(key, text)
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
        shown = {k: v.describe() if isinstance(v, Upload) else v for k, v in params.items()}
        if isinstance(outcome, ApiError):
            call = ApiCall(
                method, shown, False, None, outcome.code, outcome.description, time.time()
            )
        else:
            call = ApiCall(method, shown, True, outcome, at=time.time())
        self.sent.append(call)
        if method.lower() != "getupdates":
            self._emit("api_call", params.get("chat_id"), _copied(call), notify=False)


def _copied(call: ApiCall) -> dict[str, Any]:
    """The call as JSON data of its own (a later edit of its message does not change it);
    a JSON round trip, as a watcher would see it, is many times faster than `asdict`."""
    try:
        copied: dict[str, Any] = json.loads(dumps(vars(call)))
    except (TypeError, ValueError):
        return asdict(call)
    return copied
