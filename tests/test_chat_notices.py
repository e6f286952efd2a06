"""Replies to the bot's notices: one about exactly one task is about that task (text a note, a
file evidence); one about several tasks asks for `#N`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain.clock import SHANGHAI
from bot.features import evidence
from schedules.tick import reminder_sweep
from tests.harness import ChatEnv, Person, current

LEAD = "区司法局"  # a lead of #18 (due 2021-06-30)
PDF = "%PDF-1.4 佐证材料".encode()
Message = dict[str, Any]


def coordinator(env: ChatEnv) -> Person:
    coord = env.coordinator
    env.api.started.add(coord.id)  # the coordinator has opened the private chat
    return coord


async def started(env: ChatEnv, unit: str = LEAD, user_id: int = 2001) -> Person:
    """A contact of `unit` who opened the private chat before being bound."""
    person = env.person(user_id, "Alice")
    await person.say("/start")
    env.bind(person, unit)
    return person


async def requested(env: ChatEnv, request: str) -> tuple[Person, Person]:
    """The coordinator, and a started contact of 区司法局 after sending `request` (a /update or
    /extend that brings the coordinator a review notice)."""
    coord = coordinator(env)
    alice = await started(env)
    await alice.say(request)
    return coord, alice


def review_button(messages: list[Message], verdict: str) -> tuple[Message, str]:
    """The last message with a review button, and that button's data for `verdict`."""
    for msg in reversed(messages):
        for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b["callback_data"].startswith(f"rv:{verdict}:"):
                    return msg, b["callback_data"]
    raise AssertionError("no review buttons")


def notes(env: ChatEnv, task: int, unit: str) -> list[str]:
    return [e["note"] for e in env.store.history.events(task=task, unit=unit, kinds=["note"])]


def sweep_at(env: ChatEnv, day: date) -> Any:
    env.clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI))
    assert env.app is not None
    return reminder_sweep(env.app)


async def test_a_reply_to_a_verdict_notice_is_a_note_on_its_task(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/update 18 已完成 方案已印发")
    notice, data = review_button(coord.inbox(), "no")
    await coord.press(notice, data)
    await coord.say("缺少佐证材料")
    (verdict,) = [m for m in alice.inbox() if "被退回" in m.get("text", "")]
    (answer,) = await alice.reply(verdict, "下周补交印发文件")
    assert "已记录 #18 区司法局" in answer["text"]
    assert notes(env, 18, LEAD)[-1] == "下周补交印发文件"


async def test_a_reply_to_an_approval_notice_is_a_note_too(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/update 18 已完成 方案已印发")
    notice, data = review_button(coord.inbox(), "okk")
    await coord.press(notice, data)
    await coord.press(current(env, notice), f"rvy:{data[3:]}")  # 确认: no evidence
    verdict = alice.inbox()[-1]
    assert "通过审核" in verdict["text"]
    (answer,) = await alice.reply(verdict, "收到")
    assert "已记录 #18 区司法局" in answer["text"] and notes(env, 18, LEAD)[-1] == "收到"


async def test_a_coordinator_reply_to_a_review_notice_is_a_note_for_its_unit(
    env: ChatEnv,
) -> None:
    coord, _ = await requested(env, "/update 18 已完成")
    notice, _ = review_button(coord.inbox(), "no")
    (answer,) = await coord.reply(notice, "请补充印发文件")
    assert "已记录 #18 区司法局" in answer["text"] and "代为" in answer["text"]
    assert notes(env, 18, LEAD) == ["请补充印发文件"]


async def test_a_file_in_reply_to_an_extension_decision_is_evidence(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = await started(env)
    (sent,) = await alice.say("/extend 18 7月15日 因数据未到齐")
    notice, data = review_button(coord.inbox(), "ok")
    await coord.press(notice, data)
    decision = alice.inbox()[-1]
    assert "已通过" in decision["text"] and "#18" in decision["text"]
    saved = await alice.send_document(PDF, "数据说明.pdf", reply_to=decision)
    assert "已收到 #18" in saved[-1]["text"]
    assert [r["name"] for r in evidence.list_evidence(env.store, 18, LEAD)] == ["数据说明.pdf"]
    # The confirmation of the request, and that of the file, are about #18 as well.
    await alice.send_document(b"second", "补充.pdf", reply_to=sent)
    (note,) = await alice.reply(saved[-1], "以上为全部材料")
    assert "已记录 #18 区司法局" in note["text"]
    assert len(evidence.list_evidence(env.store, 18, LEAD)) == 2
    assert notes(env, 18, LEAD) == ["以上为全部材料"]


async def test_a_reply_to_an_extension_request_notice_is_a_note_for_its_unit(
    env: ChatEnv,
) -> None:
    coord, _ = await requested(env, "/extend 18 7月15日 因数据未到齐")
    notice, _ = review_button(coord.inbox(), "ok")
    assert "延期申请" in notice["text"]
    (answer,) = await coord.reply(notice, "先报送已有数据")
    assert "已记录 #18 区司法局" in answer["text"]
    assert notes(env, 18, LEAD) == ["先报送已有数据"]


async def test_a_reply_to_a_single_task_escalation_is_a_note(env: ChatEnv) -> None:
    coord = coordinator(env)
    now = env.clock.now()
    for s in env.store.parts.states():  # everything done but 区司法局's part of #18
        if (s["task"], s["unit"]) != (18, LEAD):
            env.store.parts.update_state(
                s["task"], s["unit"], at=now, actor=coord.id, status="done"
            )
    await sweep_at(env, date(2021, 7, 7))  # 5 workdays after 30 June: escalated
    (escalation,) = [m for m in coord.inbox() if "督办升级" in m.get("text", "")]
    assert env.store.deliveries.message_refs(coord.id, escalation["message_id"]) == [(18, LEAD)]
    (answer,) = await coord.reply(escalation, "已约谈司法局")
    assert "已记录 #18 区司法局" in answer["text"]
    assert notes(env, 18, LEAD) == ["已约谈司法局"]


async def test_an_escalation_of_one_task_for_many_units_asks_which_unit(env: ChatEnv) -> None:
    coord = coordinator(env)
    await sweep_at(env, date(2021, 7, 7))  # the tasks due 30 June first
    await sweep_at(env, date(2021, 7, 15))  # then #1's June report, for every unit
    escalation = [m for m in coord.inbox() if "督办升级" in m.get("text", "")][-1]
    assert {
        t for t, _ in env.store.deliveries.message_refs(coord.id, escalation["message_id"])
    } == {1}
    units = {u for _, u in env.store.deliveries.message_refs(coord.id, escalation["message_id"])}
    assert len(units) > 1
    (answer,) = await coord.reply(escalation, "请尽快报送")
    assert "哪个单位" in answer["text"]  # never recorded on a unit picked at random
    assert env.store.history.events(task=1, kinds=["note"]) == []


async def test_a_reply_to_a_multi_task_digest_asks_for_the_task(env: ChatEnv) -> None:
    alice = await started(env)
    await sweep_at(env, date(2021, 6, 23))  # a week before 30 June: several tasks at once
    (digest,) = [m for m in alice.inbox() if "任务提醒" in m.get("text", "")]
    tasks = {t for t, _ in env.store.deliveries.message_refs(alice.id, digest["message_id"])}
    assert len(tasks) > 1 and 18 in tasks
    (ask,) = await alice.reply(digest, "正在推进")
    assert (
        "涉及多项任务" in ask["text"] and env.store.history.events(unit=LEAD, kinds=["note"]) == []
    )
    (ok,) = await alice.reply(digest, "#18 正在推进")
    assert "已记录 #18 区司法局" in ok["text"] and notes(env, 18, LEAD) == ["正在推进"]
    which = await alice.send_document(PDF, "方案.pdf", reply_to=digest)
    assert "#18" in which[-1]["text"] and evidence.list_evidence(env.store, 18) == []


async def test_a_reply_to_a_multi_task_escalation_asks_for_the_task(env: ChatEnv) -> None:
    coord = coordinator(env)
    await sweep_at(env, date(2021, 7, 7))  # many tasks overdue since 30 June
    (digest,) = [m for m in coord.inbox() if "督办升级" in m.get("text", "")]
    (ask,) = await coord.reply(digest, "请各单位加快")
    assert "涉及多项任务" in ask["text"] and env.store.history.events(kinds=["note"]) == []


async def test_a_reply_to_a_confirmation_is_about_its_task(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = await started(env)
    (snoozed,) = await alice.say("/snooze 18 3天")
    (answer,) = await alice.reply(snoozed, "等上级文件")
    assert "已记录 #18 区司法局" in answer["text"]
    await alice.say("/extend 18 7月15日 因数据未到齐")
    notice, data = review_button(coord.inbox(), "ok")
    (decided,) = await coord.press(notice, data)  # the coordinator is told what happened
    (answer,) = await coord.reply(decided, "已电话告知")
    assert "已记录 #18 区司法局" in answer["text"]
    assert notes(env, 18, LEAD) == ["等上级文件", "已电话告知"]


async def test_a_reply_to_a_remind_result_is_about_what_was_chased(env: ChatEnv) -> None:
    await started(env)
    coord = coordinator(env)
    result = (await coord.say(f"/remind {LEAD}"))[-1]
    assert "已送达" in result["text"]
    refs = env.store.deliveries.message_refs(result["chat"]["id"], result["message_id"])
    assert (18, LEAD) in refs and len({task for task, _ in refs}) > 1
    (ask,) = await coord.reply(result, "已电话沟通")  # several tasks: which one?
    assert "#" in ask["text"] and notes(env, 18, LEAD) == []
    (done,) = await coord.reply(result, "#18 已电话沟通")
    assert "已记录 #18" in done["text"] and notes(env, 18, LEAD) == ["已电话沟通"]
