"""The Chinese work calendar: which days are working days, and counting in working days."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import holidays

import bot
from bot.domain.datafile import read_yaml

DEFAULT_OVERRIDES = bot.DATA / "calendar.yaml"
_ONE = timedelta(days=1)
_KEYS: dict[Any, str] = {True: "on", False: "off"}


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """The package's holidays (with Chinese names) and weekend make-up workdays of one year."""
    # Make-up workdays for a holiday early in a year may fall late in the previous one
    # (2001-12-29 for 2002's New Year), and the package only records them while populating
    # the later year, so populate the next year too.
    cn = holidays.country_holidays("CN", years=(year, year + 1), language="zh_CN")
    names = {d: name for d, name in cn.items() if d.year == year}
    workdays = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return names, workdays


class _Year:
    """One year's workday flags and running counts, so lookups and counts are O(1)."""

    __slots__ = ("start", "flags", "cum", "ordinals")

    def __init__(self, start: date, flags: list[bool]) -> None:
        self.start = start
        self.flags = flags
        # cum[i]: workdays among the first i days of the year
        self.cum = [0, *accumulate(int(f) for f in flags)]
        self.ordinals = [start.toordinal() + i for i, f in enumerate(flags) if f]

    @property
    def total(self) -> int:
        return self.cum[-1]

    def upto(self, d: date) -> int:
        """Workdays from 1 January through d inclusive."""
        return self.cum[(d - self.start).days + 1]


class WorkCalendar:
    """Workdays of mainland China: the `holidays` package, corrected by an overrides file."""

    def __init__(self, overrides: Path | None = DEFAULT_OVERRIDES) -> None:
        self._off: dict[date, str | None] = {}
        self._on: set[date] = set()
        if overrides is not None:
            self._load_overrides(Path(overrides))
        self._years: dict[int, _Year] = {}

    def _load_overrides(self, path: Path) -> None:
        if not path.exists() and path == DEFAULT_OVERRIDES:
            return
        raw = read_yaml(path, "calendar overrides") or {}
        if not isinstance(raw, Mapping):
            raise ValueError(f"{path}: expected only the lists 'off' and 'on'")
        # YAML 1.1 (PyYAML) reads a bare `on:` / `off:` key as true / false.
        raw = {_KEYS.get(k, k): v for k, v in raw.items()}
        if set(raw) - {"off", "on"}:
            raise ValueError(f"{path}: expected only the lists 'off' and 'on'")
        for item in raw.get("off") or []:
            day, name = _override_item(item, path)
            self._off[day] = name
        for item in raw.get("on") or []:
            day, _ = _override_item(item, path)
            self._on.add(day)
        both = sorted(self._on & set(self._off))
        if both:
            raise ValueError(f"{path}: {both[0].isoformat()} is listed both off and on")

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            names, weekend_workdays = _package_year(year)
            start = date(year, 1, 1)
            flags: list[bool] = []
            d = start
            while d.year == year:
                if d in self._on:
                    flag = True
                elif d in self._off or d in names:
                    flag = False
                else:
                    flag = d.weekday() < 5 or d in weekend_workdays
                flags.append(flag)
                d += _ONE
            cached = self._years[year] = _Year(start, flags)
        return cached

    def is_workday(self, d: date) -> bool:
        """Whether d is a working day."""
        y = self._year(d.year)
        return y.flags[(d - y.start).days]

    def next_workday(self, d: date, inclusive: bool = False) -> date:
        """The first workday after d (or d itself when inclusive and a workday)."""
        return self._nearest_workday(d, inclusive, forward=True)

    def previous_workday(self, d: date, inclusive: bool = False) -> date:
        """The last workday before d (or d itself when inclusive and a workday)."""
        return self._nearest_workday(d, inclusive, forward=False)

    def _nearest_workday(self, d: date, inclusive: bool, forward: bool) -> date:
        if inclusive and self.is_workday(d):
            return d
        year = d.year
        target = d.toordinal()
        while True:  # a year without a workday in that direction: look in the adjacent one
            ords = self._year(year).ordinals
            if forward and (i := bisect.bisect_right(ords, target)) < len(ords):
                return date.fromordinal(ords[i])
            if not forward and (i := bisect.bisect_left(ords, target)) > 0:
                return date.fromordinal(ords[i - 1])
            year += 1 if forward else -1

    def on_or_before(self, d: date) -> date:
        """d if it is a workday, else the workday before it."""
        return self.previous_workday(d, inclusive=True)

    def last_workday_on_or_before(self, d: date) -> date:
        """d if it is a workday, else the workday before it (same as on_or_before)."""
        return self.previous_workday(d, inclusive=True)

    def first_workday_of_month(self, year: int, month: int) -> date:
        """The first working day of a month."""
        return self.next_workday(date(year, month, 1), inclusive=True)

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th workday after d (n > 0) or before it (n < 0); n == 0 rolls forward to one."""
        if n == 0:
            return self.next_workday(d, inclusive=True)
        # Walk whole years by their workday totals, so a large n costs a few lookups.
        year = d.year
        y = self._year(year)
        if n > 0:
            remaining = n + y.upto(d)  # rank, within d's year, of the workday wanted
            while remaining > y.total:
                remaining -= y.total
                year += 1
                y = self._year(year)
            return date.fromordinal(y.ordinals[remaining - 1])
        remaining = -n
        before = y.upto(d) - int(self.is_workday(d))  # workdays of d's year strictly before d
        if remaining <= before:
            return date.fromordinal(y.ordinals[before - remaining])
        remaining -= before
        while True:
            year -= 1
            y = self._year(year)
            if remaining <= y.total:
                return date.fromordinal(y.ordinals[y.total - remaining])
            remaining -= y.total

    def workdays_between(self, a: date, b: date) -> int:
        """Workdays in (a, b]; negative when b < a (used for working days overdue)."""
        if b < a:
            return -self.workdays_between(b, a)
        if a.year == b.year:
            y = self._year(a.year)
            return y.upto(b) - y.upto(a)
        ya = self._year(a.year)
        count = ya.total - ya.upto(a)
        for year in range(a.year + 1, b.year):
            count += self._year(year).total
        return count + self._year(b.year).upto(b)

    def holiday_name(self, d: date) -> str | None:
        """The Chinese name of the holiday on d (e.g. 端午节), or None for other days."""
        if d in self._on:
            return None
        if d in self._off:
            return self._off[d] or "调整休息日"
        names, _ = _package_year(d.year)
        return names.get(d)


def _override_item(item: Any, path: Path) -> tuple[date, str | None]:
    """One `off`/`on` entry: a date, or {date: D, name: N}."""
    name: str | None = None
    if isinstance(item, Mapping):
        name = item.get("name")
        item = item.get("date")
    if isinstance(item, str):
        try:
            item = date.fromisoformat(item.strip())
        except ValueError:
            raise ValueError(f"{path}: {item!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(item, date):
        raise ValueError(f"{path}: {item!r} is not a date (YYYY-MM-DD)")
    return item, (str(name) if name else None)
