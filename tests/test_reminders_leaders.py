"""分管领导: no daily reminders; the unit's overdue work once, after `overdue.leader_after_workdays`
(kind `leader`), caught up after downtime through the sweep's ledger."""

from __future__ import annotations

from datetime import date, timedelta

from bot.reports.due import preview_reminders
from bot.telegram.courier import sweep
from tests import test_reminders_sweep as sweep_tests
from tests.test_reminders_sweep import B, Env

# The sweep tests' fixtures: the bot against the stand-in, no real waits.
env = sweep_tests.env
no_real_waits = sweep_tests.no_real_waits

LEADER = 503
UNIT = "区市场监管局"  # leads #18, due 2021-06-30


async def bind_leader(env: Env) -> None:
    env.botapi.add_user(LEADER, "赵局长")
    await env.botapi.user_sends_text(LEADER, "/start")
    store = env.services.store
    store.people.bind_contact(LEADER, UNIT, name="赵局长", at=env.clock.now(), role="leader")


def tells_day(env: Env) -> date:
    task = env.services.store.plan.task(18)
    assert task is not None and task.deadline.due is not None
    after = env.services.policy.overdue.leader_after_workdays
    assert after > 0
    return env.services.calendar.add_workdays(task.deadline.due, after)


async def test_leader_gets_only_the_leader_tier_once(env: Env) -> None:
    await bind_leader(env)
    day, end = date(2021, 6, 21), tells_day(env) + timedelta(days=7)
    while day <= end:
        env.at(day)
        await sweep(env.bot, env.services)
        day += timedelta(days=1)
    to_leader = [t for t in env.texts(LEADER) if "本周任务情况" not in t]  # the weekly note
    assert to_leader and all("请分管领导督促" in t for t in to_leader)
    assert sum("#18" in t for t in to_leader) == 1
    assert any("#18" in t for t in env.texts(B))  # the liaison was reminded as usual
    sent = [e for e in env.services.store.history.events(kinds=["reminder"]) if e["chat"] == LEADER]
    assert {e["reminder_kind"] for e in sent} == {"leader"}
    first = min(e["at"] for e in sent if e["task"] == 18)
    assert first.startswith(tells_day(env).isoformat())


async def test_preview_lists_the_leader_tier(env: Env) -> None:
    await bind_leader(env)
    items = preview_reminders(env.services, tells_day(env))
    leader = [i for i in items if i["kind"] == "leader"]
    assert {"task": 18, "unit": UNIT, "kind": "leader", "contacts": [LEADER]}.items() <= (
        next(i for i in leader if i["task"] == 18).items()
    )
    assert all(LEADER not in i["contacts"] for i in items if i["kind"] != "leader")
    assert not [
        i
        for i in preview_reminders(env.services, tells_day(env) - timedelta(days=1))
        if i["kind"] == "leader" and i["task"] == 18
    ]


async def test_leader_tier_caught_up_after_downtime(env: Env) -> None:
    await bind_leader(env)
    late_day = env.services.calendar.add_workdays(tells_day(env), 2)  # the bot was down
    env.at(late_day)
    await sweep(env.bot, env.services)
    (text,) = [t for t in env.texts(LEADER) if "#18" in t and "请分管领导督促" in t]
    assert "补发" in text
    env.at(env.services.calendar.add_workdays(late_day, 1))
    await sweep(env.bot, env.services)
    assert sum("#18" in t and "请分管领导督促" in t for t in env.texts(LEADER)) == 1


async def test_unit_without_leader_has_no_leader_tier(env: Env) -> None:
    assert not [i for i in preview_reminders(env.services, tells_day(env)) if i["kind"] == "leader"]


async def test_leader_weekly_note_once_a_week(env: Env) -> None:
    await bind_leader(env)
    env.at(date(2021, 7, 12))  # a Monday: #18 overdue
    await sweep(env.bot, env.services)
    env.at(date(2021, 7, 13))
    await sweep(env.bot, env.services)
    notes = [t for t in env.texts(LEADER) if "本周任务情况" in t]
    assert len(notes) == 1 and UNIT in notes[0] and "#18" in notes[0] and "逾期" in notes[0]
    env.at(date(2021, 7, 19))
    await sweep(env.bot, env.services)
    assert len([t for t in env.texts(LEADER) if "本周任务情况" in t]) == 2
    assert not [t for t in env.texts(B) if "本周任务情况" in t]  # liaisons get their digests


async def test_rehearsal_unit_with_only_a_leader_and_one_with_nobody(env: Env) -> None:
    """A month of sweeps: 区司法局 has only its 分管领导, 区财政局 nobody at all."""
    env.botapi.add_user(LEADER, "钱局长")
    await env.botapi.user_sends_text(LEADER, "/start")
    store = env.services.store
    store.people.bind_contact(LEADER, "区司法局", name="钱局长", at=env.clock.now(), role="leader")
    day = date(2021, 6, 21)
    while day <= date(2021, 7, 23):
        env.at(day)
        await sweep(env.bot, env.services)
        day += timedelta(days=1)
    to_leader = env.texts(LEADER)
    # no daily reminders: the leader tier (once per part) and the weekly note only
    assert to_leader and all("请分管领导督促" in t or "本周任务情况" in t for t in to_leader)
    assert sum("#18" in t and "请分管领导督促" in t for t in to_leader) == 1
    assert {
        e["reminder_kind"] for e in store.history.events(kinds=["reminder"]) if e["chat"] == LEADER
    } == {"leader"}
    # nobody outside the office hears of 区财政局's work; the office is told, with 生成督办单
    told = {e["chat"] for e in store.history.events(kinds=["reminder"]) if e["unit"] == "区财政局"}
    assert told <= {sweep_tests.COORD, sweep_tests.SUMMARY}
    notes = [
        m
        for m in env.botapi.messages_to(sweep_tests.COORD)
        if "尚无可用联系人" in m.get("text", "")
    ]
    assert notes
    assert "区司法局（仅分管领导 钱局长" in notes[0]["text"] and "区财政局" in notes[0]["text"]
    labels = [b["text"] for row in notes[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert "生成督办单 区财政局" in labels and "生成督办单 区司法局" in labels


async def test_leader_weekly_note_groups_the_work_by_plan(env: Env) -> None:
    """Beside a second plan the note names each plan's overdue work under its heading; a
    closed plan leaves the note."""
    from tests.test_views_plans import JUSTICE, add_plan_b, after, heading, plans

    store = env.services.store
    add_plan_b(store)
    a, b = plans(store)
    env.botapi.add_user(LEADER, "钱局长")
    await env.botapi.user_sends_text(LEADER, "/start")
    store.people.bind_contact(LEADER, JUSTICE, name="钱局长", at=env.clock.now(), role="leader")
    env.at(date(2021, 7, 12))  # A's #18 and B's #1 overdue
    await sweep(env.bot, env.services)
    (note,) = [t for t in env.texts(LEADER) if "本周任务情况" in t]
    assert note.index(heading(a)) < note.index(heading(b))
    assert "#A18" in after(note, heading(a)) and "#B1" in after(note, heading(b))
    store.plans.close("A", at=env.clock.now(), actor="test")
    env.at(date(2021, 7, 19))
    await sweep(env.bot, env.services)
    later = [t for t in env.texts(LEADER) if "本周任务情况" in t][-1]
    assert "📂" not in later and "#A" not in later and "#1" in later
    assert "未办结 2 项" in later  # B's #1 and #2


async def test_a_morning_digest_is_plan_by_plan(env: Env) -> None:
    """A unit's morning message over tasks of two plans: each plan's under its heading."""
    from tests.test_views_plans import JUSTICE, add_plan_b, after, heading, plans

    store = env.services.store
    add_plan_b(store)
    a, b = plans(store)
    liaison = 504
    env.botapi.add_user(liaison, "孙科长")
    await env.botapi.user_sends_text(liaison, "/start")
    store.people.bind_contact(liaison, JUSTICE, name="孙科长", at=env.clock.now())
    env.at(date(2021, 6, 28))  # B's #1 due today, A's #1 overdue
    await sweep(env.bot, env.services)
    (digest,) = [t for t in env.texts(liaison) if "今日任务提醒" in t]
    assert digest.index(heading(a)) < digest.index(heading(b))
    assert "开展涉企信用承诺专项检查" in after(digest, heading(b))
    assert "开展涉企信用承诺专项检查" not in digest.split(heading(b))[0]
