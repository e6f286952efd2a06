"""Every deadline form the issue lists, and properties of the reader under any year."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan import parse_text
from bot.plan.deadline import deadline_in_text, parse_deadline


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("全年", date(2021, 12, 31)),
        ("年内", date(2021, 12, 31)),
        ("年底前", date(2021, 12, 31)),
        ("上半年", date(2021, 6, 30)),
        ("下半年", date(2021, 12, 31)),
        ("一季度", date(2021, 3, 31)),
        ("二季度", date(2021, 6, 30)),
        ("第三季度末", date(2021, 9, 30)),
        ("四季度", date(2021, 12, 31)),
        ("9月底前", date(2021, 9, 30)),
        ("6月上旬", date(2021, 6, 10)),
        ("6月中旬", date(2021, 6, 20)),
        ("6月下旬", date(2021, 6, 30)),
        ("2022年6月30日前", date(2022, 6, 30)),
        ("6月30日前", date(2021, 6, 30)),
        ("2021.6.30", date(2021, 6, 30)),
        ("2021/6/30", date(2021, 6, 30)),
        ("2021—2022年", date(2022, 12, 31)),
        ("2021年—2023年", date(2023, 12, 31)),
        ("3年内", date(2023, 12, 31)),
        ("2012年起5年内", date(2016, 12, 31)),
    ],
)
def test_once(text: str, due: date) -> None:
    found = parse_deadline(text, 2021)
    assert found is not None and (found.kind, found.due, found.text) == ("once", due, text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("每月", "monthly"),
        ("每月10日前报送进展", "monthly"),
        ("每季度", "quarterly"),
        ("每半年", "ongoing"),
        ("每年6月", "ongoing"),
        ("长期", "ongoing"),
        ("持续", "ongoing"),
        ("常态化", "ongoing"),
        ("持续推进", "ongoing"),
    ],
)
def test_recurring_and_ongoing(text: str, kind: str) -> None:
    found = parse_deadline(text, 2021)
    assert found is not None and found.kind == kind and found.due is None


@pytest.mark.parametrize("text", ["按上级要求", "尽快", "视情况而定"])
def test_unreadable_is_none_never_a_date(text: str) -> None:
    assert parse_deadline(text, 2021) is None


def test_a_milestone_inside_the_text_is_the_latest_one() -> None:
    text = "1.4月底前主体完工；2.8月底前完成装修；3.11月底前投入使用，14个工作日内办结。"
    assert deadline_in_text(text, 2022) == "11月底前"
    assert deadline_in_text("环评报告书14个工作日内办结。", 2022) is None


def test_a_document_without_any_deadline_gets_the_period_end_once() -> None:
    plan = parse_text(
        "某县社会信用体系建设（2015—2020年）任务分工\n"
        "1.推进信用立法。（县法制办牵头）\n2.建设信用平台。（县信息办负责）\n"
    )
    assert [t.deadline.due for t in plan.tasks] == [date(2020, 12, 31)] * 2
    (warning,) = plan.problems
    assert warning.severity == "warning" and "全文未写任何时限要求" in warning.message


YEARS = st.integers(min_value=1990, max_value=2100)


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=40), st.one_of(st.none(), YEARS))
def test_never_raises_and_dates_are_sane(text: str, year: int | None) -> None:
    found = parse_deadline(text, year)
    if found is not None:
        assert found.kind in ("once", "monthly", "quarterly", "ongoing")
        if found.due is not None:
            assert isinstance(found.due, date) and 1900 <= found.due.year <= 2250
        if found.day is not None:
            assert 1 <= found.day <= 31


@settings(deadline=None)
@given(YEARS, st.sampled_from(["年底前", "年底", "年内", "全年", "今年年底前完成"]))
def test_year_end_under_any_year(year: int, text: str) -> None:
    found = parse_deadline(text, year)
    assert found is not None and found.due == date(year, 12, 31)


@settings(deadline=None)
@given(YEARS, st.integers(1, 12))
def test_month_end_under_any_year(year: int, month: int) -> None:
    found = parse_deadline(f"{month}月底前", year)
    assert found is not None and found.due is not None
    assert (found.due.year, found.due.month) == (year, month)
    assert found.due.day >= 28


@settings(deadline=None)
@given(YEARS, st.integers(1, 12), st.integers(1, 28))
def test_written_dates_in_every_notation(year: int, month: int, day: int) -> None:
    for text in (f"{year}年{month}月{day}日前", f"{year}.{month}.{day}", f"{year}/{month}/{day}"):
        found = parse_deadline(text, None)
        assert found is not None and found.due == date(year, month, day), text
