"""The sandbox web chat's JSON API and event stream, over a bare local Bot API (no bot)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.clock import SHANGHAI, FixedClock
from sandbox.botapi import BotApiServer
from sandbox.web import create_app

COORD, ALICE, GROUP = 1001, 2001, -100500
PEOPLE = [
    {"user_id": COORD, "name": "王主任", "units": ["区发改局"], "role": "coordinator"},
    {"user_id": ALICE, "name": "李科长", "units": ["区司法局"], "role": "contact"},
]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    + b"\x00" * 16
)


class Env:
    def __init__(self, api: BotApiServer, client: TestClient, clock: FixedClock) -> None:
        self.api, self.client, self.clock = api, client, clock
        self.clock_changes = 0

    async def bot_sends(self, chat_id: int, text: str, **params: Any) -> dict[str, Any]:
        """Call the Bot API as the bot would."""
        url = f"{self.api.base_url}{self.api.token}/sendMessage"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json={"chat_id": chat_id, "text": text, **params}) as r:
                body = await r.json()
        assert body["ok"], body
        return body["result"]

    async def get(self, path: str, status: int = 200) -> Any:
        r = await self.client.get(path)
        assert r.status == status, await r.text()
        return await r.json()

    async def post(self, path: str, body: Any, status: int = 201) -> Any:
        r = await self.client.post(path, json=body)
        assert r.status == status, await r.text()
        return await r.json()


@pytest.fixture
async def env(botapi: BotApiServer) -> AsyncIterator[Env]:
    botapi.add_user(COORD, "王主任", started=True)
    botapi.add_user(ALICE, "李科长", started=True)
    botapi.add_group(GROUP, "协调群", members=[COORD, ALICE], admins=[COORD])
    clock = FixedClock(datetime(2021, 6, 28, 8, 58, tzinfo=SHANGHAI))
    holder: list[Env] = []

    def changed() -> None:
        holder[0].clock_changes += 1

    app = create_app(botapi, people=lambda: list(PEOPLE), clock=clock, on_clock_change=changed)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    holder.append(Env(botapi, client, clock))
    try:
        yield holder[0]
    finally:
        await client.close()


async def test_page_and_static_files_are_served(env: Env) -> None:
    r = await env.client.get("/")
    assert r.status == 200
    page = await r.text()
    assert "督办助手" in page and "/static/app.js" in page
    for name in ("app.js", "app.css"):
        r = await env.client.get(f"/static/{name}")
        assert r.status == 200
    assert ".innerHTML" not in await (await env.client.get("/static/app.js")).text()


async def test_state_lists_bot_clock_and_people(env: Env) -> None:
    state = await env.get("/api/state")
    assert state["bot"]["username"] == "duban_bot"
    assert state["clock"]["now"] == "2021-06-28T08:58:00+08:00"
    assert [p["user_id"] for p in state["people"]] == [COORD, ALICE]


async def test_new_person_gets_a_fresh_id_and_is_listed(env: Env) -> None:
    person = await env.post("/api/people", {"name": "赵科员"})
    assert person == {"user_id": 3001, "name": "赵科员", "units": [], "role": "new"}
    assert env.api.users[3001]["first_name"] == "赵科员"
    second = await env.post("/api/people", {"name": "钱科员"})
    assert second["user_id"] == 3002
    people = await env.get("/api/people")
    assert [p["user_id"] for p in people] == [COORD, ALICE, 3001, 3002]
    await env.post("/api/people", {"name": "  "}, status=400)
    await env.post("/api/people", {"name": "长" * 65}, status=400)


async def test_users_the_server_knows_are_offered_as_new_people(env: Env) -> None:
    """People made on the page in an earlier run come back with the server's saved users."""
    env.api.add_user(3007, "钱科员")
    people = await env.get("/api/people")
    assert people[-1] == {"user_id": 3007, "name": "钱科员", "units": [], "role": "new"}
    assert (await env.post("/api/people", {"name": "孙科员"}))["user_id"] == 3001


async def test_state_tells_the_clock_panel_the_schedule(botapi: BotApiServer) -> None:
    slots = {"reminder": "09:00", "summary_weekday": 4, "summary_time": "16:00"}
    client = TestClient(TestServer(create_app(botapi, schedule=slots), host="127.0.0.1"))
    await client.start_server()
    try:
        state = await (await client.get("/api/state")).json()
    finally:
        await client.close()
    assert state["schedule"] == slots and state["clock"] is None


async def test_chats_are_the_private_chat_and_the_groups_one_is_in(env: Env) -> None:
    chats = await env.get(f"/api/chats?user_id={ALICE}")
    assert [(c["id"], c["type"]) for c in chats] == [(ALICE, "private"), (GROUP, "supergroup")]
    assert chats[0]["title"] == "督办助手"
    newcomer = await env.post("/api/people", {"name": "赵科员"})
    chats = await env.get(f"/api/chats?user_id={newcomer['user_id']}")
    assert [c["id"] for c in chats] == [newcomer["user_id"]]
    await env.get("/api/chats?user_id=999", status=404)
    await env.get("/api/chats?user_id=abc", status=400)


async def test_sending_text_reaches_the_bot_with_reply_to(env: Env) -> None:
    sent = await env.post(f"/api/chats/{ALICE}/messages", {"user_id": ALICE, "text": "/mytasks"})
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]
    assert env.api.pending_updates()[-1]["message"]["text"] == "/mytasks"
    bot_msg = await env.bot_sends(ALICE, "<b>#18</b> 全面推行信用承诺制", parse_mode="HTML")
    reply = await env.post(
        f"/api/chats/{ALICE}/messages",
        {"user_id": ALICE, "text": "已完成初稿", "reply_to": bot_msg["message_id"]},
    )
    assert reply["reply_to_message"]["message_id"] == bot_msg["message_id"]
    history = await env.get(f"/api/chats/{ALICE}/messages?user_id={ALICE}")
    assert [m["message_id"] for m in history] == [1, 2, 3]
    # The server keeps the text and entities, never the markup: the page renders entities.
    assert history[1]["text"] == "#18 全面推行信用承诺制"
    assert history[1]["entities"] == [{"type": "bold", "offset": 0, "length": 3}]


async def test_group_messages_and_refusals(env: Env) -> None:
    await env.post(f"/api/chats/{GROUP}/messages", {"user_id": ALICE, "text": "/status"})
    assert env.api.history(GROUP)[-1]["from"]["id"] == ALICE
    # Someone else's private chat, or a group one is not in, is refused.
    await env.post(f"/api/chats/{COORD}/messages", {"user_id": ALICE, "text": "hi"}, status=403)
    newcomer = await env.post("/api/people", {"name": "赵科员"})
    await env.post(
        f"/api/chats/{GROUP}/messages", {"user_id": newcomer["user_id"], "text": "hi"}, status=403
    )
    await env.get(f"/api/chats/{COORD}/messages?user_id={ALICE}", status=403)
    await env.post(f"/api/chats/{ALICE}/messages", {"user_id": ALICE, "text": " "}, status=400)
    await env.post(
        f"/api/chats/{ALICE}/messages",
        {"user_id": ALICE, "text": "x", "reply_to": 999},
        status=400,
    )
    r = await env.client.post(f"/api/chats/{ALICE}/messages", data=b"not json")
    assert r.status == 400


async def test_pressing_a_button_makes_a_callback_query(env: Env) -> None:
    markup = {"inline_keyboard": [[{"text": "更新进度", "callback_data": "upd:18"}]]}
    msg = await env.bot_sends(ALICE, "#18", reply_markup=markup)
    out = await env.post(
        f"/api/chats/{ALICE}/press",
        {"user_id": ALICE, "message_id": msg["message_id"], "data": "upd:18"},
    )
    query = env.api.callback_queries[out["query_id"]]
    assert query["data"] == "upd:18" and query["from"]["id"] == ALICE
    assert env.api.pending_updates()[-1]["callback_query"]["id"] == out["query_id"]
    missing = await env.post(
        f"/api/chats/{ALICE}/press",
        {"user_id": ALICE, "message_id": msg["message_id"], "data": "ev:18"},
        status=400,
    )
    assert "callback_data" in missing["error"]


async def test_uploading_a_document_and_a_photo(env: Env) -> None:
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("caption", "#18 清单")
    form.add_field("file", b"%PDF-1.4 demo", filename="清单.pdf", content_type="application/pdf")
    r = await env.client.post(f"/api/chats/{ALICE}/files", data=form)
    assert r.status == 201, await r.text()
    msg = await r.json()
    assert msg["document"]["file_name"] == "清单.pdf"
    assert msg["document"]["mime_type"] == "application/pdf"
    assert msg["caption"] == "#18 清单"
    assert env.api.file_bytes(msg["document"]["file_id"]) == b"%PDF-1.4 demo"

    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("file", PNG, filename="photo.png", content_type="image/png")
    r = await env.client.post(f"/api/chats/{ALICE}/files", data=form)
    photo = (await r.json())["photo"][-1]
    assert (photo["width"], photo["height"]) == (2, 3)
    r = await env.client.get(f"/api/files/{photo['file_id']}")
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    assert await r.read() == PNG
    assert (await env.client.get("/api/files/nope")).status == 404


async def test_uploaded_html_is_never_served_as_a_page(env: Env) -> None:
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("kind", "document")
    form.add_field(
        "file", b"<script>alert(1)</script>", filename="x.html", content_type="text/html"
    )
    msg = await (await env.client.post(f"/api/chats/{ALICE}/files", data=form)).json()
    r = await env.client.get(f"/api/files/{msg['document']['file_id']}")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_upload_refusals(env: Env) -> None:
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    r = await env.client.post(f"/api/chats/{ALICE}/files", data=form)
    assert r.status == 400  # no file (and not even multipart)
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("file", b"", filename="empty.txt")
    r = await env.client.post(f"/api/chats/{ALICE}/files", data=form)
    assert r.status == 400


async def test_command_menu_follows_set_my_commands_scopes(env: Env) -> None:
    url = f"{env.api.base_url}{env.api.token}/setMyCommands"
    async with aiohttp.ClientSession() as session:
        await session.post(
            url, json={"commands": [{"command": "mytasks", "description": "我的任务"}]}
        )
        await session.post(
            url,
            json={
                "commands": [{"command": "status", "description": "总览"}],
                "scope": {"type": "chat", "chat_id": COORD},
            },
        )
    assert await env.get(f"/api/chats/{ALICE}/commands?user_id={ALICE}") == [
        {"command": "mytasks", "description": "我的任务"}
    ]
    assert await env.get(f"/api/chats/{COORD}/commands?user_id={COORD}") == [
        {"command": "status", "description": "总览"}
    ]


async def test_clock_panel_moves_the_clock(env: Env) -> None:
    out = await env.post("/api/clock", {"at": "2021-06-30T08:59"}, status=200)
    assert out["now"] == "2021-06-30T08:59:00+08:00"
    assert env.clock.now() == datetime(2021, 6, 30, 8, 59, tzinfo=SHANGHAI)
    out = await env.post("/api/clock", {"advance_minutes": 90}, status=200)
    assert out["now"] == "2021-06-30T10:29:00+08:00"
    assert env.clock_changes == 2
    await env.post("/api/clock", {"at": "yesterday"}, status=400)
    await env.post("/api/clock", {"speed": -3}, status=400)
    await env.post("/api/clock", {}, status=400)
    assert (await env.get("/api/clock"))["now"] == "2021-06-30T10:29:00+08:00"


async def _read_events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(5):
        while len(events) < count:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


async def test_event_stream_shows_only_ones_own_chats(env: Env) -> None:
    r = await env.client.get(f"/api/events?user_id={ALICE}")
    assert r.headers["Content-Type"].startswith("text/event-stream")
    await env.bot_sends(COORD, "只给王主任")  # not Alice's chat: not streamed to her
    await env.bot_sends(ALICE, "<i>你好</i>", parse_mode="HTML")
    await env.post(f"/api/chats/{GROUP}/messages", {"user_id": COORD, "text": "/status"})
    await env.post("/api/clock", {"advance_minutes": 1}, status=200)
    events = await _read_events(r, 3)
    assert [e["kind"] for e in events] == ["message", "message", "clock"]
    assert events[0]["data"]["text"] == "你好"
    assert events[0]["data"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    assert events[1]["chat_id"] == GROUP
    assert events[2]["data"]["now"] == "2021-06-28T08:59:00+08:00"
    r.close()


async def test_callback_answer_goes_to_the_presser_only(env: Env) -> None:
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    msg = await env.bot_sends(GROUP, "投票", reply_markup=markup)
    coord_stream = await env.client.get(f"/api/events?user_id={COORD}")
    alice_stream = await env.client.get(f"/api/events?user_id={ALICE}")
    out = await env.post(
        f"/api/chats/{GROUP}/press",
        {"user_id": ALICE, "message_id": msg["message_id"], "data": "ok"},
    )
    url = f"{env.api.base_url}{env.api.token}/answerCallbackQuery"
    async with aiohttp.ClientSession() as session:
        await session.post(url, json={"callback_query_id": out["query_id"], "text": "已记录"})
    await env.bot_sends(GROUP, "之后")
    alice = await _read_events(alice_stream, 2)
    assert [e["kind"] for e in alice] == ["callback_answer", "message"]
    assert alice[0]["data"]["text"] == "已记录"
    coord = await _read_events(coord_stream, 1)
    assert coord[0]["kind"] == "message"
    coord_stream.close()
    alice_stream.close()


async def test_next_reminders_jumps_to_the_morning_the_sandbox_names(botapi: BotApiServer) -> None:
    clock = FixedClock(datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI))  # a Friday
    monday = datetime(2021, 6, 28, 8, 59, tzinfo=SHANGHAI)
    asked: list[datetime] = []

    def next_reminders(now: datetime) -> tuple[datetime, int] | None:
        asked.append(now)
        return (monday, 7) if len(asked) == 1 else None

    app = create_app(botapi, clock=clock, next_reminders=next_reminders)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        r = await client.post("/api/clock/next-reminders", json={})
        out = await r.json()
        assert r.status == 200 and out["moved"] and out["count"] == 7
        assert clock.now() == monday and out["clock"]["now"] == "2021-06-28T08:59:00+08:00"
        assert "2021年6月28日（周一） 08:59" in out["message"] and "7 条提醒" in out["message"]
        # nothing due: the clock stays and the page is told why, instead of a minute's wait
        out = await (await client.post("/api/clock/next-reminders", json={})).json()
        assert not out["moved"] and clock.now() == monday and "没有要发的提醒" in out["message"]
        assert asked == [datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI), monday]
    finally:
        await client.close()


async def test_the_jump_field_is_a_chinese_24_hour_text_field(env: Env) -> None:
    page = await (await env.client.get("/")).text()
    assert 'type="datetime-local"' not in page  # it shows 06/23/2021, 08:59 AM in English
    assert 'id="clock-at"' in page and 'placeholder="2021-06-28 08:59"' in page
