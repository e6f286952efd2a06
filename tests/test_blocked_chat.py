"""受阻 alerts the coordinators at once; 答复单位 delivers the coordinator's answer to the unit."""

from __future__ import annotations

from tests.harness import COORDINATOR, ChatEnv


def _buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_blocked_update_alerts_and_answer_reaches_the_unit(env: ChatEnv) -> None:
    coord = env.coordinator
    env.api.started.add(coord.id)
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/update 18 受阻 等待市里统一模板")
    alert = env.inbox(COORDINATOR)[-1]
    assert "受阻" in alert["text"] and "#18" in alert["text"] and "区司法局" in alert["text"]
    assert "等待市里统一模板" in alert["text"]
    (data,) = _buttons(alert)
    assert data.startswith("blk:18:")
    asked = await coord.press(alert, data)
    assert "请输入给区司法局的答复" in asked[-1]["text"]
    assert "不能为空" in (await coord.say("   "))[-1]["text"]  # still waiting
    done = await coord.say("模板已下发，请查收邮件")
    assert "已将答复转给区司法局的 1 位联系人" in done[-1]["text"]
    notice = alice.inbox()[-1]["text"]
    assert "督办单位就 #18 受阻情况的答复" in notice and "模板已下发" in notice
    (ev,) = env.store.history.events(task=18, kinds=["blocked.answer"])
    assert ev["actor"] == COORDINATOR and ev["unit"] == "区司法局"
    # the next text is an ordinary message again, not another answer
    assert len(env.store.history.events(task=18, kinds=["blocked.answer"])) == 1


async def test_blocked_button_is_coordinators_only(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await env.coordinator.say("/start")
    await alice.say("/update 18 受阻 缺少数据")
    alert = env.inbox(COORDINATOR)[-1]
    (data,) = _buttons(alert)
    await alice.press(alert, data)
    assert not env.store.history.events(task=18, kinds=["blocked.answer"])
    assert not any("请输入给" in (m.get("text") or "") for m in alice.inbox())
