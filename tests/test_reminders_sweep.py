"""The reminder sweep against the local Bot API stand-in: grouping, ledger, failures, a month."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import SHANGHAI
from bot.reports.due import preview_reminders
from bot.telegram.courier import sweep
from sandbox.botapi import BotApiServer
from tests.harness import BotEnv, bot_env

COORD = 9001
SUMMARY = -100500
A, B = 501, 502  # contacts of 区发改局 and 区市场监管局

Env = BotEnv


@pytest.fixture
async def env(tmp_path: Path, botapi: BotApiServer) -> AsyncIterator[Env]:
    now = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)
    settings = {"coordinators": frozenset({COORD}), "summary_chat_id": SUMMARY}
    async with bot_env(botapi, tmp_path, now, **settings) as e:
        botapi.add_group(SUMMARY, "信用办督办群", members=[COORD])
        for uid, name, unit in (
            (A, "张三", "区发改局"),
            (B, "李四", "区市场监管局"),
            (COORD, "王督办", None),
        ):
            botapi.add_user(uid, name)
            await botapi.user_sends_text(uid, "/start")  # a private chat the bot may write to
            if unit:
                e.services.store.people.bind_contact(uid, unit, name=name, at=e.clock.now())
        yield e


@pytest.fixture
def no_real_waits(env: Env) -> list[float]:
    """What the outbox would have slept (it waits on virtual time)."""
    return env.waits


def reminder_ledger(env: Env) -> list[dict[str, Any]]:
    return [
        d for d in env.services.store.deliveries.ledger() if d["key"].startswith(("rem:", "esc:"))
    ]


async def test_one_message_per_contact_per_morning_and_no_repeat(env: Env) -> None:
    env.at(date(2021, 6, 23))  # a week before the 30 June deadlines: many tasks at once
    expected = [p for p in preview_reminders(env.services, date(2021, 6, 23)) if A in p["contacts"]]
    assert len(expected) > 1
    report = await sweep(env.outbox, env.services)
    (message,) = env.botapi.messages_to(A)
    for item in expected:
        assert f"#{item['task']}" in message["text"]
    assert "回复本消息" in message["text"]
    assert {len(reminder_ledger(env))} == {len(report.delivered)}
    # the reply-to reference covers every task of the digest
    refs = env.services.store.deliveries.message_refs(A, message["message_id"])
    assert {t for t, _ in refs} == {item["task"] for item in expected}
    # a reply must say which task: the digest has no single task
    assert env.services.store.deliveries.message_ref(A, message["message_id"]) is None
    first = expected[0]["task"]
    assert (
        env.services.store.deliveries.message_ref(A, message["message_id"], task=first)[0] == first
    )
    events = env.services.store.history.events(kinds=["reminder"])
    assert len(events) == len(report.delivered)
    # the next tick, and a restart on the same day, send nothing again
    env.at(date(2021, 6, 23), 9, 1)
    again = await sweep(env.outbox, env.services)
    env.reopen()
    env.at(date(2021, 6, 23), 15, 0)
    after_restart = await sweep(env.outbox, env.services)
    assert again.messages == after_restart.messages == 0
    assert len(env.botapi.messages_to(A)) == 1


async def test_single_task_message_has_buttons_and_deadline(env: Env) -> None:
    env.at(date(2021, 6, 1))  # #20 (due 31 May) is overdue for its lead 区商务局? bind it
    env.services.store.people.bind_contact(B, "区商务局", name="李四", at=env.clock.now())
    env.services.store.people.unbind_contact(B, "区市场监管局", at=env.clock.now(), actor=COORD)
    await sweep(env.outbox, env.services)
    (msg,) = env.botapi.messages_to(B)
    assert "#20" in msg["text"] and "已逾期 1 个工作日" in msg["text"]
    assert "2021年5月31日（周一）" in msg["text"]
    assert "直接回复本消息即可更新 #20" in msg["text"]
    buttons = [b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0] == "card:20:0"  # opens #20's card in the message
    assert buttons[1:] == [d for d in buttons if d.startswith("sgn:20:")] != []  # and 签收 #20
    assert env.services.store.deliveries.message_ref(B, msg["message_id"]) == (20, "区商务局")


async def test_nothing_before_the_reminder_time_or_on_holidays(env: Env) -> None:
    env.at(date(2021, 6, 23), 8, 59)
    assert (await sweep(env.outbox, env.services)).skipped == "before the reminder time"
    env.at(date(2021, 6, 14), 10, 0)  # 端午
    assert (await sweep(env.outbox, env.services)).skipped == "not a workday"
    assert env.botapi.calls("sendMessage") == []


async def test_catch_up_after_downtime_is_same_day_only(env: Env) -> None:
    # down from the 22nd to the afternoon of the 25th: the 23rd's reminders are not sent
    env.at(date(2021, 6, 25), 15, 30)
    report = await sweep(env.outbox, env.services)
    today = {
        (p["task"], p["unit"], p["kind"])
        for p in preview_reminders(env.services, date(2021, 6, 25))
    }
    sent = {(d["task"], d["unit"], d["kind"]) for d in reminder_ledger(env)}
    reminders = {t for t in sent if t[2] != "escalation"}
    assert reminders == {
        t for t in today if t[1] in ("区发改局", "区市场监管局") and t[2] != "escalation"
    }
    # escalations are the exception: those that fell due while the bot was down come now, once
    caught = [d for d in reminder_ledger(env) if d["kind"] == "escalation"]
    assert caught and all(d["sent_at"].startswith("2021-06-25") for d in caught)
    assert not [
        p
        for p in preview_reminders(env.services, date(2021, 6, 25))
        if p["kind"] == "escalation"
        and (p["task"], p["unit"]) in {(d["task"], d["unit"]) for d in caught}
    ]
    assert report.messages >= 1
    assert all(d["sent_at"].startswith("2021-06-25") for d in reminder_ledger(env))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own retry_after notice
async def test_429_is_waited_out_and_sent_once(env: Env, no_real_waits: list[float]) -> None:
    env.at(date(2021, 6, 23))
    env.botapi.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await sweep(env.outbox, env.services)
    assert 3.0 in no_real_waits
    assert len(env.botapi.messages_to(A)) == 1 and len(env.botapi.messages_to(B)) == 1


async def test_5xx_is_retried_with_backoff(env: Env, no_real_waits: list[float]) -> None:
    env.at(date(2021, 6, 23))
    env.botapi.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    await sweep(env.outbox, env.services)
    assert no_real_waits[:2] == [1.0, 2.0]
    assert len(env.botapi.messages_to(A)) == 1 and len(env.botapi.messages_to(B)) == 1


async def test_exhausted_retries_leave_no_ledger_entry_and_the_next_tick_sends(env: Env) -> None:
    env.at(date(2021, 6, 23))
    env.botapi.fail_next("sendMessage", 500, "Internal Server Error", times=100)
    report = await sweep(env.outbox, env.services)
    assert report.failed and reminder_ledger(env) == []
    env.botapi._injections.clear()
    env.at(date(2021, 6, 23), 9, 1)
    await sweep(env.outbox, env.services)
    assert len(env.botapi.messages_to(A)) == 1


async def test_403_marks_unreachable_and_tells_coordinators_once(env: Env) -> None:
    await env.botapi.user_blocks_bot(A)
    env.at(date(2021, 6, 23))
    await sweep(env.outbox, env.services)
    (contact,) = [c for c in env.services.store.people.contacts() if c["user_id"] == A]
    assert contact["reachable"] is False
    notices = [t for t in env.texts(COORD) if "无法接收提醒" in t]
    assert len(notices) == 1 and "张三" in notices[0] and "区发改局" in notices[0]
    # later days: A is not tried again, coordinators are not told again
    tried = len(env.botapi.calls("sendMessage"))
    env.at(date(2021, 6, 29))
    await sweep(env.outbox, env.services)
    assert all(c.params.get("chat_id") != A for c in env.botapi.calls("sendMessage")[tried:])
    assert len([t for t in env.texts(COORD) if "无法接收提醒" in t]) == 1
    # 区发改局 now counts as a unit without a reachable contact
    assert all(A not in p["contacts"] for p in preview_reminders(env.services, date(2021, 6, 29)))


async def test_timeout_resends_once_and_marks_the_ledger(env: Env) -> None:
    env.at(date(2021, 6, 23))
    env.botapi.delay_next("sendMessage", 1.5)  # the first send arrives, its answer is lost
    await sweep(env.outbox, env.services)
    doubtful = [d for d in reminder_ledger(env) if d["status"] == "uncertain"]
    assert doubtful and not any(d["resent_after_timeout"] for d in doubtful)
    await sweep(env.outbox, env.services)  # a minute later: not resent yet
    assert [d for d in reminder_ledger(env) if d["status"] == "uncertain"] == doubtful
    env.at(date(2021, 6, 23), minute=11)  # a later tick of the same day resends it
    await sweep(env.outbox, env.services)
    marked = [d for d in reminder_ledger(env) if d["resent_after_timeout"]]
    assert marked and all(d["status"] == "sent" for d in marked)
    assert {d["key"] for d in marked} == {d["key"] for d in doubtful}
    # documented policy: at most one duplicate after a timeout, never more
    assert 1 <= max(len(env.botapi.messages_to(A)), len(env.botapi.messages_to(B))) <= 2
    env.at(date(2021, 6, 23), minute=40)
    await sweep(env.outbox, env.services)
    assert max(len(env.botapi.messages_to(A)), len(env.botapi.messages_to(B))) <= 2


async def test_a_double_timeout_is_reported_next_morning_never_lost(env: Env) -> None:
    env.at(date(2021, 6, 23))
    env.botapi.delay_next("sendMessage", 1.5, times=50)  # every send and resend times out
    await sweep(env.outbox, env.services)
    env.at(date(2021, 6, 23), minute=15)
    await sweep(env.outbox, env.services)
    lost = [d for d in reminder_ledger(env) if d["status"] == "unconfirmed"]
    assert lost and all(d["attempts"] == 2 for d in lost)
    env.at(date(2021, 6, 23), hour=15)
    await sweep(env.outbox, env.services)  # not resent a third time
    assert all(len(env.botapi.messages_to(c)) <= 2 for c in (A, B))
    assert not [t for t in env.texts(COORD) if "未能确认送达" in t]
    env.botapi._delays.clear()  # Telegram answers again
    env.at(date(2021, 6, 24))  # the next morning the coordinators are told, once
    await sweep(env.outbox, env.services)
    await sweep(env.outbox, env.services)
    (notice,) = [t for t in env.texts(COORD) if "未能确认送达" in t]
    lines = notice.splitlines()
    for d in lost:  # every unconfirmed send is on the line of its task
        assert any(
            line.split()[2].split("（")[0] == f"#{d['task']}" and d["unit"] in line
            for line in lines[1:]
        )
    assert all(d.get("reported") for d in reminder_ledger(env) if d["status"] == "unconfirmed")


async def test_escalation_to_summary_chat_and_coordinators(env: Env) -> None:
    env.at(date(2021, 6, 7))  # #20 due 31 May: 5 workdays overdue
    await sweep(env.outbox, env.services)
    (group_msg,) = env.botapi.messages_to(SUMMARY)
    assert "逾期督办升级" in group_msg["text"] and "#20" in group_msg["text"]
    assert "已逾期 5 个工作日" in group_msg["text"]
    assert any("逾期督办升级" in t for t in env.texts(COORD))
    env.at(date(2021, 6, 8))
    await sweep(env.outbox, env.services)
    assert len(env.botapi.messages_to(SUMMARY)) == 1


async def test_escalation_of_a_monthly_report_names_its_month(env: Env) -> None:
    # Found in a month's rehearsal: the escalation of #1 on 15 July said only "截止 7月8日".
    env.at(date(2021, 7, 15))  # July's #1 reports (due the 8th): 5 workdays overdue
    await sweep(env.outbox, env.services)
    (text,) = [t for t in env.texts(SUMMARY) if "督办升级" in t]
    assert "2021年7月报送，截止 2021年7月8日（周四），已逾期 5 个工作日" in text


async def test_weekly_notice_of_units_without_contacts(env: Env) -> None:
    env.at(date(2021, 6, 21))
    await sweep(env.outbox, env.services)
    env.at(date(2021, 6, 23))
    await sweep(env.outbox, env.services)
    notices = [t for t in env.texts(COORD) if "尚无可用联系人" in t]
    assert len(notices) == 1 and "区商务局" in notices[0] and "区发改局" not in notices[0]


async def test_a_month_rehearsed_sends_exactly_what_the_preview_lists(env: Env) -> None:
    start, end = date(2021, 6, 1), date(2021, 7, 9)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    preview = {d: preview_reminders(env.services, d) for d in days}
    expected = {
        (d.isoformat(), p["task"], p["unit"], p["kind"], chat)
        for d, items in preview.items()
        for p in items
        for chat in p["contacts"]
    }
    for d in days:
        for hour, minute in ((8, 59), (9, 0), (9, 1), (17, 0)):  # several ticks a day
            env.at(d, hour, minute)
            await sweep(env.outbox, env.services)
    sent = {
        (d["sent_at"][:10], d["task"], d["unit"], d["kind"], d["chat"])
        for d in reminder_ledger(env)
    }
    assert sent == expected
    assert all(
        d.weekday() < 5 or env.services.calendar.is_workday(d)
        for d in {date.fromisoformat(s[0]) for s in sent}
    )
    # one message per contact and morning (besides the one chase of work not signed for)
    mornings_a = {s[0] for s in sent if s[4] == A}
    told = [m for m in env.botapi.messages_to(A) if not m["text"].startswith("✍️")]
    assert len(told) == len(mornings_a)


async def test_end_of_june_escalations_are_one_readable_message_per_chat(env: Env) -> None:
    day = date(2021, 7, 7)  # 5 workdays after the 30 June deadlines: ~200 parts escalate
    env.at(day)  # the preview of today's sweep includes what it catches up
    planned = preview_reminders(env.services, day)
    escalations = [p for p in planned if p["kind"] == "escalation"]
    assert len(escalations) > 200
    await sweep(env.outbox, env.services)
    for chat in (SUMMARY, COORD):
        messages = [m["text"] for m in env.botapi.messages_to(chat) if "督办升级" in m["text"]]
        assert len(messages) == 1, f"{len(messages)} messages to {chat}"
        (text,) = messages
        assert len(text) <= 4096
        assert f"{len(escalations)}个单位次" in text
        for task in {p["task"] for p in escalations}:
            assert text.count(f"#{task} ") == 1  # one entry per task, naming its units
        assert all(p["unit"] in text for p in escalations)
    assert len(reminder_ledger(env)) == len([p for p in planned for _ in p["contacts"]])


def test_escalations_longer_than_one_message_are_split_at_the_limit(env: Env) -> None:
    from bot.domain.planner import Reminder
    from bot.features.sweep import compose
    from bot.text.render import split_message

    day = date(2021, 7, 7)
    many = [
        Reminder(
            task=t,
            unit=f"单位{i}",
            role="coordinator",
            kind="escalation",
            due=date(2021, 6, 30),
            key=f"esc:{t}:{i}",
            contacts=(COORD,),
            workdays_overdue=5,
        )
        for t in range(1, 26)
        for i in range(40)
    ]
    text, _ = compose(env.services, many, day=day)
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)


async def test_each_messages_records_are_made_durable_together(env: Env) -> None:
    import os

    syncs: list[int] = []
    env.reopen(datasync=lambda fd: (syncs.append(fd), os.fdatasync(fd))[1])
    env.at(date(2021, 6, 23))
    report = await sweep(env.outbox, env.services)
    assert len(report.delivered) > 10
    # one sync per message (each holds many ledger entries, events and reply references),
    # plus the weekly no-contacts notice's ledger entry
    assert 1 <= len(syncs) <= report.messages + 1


def test_a_digest_has_one_button_per_task_and_more_after_eight() -> None:
    from bot.telegram.courier import task_buttons

    markup = task_buttons([20, 18, 18, 2, 3, 4, 5, 6, 7, 8, 9])
    assert markup is not None
    datas = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert datas == [f"card:{n}:0" for n in (20, 18, 2, 3, 4, 5, 6, 7)] + ["more"]
    assert task_buttons([]) is None
