"""Traffic lights, counts, groups, overdue lists and the scorecard (bot/progress.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain import progress
from bot.domain.calendar import WorkCalendar
from bot.plan.model import Deadline, Task

D = date.fromisoformat


def task(
    tid: int = 1,
    kind: str = "once",
    due: str | None = "2021-06-30",
    day: int | None = None,
    group: int = 1,
) -> Task:
    return Task(
        id=tid,
        category_no=group,
        category=f"组{group}",
        title=f"任务{tid}",
        text="…",
        deadline=Deadline(kind=kind, text="时限", due=D(due) if due else None, day=day),  # type: ignore[arg-type]
        leads=("区发改局",),
        supporters=("区民政局",),
    )


def state(unit: str = "区发改局", role: str = "lead", status: str = "todo", **kw: object) -> dict:
    return {
        "task": kw.pop("task", 1),
        "unit": unit,
        "role": role,
        "status": status,
        "percent": None,
        "note": None,
        "updated_at": None,
        "claim": None,
        "due_override": None,
        "reported": [],
        **kw,
    }


def test_overdue_once_task_is_red() -> None:
    light, due, overdue = progress.part_light(task(), state(), D("2021-07-01"))
    assert (light, due, overdue) == ("red", D("2021-06-30"), True)


def test_done_and_pending_claim_are_not_overdue() -> None:
    assert progress.part_light(task(), state(status="done"), D("2021-07-05"))[0] == "green"
    assert not progress.is_overdue(task(), state(status="doing", claim="pending"), D("2021-07-05"))


def test_extension_moves_the_deadline() -> None:
    s = state(status="doing", due_override="2021-07-15", updated_at="2021-07-01T10:00:00+08:00")
    assert progress.part_light(task(), s, D("2021-07-05"))[0] == "green"
    assert progress.part_light(task(), s, D("2021-07-16"))[0] == "red"


def test_ongoing_is_never_red_by_date() -> None:
    ongoing = task(kind="ongoing", due=None)
    light, due, overdue = progress.part_light(ongoing, state(), D("2021-12-31"), D("2021-01-01"))
    assert (due, overdue) == (None, False)
    assert light == "yellow"  # but stale: no update for 14 days


def test_due_within_a_week_without_progress_is_yellow() -> None:
    s = state(updated_at="2021-06-25T10:00:00+08:00")
    assert progress.part_light(task(), s, D("2021-06-25"))[0] == "yellow"
    started = state(status="doing", percent=10, updated_at="2021-06-25T10:00:00+08:00")
    assert progress.part_light(task(), started, D("2021-06-25"))[0] == "green"
    assert progress.part_light(task(), s, D("2021-06-20"))[0] == "green"  # 10 days ahead


def test_no_update_for_two_weeks_is_yellow() -> None:
    s = state(status="doing", percent=50, updated_at="2021-05-01T10:00:00+08:00")
    assert progress.part_light(task(due="2021-12-31"), s, D("2021-05-14"))[0] == "green"
    assert progress.part_light(task(due="2021-12-31"), s, D("2021-05-15"))[0] == "yellow"
    # never updated: counted from the start of tracking
    fresh = state()
    assert (
        progress.part_light(task(due="2021-12-31"), fresh, D("2021-05-10"), D("2021-05-01"))[0]
        == "green"
    )
    assert (
        progress.part_light(task(due="2021-12-31"), fresh, D("2021-05-20"), D("2021-05-01"))[0]
        == "yellow"
    )


def test_a_blocked_part_is_never_green() -> None:
    # Found in a month's rehearsal: #16 (持续推进), 区金融发展服务中心 受阻 "等待银行数据接口",
    # was 🟢 in the weekly summary.
    ongoing = task(kind="ongoing", due=None)
    s = state(status="blocked", percent=10, updated_at="2021-06-19T10:00:00+08:00")
    assert progress.part_light(ongoing, s, D("2021-06-25"))[0] == "yellow"
    assert progress.part_light(task(due="2021-12-31"), s, D("2021-06-25"))[0] == "yellow"
    assert progress.part_light(task(), s, D("2021-07-01"))[0] == "red"  # overdue still wins


def test_monthly_report_is_late_only_while_missing() -> None:
    monthly = task(kind="monthly", due=None, day=8)
    assert progress.is_overdue(monthly, state(status="doing"), D("2021-07-09"))
    assert not progress.is_overdue(monthly, state(status="doing"), D("2021-07-08"))
    assert not progress.is_overdue(
        monthly, state(status="doing", reported=["2021-07"]), D("2021-07-09")
    )


def test_task_light_is_its_worst_part_or_closed() -> None:
    t = task()
    lead_late = [state(), state("区民政局", "supporter", "done")]
    supporter_late = [state(status="done"), state("区民政局", "supporter")]
    day = D("2021-07-01")
    assert progress.task_progress([t], lead_late, day)[0].light == "red"
    # a supporter's overdue part is overdue work of the task, as /overdue lists it
    assert progress.task_progress([t], supporter_late, day)[0].light == "red"
    extended = [state(due_override="2021-07-20"), state("区民政局", "supporter")]
    assert progress.task_progress([t], extended, day)[0].light == "red"
    assert progress.task_progress([t], lead_late, day, closed=[1])[0].light == "closed"


def test_counts_and_groups() -> None:
    tasks = [task(1, group=1), task(2, group=1), task(3, group=2)]
    states = [
        state(task=1, status="done"),
        state(task=2, status="doing", percent=50),
        state(task=3),
    ]
    tp = progress.task_progress(tasks, states, D("2021-06-01"))
    assert progress.status_counts(states) == {"todo": 1, "doing": 1, "done": 1, "blocked": 0}
    assert sum(progress.light_counts(tp).values()) == 3
    groups = progress.groups(tp)
    assert [(g.no, len(g.tasks), g.percent) for g in groups] == [(1, 2, 75), (2, 1, 0)]


def test_overdue_by_unit_days_and_contacts() -> None:
    cal = WorkCalendar()
    tasks = [task(1), task(2, due="2021-06-11")]
    states = [state(task=1), state(task=2), state("区民政局", "supporter", task=1)]
    contacts = [{"user_id": 1, "unit": "区发改局", "active": True, "reachable": True}]
    tp = progress.task_progress(tasks, states, D("2021-07-05"))
    by_unit = progress.overdue_by_unit(tp, contacts, cal, D("2021-07-05"))
    assert list(by_unit) == ["区发改局", "区民政局"]  # supporters are listed too
    assert [(i.task.id, i.role) for i in by_unit["区民政局"]] == [(1, "supporter")]
    first, second = by_unit["区发改局"]
    assert first.task.id == 2  # most overdue first
    # one count everywhere, working days: 2021-06-14 is 端午节: 6/15-6/18, 6/21-6/25,
    # 6/28-7/2, 7/5 = 4 + 5 + 5 + 1
    assert first.workdays == first.days == 15
    assert (second.days, second.workdays, second.reachable) == (3, 3, True)
    unreachable = [{**contacts[0], "reachable": False}]
    assert not progress.overdue_by_unit(tp, unreachable, cal, D("2021-07-05"))["区发改局"][
        0
    ].reachable


def test_unit_view_and_scorecard() -> None:
    tasks = [task(1), task(2, due="2021-08-31")]
    states = [
        state(task=1, status="done", updated_at="2021-06-20T10:00:00+08:00"),
        state(task=2, status="doing", percent=30, updated_at="2021-06-30T10:00:00+08:00"),
        state("区民政局", "supporter", task=1),
    ]
    tp = progress.task_progress(tasks, states, D("2021-07-02"))
    view = progress.unit_view("区发改局", tp, [])
    assert [t.id for t, _ in view.parts] == [1, 2]
    assert view.counts["done"] == 1 and view.overdue == 0 and not view.reachable
    scores = progress.scorecard(tp, D("2021-07-02"), {"区发改局": 4}, 4)
    assert [s.unit for s in scores] == ["区发改局", "区民政局"]
    assert scores[0].on_time == 1.0 and scores[0].regularity == 1.0
    assert scores[1].on_time == 0.0 and scores[1].overdue == 1


def test_on_time_counts_the_completion_not_a_later_note() -> None:
    done_early = state(
        task=1,
        status="done",
        done_at="2021-06-28T10:00:00+08:00",
        updated_at="2021-07-05T10:00:00+08:00",  # a note added after the deadline
    )
    tp = progress.task_progress([task(1)], [done_early], D("2021-07-06"))
    (score,) = progress.scorecard(tp, D("2021-07-06"), {}, 4)
    assert score.on_time == 1.0


@pytest.mark.parametrize("value", ["2021-06-01T10:00:00+08:00", None, "", "garbage"])
def test_parse_at_tolerates_missing(value: str | None) -> None:
    parsed = progress.parse_at(value)
    assert (parsed is not None) == (value == "2021-06-01T10:00:00+08:00")


def test_seed_plan_has_nine_groups(seeded_data_dir: Path, tmp_path: Path) -> None:
    from tests.prepared import make_services

    services = make_services(seeded_data_dir, tmp_path)
    try:
        store = services.store
        tp = progress.task_progress(store.plan.tasks(), store.parts.states(), D("2021-06-25"))
        assert len(progress.groups(tp)) == 9
        assert len(tp) == 25
    finally:
        services.close()


def test_due_work_by_unit_is_what_a_unit_owes_now() -> None:
    today = D("2021-06-20")
    tasks = [
        task(1, due="2021-06-30"),  # due within two weeks
        task(2, due="2021-12-31"),  # far off
        task(3, kind="ongoing", due=None),
        task(4, kind="monthly", due=None, day=8),
        task(5, due="2021-06-30"),  # closed below
        task(6, due="2021-06-10"),  # overdue
    ]
    states = [
        state(task=1),
        state("区民政局", "supporter", task=1, status="done"),
        state(task=2),
        state(task=3),
        state(task=4, reported=["2021-06"]),
        state("区民政局", "supporter", task=4),  # June's report missing
        state("区民政局", "supporter", task=5),
        state(task=6, status="doing", claim="pending"),  # waiting for review: owes nothing
        state("区民政局", "supporter", task=6),
    ]
    tp = progress.task_progress(tasks, states, today, closed=[5])
    owed = progress.due_work_by_unit(tp, today, 14)
    assert sorted((u, p.task, p.overdue) for u, parts in owed.items() for p in parts) == [
        ("区发改局", 1, False),
        ("区民政局", 4, True),
        ("区民政局", 6, True),
    ]
    # 6/30 is 10 days away: beyond a 5-day horizon
    assert progress.due_work_by_unit(tp, today, 5) == {"区民政局": owed["区民政局"]}
