"""Refs with two plans side by side: every message names a task `#A3` / `#B3`; what people type
(`3`, `B3`, `#b3`, a caption, a note, a reply) reaches the right plan's task, and a bare number
that is a task of theirs in both plans asks which, with a button each."""

from __future__ import annotations

from bot.features import evidence
from bot.store import Store
from tests.harness import ChatEnv, Person, button_data, current

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def key(store: Store, ref: str) -> int:
    """The task key of a coded ref (`B3`)."""
    (found,) = store.plan.find(ref[0], int(ref[1:]))
    return found


def labels(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def part(store: Store, ref: str, unit: str) -> dict:
    state = store.parts.state(key(store, ref), unit)
    assert state is not None, (ref, unit)
    return dict(state)


def court(env: ChatEnv) -> Person:
    """Carol of 区法院: a supporter of B3, no part in A3."""
    return env.contact("区法院", 2005, "Carol")


def drc(env: ChatEnv) -> Person:
    """Dora of 区发改局: the lead of A3 and a supporter of B3."""
    return env.contact("区发改局", 2002, "Dora")


async def test_messages_name_tasks_by_their_plan(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    alice = env.contact()
    (detail,) = await alice.say("/task 18")
    assert "#A18 全面推行信用承诺制" in detail["text"]
    (listing,) = await alice.say("/mytasks")
    assert "#A18" in labels(listing) and "#B3" in labels(listing)
    assert "#A18" in listing["text"] and "#B3" in listing["text"]
    (card,) = await alice.say("/task b3")  # the code in any case, with or without `#`
    assert "#B3 法律服务领域失信问题专项治理" in card["text"]


async def test_a_bare_number_that_is_theirs_in_one_plan_only_is_that_one(
    two_plans_env: ChatEnv,
) -> None:
    env = two_plans_env
    carol = court(env)
    (answer,) = await carol.say("/update 3 进行中 50% 已约谈两家律所")
    assert "#B3" in answer["text"] and "#A3" not in answer["text"]
    assert part(env.store, "B3", "区法院")["percent"] == 50
    assert env.store.parts.state(key(env.store, "A3"), "区法院") is None


async def test_a_bare_number_that_is_theirs_in_both_plans_asks_which(
    two_plans_env: ChatEnv,
) -> None:
    env = two_plans_env
    dora = drc(env)
    (ask,) = await dora.say("/update 3 进行中 60% 初稿已完成")
    assert "编号 3 在 2 个方案中都有" in ask["text"]
    a3, b3 = key(env.store, "A3"), key(env.store, "B3")
    assert button_data(ask) == [f"kp:{a3}", f"kp:{b3}", "kp:0"]
    assert labels(ask)[0].startswith("#A3 《") and labels(ask)[1].startswith("#B3 《")
    assert "《镇海区2021年诚信缺失" in labels(ask)[1]  # the plan, as its short title
    assert part(env.store, "A3", "区发改局")["percent"] is None  # nothing stored yet
    await env.restart()  # the command waits on disk
    (done,) = await dora.press(ask, f"kp:{b3}")
    assert "#B3" in done["text"] and "60%" in done["text"]
    assert part(env.store, "B3", "区发改局")["percent"] == 60
    assert part(env.store, "B3", "区发改局")["note"] == "初稿已完成"  # what was typed, kept
    assert part(env.store, "A3", "区发改局")["percent"] is None
    assert button_data(current(env, ask)) == []
    # a coded ref never asks
    (coded,) = await dora.say("/update A3 进行中 20%")
    assert "#A3" in coded["text"] and part(env.store, "A3", "区发改局")["percent"] == 20


async def test_the_other_commands_ask_too_and_continue(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    dora = drc(env)
    b3 = key(env.store, "B3")
    (ask,) = await dora.say("/snooze 3 3天")
    assert "编号 3 在 2 个方案中都有" in ask["text"]
    (done,) = await dora.press(ask, f"kp:{b3}")
    assert "已暂停 #B3（区发改局）的提醒" in done["text"]
    assert part(env.store, "B3", "区发改局").get("snoozed_until")
    assert not part(env.store, "A3", "区发改局").get("snoozed_until")
    (ask,) = await dora.say("/task 3")
    (card,) = await dora.press(ask, f"kp:{key(env.store, 'A3')}")
    assert "#A3 健全公共信用信息异议和修复工作机制" in card["text"]
    (ask,) = await dora.say("/update 3 进行中")
    (cancelled,) = await dora.press(ask, "kp:0")
    assert "已取消" in cancelled["text"]
    assert part(env.store, "A3", "区发改局")["status"] == "todo"
    assert part(env.store, "B3", "区发改局")["status"] == "todo"


async def test_a_coordinator_is_asked_too(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    (ask,) = await env.coordinator.say("/status 3")
    assert "编号 3 在 2 个方案中都有" in ask["text"]
    (view,) = await env.coordinator.press(ask, f"kp:{key(env.store, 'B3')}")
    assert "#B3" in view["text"] and "法律服务领域" in view["text"]
    (view,) = await env.coordinator.say("/status 18")  # A's alone: no question
    assert "#A18" in view["text"]


async def test_unknown_refs_are_named_as_typed(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    alice = env.contact()
    (answer,) = await alice.say("/update 99 进行中")
    assert "没有编号为 #99 的任务" in answer["text"]
    (answer,) = await alice.say("/update c3 进行中")
    assert "没有编号为 #C3 的任务" in answer["text"]
    (answer,) = await alice.say("/task B18")
    assert "没有编号为 #B18 的任务" in answer["text"]
    (answer,) = await env.coordinator.say("/status B9")
    assert "#B9" in answer["text"]


async def test_a_coded_note_a_reply_and_a_caption_reach_their_plan(
    two_plans_env: ChatEnv,
) -> None:
    env = two_plans_env
    alice = env.contact()
    # `#B3 …` in a private chat: B's, though A3 is 区司法局's too
    (answer,) = await alice.say("#B3 今天走访了三家律所")
    assert "#B3" in answer["text"]
    assert part(env.store, "B3", "区司法局")["note"] == "今天走访了三家律所"
    assert part(env.store, "A3", "区司法局")["note"] is None
    # a reply to A3's reminder is A3's
    (result,) = await env.coordinator.say("/remind A3")
    assert "催办已发出" in result["text"]
    reminder = next(m for m in alice.inbox() if "#A3" in m["text"])
    (answer,) = await alice.reply(reminder, "已报送修复指南初稿")
    assert "#A3" in answer["text"]
    assert part(env.store, "A3", "区司法局")["note"] == "已报送修复指南初稿"
    assert part(env.store, "B3", "区司法局")["note"] == "今天走访了三家律所"
    # a caption's `#b3`
    (saved,) = await alice.send_document(PDF, "律所名单.pdf", caption="#b3 律所名单")
    assert "已收到 #B3 的佐证材料" in saved["text"]
    assert len(evidence.list_evidence(env.store, key(env.store, "B3"), "区司法局")) == 1
    assert evidence.list_evidence(env.store, key(env.store, "A3")) == []


async def test_a_bare_note_or_caption_in_both_plans_is_kept_while_they_choose(
    two_plans_env: ChatEnv,
) -> None:
    env = two_plans_env
    dora = drc(env)
    a3, b3 = key(env.store, "A3"), key(env.store, "B3")
    (ask,) = await dora.say("#3 修复指南已印发")
    assert button_data(ask) == [f"kp:{a3}", f"kp:{b3}", "kp:0"]
    (done,) = await dora.press(ask, f"kp:{a3}")
    assert "#A3" in done["text"]
    assert part(env.store, "A3", "区发改局")["note"] == "修复指南已印发"  # without the `#3`
    (ask,) = await dora.send_document(PDF, "指南.pdf", caption="#3 指南")
    assert button_data(ask) == [f"kp:{a3}", f"kp:{b3}", "kp:0"]
    assert evidence.list_evidence(env.store, b3) == []
    (saved,) = await dora.press(ask, f"kp:{b3}")
    assert "已收到 #B3 的佐证材料" in saved["text"]
    assert len(evidence.list_evidence(env.store, b3, "区发改局")) == 1
    assert evidence.list_evidence(env.store, a3) == []


async def test_a_closed_plans_tasks_are_read_never_changed(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    alice = env.contact()
    b3 = key(env.store, "B3")
    (card,) = await alice.say("/task B3")  # its buttons, pressed after the plan is closed
    env.store.plans.close("B", at=env.clock.now(), actor="cli")
    refusal = "方案 B《"
    before = part(env.store, "B3", "区司法局")
    for command in (
        "/update B3 进行中 50%",
        "/extend B3 2021-10-15 等待市里模板",
        "/snooze B3 3天",
        "#B3 今天走访了律所",
    ):
        (answer,) = await alice.say(command)
        assert refusal in answer["text"] and "已关闭，任务只能查看" in answer["text"], command
    (answer,) = await alice.send_document(PDF, "名单.pdf", caption="#B3 名单")
    assert refusal in answer["text"]
    assert evidence.list_evidence(env.store, b3) == []
    await alice.press(card, f"upd:{b3}")
    assert alice.answer is not None and "已关闭" in alice.answer["text"]
    assert part(env.store, "B3", "区司法局") == before  # nothing stored
    # still readable: the card, the coordinator's view, the evidence list
    (card,) = await alice.say("/task B3")
    assert "#B3 法律服务领域失信问题专项治理" in card["text"]
    (view,) = await env.coordinator.say("/status B3")
    assert "#B3" in view["text"]
    (files,) = await alice.say("/evidence B3")
    assert "#B3" in files["text"]
    # one plan is active again: its refs are bare, a bare number never picks the closed plan
    (detail,) = await alice.say("/task 18")
    assert "#18 全面推行信用承诺制" in detail["text"]
    carol = court(env)
    (answer,) = await carol.say("/update 3 进行中")
    assert "#3" in answer["text"] and part(env.store, "B3", "区法院")["status"] == "todo"


async def test_in_a_group_and_under_a_digest(two_plans_env: ChatEnv) -> None:
    env = two_plans_env
    dora = drc(env)
    group = -100777
    env.group(group, "信用办工作群", [dora, env.coordinator])
    (posted,) = await env.coordinator.say("/task 18", chat_id=group)
    # buttons in a group are the coordinators': which refs to write instead
    (ack,) = await dora.reply(posted, "#3 指南已印发")
    assert "#A3 或 #B3" in ack["text"]
    assert part(env.store, "A3", "区发改局")["note"] is None
    (ack,) = await dora.reply(posted, "#B3 指南已印发")
    assert "已记录 #B3 区发改局" in ack["text"]
    assert part(env.store, "B3", "区发改局")["note"] == "指南已印发"
    # a reply to a message about both #3s: a coded ref picks one
    (digest,) = await dora.say("/help")
    for ref in ("A3", "B3"):
        env.store.deliveries.remember_message(
            dora.id, digest["message_id"], task=key(env.store, ref), unit="区发改局", kind="digest"
        )
    (answer,) = await dora.reply(digest, "#a3 修复指南已报送")
    assert "#A3" in answer["text"]
    assert part(env.store, "A3", "区发改局")["note"] == "修复指南已报送"


async def test_milestones_take_refs_and_a_closed_plan_keeps_its_own(
    two_plans_env: ChatEnv,
) -> None:
    env = two_plans_env
    alice = env.contact()  # 区司法局: lead of B3, and of A3 beside it
    b3 = key(env.store, "B3")
    (ask,) = await alice.say("/milestone 3 8月31日 建立失信档案")
    assert "编号 3 在 2 个方案中都有" in ask["text"]
    (done,) = await alice.press(ask, f"kp:{b3}")
    assert "#B3" in done["text"]
    b3_task = env.store.plan.task(b3)
    assert b3_task is not None and [m.text for m in b3_task.milestones] == ["建立失信档案"]
    a3_task = env.store.plan.task(key(env.store, "A3"))
    assert a3_task is not None and not a3_task.milestones  # the other plan's #3 untouched
    env.store.plans.close("B", at=env.clock.now(), actor="cli")
    (answer,) = await alice.say("/milestone B3 8月20日 约谈律所")
    assert "已关闭" in answer["text"]
    b3_task = env.store.plan.task(b3)
    assert b3_task is not None and len(b3_task.milestones) == 1  # nothing stored
