"""Plans side by side in one store: a new file is a new plan, a same-titled one revises its
plan, refs carry the plan's code once several are active, and an older store opens as plan A."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import bot
from bot.domain.clock import SHANGHAI
from bot.plan import load_plan
from bot.plan.model import Plan
from bot.plan.refs import Ref, find_ref, parse_ref, task_ref
from bot.plan.title import plan_title, short_title
from bot.store import Store
from bot.store.backup import check_backup
from bot.store.plans import PlanError
from bot.store.records import PartStatus
from tests.test_store import _task

SEED = bot.DATA / "zhenhai-2021-credit-plan.txt"
AT = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)
LATER = datetime(2022, 2, 1, 9, 0, tzinfo=SHANGHAI)


def _plan(title: str, titles: list[str], year: int = 2022, source: str = "plan.docx") -> Plan:
    tasks = [_task(i, t, due="2022-06-30") for i, t in enumerate(titles, 1)]
    return Plan(tasks=tasks, year=year, title=title, source=source)


TITLES_2022 = ["建设信用平台", "开展诚信宣传", "推行信用承诺", "完善红黑名单"]


@pytest.fixture
def seeded(tmp_path: Path) -> Store:
    store = Store(tmp_path / "data")
    store.plan.import_plan(load_plan(SEED), at=AT)
    return store


def test_the_seed_states_its_title() -> None:
    plan = load_plan(SEED)
    assert plan.title.startswith("镇海区2021年度社会信用体系建设工作要点")
    assert not plan.titled_by_name
    assert plan_title("索 引 号:\n关于印发《某区2022年重点任务分工方案》的通知\n") == (
        "某区2022年重点任务分工方案"
    )
    assert short_title("镇海区2021年度社会信用体系建设工作要点") == "镇海区2021年度社会信用…"


def test_a_new_file_is_a_new_plan_and_touches_nothing_of_the_first(seeded: Store) -> None:
    store = seeded
    store.parts.update_state(18, "区司法局", at=AT, actor=7, status=PartStatus.DOING, percent=60)
    before = store.history.events(task=18)
    assert task_ref(18) == "#18"  # one plan: refs as before
    place = store.plan.placement(_plan("2022年信用建设工作要点", TITLES_2022))
    assert (place.revises, place.sure) == (False, True)
    result = store.plan.import_plan(
        _plan("2022年信用建设工作要点", TITLES_2022), at=LATER, into="new"
    )
    assert result.plan is not None and result.plan.code == "B"
    assert result.archived == [] and result.changed == []
    keys = result.added
    assert len(keys) == 4 and not set(keys) & {t.id for t in store.plan.tasks(plan=1)}
    # plan A: 25 tasks, #18 still at 60% with its history, nothing archived
    assert len(store.plan.tasks(plan=1)) == 25
    state = store.parts.state(18, "区司法局")
    assert state is not None and state["percent"] == 60
    assert store.history.events(task=18) == before
    # refs carry the code now; numbers are per plan
    b1 = store.plan.task(keys[0])
    assert b1 is not None and (b1.number, b1.plan) == (1, result.plan.slot)
    assert task_ref(18) == "#A18" and task_ref(keys[0]) == "#B1"
    assert store.plan.find(None, 1) == [1, keys[0]]
    assert store.plan.find("b", 1) == [keys[0]]
    assert [p.code for p in store.plans.active()] == ["A", "B"]


def test_the_same_title_revises_its_plan(seeded: Store) -> None:
    store = seeded
    store.plan.import_plan(_plan("2022年信用建设工作要点", TITLES_2022), at=LATER, into="new")
    revised = _plan("2022年 信用建设工作要点", [*TITLES_2022[:3], "健全信用修复"])
    place = store.plan.placement(revised)
    assert place.revises and place.sure and place.target is not None
    assert place.target.code == "B"
    result = store.plan.import_plan(revised, at=LATER)  # auto: where placement says
    assert result.plan is not None and result.plan.code == "B"
    assert len(result.changed) == 1 and len(result.unchanged) == 3
    assert len(store.plan.tasks(plan=1)) == 25  # plan A untouched
    again = store.plan.import_plan(load_plan(SEED), at=LATER)
    assert again.plan is not None and again.plan.code == "A"
    assert again.added == again.changed == again.archived == []


def test_a_file_neither_clearly_new_nor_a_revision_is_unsure(seeded: Store) -> None:
    store = seeded
    seed = load_plan(SEED)
    retitled = Plan(tasks=seed.tasks, year=2022, title="2022年信用工作任务清单", source="x.docx")
    place = store.plan.placement(retitled)
    assert not place.sure and place.target is not None and place.target.code == "A"
    assert not place.revises  # another year: it would be a new plan
    assert "A" in place.why and "100%" in place.why


def test_a_closed_plan_is_read_but_not_followed(seeded: Store) -> None:
    store = seeded
    result = store.plan.import_plan(
        _plan("2022年信用建设工作要点", TITLES_2022), at=LATER, into="new"
    )
    store.plans.close("a", at=LATER, actor="cli")
    assert [t.plan for t in store.plan.tasks()] == [result.plan.slot] * 4  # type: ignore[union-attr]
    assert store.plan.task(18) is not None and not store.plan.is_followed(18)
    assert task_ref(18) == "#A18" and task_ref(result.added[0]) == "#1"
    assert store.plan.find(None, 18) == [] and store.plan.find(None, 18, include_closed=True) == [
        18
    ]
    with pytest.raises(PlanError) as refused:
        store.plans.close("A", at=LATER, actor="cli")
    assert refused.value.reason == "already_closed"
    with pytest.raises(PlanError) as refused:
        store.plans.close("Q", at=LATER, actor="cli")
    assert refused.value.reason == "unknown"
    store.plans.reopen("A", at=LATER, actor="cli")
    assert len(store.plan.tasks()) == 29 and task_ref(18) == "#A18"
    store.plans.rename("B", "XY", at=LATER, actor="cli")
    assert task_ref(result.added[0]) == "#XY1"
    kinds = [e["kind"] for e in store.history.events(kinds=["plan.closed", "plan.reopened"])]
    assert kinds == ["plan.closed", "plan.reopened"]


def test_the_assigned_list_cannot_be_closed(seeded: Store) -> None:
    store = seeded
    listed = store.plans.create(kind="assigned", title="", year=None, source="", at=LATER, actor=1)
    assert (listed.code, listed.title) == ("B", "交办事项")
    with pytest.raises(PlanError) as refused:
        store.plans.close("B", at=LATER, actor=1)
    assert refused.value.reason == "assigned"


def test_refs_as_people_type_them() -> None:
    assert parse_ref("#B18") == Ref("B", 18)
    assert parse_ref("b18") == Ref("B", 18)
    assert parse_ref("＃ 18") == Ref(None, 18)
    assert parse_ref("18") == Ref(None, 18)
    assert parse_ref("18a") is None and parse_ref("") is None and parse_ref(None) is None
    found = find_ref("材料见附件 #C3 第二批")
    assert found is not None and found[0] == Ref("C", 3)


def test_a_store_from_before_plans_opens_as_plan_a_after_a_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(data)
    store.plan.import_plan(load_plan(SEED), at=AT)
    store.parts.update_state(18, "区司法局", at=AT, actor=7, status=PartStatus.DOING, percent=60)
    store.close()
    # what the previous release wrote: no plans table, task records without plan and number
    store = Store(data)  # compacts the journal into the snapshot on close
    store.close()
    snap = json.loads((data / "duban.json").read_text(encoding="utf-8"))
    snap["tables"].pop("plans")
    for doc in snap["tables"]["tasks"].values():
        doc.pop("no"), doc.pop("plan")
    (data / "duban.json").write_text(json.dumps(snap, ensure_ascii=False), encoding="utf-8")
    (data / "duban.journal").write_bytes(b"")

    reader = Store(data, read_only=True)  # a reader serves it as plan A and writes nothing
    assert [p.code for p in reader.plans.all()] == ["A"]
    reader.close()
    assert not (data / "backups").exists()

    store = Store(data)
    plans = store.plans.all()
    assert [(p.code, p.slot, p.kind, p.year) for p in plans] == [("A", 1, "plan", 2021)]
    assert plans[0].title.startswith("镇海区2021年度")
    assert len(store.plan.tasks()) == 25 and task_ref(18) == "#18"
    state = store.parts.state(18, "区司法局")
    assert state is not None and state["percent"] == 60
    backups = list((data / "backups").glob("duban-*.tar.gz"))
    assert len(backups) == 1 and check_backup(backups[0])
    store.close()
    Store(data).close()  # opening again migrates nothing more
    assert len(list((data / "backups").glob("duban-*.tar.gz"))) == 1
