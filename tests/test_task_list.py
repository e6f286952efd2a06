"""The /mytasks list model: a unit's open parts by urgency, one line each, pages of 8."""

from __future__ import annotations

from datetime import date

from bot.features.access import Actor
from bot.reports import cards
from bot.services import Services
from tests.prepared import at, services_fixture

services = services_fixture("2021-06-25 10:00")
TODAY = date(2021, 6, 25)


def _actor(*units: str) -> Actor:
    return Actor(user_id=2001, name="张三", is_coordinator=False, units=units)


def _list(services: Services, *units: str, page: int = 0) -> cards.TaskList:
    actor = _actor(*units)
    return cards.task_list(cards.cards_for(services, actor, TODAY), actor.units, TODAY, page)


def test_parts_are_grouped_overdue_then_due_soon_then_later(services: Services) -> None:
    lst = _list(services, "区市场监管局")
    order = [u for u, _ in lst.sections]
    assert order == sorted(order, key=cards.URGENCIES.index)
    both = [*lst.sections, *_list(services, "区市场监管局", page=1).sections]
    by: dict[str, list[int]] = {}
    for u, cs in both:
        by.setdefault(u, []).extend(c.task.id for c in cs)
    # #1's June report fell due (the 8th) before the plan was imported (21 June): nobody's to
    # chase, so #1 is due at July's report; June-30 tasks are due within the week; #1 (8 July),
    # #23 (December) and #25 (ongoing) come last.
    assert "overdue" not in by
    assert 18 in by["soon"] and 2 in by["soon"]
    assert by["later"] == [1, 23, 25]
    text = lst.text
    assert "区市场监管局的任务" in text and "区市场监管局 的任务" not in text
    assert "已逾期" not in text and "一周内到期" in text
    assert "#1 完善信用制度建设 · 配合 · 7月8日截止" in _list(services, "区市场监管局", page=1).text


def test_within_each_urgency_lead_parts_come_before_supporting_parts(services: Services) -> None:
    both = [*_list(services, "区市场监管局").sections]
    both += _list(services, "区市场监管局", page=1).sections
    for _, section in both:
        roles = [c.state["role"] for c in section]
        assert roles == sorted(roles, key=lambda r: r != "lead")
    soon = next(cs for u, cs in both if u == "soon")
    assert soon[0].task.id == 18 and soon[0].state["role"] == "lead"  # before #2, #5 …


def test_done_parts_leave_the_list_and_are_counted(services: Services) -> None:
    before = _list(services, "区市场监管局")
    services.store.parts.update_state(
        18, "区市场监管局", at=at("2021-06-25 09:00"), actor=2001, status="done"
    )
    after = _list(services, "区市场监管局")
    assert after.open_count == before.open_count - 1 and after.done_count == before.done_count + 1
    assert 18 not in [c.task.id for _, cs in after.sections for c in cs]
    assert "已完成 1 项" in after.text


def test_more_than_eight_parts_make_pages_of_eight(services: Services) -> None:
    first = _list(services, "区市场监管局")
    assert first.open_count > cards.PAGE_SIZE  # the unit with the most work in the plan
    assert first.pages == -(-first.open_count // cards.PAGE_SIZE)
    assert len(first.tasks) == cards.PAGE_SIZE
    seen = list(first.tasks)
    for page in range(1, first.pages):
        seen += _list(services, "区市场监管局", page=page).tasks
    assert len(seen) == len(set(seen)) == first.open_count
    # A page past the end (a stale ▶) shows the last page instead of nothing.
    assert _list(services, "区市场监管局", page=99).page == first.pages - 1
    assert f"第 1/{first.pages} 页" in first.text


def test_a_unit_without_open_work_says_so(services: Services) -> None:
    lst = cards.task_list([], ("区经信局",), TODAY)
    assert lst.tasks == () and "区经信局的任务" in lst.text and "没有未完成的任务" in lst.text
