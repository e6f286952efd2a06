"""A plan file in chat beside the plans the bot holds: the preview says where it goes (a new
plan, or a revision of one) and offers the other choice; when duban is not sure only a choice
imports; a press after the plans changed meanwhile imports nothing and asks again."""

from __future__ import annotations

from bot import DATA
from bot.features import plan_import
from bot.plan import parse_text
from bot.store.deliveries import LedgerKind
from tests.harness import ChatEnv, button_data, current
from tests.plan_writers import SPECIAL

SEED = (DATA / "zhenhai-2021-credit-plan.txt").read_text(encoding="utf-8")
SEED_TITLE = "镇海区2021年度社会信用体系建设工作要点暨社会信用体系示范城市创建实施方案"
# Plan A's tasks under next year's title: a new plan, or a revision? duban cannot tell.
RETITLED = SEED.replace(SEED_TITLE, "镇海区2022年度信用建设重点任务清单")


def label_of(message: dict, data: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["text"] for row in rows for b in row if b["callback_data"] == data)


async def test_a_new_plan_is_previewed_as_new_and_imported_beside_plan_a(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    assert "去向：新方案 B：《镇海区2022年营商环境专项治理工作方案》，3 项" in preview["text"]
    ok, no, revise_a, template = button_data(preview)
    token = ok.split(":")[2]
    assert (ok, no, template) == (f"imp:ok:{token}", f"imp:no:{token}", "tpl")
    assert revise_a == f"imp:s1:{token}" and label_of(preview, revise_a) == "修订方案 A"
    assert "请点“修订方案 A”" in preview["text"]
    assert [p.code for p in env.store.plans.all()] == ["A"]  # nothing before 导入
    replies = await boss.press(preview, ok)
    assert "已导入方案" in replies[-1]["text"]
    assert "新方案 B：《镇海区2022年营商环境专项治理工作方案》，3 项" in replies[-1]["text"]
    b = env.store.plans.by_code("B")
    assert b is not None and b.active and b.year == 2022
    assert [t.title for t in env.store.plan.tasks(plan=b.slot)][0] == "推进企业开办全程网办"
    assert len(env.store.plan.tasks(plan=1)) == 25  # plan A untouched
    assert env.store.plan.task(18) is not None and env.store.plan.plan_of(18).code == "A"


async def test_a_new_looking_file_can_still_revise_plan_a(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    replies = await boss.press(preview, button_data(preview)[2])  # 修订方案 A
    assert "修订方案 A：修改 3 项、归档 22 项" in replies[-1]["text"]
    assert "归档：#4、#5" in replies[-1]["text"]
    assert [p.code for p in env.store.plans.all()] == ["A"]
    assert len(env.store.plan.tasks(plan=1)) == 3


async def test_a_revision_can_be_imported_as_a_new_plan(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(SEED.encode(), "信用方案.txt")
    assert "去向：修订方案 A：没有变化" in preview["text"]
    assert "如是另一份方案，请点“作为新方案”" in preview["text"]
    new = button_data(preview)[2]
    assert label_of(preview, new) == "作为新方案"
    replies = await boss.press(preview, new)
    assert (
        "新方案 B：《镇海区2021年度社会信用体系建设工作要点暨社会信用体系示…》，25 项"
        in replies[-1]["text"]
    )
    assert len(env.store.plan.tasks(plan=2)) == 25 and len(env.store.plan.tasks(plan=1)) == 25


async def test_when_unsure_nothing_is_imported_until_a_choice(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(RETITLED.encode(), "重点任务清单.txt")
    text = preview["text"]
    assert (
        "去向未定：可能是新方案 B：《镇海区2022年度信用建设重点任务清单》，25 项（标题与方案 A"
        in text
    )
    assert "100% 的任务与它相同" in text
    assert "请选择“作为新方案”或“修订方案 A”；选择前不会导入" in text
    new, revise_a, no, template = button_data(preview)
    assert not [b for b in button_data(preview) if b.startswith("imp:ok:")]  # no 导入
    assert revise_a.startswith("imp:s1:") and new.startswith("imp:new:")
    assert no.startswith("imp:no:") and template == "tpl"
    token = no.split(":")[2]
    assert env.store.deliveries.get(LedgerKind.IMPORT, token)["into"] is None
    # 导入 was never offered: carried out anyway, it imports nothing and gives the preview
    outcome = plan_import.carry_out(env.services, token, boss.id)
    assert isinstance(outcome, plan_import.Staged) and outcome.offer.proposal is None
    assert [p.code for p in env.store.plans.all()] == ["A"]
    replies = await boss.press(preview, new)
    assert "新方案 B：《镇海区2022年度信用建设重点任务清单》，25 项" in replies[-1]["text"]
    assert env.store.plans.by_code("B").title == "镇海区2022年度信用建设重点任务清单"


async def test_a_press_after_the_plans_changed_asks_again(env: ChatEnv) -> None:
    boss = env.coordinator
    (first,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    (second,) = await boss.send_document(SPECIAL.encode(), "营商环境（副本）.txt")
    assert "去向：新方案 B" in first["text"] and "去向：新方案 B" in second["text"]
    await boss.press(first, button_data(first)[0])  # 导入: plan B
    replies = await boss.press(second, button_data(second)[0])  # 导入, as it read before
    assert "方案在此期间有变化" in replies[0]["text"]
    again = replies[-1]
    assert "去向：修订方案 B：没有变化" in again["text"]  # now it is B's revision
    assert [p.code for p in env.store.plans.all()] == ["A", "B"]  # no plan C
    assert button_data(current(env, second)) == []
    replies = await boss.press(again, button_data(again)[0])
    assert "已导入方案" in replies[-1]["text"] and "修订方案 B：没有变化" in replies[-1]["text"]
    assert [p.code for p in env.store.plans.all()] == ["A", "B"]


async def test_a_choice_pressed_after_its_plan_closed_asks_again(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    await boss.press(preview, "imp:ok:" + button_data(preview)[0].split(":")[2])
    (other,) = await boss.send_document(SEED.encode(), "信用方案.txt")
    assert "去向：修订方案 A" in other["text"]
    env.store.close_plan("A", at=env.clock.now(), actor=boss.id)
    replies = await boss.press(other, button_data(other)[0])
    assert "有变化" in replies[0]["text"]
    assert "去向未定：可能是修订方案 A：没有变化（同名方案 A 已关闭）" in replies[-1]["text"]


async def test_a_pending_choice_survives_a_restart(env: ChatEnv) -> None:
    boss = env.coordinator
    (preview,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    await env.restart()
    replies = await boss.press(preview, button_data(preview)[0])
    assert "新方案 B" in replies[-1]["text"]
    assert env.store.plans.by_code("B") is not None


async def test_a_preview_from_the_previous_release_asks_again(env: ChatEnv) -> None:
    """A file staged before previews said where it goes: its 导入 shows the new preview."""
    boss = env.coordinator
    (preview,) = await boss.send_document(SPECIAL.encode(), "营商环境.txt")
    token = button_data(preview)[0].split(":")[2]
    env.store.deliveries.put(LedgerKind.IMPORT, token, into=None, seen=None)
    replies = await boss.press(preview, f"imp:ok:{token}")
    assert "去向：新方案 B" in replies[-1]["text"]
    assert [p.code for p in env.store.plans.all()] == ["A"]
    outcome = plan_import.carry_out(env.services, token, boss.id)
    assert isinstance(outcome, plan_import.Imported) and outcome.result.plan.code == "B"


async def test_the_preview_counts_what_the_import_then_does(env: ChatEnv) -> None:
    store, now = env.store, env.clock.now()
    special = parse_text(SPECIAL)
    new = store.plan.dry_run(special, "new")
    assert (new.code, new.revises, new.added) == ("B", False, 3)
    for plan, into in ((special, 1), (parse_text(SEED), 1), (special, "new")):
        dry = store.plan.dry_run(plan, into)
        done = store.plan.import_plan(plan, at=now, into=into)
        lists = (done.added, done.changed, done.archived, done.unchanged)
        assert (dry.added, dry.changed, dry.archived, dry.unchanged) == tuple(map(len, lists))
        assert dry.code == done.plan.code
    assert store.plan.dry_run(special, 2).unchanged == 3  # plan B, as just imported
