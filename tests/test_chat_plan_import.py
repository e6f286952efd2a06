"""A coordinator sends a plan file in chat: what was read, then 导入 / 取消; nobody else can."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook

from bot import DATA
from bot.features import plan_import
from bot.plan import BUNDLED_PLAN, load_plan, parse_text
from bot.plan.model import Milestone
from bot.plan.template import HEADERS, SHEET
from tests.harness import ChatEnv, Message
from tests.plan_writers import fill_template

SEED = (DATA / "zhenhai-2021-credit-plan.txt").read_text(encoding="utf-8")
# The same plan with #2's deadline moved: importing it changes exactly one task.
REVISED = SEED.replace(
    "清理规范工作的通知》,集中开展失信约束措施清理规范,实现信用措施全部于法于规有据。 | 2021年6月",
    "清理规范工作的通知》,集中开展失信约束措施清理规范,实现信用措施全部于法于规有据。 | 2021年9月",
)


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_coordinator_previews_then_imports(env: ChatEnv) -> None:
    assert REVISED != SEED
    boss = env.coordinator
    (preview,) = await boss.send_document(REVISED.encode(), "区信用方案（修订）.txt")
    assert "已读取方案文件" in preview["text"] and "共 25 项任务" in preview["text"]
    assert "去向：修订方案 A：修改 1 项" in preview["text"]  # where 导入 puts it
    ok, no, new, template = buttons(preview)
    assert ok.startswith("imp:ok:") and no.startswith("imp:no:") and template == "tpl"
    assert new == "imp:new:" + ok.split(":")[2]  # 作为新方案: the other choice
    assert env.store.plan.task(2).deadline.due.month == 6  # nothing changed before 导入
    replies = await boss.press(preview, ok)
    assert "已导入方案" in replies[-1]["text"] and "修改 1 项" in replies[-1]["text"]
    assert "#2" in replies[-1]["text"]
    assert env.store.plan.task(2).deadline.due.month == 9
    after = env.api.messages_to(boss.id)
    assert buttons(next(m for m in after if m["message_id"] == preview["message_id"])) == []
    with pytest.raises(plan_import.PlanImportError) as again:  # single use, buttons or not
        plan_import.carry_out(env.services, ok.split(":")[2], boss.id)
    assert again.value.code == "imported"


async def test_cancel_forgets_the_file(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(REVISED.encode(), "plan.txt")
    staged = list(plan_import.imports_dir(env.data_dir).iterdir())
    assert len(staged) == 1 and staged[0].name != "plan.txt"  # the bot names the file
    replies = await boss.press(preview, buttons(preview)[1])
    assert "已取消" in replies[-1]["text"]
    assert not any(plan_import.imports_dir(env.data_dir).iterdir())
    assert env.store.plan.task(2).deadline.due.month == 6


async def test_a_plan_with_errors_has_no_import_button(env: ChatEnv) -> None:
    broken = "一、某组\n1.一项没有单位的任务。（2021年6月底前完成）\n"
    (preview,) = await env.coordinator.send_document(broken.encode(), "broken.txt")
    assert "不能导入" in preview["text"] and "行 " in preview["text"]
    assert buttons(preview) == ["tpl"]  # the template only


async def test_the_preview_says_task_by_task_what_was_not_read(env: ChatEnv) -> None:
    plan = (
        "一、某组\n1.一项没有单位的任务。（2021年6月底前完成）\n"
        "2.一项时限不明的任务。（区发改局牵头，按上级要求）\n"
        "3.一项单位像人名的任务。（张三牵头，2021年9月底前完成）\n"
    )
    (preview,) = await env.coordinator.send_document(plan.encode(), "doubts.txt")
    text = preview["text"]
    assert "需要核对 3 项" in text
    assert "第 1 项：牵头单位未能识别" in text
    assert "第 2 项：时限未能识别" in text
    assert "第 3 项：“张三”像是人名，不是单位" in text


async def test_a_contacts_file_is_evidence_not_a_plan(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (reply,) = await alice.send_document(REVISED.encode(), "plan.txt")
    assert "已读取方案文件" not in reply["text"]
    assert not plan_import.imports_dir(env.data_dir).exists()


async def test_a_coordinators_file_naming_a_task_stays_evidence(env: ChatEnv) -> None:
    replies = await env.coordinator.send_document(b"%PDF-1.4 x", "方案.pdf", caption="#18")
    assert all("已读取方案文件" not in (m.get("text") or "") for m in replies)


async def test_a_staged_import_is_its_senders_and_expires(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(REVISED.encode(), "plan.txt")
    token = buttons(preview)[0].split(":")[2]
    with pytest.raises(plan_import.PlanImportError) as other:
        plan_import.carry_out(env.services, token, 4242)
    assert other.value.code == "not_yours"
    env.clock.advance(days=2)
    with pytest.raises(plan_import.PlanImportError) as late:
        plan_import.carry_out(env.services, token, boss.id)
    assert late.value.code == "expired"
    assert env.store.plan.task(2).deadline.due.month == 6


async def _template(env: ChatEnv, preview: Message) -> bytes:
    """Press 模板 under `preview`: the document the bot sends, as bytes."""
    replies = await env.coordinator.press(preview, "tpl")
    (doc,) = [m for m in replies if "document" in m]
    assert doc["document"]["file_name"].endswith(".xlsx") and "填写说明" in doc["caption"]
    return env.api.file_bytes(doc["document"]["file_id"])


async def test_the_template_button_sends_the_import_template(env: ChatEnv) -> None:
    (preview,) = await env.coordinator.send_document(REVISED.encode(), "plan.txt")
    data = await _template(env, preview)
    book = load_workbook(io.BytesIO(data))
    assert [c.value for c in book[SHEET][4]] == list(HEADERS)
    listed = {c.value for row in book["选项"].iter_rows() for c in row if c.value}
    assert {u.name for u in env.services.units.units} <= listed
    assert {t.category for t in env.store.plan.tasks()} <= listed  # the plan's groups
    assert env.store.plan.task(2).deadline.due.month == 6  # the preview is still pending


async def test_a_refused_file_says_what_failed_and_offers_the_template(env: ChatEnv) -> None:
    minutes = "会议纪要：下周再议。\n"
    (preview,) = await env.coordinator.send_document(minutes.encode(), "纪要.txt")
    text = preview["text"]
    assert "没有读出任何任务：" in text and "不能导入" in text and "模板" in text
    problem = parse_text(minutes).errors[0].message
    assert problem in text  # what the reader could not find, in its words
    assert buttons(preview) == ["tpl"]
    await _template(env, preview)


async def test_a_filled_template_sent_in_chat_imports_exactly(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(REVISED.encode(), "plan.txt")
    seed = load_plan(BUNDLED_PLAN).tasks
    steps = (Milestone(date(2021, 4, 30), "起草指南"), Milestone(date(2021, 5, 31), "征求意见"))
    tasks = [replace(t, milestones=steps, remarks="按市里口径") if t.id == 3 else t for t in seed]
    filled = fill_template(await _template(env, preview), tasks, year=2021)
    (again,) = await boss.send_document(filled, "填好的模板.xlsx")
    assert "共 25 项任务（2021 年）" in again["text"] and "确认无误" in again["text"]
    assert "时间节点 2 个" in again["text"]
    assert "去向：修订方案 A：修改 1 项" in again["text"]  # plan A's tasks, the same year
    replies = await boss.press(again, buttons(again)[0])
    assert "修改 1 项" in replies[-1]["text"] and "#3" in replies[-1]["text"]
    stored = env.store.plan.task(3)
    assert stored.milestones == steps and stored.remarks == "按市里口径"
    for task in seed:
        got = env.store.plan.task(task.id)
        assert (got.category, got.title, got.deadline, got.leads, got.supporters) == (
            task.category,
            task.title,
            task.deadline,
            task.leads,
            task.supporters,
        )


async def test_only_coordinators_get_the_template(env: ChatEnv) -> None:
    alice = env.contact()
    (card,) = await env.coordinator.send_document(REVISED.encode(), "plan.txt")
    replies = await alice.press(card, "tpl")
    assert not [m for m in replies if "document" in m] and alice.answer
