"""Reading `/assign UNIT[、UNIT…] DATE text`: the units as people write them, the date as people
write it (on the bot's clock), the text and its title; and the store's assigned list."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import SHANGHAI
from bot.domain.units import Directory
from bot.features.assign import AssignError, item_title, offered_dates, parse
from bot.plan.model import Deadline, Plan, Task
from bot.plan.refs import task_ref
from bot.store import Store

TODAY = date(2022, 7, 1)  # a Friday
UNITS = Directory.load()


@pytest.mark.parametrize(
    ("written", "due"),
    [
        ("2022-07-15", date(2022, 7, 15)),
        ("2022年7月15日", date(2022, 7, 15)),
        ("7月15日前", date(2022, 7, 15)),
        ("7月15日", date(2022, 7, 15)),
        ("下周五", date(2022, 7, 8)),
        ("本周五", TODAY),
        ("月底前", date(2022, 7, 31)),
        ("下月底", date(2022, 8, 31)),
        ("明天", date(2022, 7, 2)),
        ("3天后", date(2022, 7, 4)),
        ("1月10日", date(2023, 1, 10)),  # long past this year: next year's
    ],
)
def test_the_date_as_people_write_it(written: str, due: date) -> None:
    item = parse(f"区商务局 {written} 报送防汛工作方案", TODAY, UNITS)
    assert item.due == due and item.text == "报送防汛工作方案"


@pytest.mark.parametrize(
    "written",
    [
        "区商务局、区财政局、区发改局",
        "区商务局，区财政局，区发改局",
        "区商务局,区财政局, 区发改局",
        "区商务局 区财政局 区发改局",
        "商务局、区财政局 发改局",  # aliases
        "镇海区商务局、区财政局、镇海区发展和改革局",  # the district's own prefix, full names
        "区商务局、区财政局、区商务局、区发改局",  # a unit twice counts once
    ],
)
def test_units_as_people_write_them(written: str) -> None:
    item = parse(f"{written} 7月15日前 报送防汛工作方案", TODAY, UNITS)
    assert item.units == ("区商务局", "区财政局", "区发改局")


def test_a_group_phrase_is_kept_and_the_date_may_run_into_the_text() -> None:
    item = parse("区商务局、各镇街道 7月15日前报送防汛工作方案", TODAY, UNITS)
    assert item.units == ("区商务局", "各镇(街道)")
    assert item.due == date(2022, 7, 15) and item.text == "报送防汛工作方案"


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("", "usage"),
        ("、 ，", "usage"),
        ("、区商务曲 7月15日 报送方案", "unknown_unit"),
        ("区商务曲 7月15日 报送方案", "unknown_unit"),
        ("区商务局、区财正局 7月15日 报送方案", "unknown_unit"),
        ("7月15日 报送方案", "no_units"),
        ("区商务局 报送方案", "no_date"),
        ("区商务局", "no_date"),
        ("区商务局 7月32日 报送方案", "bad_date"),
        ("区商务局 2022-13-01 报送方案", "bad_date"),
        ("区商务局 6月20日 报送方案", "past"),
        ("区商务局 2026-07-15 报送方案", "far"),
        ("区商务局 7月15日前", "no_text"),
        ("区商务局 7月15日前 ：", "no_text"),
        ("区商务局 7月15日前 " + "很" * 1001, "too_long"),
    ],
)
def test_bad_requests(command: str, code: str) -> None:
    with pytest.raises(AssignError) as refused:
        parse(command, TODAY, UNITS)
    assert refused.value.code == code
    assert "未交办" in refused.value.text and "例如" in refused.value.text


def test_the_nearest_unit_is_suggested() -> None:
    with pytest.raises(AssignError) as refused:
        parse("区商务曲 7月15日 报送方案", TODAY, UNITS)
    assert refused.value.info["suggestion"] == "区商务局"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("报送防汛工作方案。要求明确责任人。", "报送防汛工作方案"),
        ("核对防汛物资台账", "核对防汛物资台账"),
        (
            "按照区委常委会议纪要要求，会同有关部门制定全区营商环境优化提升三年行动方案并报区政府",
            "按照区委常委会议纪要要求",
        ),
        ("落" * 40, "落" * 29 + "…"),
    ],
)
def test_the_title_is_the_first_sentence_shortened(text: str, title: str) -> None:
    assert item_title(text) == title


def test_dates_offered_are_not_past() -> None:
    assert offered_dates(date(2022, 6, 27)) == [  # a Monday
        ("本周五", date(2022, 7, 1)),
        ("下周五", date(2022, 7, 8)),
        ("月底", date(2022, 6, 30)),
    ]
    assert [w for w, _ in offered_dates(date(2022, 7, 2))] == ["下周五", "月底"]  # a Saturday


AT = datetime(2022, 7, 1, 10, tzinfo=SHANGHAI)


def _plan_task(number: int) -> Task:
    return Task(
        id=number,
        category_no=1,
        category="类",
        title=f"任务{number}",
        text=f"任务{number}。",
        deadline=Deadline(kind="once", text="2022年12月", due=date(2022, 12, 31)),
        leads=("区发改局",),
    )


def _assign(store: Store, **changes: Any) -> Task:
    """An item assigned to 区商务局 by 15 July, with `changes`."""
    item: dict[str, Any] = {
        "leads": ["区商务局"],
        "due": date(2022, 7, 15),
        "due_text": "2022年7月15日",
        "title": "报送方案",
        "text": "报送方案。",
        "at": AT,
        "actor": 1001,
    }
    return store.plan.assign(**{**item, **changes})


def test_store_assign_numbers_items_in_the_assigned_list(tmp_path: Path) -> None:
    store = Store(tmp_path / "state", fsync=False)
    try:
        store.plan.import_plan(Plan(tasks=[_plan_task(1), _plan_task(2)]), at=AT)
        first = _assign(store, supporters=["区财政局", "区商务局"])
        second = _assign(store, leads=["区财政局"], due=date(2022, 7, 8), title="核对")
        listing = store.plans.assigned()
        assert listing is not None and (listing.code, listing.kind) == ("B", "assigned")
        assert (first.id, first.number, second.id, second.number) == (3, 1, 4, 2)
        assert first.supporters == ("区财政局",)  # a lead is not its own supporter
        assert store.plan.find("B", 2) == [4] and task_ref(4) == "#B2"
        assert store.parts.state(3, "区财政局")["role"] == "supporter"  # type: ignore[index]
        assert [t.id for t in store.plan.tasks(plan=listing.slot)] == [3, 4]
        # a revision of plan A that adds its task 3 takes a key of its own
        result = store.plan.import_plan(
            Plan(tasks=[_plan_task(1), _plan_task(2), _plan_task(3)]), at=AT, into=1
        )
        assert result.added == [5] and store.plan.task(3) == first
        # the standing list is one: never made twice
        assert len([p for p in store.plans.all() if p.kind == "assigned"]) == 1
    finally:
        store.close()


def test_an_assign_handled_again_after_a_crash_stores_one_item(tmp_path: Path) -> None:
    store = Store(tmp_path / "state", fsync=False)
    try:
        store.plan.import_plan(Plan(tasks=[_plan_task(1)]), at=AT)
        with store.origin(77, replay=False):
            first = _assign(store)
        with store.origin(77, replay=True):  # Telegram delivers the update again
            again = _assign(store)
        assert again == first and first.id == 2
        assert [t.id for t in store.plan.tasks()] == [1, 2]
        assert len(store.history.events(task=2, kinds=["plan.task_added"])) == 1
    finally:
        store.close()
