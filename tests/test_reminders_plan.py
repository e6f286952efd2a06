"""The reminder planner on the 2021 calendar, and its properties under hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.planner import plan_all, plan_reminders, units_without_contacts
from bot.domain.policy import Policy, PolicyError, load_policy, policy_for, policy_from_mapping
from bot.domain.units import Directory
from bot.plan.model import Deadline, Task

CAL = WorkCalendar()
UNITS = Directory.load()
POLICY = Policy()
COORD = 9001
SUMMARY = -100500


def task(
    tid: int,
    kind: str = "once",
    due: date | None = None,
    day: int | None = None,
    leads: tuple[str, ...] = ("区发改局",),
    supporters: tuple[str, ...] = (),
) -> Task:
    return Task(
        id=tid,
        category_no=1,
        category="测试",
        title=f"任务{tid}",
        text="",
        deadline=Deadline(kind=kind, text="", due=due, day=day),  # type: ignore[arg-type]
        leads=leads,
        supporters=supporters,
    )


def contacts_for(*names: str) -> list[dict[str, Any]]:
    return [{"user_id": 100 + i, "unit": n, "active": True} for i, n in enumerate(names)]


def part(
    task: int, unit: str, *, role: str = "lead", status: str = "todo", **fields: Any
) -> dict[str, Any]:
    """A unit's state row of a task (todo, as a lead, unless told)."""
    return {"task": task, "unit": unit, "role": role, "status": status, **fields}


def plan(tasks, day, states=(), contacts=None, **kw):  # type: ignore[no-untyped-def]
    contacts = contacts if contacts is not None else contacts_for(*(u.name for u in UNITS.units))
    return plan_reminders(
        tasks,
        list(states),
        contacts,
        CAL,
        kw.pop("policy", POLICY),
        day,
        units=UNITS,
        coordinators=[COORD],
        summary_chat=SUMMARY,
        **kw,
    )


def days(start: date, end: date):  # type: ignore[no-untyped-def]
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def schedule(tasks, start, end, states=(), **kw):  # type: ignore[no-untyped-def]
    """{day: [(task, unit, kind)]} over a date range."""
    out = {}
    for d in days(start, end):
        found = plan(tasks, d, states, **kw)
        if found:
            out[d] = [(r.task, r.unit, r.kind) for r in found]
    return out


def test_bundled_policy_is_the_default() -> None:
    assert load_policy() == Policy()


def test_policy_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="once.lead_days"):
        policy_from_mapping({"once": {"lead_days": [1]}})
    with pytest.raises(ValueError, match="every_workdays"):
        policy_from_mapping({"overdue": {"every_workdays": "3"}})
    assert policy_from_mapping({"once": {"lead_days_before": [1, 5]}}).once.lead_days_before == (
        5,
        1,
    )


def test_dragon_boat_exact_days() -> None:
    t = task(1, due=date(2021, 6, 14), leads=("区发改局",), supporters=("区民政局",))
    got = schedule([t], date(2021, 6, 1), date(2021, 6, 14))
    # 7 days before = Mon 7th; 3 days before = Fri 11th; 1 day before = Sun 13th → Fri 11th.
    assert got == {
        date(2021, 6, 7): [(1, "区发改局", "upcoming"), (1, "区民政局", "upcoming")],
        date(2021, 6, 11): [(1, "区发改局", "due"), (1, "区民政局", "upcoming")],
    }
    (due_day,) = [r for r in plan([t], date(2021, 6, 11)) if r.kind == "due"]
    assert due_day.workdays_left == 0
    assert due_day.key == "rem:1:区发改局:due:2021-06-14"


def test_national_day_and_working_saturday() -> None:
    # Due Tue 2021-10-05 (国庆): due day, 1 and 3 days before all move to Thu 30 Sep.
    t = task(2, due=date(2021, 10, 5))
    got = schedule([t], date(2021, 9, 20), date(2021, 10, 20))
    assert got[date(2021, 9, 28)] == [(2, "区发改局", "upcoming")]
    assert got[date(2021, 9, 30)] == [(2, "区发改局", "due")]
    # overdue: first workday after (Fri 8 Oct), then every 3 workdays; Sat 9 Oct is workday 2
    overdue = [d for d, rs in got.items() if any(k == "overdue" for _, _, k in rs)]
    assert overdue[:3] == [date(2021, 10, 8), date(2021, 10, 12), date(2021, 10, 15)]
    (esc,) = [d for d, rs in got.items() if any(k == "escalation" for _, _, k in rs)]
    assert esc == date(2021, 10, 13)  # 8, 9 (Sat), 11, 12, 13


def test_mid_autumn_overdue_counts_working_saturday_and_sunday() -> None:
    t = task(3, due=date(2021, 9, 17))
    got = schedule([t], date(2021, 9, 18), date(2021, 9, 30))
    assert got[date(2021, 9, 18)] == [(3, "区发改局", "overdue")]  # working Saturday
    assert date(2021, 9, 20) not in got and date(2021, 9, 21) not in got  # 中秋
    assert got[date(2021, 9, 24)] == [(3, "区发改局", "overdue")]
    assert got[date(2021, 9, 26)] == [(3, "区发改局", "escalation")]  # working Sunday
    (esc,) = plan([t], date(2021, 9, 26))
    assert esc.role == "coordinator"
    assert esc.contacts == (SUMMARY, COORD)
    assert esc.workdays_overdue == 5


def test_nothing_on_non_workdays() -> None:
    t = task(1, due=date(2021, 6, 13))
    assert plan([t], date(2021, 6, 12)) == []
    assert plan([t], date(2021, 10, 1)) == []


def test_monthly_every_unit_and_nil_return() -> None:
    t = task(1, "monthly", day=8, leads=("区发改局",), supporters=("区级有关部门",))
    departments = {u.name for u in UNITS.expand("区级有关部门")}
    before = plan([t], date(2021, 6, 3))  # 8 Jun is a Tuesday; 3 workdays before = Thu 3rd
    assert {r.unit for r in before} == departments | {"区发改局"}
    assert {r.kind for r in before} == {"monthly"}
    assert {r.unit for r in plan([t], date(2021, 6, 8))} == departments | {"区发改局"}
    states = [part(1, "区民政局", role="supporter", reported=["2021-06"])]
    assert "区民政局" not in {r.unit for r in plan([t], date(2021, 6, 8), states)}
    assert "区民政局" not in {r.unit for r in plan([t], date(2021, 6, 9), states)}
    late = plan([t], date(2021, 6, 9), states)
    assert {r.kind for r in late} == {"overdue"} and late[0].period == "2021-06"
    # July is a new period: the nil return for June does not cover it
    assert "区民政局" in {r.unit for r in plan([t], date(2021, 7, 8), states)}


def test_monthly_day_on_a_holiday_goes_to_the_workday_before() -> None:
    t = task(1, "monthly", day=1)
    got = schedule([t], date(2021, 9, 24), date(2021, 9, 30))
    # 1 Oct is 国庆: the on-day reminder of October's period is Thu 30 Sep
    assert got[date(2021, 9, 30)] == [(1, "区发改局", "monthly")]
    (r,) = plan([t], date(2021, 9, 30))
    assert r.period == "2021-10" and r.due == date(2021, 10, 1)


def test_ongoing_first_workday_only_stale_leads() -> None:
    t = task(16, "ongoing", leads=("区发改局",), supporters=("区民政局",))
    fresh = [{"task": 16, "unit": "区发改局", "role": "lead", "updated_at": "2021-06-20T10:00:00"}]
    stale = [{"task": 16, "unit": "区发改局", "role": "lead", "updated_at": "2021-05-20T10:00:00"}]
    assert plan([t], date(2021, 7, 1), fresh) == []
    (r,) = plan([t], date(2021, 7, 1), stale)
    assert (r.unit, r.kind, r.due, r.key) == (
        "区发改局",
        "ongoing",
        None,
        "rem:16:区发改局:ongoing:2021-07",
    )
    assert plan([t], date(2021, 7, 2), stale) == []
    # October's first workday is the 8th
    assert [r.kind for r in plan([t], date(2021, 10, 8), stale)] == ["ongoing"]


def test_ongoing_silence_counts_from_the_import_not_from_before_it() -> None:
    """A plan imported on 30 June: its 持续推进 leads are not "30 天未更新" on 1 July."""
    t = task(16, "ongoing", leads=("区发改局",))
    never = [part(16, "区发改局")]  # imported, nothing reported yet
    assert plan([t], date(2021, 7, 1), never, since=date(2021, 6, 30)) == []
    # a month of silence after the import is: on the next month's first workday (2 August)
    (r,) = plan([t], date(2021, 8, 2), never, since=date(2021, 6, 30))
    assert (r.kind, r.key) == ("ongoing", "rem:16:区发改局:ongoing:2021-08")
    # a store that does not know its import day keeps asking, as before
    assert [r.kind for r in plan([t], date(2021, 7, 1), never)] == ["ongoing"]


def test_done_closed_snoozed_and_uncontacted_get_nothing() -> None:
    t = task(1, due=date(2021, 6, 30), leads=("区发改局", "区民政局", "区委编办"))
    states = [
        part(1, "区发改局", status="done"),
        part(1, "区民政局", status="doing", snoozed_until="2021-07-05"),
        part(1, "区委编办"),
    ]
    contacts = contacts_for("区发改局", "区民政局")
    assert plan([t], date(2021, 6, 30), states, contacts) == []
    assert plan([t], date(2021, 6, 30), contacts=contacts, closed={1}) == []
    # the snooze ends on the 5th: from then on the unit is chased again
    assert [r.unit for r in plan([t], date(2021, 7, 6), states, contacts)] == ["区民政局"]
    # escalations go to the coordinators, whether or not the unit has a contact
    escalated = plan([t], date(2021, 7, 7), states, contacts)
    assert [(r.unit, r.kind) for r in escalated] == [
        ("区民政局", "escalation"),
        ("区委编办", "escalation"),
    ]
    missing = units_without_contacts([t], states, contacts, units=UNITS)
    assert missing == {"区委编办": [1]}
    every = plan_all([t], states, contacts, CAL, POLICY, date(2021, 6, 30), units=UNITS)
    assert [(r.unit, r.contacts) for r in every] == [("区委编办", ())]


def test_a_snooze_over_the_escalation_day_does_not_hide_the_unit_from_the_coordinators() -> None:
    # Found in a month's rehearsal: 招宝山街道 snoozed #6 (due 30 June) until 12 July, and
    # the escalation of 7 July, which comes on that day only, left it out for good.
    t = task(6, due=date(2021, 6, 30), leads=("区法院",), supporters=("招宝山街道",))
    states = [
        part(6, "区法院"),
        part(6, "招宝山街道", role="supporter", snoozed_until="2021-07-12"),
    ]
    contacts = contacts_for("区法院", "招宝山街道")
    # the unit itself hears nothing while snoozed …
    assert [r.unit for r in plan([t], date(2021, 7, 1), states, contacts)] == ["区法院"]
    # … but the coordinators' escalation names it
    escalated = plan([t], date(2021, 7, 7), states, contacts)
    assert [(r.unit, r.kind, r.contacts) for r in escalated] == [
        ("区法院", "escalation", (SUMMARY, COORD)),
        ("招宝山街道", "escalation", (SUMMARY, COORD)),
    ]
    # after the snooze the unit is chased again on the usual cadence
    assert [(r.unit, r.kind) for r in plan([t], date(2021, 7, 14), states, contacts)] == [
        ("区法院", "overdue"),
        ("招宝山街道", "overdue"),
    ]


def test_unreachable_contacts_do_not_count() -> None:
    t = task(1, due=date(2021, 6, 30), leads=("区司法局",))
    contacts = [{"user_id": 5, "unit": "区司法局", "reachable": False}]
    assert plan([t], date(2021, 6, 30), contacts=contacts) == []


def test_the_coordinator_units_parts_go_to_the_coordinators() -> None:
    t = task(1, due=date(2021, 6, 30))  # 区发改局, the directory's coordinator unit
    (r,) = plan([t], date(2021, 6, 30), contacts=[])
    assert r.contacts == (COORD,)
    assert units_without_contacts([t], [], [], units=UNITS, coordinators=[COORD]) == {}


def test_missed_escalation_is_made_on_the_next_sweep_once() -> None:
    t = task(1, due=date(2021, 6, 30), leads=("区司法局",))
    contacts = contacts_for("区司法局")
    # 7 July is the fifth workday overdue: the bot was down that day
    late = date(2021, 7, 8)
    assert [r.kind for r in plan([t], late, contacts=contacts)] == []  # no ledger: no catch-up
    found = plan([t], late, contacts=contacts, escalated=set())
    (esc,) = [r for r in found if r.kind == "escalation"]
    assert esc.late_catch_up and esc.key == "esc:1:区司法局:2021-06-30"
    # once made, it is in the ledger: not again
    again = plan([t], date(2021, 7, 9), contacts=contacts, escalated={esc.key})
    assert [r for r in again if r.kind == "escalation"] == []
    # never for an escalation day before the plan was imported
    imported = plan([t], late, contacts=contacts, escalated=set(), since=date(2021, 7, 8))
    assert [r for r in imported if r.kind == "escalation"] == []


def test_second_tier_goes_to_the_inspection_chat_only_when_set() -> None:
    t = task(1, due=date(2021, 6, 30), leads=("区司法局",))
    contacts = contacts_for("区司法局")
    tenth = CAL.add_workdays(date(2021, 6, 30), 10)
    assert not [r for r in plan([t], tenth, contacts=contacts) if r.kind == "escalation2"]
    (r,) = [
        r
        for r in plan([t], tenth, contacts=contacts, inspection_chat=-777)
        if r.kind == "escalation2"
    ]
    assert (r.contacts, r.workdays_overdue, r.key) == ((-777,), 10, "esc2:1:区司法局:2021-06-30")


def test_extension_replaces_the_due_date() -> None:
    t = task(1, due=date(2021, 6, 30))
    states = [{"task": 1, "unit": "区发改局", "role": "lead", "due_override": "2021-07-15"}]
    assert [r.kind for r in plan([t], date(2021, 7, 1), states)] == []
    (r,) = plan([t], date(2021, 7, 15), states)
    assert (r.kind, r.due) == ("due", date(2021, 7, 15))


def test_pending_claim_is_not_chased() -> None:
    t = task(1, due=date(2021, 6, 30))
    states = [{"task": 1, "unit": "区发改局", "role": "lead", "claim": "pending"}]
    assert plan([t], date(2021, 7, 1), states) == []


def test_preview_shape() -> None:
    t = task(20, due=date(2021, 6, 30))
    (r,) = plan([t], date(2021, 6, 30))
    assert r.to_json() == {
        "task": 20,
        "unit": "区发改局",
        "role": "lead",
        "kind": "due",
        "due": "2021-06-30",
        "contacts": [100, COORD],  # 区发改局 is the coordinator unit: the coordinators too
    }


# --- properties ----------------------------------------------------------------------------

UNIT_NAMES = ["区发改局", "区民政局", "区委编办", "区市场监管局", "区农业农村局"]
START = date(2021, 5, 1)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Task], list[dict[str, Any]], date]:
    n = draw(st.integers(1, 4))
    tasks, states = [], []
    for tid in range(1, n + 1):
        kind = draw(st.sampled_from(["once", "once", "monthly", "ongoing"]))
        due = START + timedelta(days=draw(st.integers(0, 200))) if kind == "once" else None
        day = draw(st.integers(1, 28)) if kind == "monthly" else None
        leads = tuple(
            draw(st.lists(st.sampled_from(UNIT_NAMES), min_size=1, max_size=2, unique=True))
        )
        sups = tuple(
            u
            for u in draw(st.lists(st.sampled_from(UNIT_NAMES), max_size=2, unique=True))
            if u not in leads
        )
        tasks.append(task(tid, kind, due, day, leads, sups))
        for unit in leads + sups:
            snooze = draw(st.none() | st.integers(0, 200))
            states.append(
                {
                    "task": tid,
                    "unit": unit,
                    "role": "lead" if unit in leads else "supporter",
                    "status": draw(st.sampled_from(["todo", "doing", "done", "blocked"])),
                    "snoozed_until": (START + timedelta(days=snooze)).isoformat()
                    if snooze is not None
                    else None,
                    "reported": draw(
                        st.lists(
                            st.sampled_from(["2021-05", "2021-06", "2021-07", "2021-08"]),
                            max_size=2,
                        )
                    ),
                    "updated_at": None,
                }
            )
    start = START + timedelta(days=draw(st.integers(0, 120)))
    return tasks, states, start


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_planner_properties(scenario: tuple[list[Task], list[dict[str, Any]], date]) -> None:
    tasks, states, start = scenario
    by_key = {(s["task"], s["unit"]): s for s in states}
    contacts = contacts_for(*UNIT_NAMES)
    seen: dict[str, date] = {}
    overdue_steps: dict[tuple[int, str, str], list[int]] = {}
    escalations: dict[tuple[int, str], int] = {}
    for d in days(start, start + timedelta(days=75)):
        found = plan(tasks, d, states, contacts)
        if not CAL.is_workday(d):
            assert found == []
            continue
        for r in found:
            assert r.key not in seen, f"{r.key} on {seen.get(r.key)} and {d}"
            seen[r.key] = d
            state = by_key[(r.task, r.unit)]
            assert state["status"] != "done"
            if state["snoozed_until"] and r.kind != "escalation":
                assert d >= date.fromisoformat(state["snoozed_until"])
            if r.period:
                assert r.period not in state["reported"]
            if r.kind == "overdue":
                overdue_steps.setdefault((r.task, r.unit, str(r.due)), []).append(
                    r.workdays_overdue or 0
                )
                assert CAL.workdays_between(r.due, d) == r.workdays_overdue
            if r.kind == "escalation":
                escalations[(r.task, r.unit)] = escalations.get((r.task, r.unit), 0) + 1
                assert r.workdays_overdue == 5 and r.contacts == (SUMMARY, COORD)
    for steps in overdue_steps.values():
        assert all((s - 1) % 3 == 0 for s in steps)
    tasks_by_id = {t.id: t for t in tasks}
    for (tid, _), count in escalations.items():
        if tasks_by_id[tid].deadline.kind == "once":
            assert count == 1


def test_data_dir_policy_is_read_over_the_bundled_one(tmp_path: Path) -> None:
    assert policy_for(tmp_path) == load_policy()
    (tmp_path / "policy.yaml").write_text("once:\n  lead_days_before: [2]\n", encoding="utf-8")
    policy = policy_for(tmp_path)
    assert policy.once.lead_days_before == (2,)
    assert policy.once.supporter_days_before == POLICY.once.supporter_days_before
    assert policy.overdue == POLICY.overdue
    (tmp_path / "policy.yaml").write_text("overdue: [1]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="policy.yaml: overdue: expected a mapping"):
        policy_for(tmp_path)
