"""Extension requests and coordinator review, as conversations."""

from __future__ import annotations

from bot.features import review
from tests.harness import ChatEnv, Person, button_data, current, open_card

LEAD, LEAD2 = "区司法局", "区市场监管局"  # the two leads of #18 (due 2021-06-30)


def coordinator(env: ChatEnv) -> Person:
    coord = env.coordinator
    env.api.started.add(coord.id)  # the coordinator has opened the private chat
    return coord


async def requested(env: ChatEnv, request: str) -> tuple[Person, Person]:
    """The coordinator, and 区司法局's contact after sending `request` (a /update or /extend
    that asks the coordinator for a review)."""
    coord = coordinator(env)
    alice = env.contact(LEAD)
    await alice.say(request)
    return coord, alice


def with_buttons(messages: list[dict], prefix: str = "rv:") -> dict:
    """The last message carrying a review button."""
    for msg in reversed(messages):
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(b.get("callback_data", "").startswith(prefix) for row in rows for b in row):
            return msg
    raise AssertionError(f"no message with {prefix} buttons in {[m.get('text') for m in messages]}")


def record_id(card: dict) -> int:
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return int(data.rsplit(":", 1)[1])


async def test_extend_and_approve(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = env.contact(LEAD)
    replies = await alice.say("/extend 18 7月15日 因数据未到齐")
    assert "2021年7月15日（周四）" in replies[-1]["text"]
    assert "2021年6月30日（周三）" in replies[-1]["text"] and "因数据未到齐" in replies[-1]["text"]
    card = with_buttons(coord.inbox())
    assert "延期申请" in card["text"] and "#18" in card["text"] and "Alice" in card["text"]
    copy = with_buttons(await coord.say("/review"))  # a second copy of the same buttons
    await coord.press(card, f"rv:ok:{record_id(card)}")
    assert coord.answer and coord.answer["text"] == "已通过"
    assert env.store.parts.state(18, LEAD)["due_override"] == "2021-07-15"
    told = alice.inbox()[-1]["text"]
    assert "已通过" in told and "2021年7月15日（周四）" in told
    kinds = [e["kind"] for e in env.store.history.events(task=18, unit=LEAD)]
    assert "extension.request" in kinds and "extension.approve" in kinds
    assert not env.api.message(coord.id, card["message_id"]).get("reply_markup")  # buttons gone
    await coord.press(copy, f"rv:ok:{record_id(copy)}")
    assert coord.answer and coord.answer["text"] == "已处理"
    assert len(env.store.history.events(task=18, kinds=["extension.approve"])) == 1


async def test_extend_refused_with_a_reason(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/extend 18 下周五 等待上级文件")
    card = with_buttons(coord.inbox())
    copy = with_buttons(await coord.say("/review"))
    asked = await coord.press(card, f"rv:no:{record_id(card)}")
    assert "退回理由" in asked[-1]["text"]
    done = await coord.say("材料 <不全> & 时间充足")
    assert "已退回" in done[-1]["text"]
    told = alice.inbox()[-1]["text"]
    assert "未通过" in told and "材料 <不全> & 时间充足" in told
    assert env.store.parts.state(18, LEAD)["due_override"] is None
    assert env.store.history.events(task=18, kinds=["extension.reject"])[0]["reason"] == (
        "材料 <不全> & 时间充足"
    )
    # the other copy of the buttons does nothing twice
    await coord.press(copy, f"rv:ok:{record_id(copy)}")
    assert coord.answer and coord.answer["text"] == "已处理"
    assert env.store.parts.state(18, LEAD)["due_override"] is None


async def test_extend_button_asks_for_date_and_reason(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = env.contact(LEAD)
    card = await open_card(alice, 18)
    asked = await alice.press(card, "ext:18")
    assert "7月15日 因数据未到齐" in asked[-1]["text"]
    wrong = await alice.say("过几天吧")
    assert "没有看懂" in wrong[-1]["text"]
    early = await alice.say("6月25日 来不及")
    assert "必须晚于" in early[-1]["text"]
    ok = await alice.say("7月2日 等待数据")
    assert "2021年7月2日（周五）" in ok[-1]["text"]
    assert "延期申请" in with_buttons(coord.inbox())["text"]
    after = await alice.say("随便说点什么")  # the wait is over: plain text is no request
    assert "延期" not in after[-1]["text"]


async def test_extend_usage_and_errors(env: ChatEnv) -> None:
    alice = env.contact(LEAD)
    assert "用法" in (await alice.say("/extend"))[-1]["text"]
    assert "用法" in (await alice.say("/extend 18"))[-1]["text"]
    assert "理由" in (await alice.say("/extend 18 7月15日"))[-1]["text"]
    assert "必须晚于" in (await alice.say("/extend 18 2021-06-30 同一天"))[-1]["text"]
    assert "没有编号为 #99" in (await alice.say("/extend 99 7月15日 理由"))[-1]["text"]
    long = "长" * 2001
    assert "2000" in (await alice.say(f"/extend 18 7月15日 {long}"))[-1]["text"]
    await alice.say("/extend 18 7月15日 第一次")
    assert "待审核" in (await alice.say("/extend 18 7月20日 第二次"))[-1]["text"]


def labels(card: dict) -> list[str]:
    return [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]


PDF = "%PDF-1.4 承诺制工作方案".encode()


async def test_claim_approved_through_review_closes_the_task(env: ChatEnv) -> None:
    coord = coordinator(env)
    alice = env.contact(LEAD)
    bob = env.contact(LEAD2, 2002, "Bob")
    await alice.send_document(PDF, "方案.pdf", caption="#18 方案")
    await alice.say("/update 18 已完成 方案已印发")
    assert env.store.parts.state(18, LEAD)["claim"] == "pending"
    listed = await coord.say("/review")
    assert "完成审核 1 项" in listed[0]["text"]
    card = with_buttons(listed)
    assert "区司法局" in card["text"] and "Alice" in card["text"]
    assert "佐证材料：1 份" in card["text"]
    # the supporters' open parts are listed; the other lead is open, so they cannot be closed
    # with this claim, and the card says so instead of offering it
    assert "配合单位尚未完成的部分（6 个）" in card["text"] and "区公安分局" in card["text"]
    assert "其他牵头单位尚未完成：区市场监管局 未启动" in card["text"]
    assert "不能随本次通过一并办结" in card["text"]
    assert labels(card) == ["通过，配合部分继续", "退回"]
    await coord.press(card, f"rv:okk:{record_id(card)}")
    state = env.store.parts.state(18, LEAD)
    assert state["status"] == "done" and state["claim"] is None
    told = alice.inbox()[-1]["text"]
    assert "通过审核" in told and "其他牵头单位（区市场监管局）尚未完成" in told
    decided = coord.inbox()[-1]["text"]
    assert "佐证材料 1 份" in decided
    assert "其他牵头单位尚未完成：区市场监管局；6 个配合单位的部分继续督办" in decided
    assert "牵头已完成" not in decided  # one lead of two is not 牵头已完成
    assert not env.store.plan.task_meta(18)["closed"]
    await bob.say("/update 18 已完成")
    notice = with_buttons(coord.inbox())  # the claim notice the update sent
    assert "佐证材料：0 份" in notice["text"] and "其他牵头单位" not in notice["text"]
    assert labels(notice) == ["通过并办结配合部分", "通过，配合部分继续", "退回"]
    card = with_buttons(await coord.say("/review"))
    await coord.press(card, f"rv:okk:{record_id(card)}")
    await coord.press(current(env, card), f"rvy:okk:{record_id(card)}")  # no evidence: confirm
    # both leads done, supporters kept open: not 已办结, but 牵头已完成，配合未完
    assert not env.store.plan.task_meta(18)["closed"]
    assert "牵头已完成，配合未完" in coord.inbox()[-1]["text"]
    await coord.press(notice, f"rv:okc:{record_id(notice)}")  # the same decision again
    assert coord.answer and coord.answer["text"] == "已处理"
    assert len(env.store.history.events(task=18, kinds=["claim.approve"])) == 2
    assert "没有待审核" in (await coord.say("/review"))[-1]["text"]


async def second_lead_claims(env: ChatEnv) -> tuple[Person, Person, dict]:
    """Both leads of #18 upload a file and claim; the first claim is approved (supporters kept
    open). The coordinator, Alice (the first lead) and the second lead's claim card."""
    coord = coordinator(env)
    alice = env.contact(LEAD)
    bob = env.contact(LEAD2, 2002, "Bob")
    for person in (alice, bob):
        await person.send_document(PDF, "方案.pdf", caption="#18")
    await alice.say("/update 18 已完成")
    await coord.press(with_buttons(coord.inbox()), "rv:okk:1")
    await bob.say("/update 18 已完成")
    return coord, alice, with_buttons(coord.inbox())


async def test_close_with_the_claim_is_done_once_every_lead_is(env: ChatEnv) -> None:
    """通过并办结配合部分 on the last lead's claim closes the supporters' parts and the task."""
    coord, _, card = await second_lead_claims(env)
    await coord.press(card, f"rv:okc:{record_id(card)}")
    assert coord.answer and coord.answer["text"] == "已通过"
    assert env.store.plan.task_meta(18)["closed"]
    decided = coord.inbox()[-1]["text"]
    assert "配合单位的 6 个部分已一并办结" in decided and "任务已办结" in decided


async def test_close_pressed_while_another_lead_is_open_is_explained(env: ChatEnv) -> None:
    """A 通过并办结配合部分 that cannot be done (a card drawn before the other lead reopened
    its part, or a hand-made press) decides nothing and says why."""
    coord, alice, card = await second_lead_claims(env)
    assert "通过并办结配合部分" in labels(card)  # every other lead was done then
    await alice.say("/update 18 进行中 90% 发现遗漏，补充中")  # and now is not
    await coord.press(card, f"rv:okc:{record_id(card)}")
    assert coord.answer and coord.answer["show_alert"]
    assert "区司法局尚未完成" in coord.answer["text"]
    assert env.store.parts.state(18, LEAD2)["claim"] == "pending"  # nothing decided
    assert not env.store.history.events(task=18, kinds=["part.closed"])
    assert len(env.store.history.events(task=18, kinds=["claim.approve"])) == 1  # Alice's only
    assert labels(current(env, card)) == ["通过，配合部分继续", "退回"]


async def test_claim_without_evidence_needs_a_second_tap(env: ChatEnv) -> None:
    coord = coordinator(env)
    finance = env.contact("区金融发展服务中心", 2004, "Fay")  # #15: one lead, open supporters
    await finance.say("/update 15 已完成 已完成")
    card = with_buttons(coord.inbox())
    assert "佐证材料：0 份（未上传，通过前会请您再确认一次）" in card["text"]
    await coord.press(card, f"rv:okk:{record_id(card)}")
    assert coord.answer and coord.answer["show_alert"]
    assert "没有佐证材料（0 份）" in coord.answer["text"]
    assert env.store.parts.state(15, "区金融发展服务中心")["claim"] == "pending"  # not yet
    assert not env.store.history.events(task=15, kinds=["claim.approve"])
    asked = current(env, card)
    assert labels(asked) == ["确认通过，配合部分继续（无佐证材料）", "退回"]
    await coord.press(asked, button_data(asked)[0])
    assert coord.answer and coord.answer["text"] == "已通过"
    assert env.store.parts.state(15, "区金融发展服务中心")["status"] == "done"
    assert "佐证材料 0 份（已确认无材料通过）" in coord.inbox()[-1]["text"]


async def test_decisions_are_the_coordinators_own_not_proxy(env: ChatEnv) -> None:
    """Approvals and extension decisions are recorded and shown as the coordinator's decision,
    never as 代报 (a report made for the unit); a coordinator's report for a unit still is."""
    from bot.reports import report

    coord, alice = await requested(env, "/extend 18 7月15日 因数据未到齐")
    await coord.press(
        with_buttons(coord.inbox()), f"rv:ok:{record_id(with_buttons(coord.inbox()))}"
    )
    await alice.send_document(PDF, "方案.pdf", caption="#18")
    await alice.say("/update 18 已完成")
    card = with_buttons(coord.inbox())
    await coord.press(card, f"rv:okk:{record_id(card)}")
    await coord.say("/update 18 区公安分局 进行中 30% 电话报送")  # a real 代报
    (status,) = await coord.say("/status 18")
    lines = status["text"].split("\n")
    approved = next(line for line in lines if "完成申请经督办审核通过" in line)
    extended = next(line for line in lines if "延期申请经督办批准" in line)
    assert "代报" not in approved and "代报" not in extended
    assert any("区公安分局" in line and "（代报）" in line for line in lines)
    detail = (await alice.say("/task 18"))[-1]["text"]
    assert "完成申请经督办审核通过" in detail and "延期申请经督办批准" in detail
    sheet = next(s for s in report.collect(env.services).sheets if s.title == "历史记录")
    rows = {row[1]: row for row in sheet.rows if row[2] == "#18"}
    assert rows["完成申请经督办审核通过"][5] == "" and rows["延期申请经督办批准"][5] == ""
    assert "督办" in rows["完成申请经督办审核通过"][4]
    assert rows["更新进度"][5] == "代报"


async def test_claim_rejected_with_reason_and_cancel(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/update 18 已完成")
    notice = with_buttons(coord.inbox())
    card = with_buttons(await coord.say("/review"))
    await coord.press(card, f"rv:no:{record_id(card)}")
    assert "已取消" in (await coord.say("/cancel"))[-1]["text"]
    assert env.store.parts.state(18, LEAD)["claim"] == "pending"  # nothing decided
    await coord.press(card, f"rv:no:{record_id(card)}")
    assert "理由太长" in (await coord.say("长" * 2001))[-1]["text"]
    assert env.store.parts.state(18, LEAD)["claim"] == "pending"  # still waiting for a reason
    await coord.say("缺少佐证材料")
    state = env.store.parts.state(18, LEAD)
    assert state["claim"] == "rejected" and state["status"] == "doing"
    told = alice.inbox()[-1]["text"]
    assert "被退回" in told and "缺少佐证材料" in told
    assert not env.api.message(coord.id, card["message_id"]).get("reply_markup")
    await coord.press(notice, f"rv:no:{record_id(notice)}")
    assert coord.answer and coord.answer["text"] == "已处理"


async def test_only_coordinators_review(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/update 18 已完成")
    assert "督办" in (await alice.say("/review"))[-1]["text"]
    card = with_buttons(coord.inbox())
    assert env.store.parts.state(18, LEAD)["claim"] == "pending"
    assert record_id(card) > 0


async def test_review_with_many_long_items_fits_telegram(env: ChatEnv) -> None:
    coord = coordinator(env)
    leads = list(
        dict.fromkeys(
            (s["task"], s["unit"]) for s in env.store.parts.states() if s["role"] == "lead"
        )
    )[:14]
    for task, unit in leads:  # 14 claims, each with a note of 2,000 characters of markup
        review.create_claim(env.services, task, unit, coord.id, note="<说明&>" * 400)  # type: ignore[arg-type]
    intro, *cards = await coord.say("/review")
    assert "共 14 项" in intro["text"] and "先列出 10 项" in intro["text"]
    assert all(len(m["text"]) <= 4096 for m in [intro, *cards])
    keyed = [i for i, m in enumerate(cards) if m.get("reply_markup")]
    assert len(keyed) == 10  # one 通过/退回 pair per item, under its last part
    first = "".join(m["text"] for m in cards[: keyed[0] + 1])
    assert first.count("<说明&>") == 400 and first.startswith("完成审核 #")


async def test_refusal_to_a_unit_that_blocked_the_bot(env: ChatEnv) -> None:
    coord, alice = await requested(env, "/update 18 已完成")
    await env.api.user_blocks_bot(alice.id)  # 403 from now on
    card = with_buttons(await coord.say("/review"))
    await coord.press(card, f"rv:no:{record_id(card)}")
    done = await coord.say("缺少佐证材料")
    assert "已退回" in done[-1]["text"] and "没能通知到区司法局" in done[-1]["text"]
    assert env.store.parts.state(18, LEAD)["claim"] == "rejected"  # type: ignore[index]
    assert "出了问题" not in "".join(m["text"] for m in done)
