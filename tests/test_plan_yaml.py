"""The YAML form: readable, hand-editable, and loads back to the same tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.plan import BUNDLED_PLAN, dump_plan, load_plan, load_yaml
from bot.plan.model import Deadline, Plan, Task


def test_round_trip_of_the_seed(tmp_path: Path) -> None:
    plan = load_plan(BUNDLED_PLAN)
    text = dump_plan(plan)
    assert "区发改局" in text and "\\u" not in text  # Chinese as is
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_plan(path)
    assert again.problems == []
    assert again.year == 2021
    assert again.tasks == plan.tasks


def test_readable_deadlines_as_text() -> None:
    data = yaml.safe_load(dump_plan(load_plan(BUNDLED_PLAN)))
    by_id = {t["id"]: t for t in data["tasks"]}
    assert by_id[1]["deadline"] == "每月8日前将新出台的与信用相关的制度报送区发改局"
    assert by_id[18]["deadline"] == "2021年6月"
    assert by_id[18]["leads"] == ["区司法局", "区市场监管局"]


def test_explicit_deadline_mapping_round_trips() -> None:
    task = Task(
        id=3,
        category_no=1,
        category="组",
        title="甲",
        text="甲。乙。",
        deadline=Deadline(kind="once", text="", due=date(2021, 12, 31)),
        leads=("区发改局",),
    )
    plan = Plan(tasks=[task], year=2021)
    again = load_yaml(dump_plan(plan))
    assert again.problems == [] and again.tasks == [task]


def test_hand_edit_strings_are_parsed() -> None:
    plan = load_yaml(
        "year: 2021\n"
        "tasks:\n"
        "- id: 1\n"
        "  text: 完善信用制度。更多内容。\n"
        "  deadline: 6月底前\n"
        "  leads: 区发改局、区大数据中心\n"
        "  supporters: [各镇(街道)]\n"
    )
    assert plan.problems == []
    (task,) = plan.tasks
    assert task.title == "完善信用制度"
    assert task.deadline.due is not None and task.deadline.due.isoformat() == "2021-06-30"
    assert task.leads == ("区发改局", "区大数据中心")
    assert task.line == 3


def test_yaml_problems_point_into_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(
        "year: 2021\n"
        "tasks:\n"
        "- id: 1\n"
        "  text: 甲。\n"
        "  deadline: 尽快\n"
        "  leads: [区发改局]\n"
        "- id: 1\n"
        "  text: 乙。\n"
        "  deadline: 持续推进\n"
        "  leads: [区发改局]\n"
        "- id: 2\n"
        "  text: 丙。\n"
        "  deadline: 持续推进\n"
        "  leads: []\n"
        "  colour: red\n",
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert [(p.line, p.severity, p.message) for p in plan.problems] == [
        (5, "error", "任务 1 的时限要求无法识别：“尽快”"),
        (7, "error", "任务序号 1 重复（第 3 行已有任务 1）"),
        (14, "error", "任务 2 缺少牵头单位"),
        (15, "warning", "未知字段“colour”"),
    ]


def test_broken_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("tasks:\n- id: 1\n  text: [unclosed\n", encoding="utf-8")
    plan = load_plan(path)
    assert plan.tasks == []
    (problem,) = plan.problems
    assert problem.message.startswith("YAML 格式错误")
    assert problem.line >= 3
