"""签收: the first message that tells a unit of a task carries a 签收 button; the press is
recorded (who, when), shown in /status UNIT, the card and the export; unsigned work is chased
once; a press by anyone else changes nothing."""

from __future__ import annotations

from datetime import datetime

from bot.domain.clock import SHANGHAI
from bot.reports import report
from bot.telegram.context import OUTBOX
from bot.telegram.courier import sweep
from tests.harness import COORDINATOR, ChatEnv, Message, button_data, open_card

TOLD = datetime(2021, 6, 23, 9, 1, tzinfo=SHANGHAI)  # #18 (due 6-30): 7 days before


async def morning(env: ChatEnv, at: datetime) -> None:
    env.clock.set(at)
    assert env.app is not None and env.services is not None
    await sweep(env.app.bot_data[OUTBOX], env.services)


def sign_data(message: Message, task: int) -> str:
    return next(d for d in button_data(message) if d.startswith(f"sgn:{task}:"))


def digest_of(env: ChatEnv, user: int, task: int) -> Message:
    return next(
        m
        for m in env.inbox(user)
        if f"#{task}" in m.get("text", "")
        and any(d.startswith(f"sgn:{task}:") for d in button_data(m))
    )


async def test_sign_for_a_task(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/start")
    await morning(env, TOLD)
    digest = digest_of(env, alice.id, 18)
    await alice.press(digest, sign_data(digest, 18))
    assert alice.answer and "已签收 #18" in alice.answer["text"]
    (receipt,) = env.store.history.events(task=18, kinds=["receipt"])
    assert receipt["unit"] == "区司法局" and receipt["actor"] == alice.id
    assert receipt["at"].startswith("2021-06-23")
    await alice.press(digest, sign_data(digest, 18))
    assert alice.answer and "无需重复签收" in alice.answer["text"]
    assert len(env.store.history.events(task=18, kinds=["receipt"])) == 1
    # /status UNIT and the card say so; the export has the time
    (page,) = await env.coordinator.say("/status 区司法局")
    line = next(ln for ln in page["text"].splitlines() if "#18" in ln)
    assert "已签收" in line
    card = await open_card(alice, 18)
    assert "已签收" in card["text"]
    assert env.services is not None
    sheet = report.collect(env.services, TOLD.date()).sheets[0]
    column = sheet.headers.index("签收时间")
    unit_col = sheet.headers.index("责任单位")
    row = next(r for r in sheet.rows if r[1].startswith("18.") and r[unit_col] == "区司法局")
    assert row[column].startswith("2021-06-23")


async def test_a_press_by_anyone_else_changes_nothing(env: ChatEnv) -> None:
    alice = env.contact()
    bob = env.contact("区财政局", 2002, "Bob")
    carol = env.contact("区司法局", 2003, "Carol")  # same unit, but not her message
    for person in (alice, bob, carol):
        await person.say("/start")
    await morning(env, TOLD)
    digest = digest_of(env, alice.id, 18)
    for other in (bob, carol, env.coordinator):
        await other.press(digest, sign_data(digest, 18))
        assert other.answer and "未记录" in other.answer["text"], other
    assert env.store.history.events(task=18, kinds=["receipt"]) == []


async def test_unsigned_work_is_chased_once_then_shown_unsigned(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/start")
    await morning(env, TOLD)
    before = len(alice.inbox())
    await morning(env, datetime(2021, 6, 24, 9, 1, tzinfo=SHANGHAI))
    chases = [m for m in alice.inbox()[before:] if "请签收" in m.get("text", "")]
    assert len(chases) == 1 and "#18" in chases[0]["text"]
    assert any(d.startswith("sgn:18:") for d in button_data(chases[0]))
    await morning(env, datetime(2021, 6, 25, 9, 1, tzinfo=SHANGHAI))
    await morning(env, datetime(2021, 6, 28, 9, 1, tzinfo=SHANGHAI))
    assert sum("请签收" in m.get("text", "") and "#18" in m["text"] for m in alice.inbox()) == 1
    (page,) = await env.coordinator.say("/status 区司法局")
    line = next(ln for ln in page["text"].splitlines() if "#18" in ln)
    assert "未签收" in line
    assert COORDINATOR not in {e["actor"] for e in env.store.history.events(kinds=["receipt"])}
