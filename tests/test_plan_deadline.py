"""Deadlines as plans write them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.deadline import parse_deadline

ONCE = [
    ("2021年6月", date(2021, 6, 30)),
    ("2021年6月底前", date(2021, 6, 30)),
    ("2021年9月30日前", date(2021, 9, 30)),
    ("2022年底前", date(2022, 12, 31)),
    ("6月底完成", date(2021, 6, 30)),
    ("2021年12月", date(2021, 12, 31)),
    ("2021年2月", date(2021, 2, 28)),
    ("年底前", date(2021, 12, 31)),
    ("2021年度", date(2021, 12, 31)),
    ("上半年", date(2021, 6, 30)),
    ("2021年第三季度", date(2021, 9, 30)),
    ("2021年6月中旬", date(2021, 6, 20)),
    ("二〇二一年六月底", date(2021, 6, 30)),
    ("２０２１年６月", date(2021, 6, 30)),
    ("2021-06-15", date(2021, 6, 15)),
    ("2021年6月底前完成初稿，12月底前全面完成", date(2021, 12, 31)),
    ("2022年3月至6月", date(2022, 6, 30)),
]


@pytest.mark.parametrize(("text", "due"), ONCE)
def test_once(text: str, due: date) -> None:
    deadline = parse_deadline(text, 2021)
    assert deadline is not None
    assert (deadline.kind, deadline.due, deadline.text) == ("once", due, text)


def test_text_kept_as_written_but_trimmed() -> None:
    deadline = parse_deadline("  2021年6月底前 ", 2021)
    assert deadline is not None and deadline.text == "2021年6月底前"


def test_monthly_with_day_and_action() -> None:
    deadline = parse_deadline("每月8日前将新出台的与信用相关的制度报送区发改局", 2021)
    assert deadline is not None
    assert deadline.kind == "monthly"
    assert deadline.day == 8
    assert deadline.due is None
    assert deadline.action == "将新出台的与信用相关的制度报送区发改局"


@pytest.mark.parametrize(
    ("text", "day"), [("每月十日前报送", 10), ("每月底前", None), ("每月5号", 5)]
)
def test_monthly_forms(text: str, day: int | None) -> None:
    deadline = parse_deadline(text, 2021)
    assert deadline is not None and (deadline.kind, deadline.day) == ("monthly", day)


@pytest.mark.parametrize(
    ("text", "day", "action"),
    [
        ("每季度", None, None),
        ("每季度末", None, None),
        ("每季度前10日报送上季度工作情况", 10, "报送上季度工作情况"),
    ],
)
def test_quarterly(text: str, day: int | None, action: str | None) -> None:
    deadline = parse_deadline(text, 2021)
    assert deadline is not None
    assert (deadline.kind, deadline.day, deadline.action) == ("quarterly", day, action)


@pytest.mark.parametrize("text", ["持续推进", "长期坚持", "长期", "常态化开展", "常态工作"])
def test_ongoing(text: str) -> None:
    deadline = parse_deadline(text, 2021)
    assert deadline is not None and deadline.kind == "ongoing" and deadline.text == text


@pytest.mark.parametrize(
    "text", ["", "   ", "尽快", "三个月内", "2021年13月", "2021年2月30日", "每月40日前", "区发改局"]
)
def test_unknown_is_none(text: str) -> None:
    assert parse_deadline(text, 2021) is None


def test_without_year_a_yearless_date_is_unknown() -> None:
    assert parse_deadline("6月底", None) is None
    assert parse_deadline("2021年6月", None) is not None


@settings(deadline=None)
@given(st.text(max_size=60), st.integers(min_value=1900, max_value=2200) | st.none())
def test_never_raises(text: str, year: int | None) -> None:
    deadline = parse_deadline(text, year)
    if deadline is not None:
        assert deadline.text == text.strip()
        assert deadline.kind in ("once", "monthly", "quarterly", "ongoing")
        if deadline.kind == "once":
            assert deadline.due is not None
        if deadline.day is not None:
            assert 1 <= deadline.day <= 31


@settings(deadline=None)
@given(
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["", "底", "底前", "底前完成", "末"]),
)
def test_any_month_end(year: int, month: int, suffix: str) -> None:
    deadline = parse_deadline(f"{year}年{month}月{suffix}", 1999)
    assert deadline is not None and deadline.due is not None
    assert (deadline.due.year, deadline.due.month) == (year, month)
    next_day = date.fromordinal(deadline.due.toordinal() + 1)
    assert next_day.day == 1


@settings(deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_any_exact_date(day: date) -> None:
    deadline = parse_deadline(f"{day.year}年{day.month}月{day.day}日前", 1999)
    assert deadline is not None and deadline.due == day


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=31), st.text(max_size=20))
def test_any_monthly_day(day: int, action: str) -> None:
    deadline = parse_deadline(f"每月{day}日前{action}", 2021)
    assert deadline is not None and deadline.kind == "monthly" and deadline.day == day
