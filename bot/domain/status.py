"""Status words, roles and the effective deadline of one unit's part of a task."""

from __future__ import annotations

import calendar as _cal
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from bot.plan.model import Task
from bot.store.plans import FIRST_SLOT
from bot.store.records import PartStatus, StateView

STATUS_LABELS: dict[str, str] = {
    PartStatus.TODO: "未启动",
    PartStatus.DOING: "进行中",
    PartStatus.DONE: "已完成",
    PartStatus.BLOCKED: "受阻",
}
# A part as shown: its status, or "nil" when this period's report was a 零报告 (nothing to report).
SHOWN_LABELS: dict[str, str] = {**STATUS_LABELS, "nil": "零报告"}
ROLE_LABELS = {"lead": "牵头", "supporter": "配合", "coordinator": "督办"}
_STATUS_WORDS: dict[str, PartStatus] = {
    **{STATUS_LABELS[key]: key for key in PartStatus},
    **{key.value: key for key in PartStatus},
    "完成": PartStatus.DONE,
    "已办结": PartStatus.DONE,
    "办结": PartStatus.DONE,
    "推进中": PartStatus.DOING,
    "开展中": PartStatus.DOING,
    "未开始": PartStatus.TODO,
    "阻塞": PartStatus.BLOCKED,
    "受阻碍": PartStatus.BLOCKED,
    "in-progress": PartStatus.DOING,
}
NIL_RETURN_WORDS = ("本月无", "本季度无", "无新增", "无")
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Why a contact cannot be written to (a "contact.reachable" event's cause), after the name.
UNREACHABLE_LABELS = {
    "blocked": "已屏蔽机器人",
    "deactivated": "的账号已注销",
    "not_started": "尚未与机器人开始对话",
}
# What a part's last update was when it came from a campaign report (states' `updated_with`).
REPORT_LABELS = {"activity": "报送了一场活动", "rectify": "报送了专项治理情况"}


def parse_status(word: str) -> PartStatus | None:
    """`进行中`/`doing` → "doing"; None for an unknown word."""
    return _STATUS_WORDS.get(word.strip().lower()) or _STATUS_WORDS.get(word.strip())


def period_key(task: Task, day: date) -> str | None:
    """The reporting period a day belongs to: "2021-06" (monthly), "2021-Q2" (quarterly)."""
    if task.deadline.kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    if task.deadline.kind == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return None


def period_due(task: Task, day: date) -> date | None:
    """The due date of the period containing `day` (monthly: that month's day N)."""
    if task.deadline.kind == "monthly":
        last = _cal.monthrange(day.year, day.month)[1]
        return date(day.year, day.month, min(task.deadline.day or last, last))
    if task.deadline.kind == "quarterly":
        q_end = ((day.month - 1) // 3 + 1) * 3
        if task.deadline.day:
            return date(day.year, q_end - 2, min(task.deadline.day, 28))
        return date(day.year, q_end, _cal.monthrange(day.year, q_end)[1])
    return None


# When tracking started: one day for every task, or each plan's (by slot: a plan imported in
# July owes nothing that fell due before July). None: always.
Since = date | Mapping[int, date | None] | None


def since_of(since: Since, task: Task) -> date | None:
    """The day tracking of `task` started (its plan's, when `since` is per plan)."""
    if isinstance(since, Mapping):
        return since.get(task.plan or FIRST_SLOT)
    return since


def chased(due: date, since: date | None) -> bool:
    """Whether a report due on `due` is owed: periods due before tracking started (the day the
    plan was imported, `since`) are nobody's to chase, report or count. The one rule behind the
    reminders, the lights, /overdue, the summary and the scorecard."""
    return since is None or due >= since


def next_period_day(task: Task, day: date) -> date:
    """A day in the reporting period after the one containing `day`."""
    months = 1 if task.deadline.kind == "monthly" else 3 - (day.month - 1) % 3
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def periods_due(task: Task, lo: date, hi: date) -> list[tuple[str, date]]:
    """The reporting periods of a periodic task falling due in [lo, hi], oldest first."""
    out: list[tuple[str, date]] = []
    if task.deadline.kind not in ("monthly", "quarterly") or lo > hi:
        return out
    day = date(lo.year, lo.month, 1)
    while day <= hi:
        key, due = period_key(task, day), period_due(task, day)
        if key is not None and due is not None and lo <= due <= hi:
            out.append((key, due))
        day = next_period_day(task, day)
    return out


def effective_due(
    task: Task, state: StateView | None, today: date, since: date | None = None
) -> date | None:
    """The date this unit's part is due: an approved extension, else the plan's deadline.

    Periodic tasks are due at the end of the current period (the next one's when the current
    period fell due before tracking started, `since`); ongoing tasks never are.
    """
    if state and (override := state.get("due_override")):
        return date.fromisoformat(override)
    if task.deadline.kind == "once":
        return task.deadline.due
    due = period_due(task, today)
    if due is not None and not chased(due, since):
        return period_due(task, next_period_day(task, today))
    return due


def format_day(day: date) -> str:
    """2021-06-30 → "2021年6月30日（周三）"."""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAY_LABELS[day.weekday()]}）"


def week_key(day: date) -> str:
    """The ISO week a day belongs to: "2021-W25" (the weekly summary, once-a-week notices)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@lru_cache(maxsize=4096)
def _day_week(day_text: str) -> str:
    return week_key(date.fromisoformat(day_text))


def week_of(stamp: str) -> str:
    """The ISO week of an ISO timestamp; memoised by day, as thousands of events share one."""
    return _day_week(stamp[:10])


def period_label(period: str | None) -> str:
    """A reporting period key in words: "2021-06" → 2021年6月, "2021-Q3" → 2021年第3季度."""
    year, _, rest = str(period or "").partition("-")
    if rest.startswith("Q") and rest[1:].isdigit():
        return f"{year}年第{int(rest[1:])}季度"
    if rest.isdigit():
        return f"{year}年{int(rest)}月"
    return str(period or "")
