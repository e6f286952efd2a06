"""滞后序时进度 in chat: the coordinator's /status and /overdue, the lead's card.

#24 (区文明办 leads) is due 31 December in two steps; its 30 June node has passed unreported.
"""

from __future__ import annotations

from datetime import date

from bot.plan.model import Milestone
from bot.telegram.callbacks import Page
from tests.harness import ChatEnv, button_data, current, open_card
from tests.prepared import at, mark_done, with_milestones

JUNE = Milestone(date(2021, 6, 30), "出台实施方案")
DECEMBER = Milestone(date(2021, 12, 31), "全面完成")
JULY_1 = date(2021, 7, 1)


def line_of(text: str, task: int) -> str:
    return next(ln for ln in text.splitlines() if f"#{task} " in ln)


async def test_a_missed_node_shows_in_status_overdue_and_the_card_until_reported_done(
    env: ChatEnv,
) -> None:
    assert env.services is not None
    with_milestones(env.services, 24, JUNE, DECEMBER)
    env.clock.set(at("2021-07-01 10:00"))
    boss, lead = env.coordinator, env.contact("区文明办", 2301, "赵六")

    (overview,) = await boss.say("/status")
    assert "🟡 滞后序时进度" in overview["text"]
    assert "🟡滞后序时进度" in line_of(overview["text"], 24)
    (task,) = await boss.say("/status 24")
    assert "序时进度：应完成 50%，牵头已报 0% · 🟡 滞后序时进度" in task["text"]
    assert "节点未完成：出台实施方案" in task["text"]

    # /overdue: the lagging tasks in a section of their own, below the first page's overdue
    (first,) = await boss.say("/overdue")
    assert "🟡 滞后序时进度（" in first["text"]
    assert "• #24 " in first["text"].split("🟡 滞后序时进度（")[1]
    assert "sc:24:ov:0:0" in button_data(first)  # its #24 opens the task
    await boss.press(first, Page("ov", 1).pack())
    assert "滞后序时进度" not in current(env, first)["text"]  # once, not on every page

    card = await open_card(lead, 24)
    assert "🟡 滞后序时进度" in card["text"]
    assert "🔴 6月30日 出台实施方案" in card["text"]  # the missed node among its milestones

    mark_done(env.services, 24, "区文明办", JULY_1, JUNE, by=lead.id)
    env.services.store.parts.update_state(
        24, "区文明办", at=at("2021-07-01 10:05"), actor=lead.id, status="doing", percent=50
    )
    (task,) = await boss.say("/status 24")
    assert "序时进度：应完成 50%，牵头已报 50%" in task["text"]
    assert "滞后" not in task["text"] and "节点未完成" not in task["text"]
    (overview,) = await boss.say("/status")
    assert "滞后" not in line_of(overview["text"], 24)
