"""Nothing a person writes is thrown away: what names no task is kept, and they pick the task."""

from __future__ import annotations

from bot.features import pending
from bot.store import Store
from schedules.lapses import lapse_tick
from tests.harness import ChatEnv, Person, current, open_card

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


def labels(message: dict) -> list[list[str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[b["text"] for b in row] for row in rows]


async def digest_about(env: ChatEnv, person: Person, tasks: tuple[int, ...]) -> dict:
    """A bot message about several tasks, as the morning digest is remembered."""
    (message,) = await person.say("/help")
    for task in tasks:
        env.store.deliveries.remember_message(
            person.id, message["message_id"], task=task, unit="区司法局", kind="digest"
        )
    return message


async def test_a_reply_to_a_digest_without_a_task_is_kept_and_filed_on_the_pressed_one(
    env: ChatEnv,
) -> None:
    alice = env.contact()
    digest = await digest_about(env, alice, (4, 18))
    (ask,) = await alice.reply(digest, "已完成初稿，明天报送")
    assert "已保留" in ask["text"] and "注明任务编号" not in ask["text"]
    assert buttons(ask) == ["kp:4", "kp:18", "kp:0"]
    assert labels(ask) == [["#4", "#18"], ["取消"]]  # one compact message
    assert env.store.history.events(unit="区司法局", kinds=["note"]) == []  # nothing filed yet
    await env.restart()  # the kept text is on disk: a restart loses nothing
    (done,) = await alice.press(ask, "kp:18")
    assert "已记录 #18 区司法局" in done["text"] and "已完成初稿，明天报送" in done["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "已完成初稿，明天报送"  # type: ignore[index]
    assert env.store.parts.state(4, "区司法局")["note"] is None  # type: ignore[index]
    assert buttons(current(env, ask)) == []  # the question is answered
    assert pending.expected(env.store, alice.id, "kept", env.clock.now()) is None


async def test_the_kept_text_survives_a_kill(env: ChatEnv) -> None:
    alice = env.contact()
    listing = (await alice.say("/mytasks"))[0]
    (ask,) = await alice.reply(listing, "进度80%")
    # What a kill -9 now would leave: the store as another process reads it from disk.
    on_disk = Store.open(env.data_dir, read_only=True)
    try:
        kept = pending.expected(on_disk, alice.id, "kept", env.clock.now())
    finally:
        on_disk.close()
    assert kept is not None and kept["draft"]["message"]["text"] == "进度80%"
    (done,) = await alice.press(ask, "kp:18")
    assert "进度：80%" in done["text"]  # filed as written: a stated percentage too


async def test_cancel_drops_the_kept_text(env: ChatEnv) -> None:
    alice = env.contact()
    digest = await digest_about(env, alice, (4, 18))
    (ask,) = await alice.reply(digest, "随便说说")
    (cancelled,) = await alice.press(ask, "kp:0")
    assert "已取消" in cancelled["text"]
    assert env.store.history.events(unit="区司法局", kinds=["note"]) == []


async def test_a_lapsed_kept_text_is_told_once(env: ChatEnv) -> None:
    alice = env.contact()
    digest = await digest_about(env, alice, (4, 18))
    (ask,) = await alice.reply(digest, "已与市场监管局对接")
    env.clock.advance(minutes=29)
    assert env.app is not None
    assert await lapse_tick(env.app) == 0
    env.clock.advance(minutes=2)
    assert await lapse_tick(env.app) == 1
    told = alice.inbox()[-1]
    assert "已与市场监管局对接" in told["text"] and "没有记录" in told["text"]
    assert buttons(current(env, ask)) == []
    assert await lapse_tick(env.app) == 0  # once
    assert env.store.history.events(unit="区司法局", kinds=["note"]) == []


async def updated_by_dialogue(person: Person, task: int, detail: str) -> None:
    """更新进度 on the task's card, 进行中, then the detail: the dialogue ends."""
    card = await open_card(person, task)
    (question,) = await person.press(card, f"upd:{task}")
    await person.press(question, f"st:{task}:doing")
    await person.say(detail)


async def test_text_right_after_a_dialogue_is_offered_its_task(env: ChatEnv) -> None:
    alice = env.contact()
    await updated_by_dialogue(alice, 18, "70% 完成征求意见")
    (ask,) = await alice.say("另外，市局要求下周报送")
    assert "是 #18 的进展吗" in ask["text"] and "没有看懂" not in ask["text"]
    assert labels(ask) == [["是 #18"], ["取消"]]
    (done,) = await alice.press(ask, "kp:18")
    assert "已记录 #18" in done["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "另外，市局要求下周报送"  # type: ignore[index]


async def test_long_after_a_dialogue_text_is_still_not_understood(env: ChatEnv) -> None:
    alice = env.contact()
    await updated_by_dialogue(alice, 18, "70%")
    env.clock.advance(minutes=31)
    (hint,) = await alice.say("另外")
    assert "没有看懂" in hint["text"] and buttons(hint) == []


async def test_a_file_without_caption_after_one_captioned_is_offered_that_task(
    env: ChatEnv,
) -> None:
    alice = env.contact()
    (saved,) = await alice.send_document(PDF, "方案.pdf", caption="#18 方案")
    assert "已保存" in saved["text"] or "#18" in saved["text"]
    (ask,) = await alice.send_document(PDF + b" ", "附件.pdf")
    assert "是 #18 的材料吗" in ask["text"]
    assert labels(ask)[0] == ["是 #18"] and labels(ask)[-1] == ["取消"]
    assert env.store.table("evidence").count(lambda d: True) == 1  # not yet
    (done,) = await alice.press(ask, "kp:18")
    assert "#18" in done["text"]
    assert len(env.store.table("evidence").all()) == 2
    # other choices: the person's other open tasks
    (ask2,) = await alice.send_document(PDF + b"  ", "附件2.pdf")
    assert len(buttons(ask2)) > 2 and "kp:0" in buttons(ask2)
