"""Deadlines as plans state them (`2021年6月底前`, `每月8日前…`, `持续推进`), read by explicit rules."""

from __future__ import annotations

import calendar
import re
from datetime import date

from bot.plan.model import Deadline, DeadlineKind
from bot.plan.numerals import CN_NUMBER, parse_number

# Full-width ASCII forms to ASCII, one char for one char so match offsets stay valid.
_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_NUM = rf"(?:\d{{1,2}}|{CN_NUMBER})"
_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})"
_BEFORE = r"(?:之前|以前|前)?"

_MONTHLY = re.compile(
    rf"每个?月(?:的)?(?:(?P<day>{_NUM})\s*[日号]|(?P<end>底|末))?{_BEFORE}(?:完成)?[,，:：]?\s*"
)
_QUARTERLY = re.compile(
    rf"每个?季度?(?:(?P<end>末|底)|(?:第一个月|首月)?(?:前)?(?P<day>{_NUM})\s*[日号天个工作日]*)?"
    rf"{_BEFORE}(?:完成)?[,，:：]?\s*"
)
_ONGOING = re.compile(r"持续|长期|常态化|常态工作|常年")

# One date-like token; an optional year, then what is due in it.
_DATE = re.compile(
    rf"(?P<iso>(?P<iy>\d{{4}})\s*[-/.]\s*(?P<im>\d{{1,2}})(?:\s*[-/.]\s*(?P<id>\d{{1,2}}))?)(?!\d)"
    rf"|(?:(?P<y>{_YEAR})\s*年(?:度)?\s*)?"
    rf"(?:(?P<half>上半年|下半年)"
    rf"|第?(?P<q>[一二三四1-4])季度"
    rf"|(?P<m>{_NUM})\s*月份?\s*(?:(?P<d>{_NUM})\s*[日号]|(?P<part>上旬|中旬|下旬))?"
    rf"|(?P<yend>年?底|年?末|年内))"
    rf"|(?P<yonly>{_YEAR})\s*年度?"
)
_BARE_YEAR_END = re.compile(r"(?:今年|本年度?|年度)(?:底|末|内)|年底|年末|全年|年内")
# `3年内`, `2012年起5年内`: counted from the plan's year (or the year named), the first included
_YEARS_WITHIN = re.compile(
    rf"(?:(?P<from>{_YEAR})\s*年\s*(?:起|开始|以来)?\s*)?(?P<n>{_NUM})\s*年(?:内|时间|左右)"
)
# recurring without a day in a month or quarter: `每半年`, `每年6月`, `每年年底前`
_RECURRING = re.compile(r"每(?:半年|年|年度)")


def _half(text: str) -> str:
    return text.translate(_HALF)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _action(rest: str) -> str | None:
    rest = rest.strip(" ,，;；:：。")
    return rest or None


def _periodic(text: str, t: str) -> Deadline | None:
    """`每月8日前…` and `每季度…`: the day in the period and what is to be done."""
    periods: tuple[tuple[DeadlineKind, re.Pattern[str]], ...] = (
        ("monthly", _MONTHLY),
        ("quarterly", _QUARTERLY),
    )
    for kind, pattern in periods:
        m = pattern.search(t)
        if not m:
            continue
        day = parse_number(m.group("day")) if m.group("day") else None
        if day is not None and not 1 <= day <= 31:
            return None
        return Deadline(kind=kind, text=text, day=day, action=_action(text[m.end() :]))
    return None


def _token_date(m: re.Match[str], year: int | None) -> tuple[date | None, int | None]:
    """The date one token names, and the year later tokens inherit."""
    if m.group("iso"):
        y, mo = int(m.group("iy")), int(m.group("im"))
        if not 1 <= mo <= 12:
            return None, y
        if m.group("id"):
            try:
                return date(y, mo, int(m.group("id"))), y
            except ValueError:
                return None, y
        return _month_end(y, mo), y
    if m.group("y") or m.group("yonly"):
        year = parse_number(m.group("y") or m.group("yonly"))
    if year is None or not 1900 <= year <= 2200:
        return None, year
    if m.group("half"):
        return (date(year, 6, 30) if m.group("half") == "上半年" else date(year, 12, 31)), year
    if m.group("q"):
        quarter = parse_number(m.group("q")) or 0
        return (_month_end(year, quarter * 3) if 1 <= quarter <= 4 else None), year
    if m.group("m"):
        month = parse_number(m.group("m"))
        if month is None or not 1 <= month <= 12:
            return None, year
        if m.group("d"):
            try:
                return date(year, month, parse_number(m.group("d")) or 0), year
            except ValueError:
                return None, year
        part = m.group("part")
        if part == "上旬":
            return date(year, month, 10), year
        if part == "中旬":
            return date(year, month, 20), year
        return _month_end(year, month), year
    if m.group("yonly"):
        return date(year, 12, 31), year
    if m.group("yend") and (m.group("y") or m.group("yend").startswith("年")):
        return date(year, 12, 31), year
    return None, year


def _once(text: str, t: str, year: int | None) -> Deadline | None:
    """The latest date the text names (`6月底前完成初稿，12月底前完成` is due at the end)."""
    dates: list[date] = []
    current = year
    for m in _DATE.finditer(t):
        found, current = _token_date(m, current)
        if found:
            dates.append(found)
    if not dates and year is not None and _BARE_YEAR_END.search(t):
        dates.append(date(year, 12, 31))
    return Deadline(kind="once", text=text, due=max(dates)) if dates else None


def _years_within(text: str, t: str, year: int | None) -> Deadline | None:
    m = _YEARS_WITHIN.search(t)
    if not m:
        return None
    start = parse_number(m.group("from")) if m.group("from") else year
    count = parse_number(m.group("n"))
    if start is None or count is None or not 1 <= count <= 50 or not 1900 <= start <= 2200:
        return None
    return Deadline(kind="once", text=text, due=date(start + count - 1, 12, 31))


def parse_deadline(text: str, year: int | None) -> Deadline | None:
    """The deadline `text` states, with `year` (the plan's) for dates without one; None = unknown."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text:
        return None
    t = _half(text)
    if "每" in t:
        periodic = _periodic(text, t)
        if periodic:
            return periodic
        if recurring := _RECURRING.search(t):
            # yearly and half-yearly duties have no kind of their own: chased as ongoing
            return Deadline(kind="ongoing", text=text, action=_action(text[recurring.end() :]))
    if within := _years_within(text, t, year):
        return within
    once = _once(text, t, year)
    if once:
        return once
    if _ONGOING.search(t):
        return Deadline(kind="ongoing", text=text)
    return None


# a milestone inside a measure's text: `5月底前实现…`, `2022年11月30日前完成…`, `年底前…`
_IN_TEXT = re.compile(
    rf"(?:{_YEAR}\s*年\s*)?(?:{_NUM}\s*月\s*(?:{_NUM}\s*[日号]|底|末|上旬|中旬|下旬)?|年底|年末)\s*(?:之)?前"
)


def deadline_in_text(text: str, year: int | None) -> str | None:
    """The latest milestone a measure's own text names (`…5月底前实现…`, `三年内…`), as written."""
    best: tuple[date, str] | None = None
    for m in (*_IN_TEXT.finditer(_half(text)), *_YEARS_WITHIN.finditer(_half(text))):
        phrase = text[m.start() : m.end()]
        found = parse_deadline(phrase, year)
        if found and found.due and (best is None or found.due >= best[0]):
            best = (found.due, phrase)
    return best[1] if best else None
