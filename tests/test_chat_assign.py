"""交办事项: a coordinator assigns an item in chat (/assign, or step by step from a phone); it
goes into the office's standing list, each unit is told at once with 签收, and from then on it
is reminded, updated, reviewed and escalated like any task. A bad /assign stores nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain.clock import SHANGHAI
from bot.plan.refs import task_ref
from bot.store.plans import PlanError
from bot.telegram.context import OUTBOX
from bot.telegram.courier import sweep
from tests.harness import SUMMARY_CHAT, ChatEnv, Message, Person, button_data, current

TRADE, FINANCE = "区商务局", "区财政局"  # 区财政局 has no bound contact in these tests
KEY = 26  # the seeded plan has 25 tasks: the first assigned item's key
TEXT = "报送防汛工作方案。要求明确责任人、物资储备和应急预案，经分管领导签字后报区政府办。"


def coordinator(env: ChatEnv) -> Person:
    coord = env.coordinator
    env.api.started.add(coord.id)  # the coordinator has opened the private chat
    return coord


def trade_contact(env: ChatEnv) -> Person:
    """Alice, bound to 区商务局, who has opened the private chat."""
    alice = env.contact(TRADE, 2001, "Alice")
    env.api.started.add(alice.id)
    return alice


async def morning(env: ChatEnv, at: datetime) -> None:
    env.clock.set(at)
    assert env.app is not None and env.services is not None
    await sweep(env.app.bot_data[OUTBOX], env.services)


def notice_of(person: Person) -> Message:
    return next(m for m in reversed(person.inbox()) if "新交办事项" in m.get("text", ""))


def buttons_of(message: Message) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def nothing_stored(env: ChatEnv) -> None:
    assert env.store.plans.assigned() is None
    assert env.store.plan.task(KEY) is None
    assert env.store.history.events(task=KEY) == []


async def test_assign_in_one_line(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = trade_contact(env)
    (answer,) = await coord.say(f"/assign {TRADE}、{FINANCE} 7月15日前 {TEXT}")
    text = answer["text"]
    listing = env.store.plans.assigned()
    assert listing is not None and listing.kind == "assigned" and listing.code == "B"
    assert listing.title == "交办事项" and listing.active
    assert "已交办 #B1" in text and task_ref(KEY) == "#B1"  # two active plans: refs coded
    assert f"{TRADE}（牵头）、{FINANCE}（配合）" in text and "2021年7月15日（周四）" in text
    assert f"已送达：{TRADE}" in text and f"无联系人：{FINANCE}" in text  # who was not reached
    task = env.store.plan.task(KEY)
    assert task is not None and (task.number, task.plan) == (1, listing.slot)
    assert task.leads == (TRADE,) and task.supporters == (FINANCE,)
    assert task.title == "报送防汛工作方案" and task.text == TEXT
    assert task.deadline.kind == "once" and task.deadline.due == date(2021, 7, 15)
    assert env.store.parts.state(KEY, TRADE)["role"] == "lead"
    assert env.store.parts.state(KEY, FINANCE)["role"] == "supporter"
    (added,) = env.store.history.events(task=KEY, kinds=["plan.task_added"])
    assert added["plan"] == listing.slot and added["actor"] == coord.id
    # the lead's contact is told at once: the whole text, and 签收
    notice = notice_of(alice)
    assert "#B1 报送防汛工作方案" in notice["text"] and "2021年7月15日" in notice["text"]
    assert "分管领导签字后报区政府办" in notice["text"]
    assert buttons_of(notice)["签收 #B1"].startswith(f"sgn:{KEY}:")
    await alice.press(notice, next(d for d in button_data(notice) if d.startswith("sgn:")))
    assert env.store.history.events(task=KEY, kinds=["receipt"])[0]["unit"] == TRADE
    # a second item: the next number of the same list
    (second,) = await coord.say(f"/assign {FINANCE} 下周五 核对防汛物资台账")
    assert "已交办 #B2" in second["text"] and "2021年7月2日（周五）" in second["text"]
    assert [p.kind for p in env.store.plans.all()] == ["plan", "assigned"]
    assert env.store.plan.task(KEY + 1) is not None


async def test_the_assigned_list_cannot_be_closed(env: ChatEnv) -> None:
    await coordinator(env).say(f"/assign {TRADE} 月底前 报送防汛工作方案")
    listing = env.store.plans.assigned()
    assert listing is not None
    assert env.store.plan.task(KEY) is not None
    with pytest.raises(PlanError) as refused:
        env.store.plans.close(listing.code, at=env.clock.now(), actor="cli")
    assert refused.value.reason == "assigned"
    assert env.store.plan.is_followed(KEY)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (f"/assign 区商务曲 7月15日 {TEXT}", "你是不是要找“区商务局”"),
        (f"/assign {TRADE}、区财正局 7月15日 {TEXT}", "你是不是要找“区财政局”"),
        (f"/assign 7月15日 {TEXT}", "请先写交办给哪个单位"),
        (f"/assign {TRADE} 报送防汛工作方案", "请在单位后写明完成时限"),
        (f"/assign {TRADE} 7月32日 报送防汛工作方案", "看不懂日期“7月32日”"),
        (f"/assign {TRADE} 6月1日 报送防汛工作方案", "2021年6月1日（周二）已经过去"),
        (f"/assign {TRADE} 2024-07-15 报送防汛工作方案", "请检查年份"),
        (f"/assign {TRADE} 7月15日前", "请在日期后写明交办内容"),
    ],
)
async def test_a_bad_assign_is_explained_and_stores_nothing(
    env: ChatEnv, command: str, said: str
) -> None:
    (answer,) = await coordinator(env).say(command)
    assert said in answer["text"] and "未交办" in answer["text"]
    assert "例如：/assign 区商务局、区财政局 7月15日前" in answer["text"]  # with an example
    nothing_stored(env)


async def test_only_coordinators_assign(env: ChatEnv) -> None:
    alice = trade_contact(env)
    (answer,) = await alice.say(f"/assign {TRADE} 7月15日 报送防汛工作方案")
    assert "仅供督办人员使用" in answer["text"]
    nothing_stored(env)


async def test_assign_step_by_step(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = trade_contact(env)
    (ask,) = await coord.say("/assign")
    assert "交办给哪些单位" in ask["text"]
    offered = buttons_of(ask)
    assert TRADE in offered and "下一步" in offered  # units someone can be told
    (more,) = await coord.press(ask, offered[TRADE])
    assert f"已选：{TRADE}（牵头）" in more["text"] and buttons_of(more) == offered
    (ask_date,) = await coord.say("区财正局")  # a typo: asked again, with the nearest
    assert "你是不是要找“区财政局”" in ask_date["text"]
    (ask_date,) = await coord.say(FINANCE)
    assert f"{TRADE}（牵头）、{FINANCE}（配合）" in ask_date["text"]
    dates = buttons_of(ask_date)
    assert list(dates) == ["本周五 6月25日", "下周五 7月2日", "月底 6月30日"]
    (again,) = await coord.say("6月1日")  # past: asked again
    assert "已经过去" in again["text"]
    (ask_text,) = await coord.press(ask_date, dates["下周五 7月2日"])
    assert "2021年7月2日（周五）" in ask_text["text"] and "交办内容" in ask_text["text"]
    (card,) = await coord.say(TEXT)
    assert "请确认交办事项" in card["text"] and "分管领导签字" in card["text"]
    assert env.store.plan.task(KEY) is None  # nothing stored before 确认
    choice = buttons_of(card)
    (done,) = await coord.press(card, choice["确认"])
    assert "已交办 #B1" in done["text"] and f"已送达：{TRADE}" in done["text"]
    assert not current(env, card).get("reply_markup")  # the card's buttons are used up
    task = env.store.plan.task(KEY)
    assert task is not None and task.deadline.due == date(2021, 7, 2)
    assert task.leads == (TRADE,) and task.supporters == (FINANCE,)
    assert "新交办事项" in notice_of(alice)["text"]


async def test_assign_step_by_step_cancelled(env: ChatEnv) -> None:
    coord = coordinator(env)
    (ask,) = await coord.say("/assign")
    await coord.say(TRADE)
    await coord.say("月底")
    (card,) = await coord.say("报送防汛工作方案")
    (cancelled,) = await coord.press(card, buttons_of(card)["取消"])
    assert "已取消，未交办" in cancelled["text"]
    assert "当前没有进行中的操作" in (await coord.say("/cancel"))[-1]["text"]
    await coord.say("/assign")
    await coord.say(TRADE)
    assert "已取消" in (await coord.say("/cancel"))[-1]["text"]
    assert "时限" not in (await coord.say("下周五"))[-1]["text"]  # not taken as the date
    nothing_stored(env)


# -- an assigned item is a task like any other ------------------------------------------------
async def test_an_assigned_item_is_reminded_updated_and_approved(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = trade_contact(env)
    await coord.say(f"/assign {TRADE} 6月30日 报送防汛工作方案")
    # the sweep of 23 June (7 days before) reminds the lead, like a plan's task
    await morning(env, datetime(2021, 6, 23, 9, 1, tzinfo=SHANGHAI))
    (told,) = env.store.history.events(
        task=KEY, kinds=["reminder"], where=lambda ev: ev.get("reminder_kind") == "upcoming"
    )
    assert told["unit"] == TRADE and told["chat"] == alice.id
    digest = alice.inbox()[-1]
    assert "报送防汛工作方案" in digest["text"]
    # the unit updates it by its ref, and claims it done by replying to the notice
    (recorded,) = await alice.say("/update B1 进行中 50% 已起草初稿")
    assert "已记录 #B1 区商务局的进度" in recorded["text"]
    state = env.store.parts.state(KEY, TRADE)
    assert state["status"] == "doing" and state["percent"] == 50
    await alice.reply(notice_of(alice), "已完成 方案已报区政府办")
    assert env.store.parts.state(KEY, TRADE)["claim"] == "pending"
    card = next(
        m for m in reversed(coord.inbox()) if any(d.startswith("rv:") for d in button_data(m))
    )
    approve = next(d for d in button_data(card) if d.startswith("rv:ok"))
    await coord.press(card, approve)
    await coord.press(current(env, card), approve.replace("rv:", "rvy:"))  # no evidence: confirm
    assert env.store.parts.state(KEY, TRADE)["status"] == "done"
    assert env.store.plan.task_meta(KEY)["closed"]


async def test_an_overdue_assigned_item_is_escalated(env: ChatEnv) -> None:
    coord = coordinator(env)
    trade_contact(env)
    env.group(SUMMARY_CHAT, "督办协调群", [coord])
    await coord.say(f"/assign {TRADE} 今天 报送防汛工作方案")
    await morning(env, datetime(2021, 6, 28, 9, 1, tzinfo=SHANGHAI))  # 5 workdays overdue
    escalated = env.store.history.events(
        task=KEY, kinds=["reminder"], where=lambda ev: ev.get("reminder_kind") == "escalation"
    )
    assert {ev["chat"] for ev in escalated} >= {SUMMARY_CHAT, coord.id}
    group = env.inbox(SUMMARY_CHAT)[-1]["text"]
    assert "逾期督办升级" in group and "报送防汛工作方案" in group and TRADE in group
