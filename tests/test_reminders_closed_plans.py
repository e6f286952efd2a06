"""A closed plan is never chased: no reminder, escalation, leader note or 签收 chase for its
tasks; reopened, it is chased again from where it stood, nothing sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.reports.due import preview_reminders
from bot.telegram.courier import sweep
from tests import test_reminders_sweep as sweep_tests
from tests.test_reminders_leaders import LEADER, bind_leader
from tests.test_reminders_sweep import COORD, SUMMARY, B, Env

# The sweep tests' fixtures: the bot against the stand-in, no real waits.
env = sweep_tests.env
no_real_waits = sweep_tests.no_real_waits


def sent_count(env: Env) -> int:
    return sum(len(env.botapi.messages_to(chat)) for chat in (B, LEADER, COORD, SUMMARY))


def overdue_18(env: Env, day: date) -> bool:
    """Whether the sweep of `day` chases #18's overdue part at 区市场监管局."""
    return any(
        i["task"] == 18 and i["kind"] == "overdue" and B in i["contacts"]
        for i in preview_reminders(env.services, day)
    )


async def sweep_days(env: Env, first: date, last: date) -> None:
    day = first
    while day <= last:
        env.at(day)
        await sweep(env.bot, env.services)
        day += timedelta(days=1)


async def test_a_closed_plan_is_not_chased_and_reopened_it_is_without_repeats(env: Env) -> None:
    await bind_leader(env)  # 区市场监管局's 分管领导: the leader tier and the weekly note
    store = env.services.store
    await sweep_days(env, date(2021, 7, 1), date(2021, 7, 1))  # #18 fell due on 30 June
    assert any("#18" in t for t in env.texts(B))
    before = sent_count(env)

    env.at(date(2021, 7, 1), 18)
    store.plans.close("A", at=env.clock.now(), actor=COORD)
    # two weeks of overdue reminders, escalations, leader tiers and notes, 签收 chases: none
    await sweep_days(env, date(2021, 7, 2), date(2021, 7, 16))
    assert sent_count(env) == before
    assert preview_reminders(env.services, date(2021, 7, 6)) == []

    env.at(date(2021, 7, 19), 8)
    store.plans.reopen("A", at=env.clock.now(), actor=COORD)
    days = [date(2021, 7, 19) + timedelta(n) for n in range(10)]
    chased = next(day for day in days if overdue_18(env, day))
    await sweep_days(env, date(2021, 7, 19), chased)
    assert sent_count(env) > before
    assert any("#18" in t for t in env.texts(B)[-3:])
    sent = store.history.events(kinds=["reminder"])
    repeats = Counter((e.get("key"), e.get("chat")) for e in sent if e.get("status") == "sent")
    assert repeats and max(repeats.values()) == 1  # nothing sent before closing came again
