"""Dialogues: /status, /overdue, /summary, /export, /activity, /rectify and /metric in chat."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from bot.features import campaign, kpis
from tests.harness import SUMMARY_CHAT, ChatEnv

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def last_with_buttons(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in reversed(messages) if buttons(m))


async def test_status_views_for_the_coordinator(env: ChatEnv) -> None:
    boss = env.coordinator
    overview = await boss.say("/status")
    assert "督办总览" in overview[0]["text"] and "#25" in overview[0]["text"]
    task = await boss.say("/status 4")
    assert "#4 推动“双公示”达标" in task[0]["text"]
    assert buttons(task[0])[-1] == "pg:t4:1"
    page2 = await boss.press(task[0], "pg:t4:1")
    assert page2 == []  # the same message is edited
    edited = env.api.message(task[0]["chat"]["id"], task[0]["message_id"])
    assert edited is not None and "第 2/2 页" in edited["text"]
    unit = await boss.say("/status 司法局")
    assert "区司法局" in unit[0]["text"] and "#18" in unit[0]["text"]
    unknown = await boss.say("/status 火星局")
    assert "没有找到" in unknown[0]["text"]
    missing = await boss.say("/status 99")
    assert "没有任务 #99" in missing[0]["text"]


async def test_overdue_lists_units_with_days(env: ChatEnv) -> None:
    from tests.prepared import at

    env.clock.set(at("2021-07-05 10:00"))
    replies = await env.coordinator.say("/overdue")
    text = replies[0]["text"]
    assert "逾期清单" in text and "（配合）" in text and "个工作日" in text  # supporters too
    assert "pg:ov:1" in buttons(replies[0])


async def test_contacts_and_strangers_are_refused(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    for command in ("/status", "/overdue", "/summary", "/export"):
        replies = await alice.say(command)
        assert replies and "督办" in replies[0]["text"] and "#18" not in replies[0]["text"]
    stranger = env.person(2999, "Stranger")
    replies = await stranger.say("/status 18")
    assert replies and "全面推行信用承诺制" not in replies[0]["text"]


async def test_summary_now_and_preview(env: ChatEnv) -> None:
    boss = env.coordinator
    env.group(SUMMARY_CHAT, "督办工作群", [boss])
    replies = await boss.say("/summary")
    assert "周报已发送" in replies[-1]["text"]
    posted = env.inbox(SUMMARY_CHAT)
    text = "\n".join(m.get("text") or "" for m in posted)
    assert "诚信建设万里行" in text and "专项治理" in text
    await env.api.wait_until(lambda: any("photo" in m for m in env.inbox(SUMMARY_CHAT)), 30)
    before = len(env.inbox(SUMMARY_CHAT))
    replies = await boss.say("/summary preview")
    assert "周报预览" in replies[0]["text"]
    assert any("诚信建设万里行" in (m.get("text") or "") for m in replies)
    assert len(env.inbox(SUMMARY_CHAT)) == before


async def test_export_sends_the_workbook(env: ChatEnv) -> None:
    replies = await env.coordinator.say("/export")
    docs = [m for m in replies if "document" in m]
    assert docs and docs[0]["document"]["file_name"].endswith(".xlsx")
    # The document is a real workbook holding every task of the plan.
    data = env.api.file_bytes(docs[0]["document"]["file_id"])
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert all(t.title in cells or any(t.title in c for c in cells) for t in env.store.plan.tasks())


async def test_activity_dialogue(env: ChatEnv) -> None:
    alice = env.person(2003, "Alice")
    env.bind(alice, "区文明办")
    first = await alice.say("/activity")
    assert "报送“诚信建设万里行”活动" in first[-1]["text"]
    step = await alice.press(last_with_buttons(first), "act:f:0")  # 论坛讲座
    step = await alice.press(last_with_buttons(step), "act:c:1")  # 校园
    assert "活动日期" in step[-1]["text"]
    assert "没看懂" in (await alice.say("随便"))[-1]["text"]
    assert "活动名称" in (await alice.say("昨天"))[-1]["text"]
    await alice.say("诚信进校园 <b>讲座</b>")
    assert "整数" in (await alice.say("很多"))[-1]["text"]
    await alice.say("120人")
    photos_step = await alice.say("5")
    assert "照片" in photos_step[-1]["text"]
    saved = await alice.send_photo(JPEG)
    assert "第 1 份" in saved[-1]["text"]
    done = await alice.press(last_with_buttons(saved), "act:done")
    assert "已记录活动" in done[-1]["text"] and "照片 1 份" in done[-1]["text"]
    (record,) = campaign.activities(env.store)
    assert record["form"] == "论坛讲座" and record["carrier"] == "校园"
    assert record["day"] == "2021-06-20" and record["participants"] == 120
    assert record["enterprises"] == 5 and record["unit"] == "区文明办"
    assert record["title"] == "诚信进校园 <b>讲座</b>"
    assert record["photos"][0]["evidence"]  # kept as evidence of #24
    assert env.store.history.events(task=24, kinds=["activity"])


async def test_activity_cancel_stores_nothing(env: ChatEnv) -> None:
    alice = env.person(2003, "Alice")
    env.bind(alice, "区文明办")
    first = await alice.say("/activity")
    await alice.press(last_with_buttons(first), "act:f:2")
    replies = await alice.say("/cancel")
    assert any("已取消" in m["text"] for m in replies)
    assert campaign.activities(env.store) == []


async def test_an_idle_activity_dialogue_expires_on_the_bots_clock(env: ChatEnv) -> None:
    alice = env.person(2003, "Alice")
    env.bind(alice, "区文明办")
    first = await alice.say("/activity")
    step = await alice.press(last_with_buttons(first), "act:f:0")
    await alice.press(last_with_buttons(step), "act:c:1")
    env.clock.advance(minutes=31)
    expired = await alice.say("昨天")
    assert "已作废" in expired[-1]["text"] and "/activity" in expired[-1]["text"]
    later = await alice.say("昨天")  # no longer taken by the dialogue
    assert "已作废" not in later[-1]["text"] and "活动名称" not in later[-1]["text"]
    assert campaign.activities(env.store) == []


async def test_rectify_dialogue_for_a_coordinator(env: ChatEnv) -> None:
    boss = env.coordinator
    first = await boss.say("/rectify")
    assert "单位" in first[-1]["text"]
    fields = await boss.say("区发改局")
    labels = buttons(last_with_buttons(fields))
    assert len(labels) == 11
    step = await boss.press(last_with_buttons(fields), "rf:f:1")  # 信用服务机构失信 (#11)
    assert "#11" in step[-1]["text"]
    await boss.say("8")
    await boss.say("6")
    files = await boss.say("某信用服务机构虚假评级已整改")
    done = await boss.press(last_with_buttons(files), "rf:done")
    assert "已记录专项治理" in done[-1]["text"]
    (record,) = campaign.rectifications(env.store)
    assert (record["task"], record["field"], record["identified"], record["rectified"]) == (
        11,
        "信用服务机构失信",
        8,
        6,
    )


async def test_metric_only_by_owners_or_coordinators(env: ChatEnv) -> None:
    owner = env.person(2002, "Bob")
    env.bind(owner, "区发改局")
    other = env.person(2005, "Carol")
    env.bind(other, "区民政局")
    replies = await owner.say("/metric sgs_report 98.5%")
    assert "⚠️" in replies[-1]["text"] and "98.5%" in replies[-1]["text"]
    denied = await other.say("/metric 双公示上报率 100")
    assert "不能报送" in denied[-1]["text"]
    ok = await env.coordinator.say("/metric 双公示上报率 100")
    assert "✅" in ok[-1]["text"]
    assert "不是数值" in (await owner.say("/metric sgs_report abc"))[-1]["text"]
    assert "没有指标" in (await owner.say("/metric nothing 1"))[-1]["text"]
    listing = await owner.say("/metric")
    assert "sgs_report" in listing[-1]["text"]
    latest = kpis.latest_values(kpis.metric_records(env.store))
    assert latest["sgs_report"] == 100


async def test_weekly_post_through_the_tick_once_across_restart(env: ChatEnv) -> None:
    from schedules.tick import run_once
    from tests.prepared import at

    env.group(SUMMARY_CHAT, "督办工作群", [env.coordinator])

    def summaries() -> int:
        return sum("督办周报" in (m.get("text") or "") for m in env.inbox(SUMMARY_CHAT))

    env.clock.set(at("2021-06-25 15:59"))
    await run_once(env.app)
    assert summaries() == 0
    env.clock.set(at("2021-06-25 16:00"))
    await run_once(env.app)
    await run_once(env.app)
    assert summaries() == 1
    await env.restart()
    env.clock.set(at("2021-06-26 10:00"))
    await run_once(env.app)
    assert summaries() == 1
    assert env.store.deliveries.ledger_get("summary:2021-W25")["status"] == "sent"  # type: ignore[index]


async def test_overdue_counts_tasks_parts_and_units_apart(env: ChatEnv) -> None:
    """One task with eight overdue parts is one task, eight parts, eight units."""
    from bot.domain.clock import SHANGHAI

    # #1's monthly reports are in for June, so #20 (due 31 May, a lead and seven supporters)
    # is what is overdue.
    for state in env.store.parts.states(task=1):
        env.store.parts.update_state(
            1, state["unit"], at=env.clock.now(), actor=None, event="report", reported=["2021-06"]
        )
    text = (await env.coordinator.say("/overdue"))[0]["text"]
    assert "共 1 项任务逾期：8 项分工，涉及 8 个单位" in text
    # a unit with two overdue parts is one unit
    from datetime import datetime

    env.clock.set(datetime(2021, 7, 1, 10, 0, tzinfo=SHANGHAI))
    text = (await env.coordinator.say("/overdue"))[0]["text"]
    assert "区商务局" in text and text.count("区商务局") == 1
    head = next(line for line in text.splitlines() if line.startswith("共 "))
    tasks, parts, units = (int(n) for n in __import__("re").findall(r"\d+", head)[:3])
    assert tasks < parts and units < parts


async def test_a_tasks_light_is_its_worst_part(env: ChatEnv) -> None:
    """#20's lead got a later deadline; its supporters' parts stay overdue, so #20 is 🔴
    in /status, /status 20, the summary and the export, as /overdue lists them."""
    coord = env.coordinator
    env.api.started.add(coord.id)
    cai = env.contact("区商务局", 2006, "Cai")
    await cai.say("/extend 20 7月20日 企业授权尚未完成")
    card = last_with_buttons(coord.inbox())
    await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:ok:")))
    assert env.store.parts.state(20, "区商务局")["due_override"] == "2021-07-20"
    (detail,) = await coord.say("/status 20")
    assert detail["text"].startswith("🔴 #20")
    line = next(x for x in detail["text"].splitlines() if "区建设交通局（配合）" in x)
    assert line.startswith("🔴") and "逾期 14 个工作日" in line
    overdue = (await coord.say("/overdue"))[0]["text"]
    assert "#20" in overdue
    head = next(line for line in overdue.splitlines() if line.startswith("共 "))
    red_tasks = int(head.split("共 ", 1)[1].split(" ", 1)[0])
    preview = "\n".join(m.get("text", "") for m in await coord.say("/summary preview"))
    assert f"🔴 红 {red_tasks}　" in preview
    replies = await coord.say("/export")
    doc = next(m for m in replies if "document" in m)
    book = openpyxl.load_workbook(io.BytesIO(env.api.file_bytes(doc["document"]["file_id"])))
    sheet = book.worksheets[0]
    header = next(row for row in sheet.iter_rows(values_only=True) if row and "任务信号灯" in row)
    light = header.index("任务信号灯")
    (row,) = [r for r in sheet.iter_rows(values_only=True) if str(r[1]).startswith("20.")]
    assert row[light] == "红"
