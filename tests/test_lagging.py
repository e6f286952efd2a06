"""序时进度 over the store: whose percent a task is judged by, which marks count, what never
lags; milestone reminders; milestones in the scorecard's on-time rate."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot.features.sweep import planned
from bot.plan.model import Milestone
from bot.reports import scorecard
from bot.reports.lagging import lagging, lags
from bot.services import Services
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.prepared import at, mark_done, services_fixture, with_milestones

services = services_fixture("2021-06-25 17:00")
FRIDAY = date(2021, 6, 25)  # #18 (due 6/30, tracked from 6/21) is due 4/9 = 44% today
PLAN = Milestone(date(2021, 6, 23), "制定工作方案")
END = Milestone(date(2021, 6, 30), "全面完成")


def report(services: Services, task: int, unit: str, percent: int) -> None:
    services.store.parts.update_state(
        task, unit, at=at("2021-06-24 10:00"), actor=2001, status="doing", percent=percent
    )


def test_a_task_is_as_far_along_as_its_slowest_lead(services: Services) -> None:
    report(services, 18, "区司法局", 50)
    report(services, 18, "区市场监管局", 20)
    found = lags(services, FRIDAY)[18]
    assert (found.due_percent, found.reported, found.lagging) == (44, 20, True)
    report(services, 18, "区市场监管局", 40)  # 44 - 40 = 4 points: within the tolerance
    found = lags(services, FRIDAY)[18]
    assert (found.reported, found.lag.behind, found.lagging) == (40, 4, False)


def test_a_milestone_reported_done_by_any_lead_is_done(services: Services) -> None:
    with_milestones(services, 18, PLAN, END)
    report(services, 18, "区司法局", 50)
    report(services, 18, "区市场监管局", 50)  # 1 of 2 nodes passed: 50% due, 50% reported
    assert lags(services, FRIDAY)[18].missed == (PLAN,)
    assert 18 in lagging(services, FRIDAY)  # a missed node lags, whatever the percent
    mark_done(services, 18, "区市场监管局", FRIDAY, PLAN, by=2002)
    assert lags(services, FRIDAY)[18].missed == ()
    assert 18 not in lagging(services, FRIDAY)


def test_closed_and_overdue_tasks_are_not_shown_lagging(services: Services) -> None:
    assert 18 in lagging(services, FRIDAY)  # nothing reported, 44% due
    late = date(2021, 7, 5)
    assert lags(services, late)[18].overdue and 18 not in lagging(services, late)  # shown red
    services.store.plan.set_task_closed(18, True)
    assert 18 not in lags(services, FRIDAY)


def test_the_fallback_is_off_by_policy(services: Services) -> None:
    (services.settings.data_dir / "policy.yaml").write_text(
        "due_progress:\n  proportional: false\n", encoding="utf-8"
    )
    services.reload_policy()
    assert 18 not in lagging(services, FRIDAY)
    assert lags(services, FRIDAY)[18].due_percent is None


# -- reminders --------------------------------------------------------------------------------
def milestone_items(services: Services, day: date) -> list[dict[str, object]]:
    return [
        r.to_json() | {"key": r.key}
        for r in planned(services, day, include_unreachable=True)
        if r.kind == "milestone"
    ]


def test_milestones_are_reminded_to_the_lead_before_and_chased_after(services: Services) -> None:
    task = services.store.plan.task(24)
    assert task is not None and task.leads == ("区文明办",) and "区发改局" in task.supporters
    june, december = Milestone(date(2021, 6, 30), "出台方案"), Milestone(date(2021, 12, 31), "完成")
    with_milestones(services, 24, june, december)
    (item,) = milestone_items(services, date(2021, 6, 29))  # 1 day before: the lead only
    assert item == {
        "task": 24,
        "unit": "区文明办",
        "role": "lead",
        "kind": "milestone",
        "due": "2021-06-30",
        "contacts": [],
        "text": "出台方案",
        "key": "rem:24:区文明办:milestone:2021-06-30:1",
    }
    (chase,) = milestone_items(services, date(2021, 7, 1))
    assert chase["key"] == "rem:24:区文明办:milestone:2021-06-30:overdue:1"
    assert milestone_items(services, date(2021, 7, 2)) == []  # every 3 workdays
    # the last step is the deadline: its own reminders cover it, not a milestone's
    assert all(i["due"] != "2021-12-31" for i in milestone_items(services, date(2021, 12, 30)))
    # other reminders keep their keys and shape (no "text")
    other = [r.to_json() for r in planned(services, date(2021, 6, 29), include_unreachable=True)]
    assert all("text" not in r for r in other if r["kind"] != "milestone")


def test_a_milestone_reported_done_or_a_pending_claim_is_not_chased(services: Services) -> None:
    june = Milestone(date(2021, 6, 30), "出台方案")
    with_milestones(services, 24, june, Milestone(date(2021, 12, 31), "完成"))
    assert milestone_items(services, date(2021, 7, 1))
    mark_done(services, 24, "区文明办", date(2021, 7, 1), june, by=2003)
    assert milestone_items(services, date(2021, 7, 1)) == []
    mark_done(services, 24, "区文明办", date(2021, 7, 1), by=2003)  # the mark taken back
    services.store.parts.update_state(
        24, "区文明办", at=at("2021-07-01 08:00"), actor=2003, status="done", claim="pending"
    )
    assert milestone_items(services, date(2021, 7, 1)) == []


# -- the scorecard ----------------------------------------------------------------------------
def row(services: Services, unit: str, day: date) -> scorecard.UnitScore:
    return next(r for r in scorecard.scorecard(services, day).rows if r.unit == unit)


def test_a_missed_or_late_milestone_is_a_late_item_in_the_on_time_rate(
    services: Services,
) -> None:
    day, unit = date(2021, 7, 9), "区文明办"
    before, supporter = row(services, unit, day), row(services, "团区委", day)
    june = Milestone(date(2021, 6, 30), "出台方案")
    with_milestones(services, 24, june, Milestone(date(2021, 12, 31), "完成"))
    missed = row(services, unit, day)
    assert (missed.due, missed.on_time_done) == (before.due + 1, before.on_time_done)
    mark_done(services, 24, unit, date(2021, 7, 2), june, by=2003)  # done, but late
    late = row(services, unit, day)
    assert (late.due, late.on_time_done) == (before.due + 1, before.on_time_done)
    mark_done(services, 24, unit, date(2021, 6, 29), june, by=2003)  # done by its day
    on_time = row(services, unit, day)
    assert (on_time.due, on_time.on_time_done) == (before.due + 1, before.on_time_done + 1)
    assert row(services, "团区委", day).due == supporter.due  # a supporter owes no milestone


# -- the preview ------------------------------------------------------------------------------
def test_preview_reminders_json_gives_a_milestones_due_and_text(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"  # the coordinators' own unit leads: reached through them
    plan.write_text(
        "year: 2021\n"
        "tasks:\n"
        "- id: 1\n"
        "  text: 完善信用制度建设。\n"
        "  deadline: 2021年12月底前\n"
        "  leads: [区发改局]\n"
        "  milestones:\n"
        "  - {due: 2021-06-30, text: 出台实施方案}\n"
        "  - {due: 2021-12-31, text: 全面完成}\n",
        encoding="utf-8",
    )
    env = {"DUBAN_COORDINATORS": "1001", "DUBAN_CLOCK_START": "2021-06-01T09:00:00+08:00"}
    assert cli("import", str(plan), **env)[0] == 0
    code, out, _ = cli("preview", "reminders", "--date", "2021-06-29", "--json", **env)
    assert code == 0
    assert json.loads(out) == [
        {
            "task": 1,
            "unit": "区发改局",
            "role": "lead",
            "kind": "milestone",
            "due": "2021-06-30",
            "contacts": [1001],
            "text": "出台实施方案",
            "plan": "A",
        }
    ]
    code, out, _ = cli("preview", "reminders", "--date", "2021-07-01", **env)
    assert "milestone" in out and "2021-06-30" in out and "出台实施方案" in out
