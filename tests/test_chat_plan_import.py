"""A coordinator sends a plan file in chat: what was read, then 导入 / 取消; nobody else can."""

from __future__ import annotations

import pytest

from bot import DATA
from bot.features import plan_import
from tests.harness import ChatEnv

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
    assert "按任务编号合并" in preview["text"]
    ok, no = buttons(preview)
    assert ok.startswith("imp:ok:") and no.startswith("imp:no:")
    assert env.store.task(2).deadline.due.month == 6  # nothing changed before 导入
    replies = await boss.press(preview, ok)
    assert "已导入方案" in replies[-1]["text"] and "修改 1 项" in replies[-1]["text"]
    assert "#2" in replies[-1]["text"]
    assert env.store.task(2).deadline.due.month == 9
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
    assert env.store.task(2).deadline.due.month == 6


async def test_a_plan_with_errors_has_no_import_button(env: ChatEnv) -> None:
    broken = "一、某组\n1.一项没有单位的任务。（2021年6月底前完成）\n"
    (preview,) = await env.coordinator.send_document(broken.encode(), "broken.txt")
    assert "不能导入" in preview["text"] and "行 " in preview["text"]
    assert buttons(preview) == []


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
    assert env.store.task(2).deadline.due.month == 6
