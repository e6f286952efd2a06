"""Dates users type (bot/dates.py), relative to a fixed today."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import parse_chinese_date, parse_duration_or_date

TODAY = date(2021, 7, 7)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7月15日", date(2021, 7, 15)),
        ("11月20日", date(2021, 11, 20)),
        ("2021-07-15", date(2021, 7, 15)),
        ("2021/7/15", date(2021, 7, 15)),
        ("2021年7月15日", date(2021, 7, 15)),
        ("二〇二一年七月十五日", date(2021, 7, 15)),
        ("7月15日前", date(2021, 7, 15)),
        ("15号", date(2021, 7, 15)),
        ("下周五", date(2021, 7, 16)),
        ("上周五", date(2021, 7, 2)),
        ("本周三", date(2021, 7, 7)),
        ("下周一", date(2021, 7, 12)),
        ("周五", date(2021, 7, 9)),
        ("下星期日", date(2021, 7, 18)),
        ("明天", date(2021, 7, 8)),
        ("昨天", date(2021, 7, 6)),
        ("今天", date(2021, 7, 7)),
        ("后天", date(2021, 7, 9)),
        ("三天后", date(2021, 7, 10)),
        ("3天后", date(2021, 7, 10)),
        ("两周后", date(2021, 7, 21)),
        ("三天前", date(2021, 7, 4)),
        ("一个月后", date(2021, 8, 7)),
        ("月底", date(2021, 7, 31)),
        ("下月底", date(2021, 8, 31)),
        ("下个月10日", date(2021, 8, 10)),
        ("年底", date(2021, 12, 31)),
        ("７月１５日", date(2021, 7, 15)),
    ],
)
def test_rules(text: str, expected: date) -> None:
    assert parse_chinese_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "没有日期", "2021-13-01", "2月30日", "13月1日"])
def test_no_date(text: str) -> None:
    assert parse_chinese_date(text, TODAY) is None


def test_prefer_future_rolls_a_past_month_day() -> None:
    assert parse_chinese_date("7月1日", TODAY) == date(2021, 7, 1)
    # just past: kept, so a slip is refused as a past date rather than read as next year's
    assert parse_chinese_date("7月1日", TODAY, prefer_future=True) == date(2021, 7, 1)
    assert parse_chinese_date("1月10日", TODAY, prefer_future=True) == date(2022, 1, 10)
    assert parse_chinese_date("1/10", TODAY, prefer_future=True) == date(2022, 1, 10)
    assert parse_chinese_date("1日", TODAY, prefer_future=True) == date(2021, 8, 1)
    assert parse_chinese_date("2021年7月1日", TODAY, prefer_future=True) == date(2021, 7, 1)


def test_dateparser_fallback_uses_today() -> None:
    assert parse_chinese_date("2 days ago", TODAY) == date(2021, 7, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3天", date(2021, 7, 10)),
        ("一周", date(2021, 7, 14)),
        ("两周", date(2021, 7, 21)),
        ("1个月", date(2021, 8, 7)),
        ("3d", date(2021, 7, 10)),
        ("下周一", date(2021, 7, 12)),
        ("7月20日", date(2021, 7, 20)),
        ("7月1日", date(2021, 7, 1)),  # just past: kept, so /snooze refuses it
        ("1月5日", date(2022, 1, 5)),
    ],
)
def test_snooze(text: str, expected: date) -> None:
    assert parse_duration_or_date(text, TODAY) == expected


@settings(max_examples=50, deadline=None)
@given(
    st.text(alphabet="0123456789年月日号周天后前下上本今明昨一二三四五六七八九十-/.", max_size=12)
)
def test_never_raises(text: str) -> None:
    parse_chinese_date(text, TODAY)
    parse_duration_or_date(text, TODAY)
