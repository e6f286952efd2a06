"""Dates users type in chat (`7月15日`, `下周五`, `三天后`, `2021/7/15`), relative to a given today."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from bot.plan.numerals import CN_NUMBER, parse_number

_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NUM = rf"(?:\d+|{CN_NUMBER})"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAYS |= {str(i): i - 1 for i in range(1, 8)}

_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_CN_YMD = re.compile(rf"({_NUM})年({_NUM})月({_NUM})[日号]")
_MD = re.compile(rf"(?:(本|这个?|下个?|上个?)月)?(?:({_NUM})月)?({_NUM})[日号]")
_MD_SLASH = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})")
_WEEK = re.compile(
    r"(上上|下下|上|下|本|这|这个|下个|上个)?(?:周|星期|礼拜)([一二三四五六日天七1-7])"
)
_RELATIVE = re.compile(
    rf"({_NUM}|两|半)\s*个?\s*(天|日|周|星期|礼拜|月)\s*(后|以后|之后|前|以前|之前)"
)
_MONTH_END = re.compile(r"(本|这个?|下个?|上个?)?月(底|末)")
# A time of day after the date (`明天下午3点`, `7月15日 15:00`): a deadline is a day, so it goes.
_DAYPART = r"(?:上午|下午|中午|晚上|早上|傍晚|凌晨)"
TIME_OF_DAY = (
    rf"{_DAYPART}?(?:(?:{_NUM}|两)[点时](?:{_NUM}分|半|钟)?|\d{{1,2}}[:：]\d{{2}})|{_DAYPART}"
)
_TIME_SUFFIX = re.compile(rf"(?:{TIME_OF_DAY})$")
# The longest time of day there is (`凌晨十二点三十分钟`) fits here; only this tail is searched, so a
# long run of digits costs linear time instead of a regex attempt at every position.
_TIME_TAIL = 16


def _without_time_of_day(t: str) -> str:
    """`t` without a trailing time of day (a deadline is a day)."""
    cut = max(len(t) - _TIME_TAIL, 0)
    found = _TIME_SUFFIX.search(t, cut)
    return t[: found.start()] if found else t


_WORDS = {
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "大前天": -3,
}
_DURATION = re.compile(
    rf"^({_NUM}|两|半)?\s*个?\s*(天|日|d|周|星期|礼拜|w|个?月|m)$", re.IGNORECASE
)


def _month_shift(today: date, prefix: str | None) -> tuple[int, int]:
    """The (year, month) that `本月` / `下月` / `上月` names."""
    step = (
        1 if prefix and prefix.startswith("下") else -1 if prefix and prefix.startswith("上") else 0
    )
    index = today.year * 12 + today.month - 1 + step
    return index // 12, index % 12 + 1


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


MAX_SPAN_DAYS = 100 * 366  # a relative date further off than this is no date anyone means


def _relative(amount: str, unit: str, direction: str, today: date) -> date | None:
    n = 0.5 if amount == "半" else parse_number(amount)
    if n is None or not 0 <= n * (31 if unit == "月" else 7) <= MAX_SPAN_DAYS:
        return None
    sign = -1 if direction.endswith("前") else 1
    if unit == "月":
        return None if n == 0.5 else _add_months(today, sign * int(n))
    days = n * 7 if unit in ("周", "星期", "礼拜") else n
    return today + timedelta(days=sign * int(days))


def _by_rules(t: str, today: date) -> date | None:
    if t in _WORDS:
        return today + timedelta(days=_WORDS[t])
    if m := _YMD.fullmatch(t):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if m := _CN_YMD.fullmatch(t):
        y, mo, d = parse_number(m[1]), parse_number(m[2]), parse_number(m[3])
        return _safe(y, mo, d) if y and mo and d else None
    if m := _MD.fullmatch(t):
        year, month = _month_shift(today, m[1])
        if m[2]:
            month = parse_number(m[2]) or 0
        day = parse_number(m[3]) or 0
        return _safe(year, month, day)
    if m := _MD_SLASH.fullmatch(t):
        return _safe(today.year, int(m[1]), int(m[2]))
    if m := _WEEK.fullmatch(t):
        prefix = m[1] or ""
        weeks = {"上上": -2, "下下": 2, "上": -1, "上个": -1, "下": 1, "下个": 1}.get(prefix, 0)
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(weeks=weeks, days=_WEEKDAYS[m[2]])
    if m := _RELATIVE.fullmatch(t):
        return _relative(m[1], m[2], m[3], today)
    if m := _MONTH_END.fullmatch(t):
        year, month = _month_shift(today, m[1])
        return date(year, month, calendar.monthrange(year, month)[1])
    if t in ("年底", "年末", "今年底", "今年年底"):
        return date(today.year, 12, 31)
    return None


def _by_dateparser(text: str, today: date) -> date | None:
    """The slow general fallback, for forms the rules do not cover."""
    try:
        import dateparser  # imported late: loading it costs about a second

        found = dateparser.parse(
            text,
            languages=["zh", "en"],
            settings={"RELATIVE_BASE": datetime(today.year, today.month, today.day)},
        )
    except Exception:  # dateparser raises assorted errors on odd input; unknown is the answer
        return None
    return found.date() if found else None


def warm_up() -> None:
    """Load dateparser and its zh/en data now: its first call costs ~600 ms, not a user's."""
    _by_dateparser("2021年7月15日", date(2021, 1, 1))


ROLL_AFTER_DAYS = 90


def parse_chinese_date(text: str, today: date, prefer_future: bool = False) -> date | None:
    """The date `text` names as of `today`; None if it names none.

    With `prefer_future`, a month-day long past this year means next year's (`1月10日` typed
    in December is the coming January); one just past (`6月10日` typed on 21 June) stays as
    written, so a slip is refused as a past date instead of silently becoming next year's.
    """
    t = re.sub(r"\s+", "", text.translate(_HALF)).strip("。.,，")
    t = re.sub(r"(?<=[日号底末点])(?:之前|以前|前)$", "", t)
    t = _without_time_of_day(t) or t
    if not t:
        return None
    try:
        found = _by_rules(t, today)
    except (OverflowError, ValueError):  # beyond the calendar (year 10000): no date
        return None
    if found is None:
        # a date-shaped text with an impossible value (`2021-13-01`) is no date, not a guess
        shaped = any(p.fullmatch(t) for p in (_YMD, _CN_YMD, _MD, _MD_SLASH))
        return None if shaped else _by_dateparser(text.strip(), today)
    if prefer_future and found < today:
        long_past = (today - found).days > ROLL_AFTER_DAYS
        if (m := _MD.fullmatch(t)) and not m[1]:
            # a bare `15日` rolls to next month; `7月15日` to next year only when long past
            if m[2] is None:
                found = _roll(found, months=1)
            elif long_past:
                found = _roll(found, months=12)
        elif _MD_SLASH.fullmatch(t) and long_past:
            found = _roll(found, months=12)
    return found


def _roll(day: date, months: int) -> date:
    """The same day of month `months` later, or `day` itself if that month lacks it."""
    index = day.year * 12 + day.month - 1 + months
    return _safe(index // 12, index % 12 + 1, day.day) or day


def parse_duration_or_date(text: str, today: date) -> date | None:
    """The end of a snooze: `3天`, `一周`, `两个月` from today, or a date (`下周一`, `7月15日`)."""
    t = re.sub(r"\s+", "", text.translate(_HALF))
    if m := _DURATION.fullmatch(t):
        unit = m[2].lower()
        unit = "月" if unit in ("m",) or unit.endswith("月") else unit
        unit = {"d": "天", "w": "周"}.get(unit, unit)
        try:
            return _relative(m[1] or "1", unit, "后", today)
        except (OverflowError, ValueError):
            return None
    return parse_chinese_date(text, today, prefer_future=True)


# A date written without spaces before what follows: `7月15日因…`, `下周五因…`, `2021-07-15因…`.
_DATE_PREFIX = re.compile(
    r"^(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?"
    r"|[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}[日号]"
    r"|(?:下下|下个|下|本|这个|这)?(?:周|星期|礼拜)[一二三四五六日天1-7]"
    r"|(?:本|这个?|下个?)?月[底末]|年[底末]"
    r"|(?:大后天|后天|明天)"
    r"|(?:\d+|[一二三四五六七八九十两]+)\s*个?\s*(?:天|周|星期|月)\s*(?:后|以后|之后)"
    r"|\d{1,2}/\d{1,2})"
    # `明天下午3点前`: a time of day and 前 go with the date (but 前期/前面… begin the reason)
    rf"(?:\s*(?:{TIME_OF_DAY}))?(?:之前|以前|前(?![期面往提置述]))?"
)


def leading_date(text: str, today: date) -> tuple[date, str] | None:
    """The date `text` starts with and the rest (`7月15日前报送方案` → 7-15, `报送方案`), or None.

    The rules first, so that no dateparser guess eats the words after the date; then the first
    word as a date. A month-day long past means next year's (`prefer_future`).
    """
    text = text.strip()
    if (m := _DATE_PREFIX.match(text)) is not None:
        if (due := parse_chinese_date(m[0], today, prefer_future=True)) is not None:
            return due, text[m.end() :]
    head, *rest = text.split(maxsplit=1) or [""]
    if head and (due := parse_chinese_date(head, today, prefer_future=True)) is not None:
        return due, rest[0] if rest else ""
    return None
