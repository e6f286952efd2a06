"""Dialogues: /update, the 更新进度 buttons, 标记完成, replies to cards, refusals."""

from __future__ import annotations

import pytest

from bot.features import pending
from bot.store import Store
from tests.harness import COORDINATOR, ChatEnv, Person, open_card


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


async def card_for(person: Person, task_id: int) -> dict:
    """Task N's card: /mytasks, then its `#N` button (the list message becomes the card)."""
    return await open_card(person, task_id)


async def status_question(env: ChatEnv) -> tuple[Person, dict]:
    """区司法局's contact, and the question 更新进度 on task 18's card asks: 请选择当前状态."""
    alice = env.contact()
    card = await card_for(alice, 18)
    (question,) = await alice.press(card, "upd:18")
    return alice, question


async def test_update_command(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("/update 18 进行中 60% 已完成初稿")
    assert "已记录 #18" in reply["text"]
    assert "状态：进行中" in reply["text"] and "进度：60%" in reply["text"]
    assert "说明：已完成初稿" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None
    assert (state["status"], state["percent"], state["note"]) == ("doing", 60, "已完成初稿")
    assert state["updated_by"] == 2001


async def test_update_english_words_and_fullwidth_percent(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/update #18 blocked 30％")
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("blocked", 30)


async def test_update_refusals_store_nothing(env: ChatEnv) -> None:
    alice = env.contact()
    before = env.store.history.event_count()
    answers = {
        "/update": "任务编号",
        "/update 18": "请写明状态",
        "/update 18 差不多了": "不认识状态“差不多了”",
        "/update 99 进行中": "没有编号为 #99 的任务",
        "/update 18 进行中 120%": "0% 到 100%",
        "/update 18 本月无": "不是按月或按季",
        "/update 十八 进行中": "不是任务编号",
    }
    for command, expected in answers.items():
        (reply,) = await alice.say(command)
        assert expected in reply["text"], (command, reply["text"])
    assert env.store.history.event_count() == before


async def test_note_too_long_refused(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("/update 18 进行中 " + "长" * 2001)
    assert "2001" in reply["text"] and "2000" in reply["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []
    (reply,) = await alice.say("/update 18 进行中 " + "长" * 2000)
    assert "已记录" in reply["text"]


async def test_html_in_note_is_stored_as_written_and_shown_safely(env: ChatEnv) -> None:
    alice = env.contact()
    note = "<b>加粗</b> & <script>x</script> 1<2"
    (reply,) = await alice.say(f"/update 18 进行中 {note}")
    assert note in reply["text"]  # shown literally: it reached Telegram escaped
    assert not any(e["type"] == "bold" and e["offset"] > 20 for e in reply.get("entities", []))
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["note"] == note
    (detail,) = await alice.say("/task 18")
    assert note in detail["text"]


async def test_nil_return_for_monthly_task(env: ChatEnv) -> None:
    dora = env.contact("区发改局", 2002, "Dora")
    (reply,) = await dora.say("/update 1 本月无")
    # the period as people say it (found in a month's rehearsal: "2021-07 无新增")
    assert "2021年6月 无新增" in reply["text"]
    state = env.store.parts.state(1, "区发改局")
    assert state is not None and state["reported"] == ["2021-06"]


async def test_contact_cannot_update_another_unit(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("/update 18 区市场监管局 已完成")
    assert "你没有绑定区市场监管局" in reply["text"]
    assert env.store.history.events(task=18, unit="区市场监管局") == []
    (reply,) = await alice.say("/update 17 进行中")  # 区司法局 has no part in #17
    assert "不是 #17 的责任单位" in reply["text"]


async def test_contact_of_two_units_must_name_one(env: ChatEnv) -> None:
    carol = env.contact("区司法局", 2003, "Carol")
    env.bind(carol, "区市场监管局")
    (reply,) = await carol.say("/update 18 进行中")
    assert "请注明" in reply["text"] and "区市场监管局" in reply["text"]
    (reply,) = await carol.say("/update 18 区市场监管局 进行中 20%")
    assert "区市场监管局" in reply["text"]
    state = env.store.parts.state(18, "区市场监管局")
    assert state is not None and state["percent"] == 20


async def test_coordinator_acts_for_a_unit(env: ChatEnv) -> None:
    (reply,) = await env.coordinator.say("/update 18 区司法局 受阻 等待数据")
    assert "由督办代为更新" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["status"] == "blocked"
    assert state["updated_by"] == COORDINATOR and "on_behalf" not in state
    assert env.store.history.events(task=18, unit="区司法局")[-1]["on_behalf"] is True
    (reply,) = await env.coordinator.say("/update 18 进行中")
    assert "请注明" in reply["text"]


async def test_lead_done_goes_to_review(env: ChatEnv) -> None:
    alice = env.contact()
    await env.coordinator.say("/start")  # Telegram lets a bot write only to those who did
    (reply,) = await alice.say("/update 18 已完成 全部完成")
    assert "完成申请" in reply["text"] and "审核" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["claim"] == "pending" and state["status"] != "done"
    notice = env.inbox(COORDINATOR)[-1]
    assert "#18" in notice["text"] and "Alice" in notice["text"]
    data = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    # the other lead (区市场监管局) is open: the supporters' parts cannot be closed with it
    assert "其他牵头单位尚未完成：区市场监管局" in notice["text"]
    assert data[0].startswith("rv:okk:") and data[1].startswith("rv:no:") and len(data) == 2
    (reply,) = await alice.say("/update 18 已完成")
    assert "已在审核中" in reply["text"]
    assert env.inbox(COORDINATOR)[-1] == notice


async def test_supporter_done_is_immediate(env: ChatEnv) -> None:
    dora = env.contact("区发改局", 2002, "Dora")
    (reply,) = await dora.say("/update 18 已完成")
    assert "状态：已完成" in reply["text"]
    state = env.store.parts.state(18, "区发改局")
    assert state is not None and state["status"] == "done"
    assert env.inbox(COORDINATOR) == []


async def test_buttons_dialogue(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    assert "请选择当前状态" in question["text"]
    (ask,) = await alice.press(question, "st:18:doing")
    assert "跳过" in str(ask["reply_markup"])
    (reply,) = await alice.say("70% 完成征求意见")
    assert "进度：70%" in reply["text"] and "完成征求意见" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 70)
    # The dialogue is over: plain text right after is kept and offered #18, not recorded.
    (ask,) = await alice.say("80%")
    assert "是 #18 的进展吗" in ask["text"]
    assert env.store.parts.state(18, "区司法局")["percent"] == 70  # type: ignore[index]


async def test_reply_to_the_status_prompt_is_a_note_on_its_task(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    (reply,) = await alice.reply(question, "正在汇总各科室材料")
    assert "已记录 #18 区司法局" in reply["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "正在汇总各科室材料"  # type: ignore[index]


async def test_buttons_dialogue_skip(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    (ask,) = await alice.press(question, "st:18:blocked")
    (reply,) = await alice.press(ask, "skip:18")
    assert "状态：受阻" in reply["text"]
    assert env.store.parts.state(18, "区司法局")["status"] == "blocked"  # type: ignore[index]


async def test_buttons_dialogue_cancel(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    (ask,) = await alice.press(question, "st:18:done")
    (reply,) = await alice.say("/cancel")
    assert "已取消" in reply["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []
    (reply,) = await alice.say("/cancel")
    assert "没有进行中的操作" in reply["text"]
    await alice.press(ask, "skip:18")  # a button of the abandoned dialogue
    assert alice.answer is not None and "失效" in alice.answer["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []


async def test_detail_errors_keep_the_dialogue(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    await alice.press(question, "st:18:doing")
    (reply,) = await alice.say("150% 太多")
    assert "0% 到 100%" in reply["text"]
    (reply,) = await alice.say("50% 一半")
    assert "进度：50%" in reply["text"]


async def test_done_button(env: ChatEnv) -> None:
    dora = env.contact("区发改局", 2002, "Dora")
    card = await card_for(dora, 18)
    (reply,) = await dora.press(card, "done:18")
    assert "状态：已完成" in reply["text"]
    assert env.store.parts.state(18, "区发改局")["status"] == "done"  # type: ignore[index]
    await env.coordinator.say("/start")
    alice = env.contact()
    card = await card_for(alice, 18)
    (reply,) = await alice.press(card, "done:18")
    assert "完成申请" in reply["text"]
    assert "完成申请待审核" in env.inbox(COORDINATOR)[-1]["text"]


async def test_reply_to_card_is_a_note(env: ChatEnv) -> None:
    alice = env.contact()
    card = await card_for(alice, 18)
    (reply,) = await alice.reply(card, "已与市场监管局对接 <确认>")
    assert "已记录 #18 区司法局" in reply["text"] and "已与市场监管局对接 <确认>" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["note"] == "已与市场监管局对接 <确认>"
    assert state["status"] == "todo"
    (event,) = env.store.history.events(task=18, unit="区司法局")
    assert event["kind"] == "note"


async def test_reply_to_task_detail_uses_the_only_unit(env: ChatEnv) -> None:
    alice = env.contact()
    (detail,) = await alice.say("/task 18")
    (reply,) = await alice.reply(detail, "补充说明")
    assert "区司法局" in reply["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "补充说明"  # type: ignore[index]


async def test_reply_to_a_digest_names_the_task_or_is_asked_which(env: ChatEnv) -> None:
    alice = env.contact()
    (help_message,) = await alice.say("/help")
    for task in (4, 18):  # a morning digest about two tasks, as the reminder sweep sends
        env.store.deliveries.remember_message(
            alice.id, help_message["message_id"], task=task, unit="区司法局", kind="digest"
        )
    (ask,) = await alice.reply(help_message, "已完成初稿")
    assert "#4" in ask["text"] and "#18" in ask["text"] and "已保留" in ask["text"]
    assert env.store.history.events(unit="区司法局", kinds=["note"]) == []  # kept, not yet filed
    (wrong,) = await alice.reply(help_message, "#7 已完成初稿")
    assert "不涉及 #7" in wrong["text"]
    (done,) = await alice.reply(help_message, "＃18 已完成初稿")
    assert "已记录 #18 区司法局" in done["text"]
    assert env.store.parts.state(18, "区司法局")["note"] == "已完成初稿"  # type: ignore[index]
    assert env.store.parts.state(4, "区司法局")["note"] is None  # type: ignore[index]


async def test_reply_to_unknown_message(env: ChatEnv) -> None:
    alice = env.contact()
    (help_message,) = await alice.say("/help")
    (reply,) = await alice.reply(help_message, "这是什么")
    assert "无法确定" in reply["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []


async def test_card_of_other_unit_cannot_be_used(env: ChatEnv) -> None:
    bob = env.contact("区市场监管局", 2002, "Bob")
    card = await card_for(bob, 18)
    env.store.people.unbind_contact(2002, "区市场监管局", at=env.clock.now(), actor=COORDINATOR)
    env.bind(bob, "区司法局")
    (reply,) = await bob.reply(card, "想改别人的")
    assert "你没有绑定区市场监管局" in reply["text"]
    await bob.press(card, "done:18")
    assert (
        env.store.history.events(task=18, unit="区市场监管局", kinds=["status", "note", "claim"])
        == []
    )


async def test_dialogue_survives_a_restart(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    await env.restart()  # between the two buttons
    (ask,) = await alice.press(question, "st:18:doing")
    assert "跳过" in str(ask["reply_markup"])
    await env.restart()  # between the status and the detail
    (reply,) = await alice.say("70% 完成征求意见")
    assert "进度：70%" in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 70)
    await env.restart()  # the finished dialogue stays finished: 80% is kept, #18 offered
    (ask,) = await alice.say("80%")
    assert "是 #18 的进展吗" in ask["text"]
    assert env.store.parts.state(18, "区司法局")["percent"] == 70  # type: ignore[index]


async def test_dialogue_is_on_disk_as_soon_as_a_step_is_answered(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    await alice.press(question, "st:18:blocked")
    # What a kill -9 now would leave: the store as another process reads it from disk.
    on_disk = Store(env.data_dir, read_only=True)
    wait = pending.expected(on_disk, alice.id, "dialogue", env.clock.now())
    assert wait is not None and wait["step"] == "detail"
    assert (wait["draft"]["task"], wait["draft"]["status"]) == (18, "blocked")
    await env.restart()
    (reply,) = await alice.say("等待上级批复")
    assert "状态：受阻" in reply["text"] and "等待上级批复" in reply["text"]
    assert pending.expected(env.store, alice.id, "dialogue", env.clock.now()) is None


async def test_a_dialogue_restored_after_its_timeout_takes_no_text(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    (ask,) = await alice.press(question, "st:18:doing")
    await env.restart()
    env.clock.advance(minutes=pending.WAIT.total_seconds() // 60 + 1)  # judged on the bot's clock
    (lapsed,) = await alice.say("70% 完成征求意见")
    assert "已作废" in lapsed["text"] and "/update" in lapsed["text"]
    (hint,) = await alice.say("70% 完成征求意见")  # told once; then it is text like any other
    assert "已作废" not in hint["text"] and "/update" in hint["text"]
    await alice.press(ask, "skip:18")
    assert alice.answer is not None and "失效" in alice.answer["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own use
async def test_a_429_is_waited_out_and_the_update_acted_on_once(env: ChatEnv) -> None:
    alice = env.contact()
    # AIORateLimiter waits the second out and sends again; the update is not processed twice.
    env.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    (reply,) = await alice.say("/update 18 进行中 30%")
    assert "已记录 #18" in reply["text"]
    assert len(env.store.history.events(task=18, unit="区司法局", kinds=["status"])) == 1
    assert [c.ok for c in env.api.calls("sendMessage")][-2:] == [False, True]


async def test_cancel_ends_the_dialogue_even_while_a_file_is_awaited(env: ChatEnv) -> None:
    alice, question = await status_question(env)
    await alice.press(question, "st:18:doing")
    (detail,) = await alice.say("/task 18")  # the used card lost its buttons; /task has them
    await alice.press(detail, "ev:18")  # the bot now also waits for a file
    (reply,) = await alice.say("/cancel")
    assert "取消" in reply["text"]
    (hint,) = await alice.say("60% 不该记录")
    assert "/update" in hint["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []


async def test_the_card_names_the_coordinator_not_an_id(env: ChatEnv) -> None:
    alice = env.contact()
    coord = env.coordinator  # called 督办员 on Telegram
    await coord.say("/update 18 区司法局 进行中 50% 督办代报：已完成初稿")
    detail = (await alice.say("/task 18"))[-1]["text"]
    assert "督办员（督办）" in detail and f"（{coord.id}）" not in detail
    assert env.store.people.coordinator_names() == {coord.id: "督办员"}
