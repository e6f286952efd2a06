"""Milestones (时间节点) in chat: /milestone, the card's 时间节点 and ✅ buttons, a contact's move
as a review, done marks and their evidence, and every refusal storing nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.plan.model import Milestone
from tests.harness import ChatEnv, Person, button_data, current, open_card

LEAD, LEAD2, SUPPORTER = "区司法局", "区市场监管局", "区发改局"  # #18, due 2021-06-30; today 6-21


def coordinator(env: ChatEnv) -> Person:
    coord = env.coordinator
    env.api.started.add(coord.id)  # the coordinator has opened the private chat
    return coord


def lead(env: ChatEnv) -> Person:
    """Alice of 区司法局, who has opened the private chat (so she can be told things)."""
    alice = env.contact(LEAD)
    env.api.started.add(alice.id)
    return alice


def milestones(env: ChatEnv, task: int = 18) -> list[tuple[str, str]]:
    found = env.store.plan.task(task)
    assert found is not None
    return [(m.due.isoformat(), m.text) for m in found.milestones]


def events(env: ChatEnv, kind: str) -> list[dict]:
    return env.store.history.events(task=18, kinds=[kind])


def labels(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def seed(env: ChatEnv, *steps: tuple[str, str]) -> None:
    """Milestones on #18 as a coordinator would have added them."""
    for due, text in steps:
        env.store.plan.edit_milestone(
            18, old=None, new=Milestone(date.fromisoformat(due), text), at=env.clock.now(), actor=1
        )


async def test_a_coordinator_adds_moves_and_removes_at_once(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = lead(env)
    replies = await coord.say("/milestone #18 6月25日 完成方案制定")
    assert (
        "已新增时间节点" in replies[-1]["text"] and "2021年6月25日（周五）" in replies[-1]["text"]
    )
    assert milestones(env) == [("2021-06-25", "完成方案制定")]
    assert "督办人员新增了 #18" in alice.inbox()[-1]["text"]  # the lead hears of it
    deadline = env.store.plan.task(18).deadline.due  # type: ignore[union-attr]
    replies = await coord.say("/milestone 18 调整 6月25日 6月28日")
    assert "已调整时间节点" in replies[-1]["text"]
    assert milestones(env) == [("2021-06-28", "完成方案制定")]
    moved = events(env, "milestone.moved")[-1]
    assert moved["old"] == {"due": "2021-06-25", "text": "完成方案制定"}
    assert moved["new"] == {"due": "2021-06-28", "text": "完成方案制定"}
    replies = await coord.say("/milestone 18 删除 6月28日")
    assert "已删除时间节点" in replies[-1]["text"] and milestones(env) == []
    assert events(env, "milestone.removed")[-1]["old"]["due"] == "2021-06-28"
    assert env.store.plan.task(18).deadline.due == deadline  # type: ignore[union-attr]
    assert env.store.parts.state(18, LEAD)["due_override"] is None  # the deadline never moves


async def test_a_lead_contact_adds_and_removes_and_the_coordinators_hear(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = lead(env)
    replies = await alice.say("/milestone 18 下周一 完成试点")
    assert "已新增时间节点" in replies[-1]["text"]
    assert milestones(env) == [("2021-06-28", "完成试点")]
    told = coord.inbox()[-1]["text"]
    assert "Alice（区司法局）新增了 #18 的时间节点" in told and "完成试点" in told
    added = events(env, "milestone.added")[-1]
    assert added["actor"] == alice.id and added["new"] == {"due": "2021-06-28", "text": "完成试点"}
    await alice.say("/milestone 18 删除 6月28日")
    assert milestones(env) == [] and "删除了 #18 的时间节点" in coord.inbox()[-1]["text"]


async def test_a_contacts_move_is_a_request_the_coordinator_approves(env: ChatEnv) -> None:
    coord = coordinator(env)
    seed(env, ("2021-06-25", "完成方案制定"))
    alice = lead(env)
    replies = await alice.say("/milestone 18 调整 6月25日 6月29日")
    assert "等待督办人员审核" in replies[-1]["text"]
    assert milestones(env) == [("2021-06-25", "完成方案制定")]  # not yet
    card = next(m for m in reversed(coord.inbox()) if "rv:" in "".join(button_data(m)))
    assert "时间节点调整申请" in card["text"] and "2021年6月29日（周二）" in card["text"]
    listing = await coord.say("/review")
    assert "节点调整 1 项" in listing[0]["text"]
    record = int(button_data(card)[0].rsplit(":", 1)[1])
    await coord.press(card, f"rv:ok:{record}")
    assert coord.answer and coord.answer["text"] == "已通过"
    assert milestones(env) == [("2021-06-29", "完成方案制定")]
    assert "时间节点调整已通过" in alice.inbox()[-1]["text"]
    kinds = [e["kind"] for e in env.store.history.events(task=18)]
    assert "milestone.request" in kinds and "milestone.moved" in kinds


async def test_a_contacts_move_rejected_stays(env: ChatEnv) -> None:
    coord = coordinator(env)
    seed(env, ("2021-06-25", "完成方案制定"))
    alice = lead(env)
    await alice.say("/milestone 18 调整 6月29日")  # the one open milestone: no old day needed
    card = next(m for m in reversed(coord.inbox()) if "rv:" in "".join(button_data(m)))
    record = int(button_data(card)[0].rsplit(":", 1)[1])
    await coord.press(card, f"rv:no:{record}")
    await coord.say("节点不宜推迟")
    assert milestones(env) == [("2021-06-25", "完成方案制定")]
    told = alice.inbox()[-1]["text"]
    assert "时间节点调整未通过" in told and "节点不宜推迟" in told
    assert events(env, "milestone.reject")[-1]["reason"] == "节点不宜推迟"


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/milestone 18 7月15日 完成验收", "晚于 #18 的截止日期"),
        ("/milestone 18 某天 完成验收", "没有看懂日期"),
        ("/milestone 18 2021-06-01 完成验收", "已经过去"),
        ("/milestone 18 6月25日", "请写明节点内容"),
        ("/milestone 99999 6月25日 完成", "没有编号为 #99999 的任务"),
        ("/milestone 18 删除 6月26日", "没有 2021年6月26日（周六） 的时间节点"),
        ("/milestone 18 调整 6月29日", "#18 没有时间节点"),
    ],
)
async def test_bad_input_is_answered_and_nothing_stored(
    env: ChatEnv, command: str, answer: str
) -> None:
    alice = lead(env)
    before = len(env.store.history.events(task=18))
    replies = await alice.say(command)
    assert answer in replies[-1]["text"]
    assert milestones(env) == [] and len(env.store.history.events(task=18)) == before


async def test_more_than_twelve_milestones_are_refused(env: ChatEnv) -> None:
    seed(env, *((f"2021-06-{d}", f"第{d}步") for d in range(21, 30)))
    seed(env, ("2021-06-30", "甲"), ("2021-06-30", "乙"), ("2021-06-30", "丙"))
    coord = coordinator(env)
    replies = await coord.say("/milestone 18 6月29日 再加一个")
    assert "已有 12 个时间节点" in replies[-1]["text"] and len(milestones(env)) == 12


async def test_supporters_and_strangers_are_refused(env: ChatEnv) -> None:
    carol = env.contact(SUPPORTER, user_id=2003, name="Carol")
    replies = await carol.say("/milestone 18 6月25日 完成方案制定")
    assert "配合单位不能修改" in replies[-1]["text"] and milestones(env) == []
    stranger = env.person(4004, "Mallory")
    replies = await stranger.say("/milestone 18 6月25日 完成方案制定")
    assert milestones(env) == [] and replies  # told they are not bound, nothing stored
    # a supporter sees the milestones, without buttons
    seed(env, ("2021-06-25", "完成方案制定"))
    (panel,) = await carol.say("/milestone 18")
    assert "完成方案制定" in panel["text"] and button_data(panel) == []


async def test_the_card_lists_milestones_and_reports_one_done(env: ChatEnv) -> None:
    seed(env, ("2021-06-22", "制定方案"), ("2021-06-25", "完成试点"), ("2021-06-30", "全面完成"))
    alice = lead(env)
    env.clock.set(env.clock.now().replace(day=23))  # the 22nd's milestone has passed
    card = await open_card(alice, 18)
    text = card["text"]
    assert "时间节点" in text
    assert "🔴 6月22日 制定方案" in text and "⏳ 6月25日 完成试点" in text
    assert "ms:18" in button_data(card)
    done_button = next(b for b in labels(card) if b.startswith("✅"))
    assert done_button == "✅ 完成节点 6月22日"  # the earliest open one
    replies = await alice.press(card, "msa:ok:18:0:20210622")
    assert "已完成" in replies[-1]["text"] and "佐证材料" in replies[-1]["text"]
    marks = env.store.parts.state(18, LEAD)["milestones_done"]
    assert [(m["due"], m["text"], m["by"]) for m in marks] == [("2021-06-22", "制定方案", alice.id)]
    assert events(env, "milestone.done")[-1]["milestone"] == {
        "due": "2021-06-22",
        "text": "制定方案",
    }
    # the evidence sent right after notes the milestone
    saved = await alice.send_document(b"%PDF-1.4 plan", "方案.pdf")
    assert "时间节点：2021年6月22日（周二） 制定方案" in saved[-1]["text"]
    (record,) = env.store.evidence.records()
    assert record["milestone"] == {"due": "2021-06-22", "text": "制定方案"}
    card = await open_card(alice, 18)
    assert "✅ 6月22日 制定方案" in card["text"]
    assert "✅ 完成节点 6月25日" in labels(card)


async def test_done_with_a_command_and_by_a_coordinator(env: ChatEnv) -> None:
    seed(env, ("2021-06-25", "完成试点"), ("2021-06-30", "全面完成"))
    alice = lead(env)
    replies = await alice.say("/milestone 18 完成")
    assert "6月25日 完成试点" in replies[-1]["text"] and "已完成" in replies[-1]["text"]
    replies = await alice.say("/milestone 18 完成 6月25日")
    assert "已报完成" in replies[-1]["text"]  # not twice
    coord = coordinator(env)
    replies = await coord.say("/milestone 18 完成 6月30日")
    assert "督办代报" in replies[-1]["text"]
    for unit in (LEAD, LEAD2):  # on behalf of every lead
        marks = env.store.parts.state(18, unit)["milestones_done"]
        assert ("2021-06-30", "全面完成") in [(m["due"], m["text"]) for m in marks]
    assert events(env, "milestone.done")[-1]["on_behalf"] is True
    replies = await alice.say("/milestone 18 完成")
    assert "都已报完成" in replies[-1]["text"]
    carol = env.contact(SUPPORTER, user_id=2003, name="Carol")
    replies = await carol.say("/milestone 18 完成")
    assert "配合单位不能修改" in replies[-1]["text"]


async def test_the_panel_dialogue_adds_moves_and_removes(env: ChatEnv) -> None:
    coord = coordinator(env)
    (panel,) = await coord.say("/milestone 18")
    assert "暂无时间节点" in panel["text"] and button_data(panel) == ["msa:add:18:0:0"]
    asked = await coord.press(panel, "msa:add:18:0:0")
    assert "请在一条消息里写明日期和节点内容" in asked[-1]["text"]
    wrong = await coord.say("7月20日 太晚了")  # after the deadline: asked again
    assert "晚于 #18 的截止日期" in wrong[-1]["text"] and milestones(env) == []
    done = await coord.say("6月25日 完成方案制定")
    assert "已新增时间节点" in done[-1]["text"]
    assert milestones(env) == [("2021-06-25", "完成方案制定")]
    (panel,) = await coord.say("/milestone 18")
    assert labels(panel) == ["✅ 完成节点 6月25日", "调整", "删除", "新增节点"]
    asked = await coord.press(panel, "msa:mv:18:0:20210625")
    assert "请发送新的日期" in asked[-1]["text"]
    await coord.say("6月28日")
    assert milestones(env) == [("2021-06-28", "完成方案制定")]
    # the old panel's buttons name a milestone that moved: refused, nothing done
    await coord.press(panel, "msa:rm:18:0:20210625")
    assert coord.answer and "已过期" in coord.answer["text"]
    (panel,) = await coord.say("/milestone 18")
    asked = await coord.press(panel, "msa:rm:18:0:20210628")
    assert "确定删除" in asked[-1]["text"] and milestones(env) != []
    await coord.press(asked[-1], "msa:rmy:18:0:20210628")
    assert milestones(env) == []
    assert button_data(current(env, asked[-1])) == []  # used up


async def test_a_reimport_keeps_chat_edits_unless_the_file_changed(env: ChatEnv) -> None:
    from bot.plan.model import Plan

    coord = coordinator(env)
    await coord.say("/milestone 18 6月25日 完成方案制定")
    store, now = env.store, env.clock.now()
    tasks = store.plan.tasks()
    plan = Plan(year=2021, source="same", tasks=[t if t.id != 18 else _as_filed(t) for t in tasks])
    result = store.plan.import_plan(plan, at=now)
    assert 18 in result.unchanged and milestones(env) == [("2021-06-25", "完成方案制定")]
    # the file's cell now gives steps of its own: the file wins, recorded as a revision
    filed = [Milestone(date(2021, 6, 27), "文件节点")]
    plan = Plan(
        year=2021,
        source="changed",
        tasks=[t if t.id != 18 else _as_filed(t, filed) for t in tasks],
    )
    result = store.plan.import_plan(plan, at=now)
    assert 18 in result.changed and milestones(env) == [("2021-06-27", "文件节点")]
    revision = store.history.events(task=18, kinds=["plan.revision"])[-1]
    assert revision["changes"]["milestones"]["old"] == [
        {"due": "2021-06-25", "text": "完成方案制定"}
    ]


def _as_filed(task, steps=()):  # type: ignore[no-untyped-def]
    """The task as the plan file gives it (the chat's milestones not in it)."""
    from dataclasses import replace

    return replace(task, milestones=tuple(steps))


async def test_a_move_naming_one_day_asks_which_when_several_are_open(env: ChatEnv) -> None:
    seed(env, ("2021-06-25", "完成试点"), ("2021-06-28", "总结"))
    coord = coordinator(env)
    replies = await coord.say("/milestone 18 调整 6月29日")
    assert "请写明要调整的节点日期和新的日期" in replies[-1]["text"]
    assert milestones(env) == [("2021-06-25", "完成试点"), ("2021-06-28", "总结")]
    replies = await coord.say("/milestone 18 推迟 6月28日 6月29日")  # a synonym of 调整
    assert milestones(env) == [("2021-06-25", "完成试点"), ("2021-06-29", "总结")]


async def test_an_approved_extension_moves_the_latest_day_a_milestone_may_take(
    env: ChatEnv,
) -> None:
    alice = lead(env)
    env.store.parts.update_state(
        18, LEAD, at=env.clock.now(), actor=1, event="extension.approve", due_override="2021-07-15"
    )
    replies = await alice.say("/milestone 18 7月10日 完成验收")
    assert "已新增时间节点" in replies[-1]["text"]
    replies = await alice.say("/milestone 18 7月20日 全面完成")
    assert "2021年7月15日（周四）" in replies[-1]["text"]  # the extended deadline, no later
    assert milestones(env) == [("2021-07-10", "完成验收")]
    assert env.store.plan.task(18).deadline.due == date(2021, 6, 30)  # type: ignore[union-attr]
