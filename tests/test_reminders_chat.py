"""Reminders in conversation: /snooze, /remind, and replying to a reminder."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.clock import SHANGHAI
from bot.reports.due import preview_reminders
from schedules.tick import reminder_sweep
from tests.harness import COORDINATOR, ChatEnv, Person


def at(env: ChatEnv, day: date, hour: int = 9, minute: int = 0) -> None:
    env.clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI))


async def started_alice(env: ChatEnv) -> Person:
    """Alice, who opened the private chat with /start before being bound to 区司法局."""
    alice = env.person(2001, "Alice")
    await alice.say("/start")
    env.bind(alice, "区司法局")
    return alice


async def test_snooze_silences_a_part_until_the_date(env: ChatEnv) -> None:
    alice = await started_alice(env)
    replies = await alice.say("/snooze 18 3天")
    assert "已暂停 #18（区司法局）" in replies[-1]["text"]
    assert "2021年6月24日（周四）" in replies[-1]["text"]
    assert env.store.parts.state(18, "区司法局")["snoozed_until"] == "2021-06-24"
    assert env.store.history.events(task=18, kinds=["snooze"])[-1]["actor"] == alice.id
    # 23 June (7 days before the deadline) is inside the snooze: nothing for #18 / 区司法局
    planned = preview_reminders(env.services, date(2021, 6, 23))
    assert not any(p["task"] == 18 and p["unit"] == "区司法局" for p in planned)
    assert any(p["task"] == 19 and p["unit"] == "区司法局" for p in planned)
    replies = await alice.say("/snooze 18 取消")
    assert "已恢复" in replies[-1]["text"]
    assert env.store.parts.state(18, "区司法局")["snoozed_until"] is None


async def test_snooze_until_next_monday_and_bad_input(env: ChatEnv) -> None:
    alice = await started_alice(env)
    replies = await alice.say("/snooze 18 下周一")
    assert "2021年6月28日（周一）" in replies[-1]["text"]
    replies = await alice.say("/snooze 18 改天吧")
    assert "没有看懂" in replies[-1]["text"]
    replies = await alice.say("/snooze 18")
    assert "用法" in replies[-1]["text"]
    # a task the unit has no part in is refused, and nothing is recorded
    before = len(env.store.history.events(kinds=["snooze"]))
    await alice.say("/snooze 20 3天")
    assert len(env.store.history.events(kinds=["snooze"])) == before


async def test_remind_chases_contacts_and_says_who_has_none(env: ChatEnv) -> None:
    alice = await started_alice(env)
    coordinator = env.coordinator
    await coordinator.say("/start")
    replies = await coordinator.say("/remind 18")
    answer = replies[-1]["text"]
    assert "已送达：区司法局" in answer
    assert "无联系人" in answer and "区市场监管局" in answer
    (chase,) = [m for m in alice.inbox() if "督办催办" in m.get("text", "")]
    assert "#18" in chase["text"] and "2021年6月30日（周三）" in chase["text"]
    events = env.store.history.events(task=18, kinds=["reminder"])
    assert events and events[-1]["actor"] == COORDINATOR and events[-1]["unit"] == "区司法局"
    replies = await coordinator.say("/remind 区司法局")
    assert "已送达：区司法局" in replies[-1]["text"]
    replies = await coordinator.say("/remind 区司法")
    assert "区司法局" in replies[-1]["text"] and "不认识" in replies[-1]["text"]


async def test_remind_is_for_coordinators_only(env: ChatEnv) -> None:
    alice = await started_alice(env)
    (refused,) = await alice.say("/remind 18")
    assert "仅供督办人员" in refused["text"]
    assert env.store.history.events(kinds=["reminder"]) == []
    await env.coordinator.say("/remind 18")  # the same command from a coordinator does chase
    assert env.store.history.events(kinds=["reminder"])


async def test_replying_to_a_reminder_updates_its_task(env: ChatEnv) -> None:
    bob = env.person(2002, "Bob")
    await bob.say("/start")
    env.bind(bob, "区总工会")  # on 23 June only #5 is due for it
    at(env, date(2021, 6, 23))
    assert env.app is not None
    await reminder_sweep(env.app)
    (reminder,) = [m for m in bob.inbox() if "任务提醒" in m.get("text", "")]
    assert "#5" in reminder["text"] and "剩余" in reminder["text"]
    buttons = [
        b["callback_data"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons[0] == "card:5:0"  # opens #5's card in the message
    assert buttons[1:] == [d for d in buttons if d.startswith("sgn:5:")] != []  # and 签收 #5
    await bob.reply(reminder, "已完成赋码自查，下周报送")
    notes = [
        e for e in env.store.history.events(task=5) if e["unit"] == "区总工会" and e.get("note")
    ]
    assert notes and "赋码自查" in notes[-1]["note"]
    # the same morning again (a second tick, then a restart of the bot): nothing more
    await reminder_sweep(env.app)
    await env.restart()
    at(env, date(2021, 6, 23), 15)
    await reminder_sweep(env.app)
    assert len([m for m in bob.inbox() if "任务提醒" in m.get("text", "")]) == 1


async def test_a_nil_return_stops_the_months_reminders(env: ChatEnv) -> None:
    carol = env.person(2003, "Carol")
    await carol.say("/start")
    env.bind(carol, "区民政局")  # a 区级有关部门: every one reports for #1 by the 8th each month

    def monthly(day: date) -> set[str]:
        return {
            p["kind"]
            for p in preview_reminders(env.services, day)
            if p["task"] == 1 and p["unit"] == "区民政局"
        }

    # June's report was due on 8 June, before the plan was imported (21 June): not chased
    assert monthly(date(2021, 6, 23)) == set()
    at(env, date(2021, 7, 5))
    assert monthly(date(2021, 7, 5)) == {"monthly"}  # July's is due on the 8th
    replies = await carol.say("/update 1 本月无")
    assert replies and "#1" in replies[-1]["text"]
    assert env.store.parts.state(1, "区民政局")["reported"] == ["2021-07"]
    assert monthly(date(2021, 7, 5)) == set()
    assert env.app is not None
    await reminder_sweep(env.app)
    reminders = [m["text"] for m in carol.inbox() if "任务提醒" in m.get("text", "")]
    assert not any("\n#1 " in t for t in reminders)  # not #1
    # August is a new period: its reminders come as usual
    assert monthly(date(2021, 8, 6)) == {"monthly"}


async def test_a_contact_who_blocks_and_comes_back_gets_reminders_again(env: ChatEnv) -> None:
    alice = await started_alice(env)
    await env.coordinator.say("/start")
    day = date(2021, 6, 23)

    def reaches_alice() -> bool:
        return any(alice.id in p["contacts"] for p in preview_reminders(env.services, day))

    assert reaches_alice()
    await env.api.user_blocks_bot(alice.id)
    notice = await env.api.wait_for_message(
        COORDINATOR, lambda m: "无法接收提醒" in m.get("text", "")
    )
    assert "Alice" in notice["text"] and "屏蔽" in notice["text"]
    assert not reaches_alice()
    await env.api.user_unblocks_bot(alice.id)
    await alice.say("/help")  # back in touch
    assert reaches_alice()
    at(env, day)
    assert env.app is not None
    await reminder_sweep(env.app)
    assert [m for m in alice.inbox() if "任务提醒" in m.get("text", "")]
    assert len([m for m in env.coordinator.inbox() if "无法接收提醒" in m["text"]]) == 1


async def test_refused_in_the_morning_and_back_the_same_day_still_gets_that_mornings(
    env: ChatEnv,
) -> None:
    alice = await started_alice(env)
    at(env, date(2021, 6, 23))
    assert env.app is not None
    env.api.blocked.add(alice.id)  # blocked without the bot being told: the send gets a 403
    await reminder_sweep(env.app)
    assert env.store.deliveries.ledger_get(f"rem:18:区司法局:upcoming:2021-06-30:7>{alice.id}")
    assert not [m for m in alice.inbox() if "任务提醒" in m.get("text", "")]
    await env.api.user_unblocks_bot(alice.id)
    await alice.say("/help")
    at(env, date(2021, 6, 23), 11)
    await reminder_sweep(env.app)
    (reminder,) = [m for m in alice.inbox() if "任务提醒" in m.get("text", "")]
    assert "#18" in reminder["text"]
    await reminder_sweep(env.app)  # and once only
    assert len([m for m in alice.inbox() if "任务提醒" in m.get("text", "")]) == 1


async def test_remind_of_the_office_itself_is_not_a_unit_without_contact(env: ChatEnv) -> None:
    office = env.store.parts.states(unit="区发改局")
    assert office  # the coordinating office has parts of its own
    (answer,) = (await env.coordinator.say("/remind 区发改局"))[-1:]
    assert "无联系人" not in answer["text"]
    assert "区发改局（督办单位）的部分由督办人员自行办理" in answer["text"]


async def test_remind_says_a_contact_blocked_the_bot_rather_than_none(env: ChatEnv) -> None:
    """A unit whose contact blocked the bot has a contact: /remind says who, why and since
    when, not 无联系人 … 请用 /invite 邀请."""
    alice = await started_alice(env)
    bob = env.person(2002, "Bob")  # bound to 区市场监管局, never opened the chat with the bot
    env.bind(bob, "区市场监管局")
    coordinator = env.coordinator
    await coordinator.say("/start")
    await env.api.user_blocks_bot(alice.id)
    await env.api.wait_for_message(COORDINATOR, lambda m: "无法接收提醒" in m.get("text", ""))
    answer = (await coordinator.say("/remind 18"))[-1]["text"]  # Telegram refuses Bob now
    assert "联系人无法接收" in answer and "未能送达" not in answer
    assert "• 区司法局：Alice已屏蔽机器人（6月21日 10:00起）" in answer
    assert "• 区市场监管局：Bob尚未与机器人开始对话（6月21日 10:00起）" in answer
    missing = next(line for line in answer.splitlines() if line.startswith("无联系人"))
    assert "区司法局" not in missing and "区市场监管局" not in missing
    assert "区公安分局" in missing  # a supporter nobody was ever bound for


async def test_remind_names_a_contact_lost_before_causes_were_kept(env: ChatEnv) -> None:
    """A store from before the cause was recorded: the contact is named, with the day."""
    alice = await started_alice(env)
    await env.coordinator.say("/start")
    env.store.people.set_reachable(
        alice.id, False, at=env.clock.now()
    )  # as older versions wrote it
    answer = (await env.coordinator.say("/remind 区司法局"))[-1]["text"]
    assert "• 区司法局：Alice无法接收消息（6月21日 10:00起）" in answer
    assert "无联系人" not in answer


async def test_the_digest_lists_work_in_the_order_of_mytasks(env: ChatEnv) -> None:
    """Overdue first, then due soon, then the rest; within each, lead parts before supporting
    ones — the digest and /mytasks alike, and every entry says 牵头 or 配合."""
    bob = env.person(2002, "Bob")
    await bob.say("/start")
    env.bind(bob, "区市场监管局")  # leads #18, supports #2, #5, … (all due 30 June)
    at(env, date(2021, 6, 23))
    assert env.app is not None
    await reminder_sweep(env.app)
    (digest,) = [m for m in bob.inbox() if "今日任务提醒" in m.get("text", "")]
    entries = [line.split()[0] for line in digest["text"].splitlines() if line.startswith("#")]
    order = [int(e[1:]) for e in entries]
    assert order.index(18) < min(order.index(t) for t in order if t != 18 and t != 1)
    buttons = [b["callback_data"] for row in digest["reply_markup"]["inline_keyboard"] for b in row]
    assert [b for b in buttons if b.startswith("card:")] == [f"card:{t}:0" for t in order][:8]
    roles = [line for line in digest["text"].splitlines() if line.startswith("责任单位：")]
    assert len(roles) == len(order) and all("牵头" in r or "配合" in r for r in roles)
    (listing,) = await bob.say("/mytasks")
    listed = [int(line.split()[0][1:]) for line in listing["text"].splitlines() if line[:1] == "#"]
    shared = [t for t in listed if t in order]
    assert shared == [t for t in order if t in shared]  # one order in both
    lines = [line for line in listing["text"].splitlines() if line.startswith("#")]
    assert all(" · 牵头 · " in line or " · 配合 · " in line for line in lines)
