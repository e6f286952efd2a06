"""Dialogues: /mytasks cards and /task N."""

from __future__ import annotations

from tests.harness import ChatEnv


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_mytasks_cards(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    intro, *cards = await alice.say("/mytasks")
    assert "区司法局" in intro["text"]
    by_task = {int(c["text"].split()[0][1:]): c for c in cards}
    assert set(by_task) == {s["task"] for s in env.store.states(unit="区司法局")}
    card = by_task[18]
    assert card["text"].startswith("#18 全面推行信用承诺制")
    assert "2021年6月30日（周三）" in card["text"] and "还剩 7 个工作日" in card["text"]
    assert "牵头" in card["text"] and "未启动" in card["text"]
    assert buttons(card) == ["upd:18", "ev:18", "ext:18", "done:18"]
    assert env.store.message_ref(2001, card["message_id"]) == (18, "区司法局")
    assert "配合" in by_task[16]["text"] and "持续推进" in by_task[16]["text"]


async def test_card_shows_overdue_and_last_update(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/update 18 进行中 40% 起草中")
    env.clock.advance(days=12)  # 2021-07-03
    _, *cards = await alice.say("/mytasks")
    card = next(c for c in cards if c["text"].startswith("#18 "))
    assert "已逾期 2 个工作日" in card["text"]
    assert "进行中 40%" in card["text"] and "Alice" in card["text"] and "起草中" in card["text"]


async def test_coordinator_without_unit(env: ChatEnv) -> None:
    (only,) = await env.coordinator.say("/mytasks")
    assert "/status" in only["text"]


async def test_task_detail(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/update 18 进行中 60% 初稿")
    (detail,) = await alice.say("/task 18")
    body = detail["text"]
    assert body.startswith("#18 全面推行信用承诺制")
    assert "区司法局（牵头）：进行中 60%" in body and "区市场监管局（牵头）：未启动" in body
    assert "区发改局（配合）" in body
    assert "Alice：进行中 60%：初稿" in body


async def test_task_detail_history_is_split(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    for i in range(30):
        env.store.update_state(
            18, "区司法局", at=env.clock.now(), actor=2001, event="note", note=f"{i} " + "长" * 190
        )
    replies = await alice.say("/task 18")
    assert len(replies) >= 2
    assert all(len(m["text"]) <= 4096 for m in replies)
    assert "29 长" in replies[-1]["text"]


async def test_task_errors(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (reply,) = await alice.say("/task 99")
    assert "没有编号为 #99 的任务" in reply["text"]
    (reply,) = await alice.say("/task abc")
    assert "/task 编号" in reply["text"]
    (reply,) = await alice.say("/task")
    assert "/task 编号" in reply["text"]
