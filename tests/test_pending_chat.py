"""One pending-input mechanism: every wait (dialogues, files, texts) persisted, one timeout."""

from __future__ import annotations

from typing import Any

from bot.features import campaign, pending
from bot.store import Store
from tests.harness import ChatEnv, Person, open_card

MINUTES = int(pending.WAIT.total_seconds() // 60)


def last_with_buttons(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in reversed(messages) if m.get("reply_markup"))


async def activity_at_the_date_step(env: ChatEnv) -> Person:
    alice = env.person(2003, "Alice")
    env.bind(alice, "区文明办")
    first = await alice.say("/activity")
    step = await alice.press(last_with_buttons(first), "act:f:0")  # 论坛讲座
    await alice.press(last_with_buttons(step), "act:c:1")  # 校园
    return alice


async def test_an_activity_report_survives_a_restart_at_every_step(env: ChatEnv) -> None:
    alice = await activity_at_the_date_step(env)
    await env.restart()
    assert "活动名称" in (await alice.say("昨天"))[-1]["text"]
    await env.restart()
    await alice.say("诚信进校园")
    await env.restart()
    await alice.say("120")
    await env.restart()
    photos_step = await alice.say("5")
    await env.restart()
    done = await alice.press(last_with_buttons(photos_step), "act:done")
    assert "已记录活动" in done[-1]["text"]
    (record,) = campaign.activities(env.store)
    assert (record["form"], record["carrier"], record["day"]) == ("论坛讲座", "校园", "2021-06-20")
    assert (record["title"], record["participants"], record["enterprises"]) == (
        "诚信进校园",
        120,
        5,
    )


async def test_each_answered_step_is_on_disk_at_once(env: ChatEnv) -> None:
    alice = await activity_at_the_date_step(env)
    on_disk = Store(env.data_dir, read_only=True)  # as a kill -9 now would leave it
    wait = pending.expected(on_disk, alice.id, "dialogue", env.clock.now())
    assert wait is not None and (wait["action"], wait["step"]) == ("activity", "date")
    assert wait["draft"]["form"] == "论坛讲座" and wait["chat"] == alice.id


async def test_one_timeout_for_every_wait(env: ChatEnv) -> None:
    """A dialogue, a file after 上传材料 and an 申请延期 text all lapse after pending.WAIT."""
    alice = env.contact()
    card = await open_card(alice, 18)
    await alice.press(card, "ev:18")  # the bot waits for a file
    (detail,) = await alice.say("/task 18")
    await alice.press(detail, "ext:18")  # … and for the extension's date and reason
    bob = await activity_at_the_date_step(env)
    env.clock.advance(minutes=MINUTES - 1)
    now = env.clock.now()
    assert pending.expected(env.store, alice.id, "file", now) is not None
    assert pending.expected(env.store, alice.id, "text", now) is not None
    assert pending.expected(env.store, bob.id, "dialogue", now) is not None
    env.clock.advance(minutes=2)
    now = env.clock.now()
    for user, slot in ((alice.id, "file"), (alice.id, "text"), (bob.id, "dialogue")):
        assert pending.expected(env.store, user, slot, now) is None  # type: ignore[arg-type]
    (lapsed,) = await bob.say("昨天")
    assert "已作废" in lapsed["text"] and "/activity" in lapsed["text"]


async def test_a_lapsed_dialogue_lets_a_reply_through(env: ChatEnv) -> None:
    alice = env.contact()
    card = await open_card(alice, 18)
    (question,) = await alice.press(card, "upd:18")
    await alice.press(question, "st:18:doing")
    env.clock.advance(minutes=MINUTES + 1)
    (detail,) = await alice.say("/task 18")
    (reply,) = await alice.reply(detail, "已完成初稿")  # names its own task: a note, as always
    assert "已记录 #18" in reply["text"]
    notes = env.store.history.events(task=18, unit="区司法局", kinds=["note"])
    assert [e["note"] for e in notes] == ["已完成初稿"]


async def test_a_button_of_a_finished_dialogue_gets_a_toast(env: ChatEnv) -> None:
    alice = env.person(2003, "Alice")
    env.bind(alice, "区文明办")
    first = await alice.say("/activity")
    menu = last_with_buttons(first)
    replies = await alice.say("/cancel")
    assert "已取消" in replies[-1]["text"] and "没有记录" in replies[-1]["text"]
    assert await alice.press(menu, "act:f:0") == []
    assert alice.answer is not None and "失效" in alice.answer["text"]
    assert not alice.answer.get("show_alert")
    assert pending.expected(env.store, alice.id, "dialogue", env.clock.now()) is None


async def test_a_new_dialogue_replaces_the_old_one(env: ChatEnv) -> None:
    alice = await activity_at_the_date_step(env)
    first = await alice.say("/rectify")
    assert "专项治理" in first[-1]["text"]
    wait = pending.expected(env.store, alice.id, "dialogue", env.clock.now())
    assert wait is not None and wait["action"] == "rectify"
    assert "活动名称" not in (await alice.say("昨天"))[-1]["text"]


async def test_text_after_a_lapsed_wait_is_told_so_once(env: ChatEnv) -> None:
    alice = env.contact()
    (detail,) = await alice.say("/task 18")
    await alice.press(detail, "ext:18")  # the bot asks for the date and reason
    env.clock.advance(minutes=MINUTES + 1)
    (lapsed,) = await alice.say("7月15日 等待市里模板")
    assert "申请延期已超过" in lapsed["text"] and "作废" in lapsed["text"]
    assert env.store.history.events(task=18, kinds=["extension.request"]) == []
    (then,) = await alice.say("7月15日 等待市里模板")  # told once; then text like any other
    assert "作废" not in then["text"]
