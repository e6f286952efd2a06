"""The local Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox.botapi import BotApiServer
from sandbox.flood import FloodLimits
from sandbox.telegram_html import EntityParseError, parse_html, trim

# RetryAfter warns that retry_after will become a timedelta; seconds() copes with both.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

ALICE = 1001
BOB = 1002
GROUP = -100500


@pytest.fixture
async def tg(botapi: BotApiServer) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the stand-in."""
    bot = Bot(botapi.token, base_url=botapi.base_url, base_file_url=botapi.base_file_url)
    async with bot:
        yield bot


@pytest.fixture
def alice(botapi: BotApiServer) -> int:
    botapi.add_user(ALICE, "Alice", username="alice")
    return ALICE


def seconds(error: RetryAfter) -> float:
    """retry_after in seconds, whichever type this PTB version returns."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ---------------------------------------------------------------- HTML parse mode (pure)


def test_parse_html_entities_and_offsets() -> None:
    text, entities = parse_html('<b>#18</b> 😀 <a href="https://t.me/x?a=1&amp;b=2">链接</a> &lt;3')
    assert text == "#18 😀 链接 <3"
    assert entities[0] == {"offset": 0, "length": 3, "type": "bold"}
    # The emoji counts as two UTF-16 units.
    assert entities[1] == {
        "offset": 7,
        "length": 2,
        "type": "text_link",
        "url": "https://t.me/x?a=1&b=2",
    }


def test_parse_html_pre_with_language_and_spoiler() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre><span class="tg-spoiler">s</span>'
    )
    assert text == "x = 1s"
    assert {"offset": 0, "length": 5, "type": "pre", "language": "python"} in entities
    assert {"offset": 5, "length": 1, "type": "spoiler"} in entities


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Tom & Jerry", 'Character "&" must be escaped'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_parse_html_refuses_bad_markup(markup: str, error: str) -> None:
    with pytest.raises(EntityParseError, match=error.replace("(", r"\(")):
        parse_html(markup)


def test_numeric_entities_and_trim() -> None:
    text, entities = parse_html("\n  <b>&#60;&#x3E;&quot;</b>  \n")
    assert trim(text, entities) == ('<>"', [{"offset": 0, "length": 3, "type": "bold"}])


# ---------------------------------------------------------------- protocol basics


async def test_get_me(tg: Bot) -> None:
    assert tg.username == "duban_bot"
    me = await tg.get_me()
    assert me.is_bot and me.id == 123


async def test_raw_protocol_json_form_query_and_errors(botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    url = f"{botapi.base_url}{botapi.token}"
    async with ClientSession() as http:
        async with http.post(f"{url}/sendMessage", json={"chat_id": alice, "text": "j"}) as r:
            assert (await r.json())["result"]["text"] == "j"
        async with http.post(f"{url}/sendMessage", data={"chat_id": str(alice), "text": "f"}) as r:
            assert (await r.json())["result"]["chat"]["id"] == alice
        async with http.get(f"{url}/sendmessage", params={"chat_id": alice, "text": "q"}) as r:
            assert r.status == 200
        async with http.get(f"{botapi.base_url}999:XYZ/getMe") as r:
            assert r.status == 401
            assert await r.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{url}/noSuchMethod") as r:
            assert r.status == 404
    assert [call.params["text"] for call in botapi.calls("sendMessage")] == ["j", "f", "q"]


async def test_invalid_token_raises_in_ptb(botapi: BotApiServer) -> None:
    bot = Bot("999:XYZ", base_url=botapi.base_url)
    with pytest.raises(InvalidToken):
        await bot.get_me()


# ---------------------------------------------------------------- sending messages


async def test_send_message_html(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "/start")
    msg = await tg.send_message(alice, "<b>#18</b> 进度 &lt;60%&gt;", parse_mode="HTML")
    assert msg.text == "#18 进度 <60%>"
    assert msg.entities[0].type == "bold" and msg.entities[0].length == 3
    assert msg.from_user.id == tg.id and msg.chat.type == "private"
    assert botapi.messages_to(alice)[-1]["text"] == "#18 进度 <60%>"


async def test_send_message_refusals(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    with pytest.raises(BadRequest, match="(?i)can't parse entities: Unsupported start tag"):
        await tg.send_message(alice, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await tg.send_message(alice, "R&D", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await tg.send_message(alice, "字" * 4097)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await tg.send_message(alice, "  \n ")
    # The limit applies after entity parsing: tags do not count.
    ok = await tg.send_message(alice, "<b>" + "字" * 4096 + "</b>", parse_mode="HTML")
    assert len(ok.text) == 4096
    assert not botapi.calls("sendMessage")[0].ok


async def test_reply_and_keyboard_validation(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    question = await botapi.user_sends_text(alice, "在吗")
    answer = await tg.send_message(
        alice, "在", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message.text == "在吗"
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await tg.send_message(alice, "x", reply_to_message_id=999)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await tg.send_message(alice, "x", reply_markup=too_long)


async def test_private_chat_403s(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    botapi.add_user(BOB, "Bob")
    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await tg.send_message(BOB, "你好")
    await botapi.user_sends_text(alice, "/start")
    await botapi.user_blocks_bot(alice)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await tg.send_message(alice, "你好")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tg.send_message(424242, "你好")
    await botapi.user_sends_text(alice, "/start")  # writing again unblocks
    await tg.send_message(alice, "欢迎回来")


async def test_edit_and_delete(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("完成", callback_data="done:18")]])
    msg = await tg.send_message(alice, "#18", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await msg.edit_text("#18", reply_markup=keyboard)
    edited = await msg.edit_text("#18 已完成")  # no reply_markup: the keyboard goes away
    assert edited.reply_markup is None and edited.edit_date is not None
    assert "reply_markup" not in botapi.message(alice, msg.message_id)  # type: ignore[operator]
    assert await msg.delete()
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await msg.edit_text("again")
    assert botapi.messages_to(alice) == []
    assert len(botapi.messages_to(alice, include_deleted=True)) == 1


# ---------------------------------------------------------------- updates


async def test_long_polling_delivers_and_respects_offset(
    tg: Bot, botapi: BotApiServer, alice: int
) -> None:
    poll = asyncio.create_task(tg.get_updates(timeout=1))
    await botapi.wait_until(lambda: botapi.long_polls > 0)
    sent = await botapi.user_sends_text(alice, "/start abc")
    updates = await poll
    assert [u.message.text for u in updates] == ["/start abc"]
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert updates[0].message.message_id == sent["message_id"]
    # Not confirmed yet: delivered again; confirmed by offset: gone.
    assert [u.update_id for u in await tg.get_updates(timeout=0)] == [updates[0].update_id]
    assert await tg.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert botapi.pending_updates() == []


async def test_second_poller_terminates_the_first(tg: Bot, botapi: BotApiServer) -> None:
    first = asyncio.create_task(tg.get_updates(timeout=1))
    await botapi.wait_until(lambda: botapi.long_polls > 0)
    # A second bot process with the same token (PTB serialises polls within one Bot).
    async with Bot(botapi.token, base_url=botapi.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=0))
        with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_group_privacy_mode(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    botapi.add_group(GROUP, "协调群", members=[alice])
    await botapi.user_sends_text(alice, "大家好", chat_id=GROUP)
    await botapi.user_sends_text(alice, "/status@duban_bot", chat_id=GROUP)
    updates = await tg.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["/status@duban_bot"]
    assert updates[0].message.chat.type == "supergroup"
    assert [m["text"] for m in botapi.history(GROUP)] == ["大家好", "/status@duban_bot"]


async def test_callback_query_round_trip(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("更新进度", callback_data="upd:18")]])
    msg = await tg.send_message(alice, "#18", reply_markup=keyboard)
    with pytest.raises(ValueError, match="no button"):
        await botapi.user_presses_button(alice, botapi.messages_to(alice)[0], "nope")
    query_id = await botapi.user_presses_button(alice, botapi.messages_to(alice)[0], "upd:18")
    updates = await tg.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert (query.id, query.data, query.message.message_id) == (query_id, "upd:18", msg.message_id)
    assert await query.answer("好的")
    assert (await botapi.wait_for_callback_answer(query_id))["text"] == "好的"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer("again")


async def test_blocking_sends_my_chat_member(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    await botapi.user_blocks_bot(alice)
    updates = await tg.get_updates(timeout=0)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"


async def test_webhook_delivery_and_polling_conflict(tg: Bot, botapi: BotApiServer) -> None:
    received: asyncio.Queue[tuple[dict, str | None]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await tg.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await tg.get_updates(timeout=0)
        botapi.add_user(BOB, "Bob")
        await botapi.user_sends_text(BOB, "/help")
        update, secret = await asyncio.wait_for(received.get(), 5)
        assert update["message"]["text"] == "/help" and secret == "s3cret"
        assert (await tg.get_webhook_info()).url.endswith("/hook")
        await tg.delete_webhook()
        assert (await tg.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- files


async def test_bot_document_upload_get_file_download(
    tg: Bot, botapi: BotApiServer, alice: int
) -> None:
    await botapi.user_sends_text(alice, "hi")
    payload = bytes(range(256)) * 40
    msg = await tg.send_document(
        alice, payload, filename="进度表.xlsx", caption="<b>#18</b>", parse_mode="HTML"
    )
    assert msg.document.file_name == "进度表.xlsx" and msg.document.file_size == len(payload)
    assert msg.caption == "#18" and msg.caption_entities[0].type == "bold"
    file = await tg.get_file(msg.document.file_id)
    assert file.file_size == len(payload)
    assert bytes(await file.download_as_bytearray()) == payload
    again = await tg.send_document(alice, msg.document.file_id)
    assert again.document.file_unique_id == msg.document.file_unique_id


async def test_user_document_and_photo(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_document(
        alice, b"%PDF-1.4 evidence", "佐证.pdf", "application/pdf", caption="#18 材料"
    )
    big = await botapi.user_sends_document(
        alice, b"", "big.zip", "application/zip", declared_size=25 * 1024 * 1024
    )
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\x80" + b"\x00" * 20
    photo = await botapi.user_sends_photo(alice, png, caption="#18")
    updates = await tg.get_updates(timeout=0)
    document = updates[0].message.document
    assert (document.file_name, document.mime_type) == ("佐证.pdf", "application/pdf")
    assert updates[0].message.caption == "#18 材料"
    data = await (await tg.get_file(document.file_id)).download_as_bytearray()
    assert bytes(data) == b"%PDF-1.4 evidence"
    assert big["document"]["file_size"] == 25 * 1024 * 1024
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await tg.get_file(big["document"]["file_id"])
    size = updates[2].message.photo[-1]
    assert (size.width, size.height) == (256, 128)
    assert photo["photo"][0]["file_id"] == size.file_id


async def test_photo_upload_and_unknown_file_id(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    msg = await tg.send_photo(alice, b"GIF89a\x10\x00\x20\x00" + b"\x00" * 10)
    assert (msg.photo[-1].width, msg.photo[-1].height) == (16, 32)
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await tg.send_document(alice, "no-such-file-id")


async def test_exported_state_brings_back_chats_files_and_numbering(
    tg: Bot, botapi: BotApiServer, alice: int
) -> None:
    await botapi.user_sends_text(alice, "/start")
    sent = await tg.send_document(alice, b"%PDF-1.4 x", filename="清单.pdf")
    await tg.send_message(alice, "<b>#18</b>", parse_mode="HTML")
    [update] = await tg.get_updates(timeout=0)
    state = botapi.export_state()
    copy = BotApiServer(token=botapi.token)
    copy.import_state(state, lambda file_id: botapi.file_bytes(file_id))
    assert copy.history(alice) == botapi.history(alice)
    assert copy.file_bytes(sent.document.file_id) == b"%PDF-1.4 x"
    assert alice in copy.started
    # Numbering goes on: a new message and a new update never reuse an id the bot has seen.
    await copy.start()
    try:
        msg = await copy.user_sends_text(alice, "again")
        assert msg["message_id"] == 4
        assert copy.pending_updates()[0]["update_id"] == update.update_id + 1
    finally:
        await copy.stop()
    lost = BotApiServer(token=botapi.token)
    lost.import_state(state, lambda file_id: None)  # a missing file is skipped, not fatal
    assert lost.files == {} and len(lost.history(alice)) == 3


async def test_update_ids_continue_after_the_last_one_seen(
    botapi: BotApiServer, alice: int
) -> None:
    botapi.continue_update_ids_after(123_456)
    await botapi.user_sends_text(alice, "hi")
    botapi.continue_update_ids_after(5)  # never goes back
    await botapi.user_sends_text(alice, "hi")
    assert [u["update_id"] for u in botapi.pending_updates()] == [123_457, 123_458]


# ---------------------------------------------------------------- limits and injected faults


async def test_fail_next_injects_429_then_recovers(
    tg: Bot, botapi: BotApiServer, alice: int
) -> None:
    await botapi.user_sends_text(alice, "hi")
    botapi.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    botapi.fail_next("*", 502, "Bad Gateway")
    with pytest.raises(RetryAfter) as caught:
        await tg.send_message(alice, "a")
    assert seconds(caught.value) == 7
    with pytest.raises(Exception, match="Bad Gateway"):
        await tg.send_message(alice, "b")
    await tg.send_message(alice, "c")
    assert [m["text"] for m in botapi.messages_to(alice)] == ["c"]
    assert [c.error_code for c in botapi.calls("sendMessage")] == [429, 502, None]


async def test_delay_next_delivers_but_times_out(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await botapi.user_sends_text(alice, "hi")
    botapi.delay_next("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await tg.send_message(alice, "maybe", read_timeout=0.05)
    assert [m["text"] for m in botapi.messages_to(alice)] == ["maybe"]


async def test_flood_limits_private_group_and_overall(tg: Bot, botapi: BotApiServer) -> None:
    botapi.flood.limits = FloodLimits(
        enabled=True, overall_per_second=4, private_burst=2, group_per_minute=3, slack=0
    )
    for user_id in (1, 2, 3):
        botapi.add_user(user_id, f"u{user_id}")
        await botapi.user_sends_text(user_id, "hi")
    botapi.add_group(GROUP, "群", members=[1])
    await tg.send_message(1, "a")
    await tg.send_message(1, "b")
    with pytest.raises(RetryAfter) as private:
        await tg.send_message(1, "c")
    assert seconds(private.value) == 1
    await tg.send_message(GROUP, "g1")
    await tg.send_message(GROUP, "g2")
    with pytest.raises(RetryAfter) as overall:  # 4 per second across all chats
        await tg.send_message(2, "x")
    assert seconds(overall.value) == 1
    botapi.flood.reset()
    await tg.send_message(GROUP, "g3")
    await tg.send_message(GROUP, "g4")
    await tg.send_message(GROUP, "g5")
    with pytest.raises(RetryAfter) as group:  # 3 per minute: one every 20 s
        await tg.send_message(GROUP, "g6")
    assert seconds(group.value) == 20
    assert botapi.calls("sendMessage")[-1].description == "Too Many Requests: retry after 20"


# ---------------------------------------------------------------- commands


async def test_set_my_commands_per_scope(tg: Bot, botapi: BotApiServer, alice: int) -> None:
    await tg.set_my_commands([BotCommand("help", "帮助")])
    await tg.set_my_commands(
        [BotCommand("mytasks", "我的任务")], scope=BotCommandScopeAllPrivateChats()
    )
    await tg.set_my_commands(
        [BotCommand("status", "总体进度"), BotCommand("review", "审核")],
        scope=BotCommandScopeChat(alice),
    )
    assert botapi.commands["default"] == [{"command": "help", "description": "帮助"}]
    assert [c.command for c in await tg.get_my_commands(scope=BotCommandScopeChat(alice))] == [
        "status",
        "review",
    ]
    assert [c["command"] for c in botapi.commands_for(alice)] == ["status", "review"]
    assert [c["command"] for c in botapi.commands_for(BOB)] == ["mytasks"]
    await tg.delete_my_commands(scope=BotCommandScopeChat(alice))
    assert [c["command"] for c in botapi.commands_for(alice)] == ["mytasks"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await tg.set_my_commands([BotCommand("Bad-Name", "x")])


# ---------------------------------------------------------------- the real Application


async def test_real_application_dialogue(botapi: BotApiServer, alice: int) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("标记完成", callback_data="d:18")]])
        await update.message.reply_html(
            f"欢迎 <b>{context.args[0]}</b>", reply_markup=keyboard, do_quote=True
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("已记录")
        await update.callback_query.edit_message_text("#18 已完成")

    app = (
        ApplicationBuilder()
        .token(botapi.token)
        .base_url(botapi.base_url)
        .base_file_url(botapi.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    events = botapi.listen()
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            await botapi.user_sends_text(alice, "/start 区商务局")
            reply = await botapi.wait_for_message(alice)
            assert reply["text"] == "欢迎 区商务局"
            assert reply["reply_to_message"]["text"] == "/start 区商务局"
            query_id = await botapi.user_presses_button(alice, reply, "d:18")
            assert (await botapi.wait_for_callback_answer(query_id))["text"] == "已记录"
            edited = await botapi.wait_until(
                lambda: (m := botapi.message(alice, reply["message_id"])) and "edit_date" in m and m
            )
            assert edited["text"] == "#18 已完成" and "reply_markup" not in edited
        finally:
            await app.updater.stop()
            await app.stop()
    kinds = []
    while not events.empty():
        kinds.append(events.get_nowait().kind)
    assert [k for k in kinds if k != "api_call"] == [
        "message",
        "message",
        "callback_query",
        "callback_answer",
        "edit",
    ]
    assert botapi.calls("deleteWebhook") and botapi.calls("getMe")


async def test_subscribers_see_every_chat_live(tg: Bot, botapi: BotApiServer) -> None:
    botapi.add_user(BOB, "Bob", started=True)  # reachable without a first message
    seen: list[tuple[str, int | None]] = []
    received: list[str] = []

    async def on_event(event) -> None:  # async callbacks are scheduled, sync ones called
        received.append(event.kind)

    stop_sync = botapi.subscribe(lambda event: seen.append((event.kind, event.chat_id)))
    stop_async = botapi.subscribe(on_event)
    msg = await tg.send_message(BOB, "提醒 #18")
    await tg.send_chat_action(BOB, "typing")
    await msg.delete()
    stop_sync()
    stop_async()
    await tg.send_message(BOB, "unseen")
    assert [s for s in seen if s[0] != "api_call"] == [
        ("message", BOB),
        ("chat_action", BOB),
        ("delete", BOB),
    ]
    await botapi.wait_until(lambda: "delete" in received)
    assert botapi.events[-1].to_json()["kind"] == "api_call"
