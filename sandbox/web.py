"""The sandbox's web chat: a JSON API and a live event stream over the local Bot API server.

The page plays the users: it sends as whoever the visitor picked, presses inline buttons and
uploads files through `BotApiServer`'s user-side methods, and shows what the bot sends through
server-sent events. It also drives the rehearsal clock. Loopback only; no authentication.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from bot.domain.status import format_day
from sandbox.botapi import BotApiServer, Event

log = logging.getLogger(__name__)

STATIC = Path(str(resources.files("sandbox") / "static"))
FIRST_NEW_USER = 3001
MAX_UPLOAD = 20 * 1024 * 1024
# Event kinds the page shows; api_call and the rest stay on the server.
SHOWN_KINDS = frozenset(
    {"message", "edit", "delete", "callback_answer", "chat_action", "commands", "chat", "clock"}
)
HEARTBEAT = 15.0  # seconds between SSE comments, so proxies and browsers keep the stream

PEOPLE: web.AppKey[Callable[[], list[dict[str, Any]]]] = web.AppKey("people")
SERVER: web.AppKey[BotApiServer] = web.AppKey("server")
CLOCK: web.AppKey[Any] = web.AppKey("clock")
CLIENTS: web.AppKey[set[asyncio.Queue[dict[str, Any] | None]]] = web.AppKey("clients")
SCHEDULE: web.AppKey[dict[str, Any]] = web.AppKey("schedule")
ON_CLOCK: web.AppKey[Callable[[], None]] = web.AppKey("on_clock_change")
# (the instant to jump to, how many reminders go out a minute later) | None when nothing is due
NEXT_REMINDERS: web.AppKey[Callable[[datetime], tuple[datetime, int] | None]] = web.AppKey(
    "next_reminders"
)
UNSUBSCRIBE: web.AppKey[Callable[[], None]] = web.AppKey("unsubscribe")


class ApiProblem(web.HTTPException):
    """A JSON error answer for the page."""

    def __init__(self, status: int, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": message}, ensure_ascii=False),
            content_type="application/json",
        )


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_app(
    server: BotApiServer,
    *,
    people: Callable[[], list[dict[str, Any]]] | None = None,
    clock: Any = None,
    on_clock_change: Callable[[], None] | None = None,
    schedule: dict[str, Any] | None = None,
    next_reminders: Callable[[datetime], tuple[datetime, int] | None] | None = None,
) -> web.Application:
    """The web chat over `server`.

    `people` lists who may be played (users the server knows besides them are offered as new
    people), `clock` is the rehearsal clock the panel moves, `on_clock_change` runs after every
    move (the sandbox re-times the bot's tick job with it), and `schedule` tells the panel when
    reminders and the weekly summary go out (`reminder`: "HH:MM", `summary_weekday`: 0 = Monday,
    `summary_time`: "HH:MM"); `next_reminders(now)` finds the next morning that has reminders to
    send: (a minute before its sweep, how many), or None.
    """
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
    app[SERVER] = server
    app[PEOPLE] = people or (lambda: [])
    app[CLOCK] = clock
    app[ON_CLOCK] = on_clock_change or (lambda: None)
    app[NEXT_REMINDERS] = next_reminders or (lambda now: None)
    app[CLIENTS] = set()
    app[SCHEDULE] = schedule or {}
    r = app.router
    r.add_get("/", _index)
    r.add_static("/static/", STATIC, append_version=True)
    r.add_get("/api/state", _state)
    r.add_get("/api/people", _people)
    r.add_post("/api/people", _new_person)
    r.add_get("/api/chats", _chats)
    r.add_get("/api/chats/{chat_id}/messages", _messages)
    r.add_post("/api/chats/{chat_id}/messages", _send_text)
    r.add_post("/api/chats/{chat_id}/files", _send_file)
    r.add_post("/api/chats/{chat_id}/press", _press)
    r.add_get("/api/chats/{chat_id}/commands", _commands)
    r.add_get("/api/files/{file_id}", _file)
    r.add_get("/api/clock", _clock)
    r.add_post("/api/clock", _set_clock)
    r.add_post("/api/clock/next-reminders", _next_reminders)
    r.add_get("/api/events", _events)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    return app


# ------------------------------------------------------------------------- lifecycle


async def _on_startup(app: web.Application) -> None:
    server = app[SERVER]

    def fan_out(event: Event) -> None:
        if event.kind in SHOWN_KINDS:
            _broadcast(app, event.to_json())

    app[UNSUBSCRIBE] = server.subscribe(fan_out)


async def _on_shutdown(app: web.Application) -> None:
    if UNSUBSCRIBE in app:
        app[UNSUBSCRIBE]()
    clients = app[CLIENTS]
    for queue in [*clients]:
        queue.put_nowait(None)  # ends the event streams


def _broadcast(app: web.Application, event: dict[str, Any]) -> None:
    clients = app[CLIENTS]
    for queue in [*clients]:
        queue.put_nowait(event)


# ------------------------------------------------------------------------- helpers


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiProblem(400, f"{what} 应为整数") from None


def _all_people(app: web.Application) -> list[dict[str, Any]]:
    """The listed people, then every other user the server knows (people made on the page)."""
    listed = app[PEOPLE]()
    known = {p["user_id"] for p in listed}
    others = [
        {"user_id": uid, "name": user["first_name"], "units": [], "role": "new"}
        for uid, user in sorted(app[SERVER].users.items())
        if uid not in known
    ]
    return listed + others


def _user(request: web.Request, value: Any = None) -> int:
    """The user the request acts as; must be a user the server knows."""
    raw = value if value is not None else request.query.get("user_id")
    user_id = _int(raw, "user_id")
    server = request.app[SERVER]
    if user_id not in server.users:
        person = next((p for p in _all_people(request.app) if p["user_id"] == user_id), None)
        if person is None:
            raise ApiProblem(404, f"没有这个用户：{user_id}")
        server.add_user(user_id, person["name"])
    return user_id


def _visible(server: BotApiServer, user_id: int, chat_id: int) -> bool:
    if chat_id == user_id:
        return True
    chat = server.chats.get(chat_id)
    return chat is not None and chat.is_group and user_id in chat.members


def _chat_id(request: web.Request, user_id: int) -> int:
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    if not _visible(request.app[SERVER], user_id, chat_id):
        raise ApiProblem(403, "你不在这个聊天里")
    return chat_id


def _target(chat_id: int, user_id: int) -> int | None:
    """BotApiServer's chat_id argument: None for the private chat with the bot."""
    return None if chat_id == user_id else chat_id


def _reply_to(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return _int(value, "reply_to")


def _chat_summary(server: BotApiServer, chat_id: int, user_id: int) -> dict[str, Any]:
    history = server.history(chat_id)
    if chat_id == user_id:
        info = {
            "id": chat_id,
            "type": "private",
            "title": server.bot_user["first_name"],
            "username": server.bot_user.get("username"),
        }
    else:
        chat = server.chat(chat_id) or {}
        info = {"id": chat_id, "type": chat.get("type"), "title": chat.get("title")}
        info["members"] = len(server.chats[chat_id].members) + 1
    info["last"] = history[-1] if history else None
    return info


def _clock_json(clock: Any) -> dict[str, Any] | None:
    if clock is None:
        return None
    now = clock.now()
    return {
        "now": now.isoformat(timespec="seconds"),
        "epoch_ms": int(now.timestamp() * 1000),
        "speed": float(clock.speed),
        "tz": str(getattr(clock, "tz", "")),
        "settable": hasattr(clock, "set"),
    }


# ------------------------------------------------------------------------- handlers


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _state(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    return _json(
        {
            "bot": server.bot_user,
            "clock": _clock_json(request.app[CLOCK]),
            "schedule": request.app[SCHEDULE],
            "people": _all_people(request.app),
        }
    )


async def _people(request: web.Request) -> web.Response:
    return _json(_all_people(request.app))


async def _new_person(request: web.Request) -> web.Response:
    body = await _body(request)
    name = str(body.get("name") or "").strip()
    if not name:
        raise ApiProblem(400, "请填写名字")
    if len(name) > 64:
        raise ApiProblem(400, "名字太长")
    server = request.app[SERVER]
    taken = set(server.users) | {p["user_id"] for p in _all_people(request.app)}
    user_id = FIRST_NEW_USER
    while user_id in taken:
        user_id += 1
    server.add_user(user_id, name)
    return _json({"user_id": user_id, "name": name, "units": [], "role": "new"}, status=201)


async def _chats(request: web.Request) -> web.Response:
    user_id = _user(request)
    server = request.app[SERVER]
    chats = [_chat_summary(server, user_id, user_id)]
    for chat_id, chat in server.chats.items():
        if chat.is_group and user_id in chat.members:
            chats.append(_chat_summary(server, chat_id, user_id))
    return _json(chats)


async def _messages(request: web.Request) -> web.Response:
    user_id = _user(request)
    chat_id = _chat_id(request, user_id)
    return _json(request.app[SERVER].history(chat_id))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiProblem(400, "请求体应为 JSON") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "请求体应为 JSON 对象")
    return body


async def _send_text(request: web.Request) -> web.Response:
    body = await _body(request)
    user_id = _user(request, body.get("user_id"))
    chat_id = _chat_id(request, user_id)
    text = str(body.get("text") or "")
    if not text.strip():
        raise ApiProblem(400, "消息不能为空")
    if len(text) > 4096:
        raise ApiProblem(400, "消息太长（最多 4096 字）")
    server = request.app[SERVER]
    try:
        msg = await server.user_sends_text(
            user_id,
            text,
            chat_id=_target(chat_id, user_id),
            reply_to=_reply_to(body.get("reply_to")),
        )
    except ValueError as exc:
        raise ApiProblem(400, str(exc)) from None
    return _json(msg, status=201)


async def _send_file(request: web.Request) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        raise ApiProblem(400, "请用 multipart/form-data 上传文件")
    form = await request.post()
    user_id = _user(request, form.get("user_id"))
    chat_id = _chat_id(request, user_id)
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise ApiProblem(400, "没有收到文件")
    data = upload.file.read()
    if not data:
        raise ApiProblem(400, "文件是空的")
    raw_name = upload.filename or "file"
    if raw_name.isascii() and "%" in raw_name:
        raw_name = unquote(raw_name)  # aiohttp's own client percent-encodes non-ASCII names
    name = Path(raw_name).name or "file"
    mime = upload.content_type
    if mime in (None, "", "application/octet-stream"):
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    caption = str(form.get("caption") or "").strip() or None
    if caption and len(caption) > 1024:
        raise ApiProblem(400, "说明太长（最多 1024 字）")
    kind = str(form.get("kind") or "auto")
    as_photo = kind == "photo" or (
        kind == "auto" and mime in ("image/jpeg", "image/png", "image/gif", "image/webp")
    )
    server = request.app[SERVER]
    target, reply_to = _target(chat_id, user_id), _reply_to(form.get("reply_to"))
    try:
        if as_photo:
            msg = await server.user_sends_photo(
                user_id, data, caption=caption, reply_to=reply_to, chat_id=target
            )
        else:
            msg = await server.user_sends_document(
                user_id, data, name, mime, caption=caption, reply_to=reply_to, chat_id=target
            )
    except ValueError as exc:
        raise ApiProblem(400, str(exc)) from None
    return _json(msg, status=201)


async def _press(request: web.Request) -> web.Response:
    body = await _body(request)
    user_id = _user(request, body.get("user_id"))
    chat_id = _chat_id(request, user_id)
    message_id = _int(body.get("message_id"), "message_id")
    data = str(body.get("data") or "")
    try:
        query_id = await request.app[SERVER].user_presses_button(
            user_id, message_id, data, chat_id=chat_id
        )
    except ValueError as exc:
        raise ApiProblem(400, str(exc)) from None
    return _json({"query_id": query_id}, status=201)


async def _commands(request: web.Request) -> web.Response:
    user_id = _user(request)
    chat_id = _chat_id(request, user_id)
    return _json(request.app[SERVER].commands_for(chat_id, user_id))


async def _file(request: web.Request) -> web.Response:
    stored = request.app[SERVER].files.get(request.match_info["file_id"])
    if stored is None:
        raise ApiProblem(404, "没有这个文件")
    mime = _image_type(stored.data) or stored.mime_type or ""
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    # Only raster images show inline; anything else (HTML, SVG…) must never run as a page here.
    if mime.startswith("image/") and mime != "image/svg+xml":
        disposition = "inline"
    else:
        mime, disposition = "application/octet-stream", "attachment"
    name = quote(stored.file_name or Path(stored.file_path).name)
    headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{name}"
    return web.Response(body=stored.data, content_type=mime, headers=headers)


def _image_type(data: bytes) -> str | None:
    """The raster image type the bytes really are (photos arrive without a type)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def _clock(request: web.Request) -> web.Response:
    data = _clock_json(request.app[CLOCK])
    if data is None:
        raise ApiProblem(404, "没有模拟时钟")
    return _json(data)


async def _set_clock(request: web.Request) -> web.Response:
    clock = request.app[CLOCK]
    if clock is None or not hasattr(clock, "set"):
        raise ApiProblem(409, "时钟不可调整")
    body = await _body(request)
    instant: datetime | None = None
    if body.get("at"):
        try:
            instant = datetime.fromisoformat(str(body["at"]))
        except ValueError:
            raise ApiProblem(400, f"时间格式不对：{body['at']}") from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=clock.tz)
    if body.get("advance_minutes") not in (None, ""):
        try:
            minutes = float(body["advance_minutes"])
        except (TypeError, ValueError):
            raise ApiProblem(400, "advance_minutes 应为数字") from None
        instant = (instant or clock.now()) + timedelta(minutes=minutes)
    speed: float | None = None
    if body.get("speed") not in (None, ""):
        try:
            speed = float(body["speed"])
        except (TypeError, ValueError):
            raise ApiProblem(400, "speed 应为数字") from None
        if not 0 < speed <= 100_000:
            raise ApiProblem(400, "速度应在 0 到 100000 之间")
    if instant is None and speed is None:
        raise ApiProblem(400, "请给出 at、advance_minutes 或 speed")
    return _json(_move_clock(request.app, instant, speed))


def _move_clock(app: web.Application, instant: datetime | None, speed: float | None) -> Any:
    """Set the clock, re-time the bot, tell every page; the clock as the panel reads it."""
    clock = app[CLOCK]
    clock.set(instant, speed)
    try:
        app[ON_CLOCK]()
    except Exception:  # the clock moved all the same; the bot catches up at its next tick
        log.exception("clock change hook failed")
    data = _clock_json(clock)
    _broadcast(app, {"seq": 0, "kind": "clock", "chat_id": None, "data": data})
    return data


async def _next_reminders(request: web.Request) -> web.Response:
    """To a minute before the next sweep with something to send; or say nothing is due."""
    clock = request.app[CLOCK]
    if clock is None or not hasattr(clock, "set"):
        raise ApiProblem(409, "时钟不可调整")
    found = request.app[NEXT_REMINDERS](clock.now())
    if found is None:
        return _json(
            {
                "clock": _clock_json(clock),
                "moved": False,
                "message": "接下来一年内没有要发的提醒（没有到期、逾期或要报送的事项），时钟没有移动。",
            }
        )
    instant, count = found
    data = _move_clock(request.app, instant, None)
    message = (
        f"时钟已到 {format_day(instant.date())} {instant:%H:%M}：一分钟后发出 {count} 条提醒。"
    )
    return _json({"clock": data, "moved": True, "count": count, "message": message})


async def _events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: what happens in the chats this user can see, and clock changes."""
    user_id = _user(request)
    server = request.app[SERVER]
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    request.app[CLIENTS].add(queue)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    try:
        await response.prepare(request)
        await response.write(b"retry: 1000\n: hello\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if event is None:
                break
            if not _event_for(server, user_id, event):
                continue
            payload = json.dumps(event, ensure_ascii=False)
            await response.write(f"event: {event['kind']}\ndata: {payload}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        request.app[CLIENTS].discard(queue)
    return response


def _event_for(server: BotApiServer, user_id: int, event: dict[str, Any]) -> bool:
    """Whether the user sees this event (their chats only; a button answer only to its presser)."""
    kind, chat_id = event["kind"], event.get("chat_id")
    if kind in ("clock", "commands"):
        return True
    if kind == "chat":
        return user_id in (server.chats[chat_id].members if chat_id in server.chats else ())
    if chat_id is None or not _visible(server, user_id, int(chat_id)):
        return False
    if kind == "callback_answer":
        query = server.callback_queries.get(str(event["data"].get("callback_query_id")))
        return query is not None and query["from"]["id"] == user_id
    return True
