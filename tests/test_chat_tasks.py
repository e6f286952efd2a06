"""Dialogues: /mytasks cards and /task N."""

from __future__ import annotations

from tests.harness import ChatEnv, current, open_card
from tests.prepared import add_activity


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_mytasks_is_one_message_with_a_button_per_task(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (listing,) = await alice.say("/mytasks")  # one message, not one per task
    assert "区司法局的任务" in listing["text"]
    # nothing overdue: #1's June report fell due before the plan was imported (21 June)
    assert (
        "已逾期" not in listing["text"]
        and "#1 完善信用制度建设 · 配合 · 7月8日截止" in listing["text"]
    )
    tasks = {s["task"] for s in env.store.parts.states(unit="区司法局")}
    assert len(tasks) <= 8  # one page
    assert buttons(listing) == [f"card:{t}:0" for t in _by_urgency(listing["text"])]
    assert set(_by_urgency(listing["text"])) == tasks


def _by_urgency(text: str) -> list[int]:
    return [int(line.split()[0][1:]) for line in text.splitlines() if line.startswith("#")]


async def test_a_task_button_turns_the_list_into_the_card_and_back(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (listing,) = await alice.say("/mytasks")
    new = await alice.press(listing, "card:18:0")
    assert new == [] and alice.answer is not None  # edited in place, nothing new in the chat
    card = current(env, listing)
    assert card["text"].startswith("#18 全面推行信用承诺制")
    assert "2021年6月30日（周三）" in card["text"] and "还剩 7 个工作日" in card["text"]
    assert "牵头" in card["text"] and "未启动" in card["text"]
    assert buttons(card) == ["upd:18", "ev:18", "ext:18", "done:18", "ms:18", "tl:0"]
    # A reply to the card is about #18 now, not about the list's tasks.
    assert env.store.deliveries.message_ref(2001, card["message_id"]) == (18, "区司法局")
    await alice.press(card, "tl:0")
    back = current(env, listing)
    assert back["text"] == listing["text"] and buttons(back) == buttons(listing)


async def test_more_than_eight_tasks_page_with_arrows(env: ChatEnv) -> None:
    bob = env.person(2002, "Bob")
    env.bind(bob, "区市场监管局")  # 14 open parts
    (listing,) = await bob.say("/mytasks")
    assert len([b for b in buttons(listing) if b.startswith("card:")]) == 8
    assert "tl:1" in buttons(listing) and "第 1/2 页" in listing["text"]
    await bob.press(listing, "tl:1")
    second = current(env, listing)
    assert "第 2/2 页" in second["text"] and "tl:0" in buttons(second)
    assert not set(_by_urgency(second["text"])) & set(_by_urgency(listing["text"]))
    card = await open_card(bob, 25, second)
    assert card["text"].startswith("#25 ") and "tl:1" in buttons(card)  # ↩ to page 2


async def test_a_used_card_loses_its_buttons_and_an_old_press_is_a_toast(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    card = await open_card(alice, 18)
    (question,) = await alice.press(card, "upd:18")
    assert buttons(current(env, card)) == []  # the card is used
    (detail,) = await alice.press(question, "st:18:doing")
    assert buttons(current(env, question)) == []  # so is the status step
    await alice.say("60% 初稿")
    assert buttons(current(env, detail)) == []  # and 跳过 after the note
    assert env.store.parts.state(18, "区司法局")["status"] == "doing"  # type: ignore[index]


async def test_a_stale_press_is_a_short_toast(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    card = await open_card(alice, 18)
    (question,) = await alice.press(card, "upd:18")
    (detail,) = await alice.press(question, "st:18:doing")
    env.clock.advance(
        minutes=31
    )  # the dialogue lapsed (pending.WAIT) while the phone was in a pocket
    assert await alice.press(detail, "skip:18") == []
    assert alice.answer is not None and alice.answer["text"] and not alice.answer["show_alert"]
    assert buttons(current(env, detail)) == []  # and the dead button is gone
    assert env.store.parts.state(18, "区司法局")["status"] == "todo"  # type: ignore[index]


async def test_card_shows_overdue_and_last_update(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/update 18 进行中 40% 起草中")
    env.clock.advance(days=12)  # 2021-07-03
    (listing,) = await alice.say("/mytasks")
    assert "#18 全面推行信用承诺制 · 牵头 · 逾期 2 个工作日" in listing["text"]
    card = await open_card(alice, 18, listing)
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
    assert buttons(detail) == ["upd:18", "ev:18", "ext:18", "done:18", "ms:18"]  # its actions
    assert env.store.deliveries.message_ref(2001, detail["message_id"]) == (18, "区司法局")
    body = detail["text"]
    assert body.startswith("#18 全面推行信用承诺制")
    assert "区司法局（牵头）：进行中 60%" in body and "区市场监管局（牵头）：未启动" in body
    assert "区发改局（配合）" in body
    assert "Alice：进行中 60%：初稿" in body


async def test_task_detail_history_is_split(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    for i in range(30):
        env.store.parts.update_state(
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


async def test_a_plain_hash_message_is_a_note_and_a_reply_to_the_confirmation_too(
    env: ChatEnv,
) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (confirmation,) = await alice.say("#18 今天完成了初稿")
    assert "已记录 #18 区司法局的进度" in confirmation["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "今天完成了初稿"  # type: ignore[index]
    (again,) = await alice.reply(confirmation, "明天报送")  # a reply to the bot's own answer
    assert "已记录 #18" in again["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "明天报送"  # type: ignore[index]
    (hint,) = await alice.say("#18")
    assert "#18 今天完成了初稿" in hint["text"]
    (refused,) = await alice.say("#20 进展")  # not the unit's task
    assert env.store.history.events(task=20, unit="区司法局") == []
    assert "#20" in refused["text"]


async def test_a_reply_to_the_list_of_several_tasks_still_asks_which(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (listing,) = await alice.say("/mytasks")
    (ask,) = await alice.reply(listing, "进展顺利")
    assert "#" in ask["text"] and "涉及多项任务" in ask["text"]
    (ok,) = await alice.reply(listing, "#18 进展顺利")
    assert "已记录 #18" in ok["text"]


async def test_a_digest_button_opens_the_card_in_the_digest(env: ChatEnv) -> None:
    from bot.telegram.keyboards import digest_buttons

    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/help")  # the contact has started the bot
    markup = digest_buttons([18, 19])
    assert env.app is not None
    digest = await env.app.bot.send_message(2001, "今天的提醒", reply_markup=markup)
    sent = next(m for m in env.inbox(2001) if m["message_id"] == digest.message_id)
    await alice.press(sent, "card:18:0")
    card = current(env, sent)
    assert card["text"].startswith("#18 ") and "upd:18" in buttons(card)


async def test_a_card_says_when_the_last_update_was_a_campaign_report(env: ChatEnv) -> None:
    """The card's 最近更新 names what happened then; an older note is said to be older."""
    carol = env.person(2003, "陈老师")
    env.bind(carol, "区文明办")
    await carol.say("/update 24 进行中 50% 5月已开展两场进社区宣传")
    env.clock.advance(days=2)
    add_activity(env.store, when=env.clock.now().strftime("%Y-%m-%d %H:%M"), actor=carol.id)
    card = await open_card(carol, 24)
    assert "陈老师报送了一场活动" in card["text"]
    assert "陈老师报送了一场活动\n此前说明：5月已开展两场进社区宣传" in card["text"]
    assert "陈老师：5月已开展" not in card["text"]  # the note is not dated by the activity
    await carol.say("/update 24 进行中 60% 又开展一场")
    card = await open_card(carol, 24)
    assert "陈老师：又开展一场" in card["text"] and "此前说明" not in card["text"]


async def test_a_list_button_pressed_after_unbinding_is_a_toast(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (listing,) = await alice.say("/mytasks")
    env.store.people.unbind_contact(2001, "区司法局", at=env.clock.now(), actor=1001)
    card_button = next(d for d in buttons(listing) if d.startswith("card:18:"))
    assert await alice.press(listing, card_button) == []
    assert alice.answer is not None and alice.answer["text"] and not alice.answer["show_alert"]
    assert current(env, listing)["text"] == listing["text"]  # nothing changed under it
