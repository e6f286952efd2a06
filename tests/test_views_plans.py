"""Views across plans: /status, /status UNIT, /overdue, /mytasks and the weekly summary cover
every active plan, a heading per plan (its code and short title) once several are active; a
closed plan leaves them and their counts; KPIs and campaign sections stay with their plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.features import kpis
from bot.plan.model import Deadline, Plan, Task
from bot.reports import sections, views
from bot.reports.chart import chart_figures
from bot.reports.snapshot import cn_number
from bot.reports.summary import messages_of
from bot.services import Services
from bot.store import Store
from bot.store.plans import PlanInfo
from bot.text.render import render
from tests.harness import ChatEnv, current
from tests.prepared import add_activity, add_metric, at, make_services

B_TITLE = "2021年信用专项检查工作方案"
JUSTICE = "区司法局"  # a lead of A's #18 and of B's #1 and #2


def _task(no: int, group: tuple[int, str], title: str, due: date, *leads: str) -> Task:
    return Task(
        id=no,
        category_no=group[0],
        category=group[1],
        title=title,
        text=title,
        deadline=Deadline("once", f"{due.month}月{due.day}日前", due=due),
        leads=leads,
    )


PLAN_B = Plan(
    tasks=[
        _task(1, (1, "专项检查"), "开展涉企信用承诺专项检查", date(2021, 6, 28), JUSTICE),
        _task(2, (1, "专项检查"), "建立信用修复培训机制", date(2021, 12, 31), JUSTICE),
        _task(4, (2, "数据归集"), "归集行政许可核查数据", date(2021, 9, 30), "区发改局"),
    ],
    year=2021,
    title=B_TITLE,
    source="b.docx",
)


def add_plan_b(store: Store) -> dict[int, int]:
    """Plan B beside the seed (plan A), imported as a new plan: B's number → its task key."""
    result = store.plan.import_plan(PLAN_B, at=at("2021-06-21 10:00"), into="new")
    assert result.plan is not None and result.plan.code == "B"
    return {t.number: t.id for t in store.plan.tasks(plan=result.plan.slot)}


def plans(store: Store) -> tuple[PlanInfo, PlanInfo]:
    a, b = store.plans.by_code("A"), store.plans.by_code("B")
    assert a is not None and b is not None
    return a, b


def heading(plan: PlanInfo) -> str:
    return f"📂 {plan.code}《{plan.short}》"


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


def after(text: str, marker: str) -> str:
    """The part of `text` after `marker` (which must be there)."""
    assert marker in text, marker
    return text.split(marker, 1)[1]


# -- chat ----------------------------------------------------------------------------------
async def test_status_shows_a_group_per_plan_and_each_plans_groups(env: ChatEnv) -> None:
    boss = env.coordinator
    (single,) = await boss.say("/status")
    assert "📂" not in single["text"]  # one active plan: as before plans sat side by side
    keys = add_plan_b(env.store)
    a, b = plans(env.store)
    (page,) = await boss.say("/status")
    text = page["text"]
    assert heading(a) in text and heading(b) in text
    assert text.index(heading(a)) < text.index(heading(b))
    assert "共 28 项任务" in text  # 25 of A and 3 of B
    b_part = after(text, heading(b))
    assert "专项检查" in b_part and "数据归集" in b_part
    # a button per group of each plan: A's as before, B's named by its slot
    assert "pg:g1:0" in buttons(page) and f"pg:g1_{b.slot}:0" in buttons(page)
    await boss.press(page, f"pg:g1_{b.slot}:0")
    group = current(env, page)
    assert heading(b) in group["text"] and "专项检查" in group["text"]
    assert "开展涉企信用承诺专项检查" in group["text"]
    assert f"sc:{keys[1]}:g1_{b.slot}:0:0" in buttons(group)
    await boss.press(group, f"sc:{keys[1]}:g1_{b.slot}:0:0")
    card = current(env, page)
    assert "开展涉企信用承诺专项检查" in card["text"]
    assert buttons(card) == [f"pg:g1_{b.slot}:0"]  # ↩ back to B's group
    (again,) = await boss.say("/status")
    await boss.press(again, "pg:g1:0")  # A's first group is A's, never B's
    shown = current(env, again)["text"]
    assert heading(b) not in shown and "完善信用制度建设" in shown


async def test_status_unit_and_overdue_group_by_plan(env: ChatEnv) -> None:
    boss = env.coordinator
    keys = add_plan_b(env.store)
    a, b = plans(env.store)
    env.clock.set(at("2021-07-05 10:00"))  # A's #18 (due 6-30) and B's #1 (6-28) are overdue
    (unit,) = await boss.say(f"/status {JUSTICE}")
    text = unit["text"]
    assert text.index(heading(a)) < text.index(heading(b))
    assert "开展涉企信用承诺专项检查" in after(text, heading(b))
    assert f"sc:{keys[1]}:u" in " ".join(buttons(unit))
    (late,) = await boss.say("/overdue")
    day = date(2021, 7, 5)
    first = views.overdue_view(env.services, day)
    assert late["text"].splitlines()[1] in first.text  # 共 N 项任务逾期 …（第 1/N 页）
    # each page lists its parts plan by plan, a heading where each plan's begin
    pages = [views.overdue_view(env.services, day, n) for n in range(first.pages)]
    with_b = [p.text for p in pages if "开展涉企信用承诺专项检查" in p.text]
    assert with_b and all("开展涉企信用承诺专项检查" in after(t, heading(b)) for t in with_b)
    assert all(heading(a) in p.text for p in pages if any(k < keys[1] for k in p.tasks))


async def test_mytasks_of_a_unit_with_tasks_in_both_plans_shows_both(env: ChatEnv) -> None:
    alice = env.contact(JUSTICE)
    (before,) = await alice.say("/mytasks")
    assert "📂" not in before["text"]
    keys = add_plan_b(env.store)
    a, b = plans(env.store)
    (listing,) = await alice.say("/mytasks")
    text = listing["text"]
    assert text.index(heading(a)) < text.index(heading(b))
    b_part = after(text, heading(b))
    assert "开展涉企信用承诺专项检查" in b_part and "建立信用修复培训机制" in b_part
    assert "归集行政许可核查数据" not in text  # 区发改局's, not 区司法局's
    assert {f"card:{keys[1]}:0", f"card:{keys[2]}:0", "card:18:0"} <= set(buttons(listing))
    # A closed plan's tasks leave the list; with one plan active, no heading
    env.store.plans.close("A", at=env.clock.now(), actor="test")
    (closed,) = await alice.say("/mytasks")
    assert "📂" not in closed["text"]
    assert "开展涉企信用承诺专项检查" in closed["text"]
    assert {b for b in buttons(closed) if b.startswith("card:")} == {
        f"card:{keys[1]}:0",
        f"card:{keys[2]}:0",
    }
    assert "未完成 2 项" in closed["text"]


async def test_closing_a_plan_takes_it_out_of_status_and_overdue(env: ChatEnv) -> None:
    boss = env.coordinator
    keys = add_plan_b(env.store)
    a, b = plans(env.store)
    env.clock.set(at("2021-07-05 10:00"))
    env.store.plans.close("A", at=env.clock.now(), actor="test")
    (page,) = await boss.say("/status")
    text = page["text"]
    assert "共 3 项任务" in text and "📂" not in text
    assert buttons(page) == [f"pg:g1_{b.slot}:0", f"pg:g2_{b.slot}:0"]
    (late,) = await boss.say("/overdue")
    assert "开展涉企信用承诺专项检查" in late["text"] and "共 1 项任务逾期" in late["text"]
    assert f"sc:{keys[1]}:ov:0:0" in buttons(late)
    # the rest are B's tasks 滞后序时进度 below (h20's section): none of closed A's
    assert {int(b.split(":")[1]) for b in buttons(late)} <= set(keys.values())
    (unit,) = await boss.say(f"/status {JUSTICE}")
    assert "承担 2 项" in unit["text"]


# -- the weekly summary, KPIs and campaign sections -----------------------------------------
@pytest.fixture
def two_plans(seeded_data_dir: Path, tmp_path: Path) -> Iterator[Services]:
    """The seed as plan A and PLAN_B beside it, on Friday 2021-07-09 (A's #18 and B's #1 late)."""
    services = make_services(seeded_data_dir, tmp_path, "2021-07-09 16:00")
    add_plan_b(services.store)
    yield services
    services.close()


FRIDAY = date(2021, 7, 9)


def sections_text(data: dict[str, Any]) -> str:
    """Every section of the summary, before its messages are cut to three."""
    return render("summary.html.j2", cn=cn_number, **data)


def test_summary_groups_the_overview_by_plan_and_counts_both(two_plans: Services) -> None:
    a, b = plans(two_plans.store)
    summary = messages_of(two_plans, FRIDAY)
    assert summary.data["tasks"] == 28
    text = summary.text
    assert heading(a) in text and heading(b) in text
    assert "28 项任务" in summary.messages[0]
    overdue = {row["task"] for row in summary.data["overdue"]}
    assert two_plans.store.plan.find("B", 1)[0] in overdue and 18 in overdue


def test_closing_a_plan_takes_it_out_of_the_summary_counts(two_plans: Services) -> None:
    store = two_plans.store
    (b1,) = store.plan.find("B", 1)
    for key, unit, when in (
        (18, "区市场监管局", "2021-07-06 10:00"),
        (b1, JUSTICE, "2021-07-07 10:00"),
    ):
        store.parts.update_state(key, unit, at=at(when), actor=2001, status="doing", percent=50)
    before = messages_of(two_plans, FRIDAY).data
    assert before["progress"]["total"] == 2
    store.plans.close("A", at=at("2021-07-08 10:00"), actor="test")
    data = messages_of(two_plans, FRIDAY).data
    assert data["tasks"] == 3
    assert data["progress"]["total"] == 1 and [r["task"] for r in data["progress"]["rows"]] == [b1]
    assert {row["task"] for row in data["overdue"]} == {b1}
    assert all(g["plan"] is None for g in data["groups"])  # one plan active: no heading
    assert "📂" not in messages_of(two_plans, FRIDAY).text


def test_kpis_stay_with_the_first_plans_task(two_plans: Services) -> None:
    store = two_plans.store
    a, b = plans(store)
    (b4,) = store.plan.find("B", 4)
    assert b4 != 4
    kpi = kpis.find_kpi("sgs_report")
    assert kpi is not None and kpi.task == 4
    owner = store.plan.task(kpi.task)
    assert owner is not None and store.plan.plan_of(owner.id) == a and owner.number == 4
    add_metric(store, "sgs_report", 98.5, when="2021-07-07 10:00")
    assert [e["task"] for e in store.history.events(kinds=["metric"])] == [4]
    assert store.plan.plan_of(4) == a and store.history.events(task=b4, kinds=["metric"]) == []
    summary = messages_of(two_plans, FRIDAY)
    assert summary.data["kpi_plan"] == a and summary.data["kpis"]
    assert f"量化指标</b>（{a.code}《{a.short}》）" in sections_text(summary.data)
    store.plans.close("A", at=at("2021-07-08 10:00"), actor="test")
    closed = messages_of(two_plans, FRIDAY)
    assert closed.data["kpis"] == [] and "双公示信息上报率" not in closed.text


def test_campaign_sections_stay_with_their_plan(two_plans: Services) -> None:
    store = two_plans.store
    a, b = plans(store)
    found = sections.sections_for(store.plan.tasks())
    assert found["campaign"].tasks == (24,) and found["campaign"].plans == (a.slot,)
    assert set(found["rectify"].tasks) == {11, 25} and found["rectify"].plans == (a.slot,)
    add_activity(store, when="2021-07-07 09:00", day=date(2021, 7, 6))
    summary = messages_of(two_plans, FRIDAY)
    assert summary.data["campaign"]["present"] and summary.data["campaign"]["week_count"] == 1
    assert f"诚信建设万里行</b>（{a.code}《{a.short}》）" in sections_text(summary.data)
    store.plans.close("A", at=at("2021-07-08 10:00"), actor="test")
    closed = messages_of(two_plans, FRIDAY)
    assert not closed.data["campaign"]["present"] and not closed.data["rectify"]["present"]
    assert "本周活动" not in closed.text


def test_a_second_plans_numbers_never_pick_the_configured_sections() -> None:
    """The configured numbers (#24 诚信建设万里行) are the first plan's: another plan's task
    with that key or number joins only by its title's keywords."""
    other = _task(24, (1, "其他"), "推进诚信宣传进社区", date(2021, 9, 30), JUSTICE)
    plain = _task(11, (1, "其他"), "完善信用档案", date(2021, 9, 30), JUSTICE)
    tasks = [
        Task(**{**other.__dict__, "id": 30, "no": 24, "plan": 2}),
        Task(**{**plain.__dict__, "id": 24, "no": 11, "plan": 2}),
    ]
    found = sections.sections_for(tasks)
    assert found["campaign"].tasks == (30,) and found["campaign"].by_keyword
    assert found["rectify"].tasks == ()


def test_the_charts_groups_are_each_plans_own(two_plans: Services) -> None:
    rows, actual, _ = chart_figures(two_plans, FRIDAY)
    labels = [r.no_cn for r in rows]
    assert labels[0] == "A·一" and labels[-2:] == ["B·一", "B·二"] and len(rows) == 11
    assert [r.name for r in rows[-2:]] == ["专项检查", "数据归集"]
