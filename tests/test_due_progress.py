"""序时进度: the progress due on a day, from milestones or elapsed time, and the lag verdict."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.policy import (
    DueProgressPolicy,
    Policy,
    PolicyError,
    load_policy,
    policy_from_mapping,
)
from bot.domain.schedule import due_progress, lag
from bot.plan.model import Deadline, Milestone, Task

JUNE = Milestone(date(2022, 6, 30), "完成方案制定")
SEPTEMBER = Milestone(date(2022, 9, 30), "完成试点")
DECEMBER = Milestone(date(2022, 12, 31), "全面完成")
START = date(2022, 1, 1)
ON = DueProgressPolicy()
OFF = DueProgressPolicy(proportional=False)


def task(milestones: tuple[Milestone, ...] = (), deadline: Deadline | None = None) -> Task:
    return Task(
        id=1,
        category_no=1,
        category="信用监管",
        title="推进信用分级分类监管",
        text="推进信用分级分类监管。",
        deadline=deadline or Deadline(kind="once", text="2022年12月底前", due=date(2022, 12, 31)),
        leads=("区发改局",),
        milestones=milestones,
    )


STEPPED = task((JUNE, SEPTEMBER, DECEMBER))


@pytest.mark.parametrize(
    ("today", "percent"),
    [
        (date(2022, 5, 1), 0),
        (date(2022, 6, 30), 0),  # a node due today is not owed until tomorrow
        (date(2022, 7, 1), 33),
        (date(2022, 10, 1), 67),
        (date(2023, 1, 1), 100),
    ],
)
def test_due_progress_is_the_share_of_milestones_passed(today: date, percent: int) -> None:
    found = due_progress(STEPPED, START, today, ON)
    assert (found.percent, found.source) == (percent, "milestones")


def test_milestones_set_the_due_progress_even_with_the_fallback_off() -> None:
    assert due_progress(STEPPED, START, date(2022, 7, 1), OFF).percent == 33


def test_without_milestones_progress_is_due_in_proportion_to_time() -> None:
    plain = task()
    half = date(2022, 7, 2)  # 182 of 364 days from the start to the deadline
    assert due_progress(plain, START, half, ON).percent == 50
    assert due_progress(plain, START, half, ON).source == "elapsed"
    assert due_progress(plain, START, START, ON).percent == 0
    assert due_progress(plain, START, date(2023, 2, 1), ON).percent == 100
    # counted from the import when tracking started later
    assert due_progress(plain, date(2022, 7, 2), date(2022, 7, 2), ON).percent == 0


def test_the_proportional_fallback_can_be_switched_off() -> None:
    found = due_progress(task(), START, date(2022, 7, 2), OFF)
    assert (found.percent, found.source) == (None, "none")
    assert not lag(task(), START, date(2022, 7, 2), 0, (), OFF).lagging


def test_periodic_and_ongoing_work_owes_no_progress_by_time() -> None:
    for deadline in (
        Deadline(kind="monthly", text="每月8日前报送", day=8),
        Deadline(kind="ongoing", text="持续推进"),
    ):
        assert due_progress(task(deadline=deadline), START, date(2022, 7, 2), ON).percent is None


def test_a_passed_milestone_not_reported_done_lags_from_the_next_day() -> None:
    assert not lag(STEPPED, START, date(2022, 6, 30), 0, (), ON).lagging
    late = lag(STEPPED, START, date(2022, 7, 1), 40, (), ON)
    assert late.lagging and late.missed == (JUNE,) and late.behind == 0
    made_up = lag(STEPPED, START, date(2022, 7, 1), 40, {JUNE}, ON)
    assert not made_up.lagging and made_up.missed == ()
    assert lag(STEPPED, START, date(2022, 10, 1), 70, {JUNE}, ON).missed == (SEPTEMBER,)


def test_a_percent_trailing_by_more_than_the_tolerance_lags() -> None:
    today = date(2022, 10, 1)  # two of three nodes passed: 67% due
    done = {JUNE, SEPTEMBER}
    assert not lag(STEPPED, START, today, 57, done, ON).lagging  # 10 points: within
    behind = lag(STEPPED, START, today, 56, done, ON)
    assert behind.lagging and behind.behind == 11 and behind.missed == ()
    assert not lag(STEPPED, START, today, 40, done, DueProgressPolicy(tolerance_points=30)).lagging
    plain = lag(task(), START, date(2022, 7, 2), 30, (), ON)  # 50% due by time
    assert plain.lagging and plain.behind == 20


def test_a_task_at_100_percent_never_lags() -> None:
    assert not lag(STEPPED, START, date(2023, 2, 1), 100, (), ON).lagging


def test_the_policy_keys_are_read_and_old_files_still_load(tmp_path: Path) -> None:
    bundled = load_policy()
    assert bundled.due_progress == DueProgressPolicy(proportional=True, tolerance_points=10)
    old = tmp_path / "policy.yaml"
    old.write_text("once:\n  lead_days_before: [7, 1]\n", encoding="utf-8")
    assert load_policy(old).due_progress == DueProgressPolicy()
    raw = {"due_progress": {"proportional": False, "tolerance_points": 25}}
    assert policy_from_mapping(raw).due_progress == DueProgressPolicy(False, 25)
    assert policy_from_mapping(raw).once == Policy().once


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("due_progress:\n  proportional: 1\n", "expected true or false"),
        ("due_progress:\n  tolerance_points: -5\n", "whole number"),
        ("due_progress:\n  tolerance_points: 101\n", "at most 100"),
        ("due_progress:\n  lag_days: 3\n", "unknown setting"),
    ],
)
def test_bad_policy_keys_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(path)
