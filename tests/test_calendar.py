"""The work calendar on 2021's announced arrangement, the overrides file, and its arithmetic."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


OFF_2021 = [
    "2021-01-01",  # 元旦
    "2021-02-11",  # 春节 (除夕, 调休)
    "2021-02-12",
    "2021-02-17",
    "2021-04-05",  # 清明
    "2021-05-03",  # 劳动节
    "2021-05-05",
    "2021-06-12",  # 端午 (Saturday)
    "2021-06-13",
    "2021-06-14",
    "2021-09-19",  # 中秋
    "2021-09-20",
    "2021-09-21",
    *[f"2021-10-0{i}" for i in range(1, 8)],  # 国庆
    "2021-06-19",  # ordinary Saturday
    "2021-06-20",  # ordinary Sunday
]
ON_2021 = [
    "2021-02-07",  # Sunday, 春节调休
    "2021-02-20",  # Saturday, 春节调休
    "2021-04-25",  # Sunday, 劳动节调休
    "2021-05-08",  # Saturday, 劳动节调休
    "2021-09-18",  # Saturday, 中秋调休
    "2021-09-26",  # Sunday, 国庆调休
    "2021-10-09",  # Saturday, 国庆调休
    "2021-06-11",  # ordinary Friday before 端午
    "2021-06-15",  # ordinary Tuesday after 端午
    "2021-09-22",
    "2021-10-08",
]


@pytest.mark.parametrize("day", OFF_2021)
def test_2021_days_off(cal: WorkCalendar, day: str) -> None:
    assert not cal.is_workday(D(day))


@pytest.mark.parametrize("day", ON_2021)
def test_2021_workdays(cal: WorkCalendar, day: str) -> None:
    assert cal.is_workday(D(day))


def test_2021_has_250_workdays(cal: WorkCalendar) -> None:
    # 261 weekdays - 18 weekday holidays + 7 make-up Saturdays/Sundays (国办发明电〔2020〕27号)
    assert cal.workdays_between(D("2020-12-31"), D("2021-12-31")) == 250


def test_holiday_names_are_chinese(cal: WorkCalendar) -> None:
    assert cal.holiday_name(D("2021-06-14")) == "端午节"
    assert cal.holiday_name(D("2021-10-01")) == "国庆节"
    assert cal.holiday_name(D("2021-09-21")) == "中秋节"
    assert "调休" in (cal.holiday_name(D("2021-10-07")) or "")
    assert cal.holiday_name(D("2021-06-15")) is None
    assert cal.holiday_name(D("2021-09-18")) is None


def test_next_and_previous_around_holidays(cal: WorkCalendar) -> None:
    assert cal.next_workday(D("2021-06-11")) == D("2021-06-15")
    assert cal.previous_workday(D("2021-06-15")) == D("2021-06-11")
    assert cal.next_workday(D("2021-09-17")) == D("2021-09-18")
    assert cal.next_workday(D("2021-09-18")) == D("2021-09-22")
    assert cal.next_workday(D("2021-09-30")) == D("2021-10-08")
    assert cal.previous_workday(D("2021-10-08")) == D("2021-09-30")
    assert cal.next_workday(D("2021-06-15"), inclusive=True) == D("2021-06-15")
    assert cal.next_workday(D("2021-06-13"), inclusive=True) == D("2021-06-15")
    assert cal.previous_workday(D("2021-06-14"), inclusive=True) == D("2021-06-11")
    assert cal.on_or_before(D("2021-10-07")) == D("2021-09-30")
    assert cal.on_or_before(D("2021-10-09")) == D("2021-10-09")
    assert cal.last_workday_on_or_before(D("2021-06-13")) == D("2021-06-11")


def test_first_workday_of_month(cal: WorkCalendar) -> None:
    assert cal.first_workday_of_month(2021, 10) == D("2021-10-08")
    assert cal.first_workday_of_month(2021, 6) == D("2021-06-01")
    assert cal.first_workday_of_month(2021, 5) == D("2021-05-06")
    assert cal.first_workday_of_month(2022, 1) == D("2022-01-04")


def test_add_workdays_and_counting(cal: WorkCalendar) -> None:
    assert cal.add_workdays(D("2021-06-08"), 3) == D("2021-06-11")
    assert cal.add_workdays(D("2021-06-08"), 4) == D("2021-06-15")
    assert cal.add_workdays(D("2021-06-15"), -1) == D("2021-06-11")
    # monthly report due on the 8th: "3 workdays before" of 2021-10-08 skips 国庆
    assert cal.add_workdays(D("2021-10-08"), -3) == D("2021-09-28")
    assert cal.add_workdays(D("2021-06-13"), 0) == D("2021-06-15")
    assert cal.add_workdays(D("2021-12-30"), 3) == D("2022-01-05")
    assert cal.add_workdays(D("2022-01-04"), -3) == D("2021-12-29")
    # due 2021-06-30, reported working days overdue
    assert cal.workdays_between(D("2021-06-30"), D("2021-07-07")) == 5
    assert cal.workdays_between(D("2021-09-30"), D("2021-10-08")) == 1
    assert cal.workdays_between(D("2021-10-08"), D("2021-09-30")) == -1
    assert cal.workdays_between(D("2021-06-11"), D("2021-06-11")) == 0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_flip_a_day_each_way(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "off:\n  - {date: 2021-06-15, name: 区庆}  # announced local day off\n"
        "on:\n  - 2021-06-14   # 端午 worked\n  - '2021-06-19'\n",
    )
    cal = WorkCalendar(path)
    assert not cal.is_workday(D("2021-06-15"))
    assert cal.holiday_name(D("2021-06-15")) == "区庆"
    assert cal.is_workday(D("2021-06-14"))
    assert cal.holiday_name(D("2021-06-14")) is None
    assert cal.is_workday(D("2021-06-19"))
    assert cal.next_workday(D("2021-06-11")) == D("2021-06-14")
    assert cal.add_workdays(D("2021-06-14"), 1) == D("2021-06-16")


def test_no_overrides_and_empty_file(tmp_path: Path) -> None:
    assert WorkCalendar(None).is_workday(D("2021-09-18"))
    assert WorkCalendar(_write(tmp_path, "")).is_workday(D("2021-09-18"))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("off: [2021-13-01]\n", "not a date"),
        ("off: [2021-06-15]\non: [2021-06-15]\n", "both off and on"),
        ("holidays: []\n", "'off' and 'on'"),
        ("off: [\n", "invalid YAML"),
    ],
)
def test_bad_overrides_name_the_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        WorkCalendar(path)
    message = str(err.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_missing_explicit_override_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        WorkCalendar(tmp_path / "nope.yaml")


days = st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(d=days, n=st.integers(min_value=-400, max_value=400))
def test_add_workdays_lands_on_a_workday(d: date, n: int) -> None:
    cal = _shared()
    result = cal.add_workdays(d, n)
    assert cal.is_workday(result)
    if n > 0:
        assert result > d
    elif n < 0:
        assert result < d


@settings(max_examples=300, deadline=None)
@given(d=days)
def test_previous_and_next_workday_are_adjacent(d: date) -> None:
    cal = _shared()
    before, after = cal.previous_workday(d), cal.next_workday(d)
    assert before < d < after
    assert cal.is_workday(before) and cal.is_workday(after)
    # nothing in between is a workday except d itself
    between = [before + timedelta(days=i) for i in range(1, (after - before).days)]
    assert [x for x in between if cal.is_workday(x)] == ([d] if cal.is_workday(d) else [])


@settings(max_examples=300, deadline=None)
@given(d=days, n=st.integers(min_value=0, max_value=400))
def test_counting_inverts_adding(d: date, n: int) -> None:
    cal = _shared()
    a = cal.next_workday(d, inclusive=True)
    assert cal.workdays_between(a, cal.add_workdays(a, n)) == n
    assert cal.workdays_between(a, cal.add_workdays(a, -n)) == -n


@settings(max_examples=200, deadline=None)
@given(a=days, b=days)
def test_workdays_between_matches_a_day_by_day_count(a: date, b: date) -> None:
    cal = _shared()
    lo, hi = min(a, b), max(a, b)
    count = sum(cal.is_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert cal.workdays_between(a, b) == (count if b >= a else -count)


_CAL: list[WorkCalendar] = []


def _shared() -> WorkCalendar:
    """One calendar for the property tests (hypothesis does not mix with function fixtures)."""
    if not _CAL:
        _CAL.append(WorkCalendar())
    return _CAL[0]
