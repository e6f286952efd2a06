"""/plans: a coordinator lists the plans side by side, closes one at year end (asked first),
reopens it, renames its code; the assigned-items list is never closed; nobody else may."""

from __future__ import annotations

from bot.plan import parse_text
from bot.plan.refs import task_ref
from tests.harness import COORDINATOR, ChatEnv, button_data, current
from tests.plan_writers import SPECIAL


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


def side_by_side(env: ChatEnv) -> None:
    """Plan B (a special plan, 3 tasks) beside plan A, and the assigned-items list C."""
    now = env.clock.now()
    env.store.plan.import_plan(parse_text(SPECIAL), at=now, into="new")
    env.store.plans.create(kind="assigned", title="", year=None, source="", at=now, actor=1)


async def test_plans_lists_each_plan_with_close_buttons(env: ChatEnv) -> None:
    side_by_side(env)
    (listing,) = await env.coordinator.say("/plans")
    lines = listing["text"].splitlines()
    assert lines[0] == "督办方案（3 个）"
    assert lines[1].startswith("A《") and "2021 年·进行中·25 项·导入方案" in lines[1]
    assert lines[2] == "B《镇海区2022年营商环境专…》2022 年·进行中·3 项·导入方案"
    assert lines[3] == "C《交办事项》进行中·0 项·交办事项"
    assert "关闭后不再提醒和催办，仍可查看和导出" in listing["text"]
    assert "/plans rename A X" in listing["text"]
    assert button_data(listing) == ["pln:close:1", "pln:close:2"]  # none for the assigned list


async def test_closing_asks_first_then_closes_and_records(env: ChatEnv) -> None:
    side_by_side(env)
    boss = env.coordinator
    (listing,) = await boss.say("/plans")
    (question,) = await boss.press(listing, "pln:close:1")
    assert "关闭方案 A《" in question["text"]
    assert "关闭后不再提醒和催办，仍可查看和导出" in question["text"]
    assert button_data(question) == ["pln:confirm:1", "pln:keep:1"]
    assert env.store.plans.by_code("A").active  # nothing closed yet
    history = env.store.history.events(task=18)
    replies = await boss.press(question, "pln:confirm:1")
    assert len(replies) == 1 and "已关闭方案 A《" in replies[0]["text"]
    assert not env.store.plans.by_code("A").active
    (event,) = env.store.history.events(kinds=["plan.closed"])
    assert event["plan"] == 1 and event["code"] == "A" and event["actor"] == COORDINATOR
    assert button_data(current(env, question)) == []
    # closed, still readable: the card of its task, under its coded ref
    assert env.store.plan.task(18) is not None and task_ref(18) == "#A18"
    assert env.store.history.events(task=18) == history and history
    (listing,) = await boss.say("/plans")
    assert "2021 年·已关闭·25 项" in listing["text"]
    assert button_data(listing) == ["pln:reopen:1", "pln:close:2"]
    (again,) = await boss.press(listing, "pln:reopen:1")
    assert "已重开方案 A《" in again["text"] and env.store.plans.by_code("A").active
    (event,) = env.store.history.events(kinds=["plan.reopened"])
    assert event["plan"] == 1 and event["actor"] == COORDINATOR


async def test_cancel_keeps_the_plan_and_stale_buttons_are_refused(env: ChatEnv) -> None:
    side_by_side(env)
    boss = env.coordinator
    (listing,) = await boss.say("/plans")
    (question,) = await boss.press(listing, "pln:close:2")
    assert "已取消" in text(await boss.press(question, "pln:keep:2"))
    assert env.store.plans.by_code("B").active and not env.store.history.events(
        kinds=["plan.closed"]
    )
    (question,) = await boss.press(listing, "pln:close:2")
    await boss.press(question, "pln:confirm:2")
    assert await boss.press(listing, "pln:close:2") == []  # the list is older than the close
    assert boss.answer is not None and "已经关闭" in boss.answer["text"]
    assert len(env.store.history.events(kinds=["plan.closed"])) == 1


async def test_plans_by_command_and_rename(env: ChatEnv) -> None:
    side_by_side(env)
    boss = env.coordinator
    (question,) = await boss.say("/plans close B")
    assert "关闭方案 B《" in question["text"] and button_data(question)[0] == "pln:confirm:2"
    (renamed,) = await boss.say("/plans rename b zx")
    assert renamed["text"] == "方案 B《镇海区2022年营商环境专…》的代号已改为 ZX。"
    assert env.store.plans.get(2).code == "ZX"
    (event,) = env.store.history.events(kinds=["plan.renamed"])
    assert event["code"] == "ZX" and event["old_code"] == "B"
    (key,) = env.store.plan.find("ZX", 3)
    assert task_ref(key) == "#ZX3"
    await boss.press(question, "pln:confirm:2")  # the button names the plan, not its old code
    assert not env.store.plans.get(2).active
    assert "已重开方案 ZX" in text(await boss.say("/plans reopen zx"))


async def test_refusals(env: ChatEnv) -> None:
    side_by_side(env)
    boss = env.coordinator
    assert "没有代号为 Q 的方案" in text(await boss.say("/plans close Q"))
    assert "没有代号为 Q 的方案" in text(await boss.say("/plans rename Q X"))
    assert "交办事项清单不能关闭" in text(await boss.say("/plans close C"))
    assert "代号“1B”不可用" in text(await boss.say("/plans rename B 1B"))
    assert "代号“TOOLONG”不可用" in text(await boss.say("/plans rename B toolong"))
    assert "代号 A 已被其他方案使用" in text(await boss.say("/plans rename B A"))
    assert "没有关闭，无需重开" in text(await boss.say("/plans reopen A"))
    assert "用法" in text(await boss.say("/plans shut A"))
    assert [p.code for p in env.store.plans.all()] == ["A", "B", "C"]
    assert all(p.active for p in env.store.plans.all())


async def test_only_coordinators_see_or_change_plans(env: ChatEnv) -> None:
    side_by_side(env)
    (listing,) = await env.coordinator.say("/plans")
    alice = env.contact()
    assert "仅供督办人员" in text(await alice.say("/plans"))
    assert "仅供督办人员" in text(await alice.say("/plans close A"))
    await alice.press(listing, "pln:close:1")
    assert env.store.plans.by_code("A").active
    assert not env.store.history.events(kinds=["plan.closed"])


async def test_plans_is_in_help_and_the_coordinators_menu(env: ChatEnv) -> None:
    assert "/plans" in text(await env.coordinator.say("/help"))
    menu = {c["command"] for c in env.api.commands_for(COORDINATOR, COORDINATOR)}
    assert "plans" in menu
    alice = env.contact()
    assert "/plans" not in text(await alice.say("/help"))
    assert "plans" not in {c["command"] for c in env.api.commands_for(alice.id, alice.id)}
