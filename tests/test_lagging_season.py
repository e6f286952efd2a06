"""A season of 序时进度, rehearsed a workday at a time: a December task whose June node is missed.

#24 (区文明办 leads) is due 31 December in three steps. Its lead keeps reporting 30%, within
the tolerance of the 33% due once the June node has passed, so only the missed node makes it
lag. From 1 July it is 🟡 滞后序时进度 in every view (/status, the card, /overdue, the weekly
summary, the export) and its lead is chased about the node, until the node is reported done
on 12 July; from then on it lags nowhere and nobody is chased.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import SHANGHAI
from bot.plan.model import Milestone
from bot.reports import cards, report, summary, views
from bot.reports.due import preview_reminders
from bot.services import Services
from bot.telegram.courier import sweep
from sandbox.botapi import BotApiServer
from tests.harness import BotEnv, bot_env
from tests.prepared import mark_done, with_milestones

TASK, LEAD = 24, "区文明办"
LIAISON = 601
COORD = 9001
JUNE = Milestone(date(2021, 6, 30), "出台实施方案")
SEPTEMBER = Milestone(date(2021, 9, 30), "完成试点")
DECEMBER = Milestone(date(2021, 12, 31), "全面完成")
REPORTED_DONE = date(2021, 7, 12)
MARKER = "滞后序时进度"


@pytest.fixture
async def env(tmp_path: Path, botapi: BotApiServer) -> AsyncIterator[BotEnv]:
    now = datetime(2021, 6, 21, 9, 0, tzinfo=SHANGHAI)  # the plan is imported on a Monday
    settings = {"coordinators": frozenset({COORD})}
    async with bot_env(botapi, tmp_path, now, **settings) as e:
        for uid, name in ((LIAISON, "赵六"), (COORD, "王督办")):
            botapi.add_user(uid, name)
            await botapi.user_sends_text(uid, "/start")
        e.services.store.people.bind_contact(LIAISON, LEAD, name="赵六", at=now)
        with_milestones(e.services, TASK, JUNE, SEPTEMBER, DECEMBER)
        e.services.store.parts.update_state(
            TASK, LEAD, at=now, actor=LIAISON, status="doing", percent=30, note="方案起草中"
        )
        yield e


def workdays(services: Services, first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        if services.calendar.is_workday(day):
            yield day
        day += timedelta(days=1)


def views_of(services: Services, day: date) -> dict[str, str]:
    """Where a coordinator or the unit reads about #24 on `day`: its line or section in each."""
    overview = views.overview_page(services, day).text
    state = services.store.parts.state(TASK, LEAD)
    task = services.store.plan.task(TASK)
    assert state is not None and task is not None
    sheet = report.collect(services, day).sheets[0]
    column = list(sheet.headers).index("序时进度")
    rows = [r for r in sheet.rows if str(r[1]).startswith(f"{TASK}.")]
    return {
        "status": next(ln for ln in overview.splitlines() if f"#{TASK} " in ln),
        "status_count": overview,
        "task": views.task_view(services, TASK, day).text,  # type: ignore[union-attr]
        "card": cards.card(services, task, state, day).text,
        "overdue": views.overdue_view(services, day).text,
        "summary": summary.messages_of(services, day).text,
        "export": str(rows[0][column]),
    }


def section(text: str, heading: str) -> str:
    """The part of `text` from `heading` on ("" without it)."""
    return text.split(heading, 1)[1] if heading in text else ""


def milestone_reminders(services: Services) -> list[dict[str, Any]]:
    return [
        ev
        for ev in services.store.history.events(task=TASK, kinds=["reminder"])
        if ev.get("reminder_kind") == "milestone" and ev.get("unit") == LEAD
    ]


async def test_a_missed_june_node_lags_in_every_view_and_is_chased_until_reported_done(
    env: BotEnv,
) -> None:
    services = env.services
    seen: dict[date, dict[str, str]] = {}
    for day in workdays(services, date(2021, 6, 21), date(2021, 7, 30)):
        if day == REPORTED_DONE:
            mark_done(services, TASK, LEAD, day, JUNE, by=LIAISON)
        env.at(day, 9, 5)
        for item in preview_reminders(services, day):
            if item["kind"] == "milestone":
                assert item["task"] == TASK and item["contacts"] == [LIAISON]
                assert (item["due"], item["text"]) == ("2021-06-30", "出台实施方案")
        await sweep(env.outbox, services)
        await sweep(env.outbox, services)  # a second sweep of the morning sends nothing new
        seen[day] = views_of(services, day)

    lagging = {day for day, shown in seen.items() if MARKER in shown["status"]}
    expected = set(workdays(services, date(2021, 7, 1), REPORTED_DONE - timedelta(days=1)))
    assert lagging == expected
    for day, shown in seen.items():
        behind = day in expected
        assert (MARKER in shown["card"]) is behind, (day, shown["card"])
        assert (MARKER in shown["task"]) is behind, day
        assert (f"• #{TASK} " in section(shown["overdue"], "🟡 滞后序时进度（")) is behind, day
        assert (f"🟡 #{TASK} " in section(shown["summary"], "、滞后序时进度")) is behind, day
        assert (MARKER in shown["export"]) is behind, (day, shown["export"])
        if behind:
            # the numbers are the store's: 1 of 3 nodes passed, the lead's 30%, the June node
            assert "应完成 33%，牵头已报 30%" in shown["card"]
            assert "🔴 6月30日 出台实施方案" in shown["card"]  # among the card's milestones
            assert "6月30日（周三） 节点未完成：出台实施方案" in shown["task"]
            assert "🟡 滞后序时进度" in shown["status_count"]
            assert "2021-06-30 出台实施方案" in shown["export"]
            assert "滞后序时进度：" in shown["summary"] and "🟡 #24" in shown["summary"]
    # reported done on 12 July: 33% due, 30% reported, within the tolerance, lagging nowhere
    after = seen[REPORTED_DONE]
    assert "应完成 33%，牵头已报 30%" in after["card"] and "🔴" not in after["card"]
    assert "✅ 6月30日 出台实施方案" in after["card"]

    # before the node: the deadline's 7/3/1-day reminders and the due day; after it, the chase
    # on the first workday late and every 3 workdays, until the node was reported done
    sent = milestone_reminders(services)
    days = [date.fromisoformat(ev["at"][:10]) for ev in sent]
    assert days == [
        date(2021, 6, 23),
        date(2021, 6, 25),
        date(2021, 6, 29),
        date(2021, 6, 30),
        date(2021, 7, 1),
        date(2021, 7, 6),
        date(2021, 7, 9),
    ]
    keys = [ev["key"] for ev in sent]
    assert len(set(keys)) == len(keys)  # never twice
    assert all(k.startswith(f"rem:{TASK}:{LEAD}:milestone:2021-06-30:") for k in keys)
    texts = [m["text"] for m in env.botapi.messages_to(LIAISON) if "出台实施方案" in m["text"]]
    assert len(texts) == len(sent)
    assert (
        "时间节点：2021年6月30日（周三） 出台实施方案" in texts[-1]
        and "节点已过 7 个工作日" in texts[-1]
    )


async def test_a_sweep_after_a_morning_outage_still_sends_the_days_milestone_chase(
    env: BotEnv,
) -> None:
    services = env.services
    env.at(date(2021, 7, 1), 16, 30)  # the bot was down until the afternoon
    await sweep(env.outbox, services)
    (ev,) = milestone_reminders(services)
    assert ev["key"] == f"rem:{TASK}:{LEAD}:milestone:2021-06-30:overdue:1"
    env.at(date(2021, 7, 1), 17, 0)
    await sweep(env.outbox, services)
    assert len(milestone_reminders(services)) == 1
