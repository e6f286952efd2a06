"""Numbered-line layouts: units in brackets, labelled lines, headings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.plan import load_plan, parse_text
from bot.plan.lines import parse_roles

SAMPLES = Path(__file__).parent / "samples"


def test_bracket_sample() -> None:
    plan = load_plan(SAMPLES / "bracket-lines.txt")
    assert plan.year == 2022
    assert [t.id for t in plan.tasks] == [1, 2, 3, 4, 5]
    t1, t2, t3, t4, t5 = plan.tasks
    assert (t1.category_no, t1.category, t1.line) == (1, "健全信用制度体系", 5)
    assert t1.title == "完善信用制度"
    assert t1.text == "完善信用制度。健全信用信息采集、披露、管理、评价、修复等信用制度规范。"
    assert t1.leads == ("区发改局",)
    assert t1.supporters == ("区财政局", "区级有关部门")
    assert (t1.deadline.kind, t1.deadline.due) == ("once", date(2022, 6, 30))
    assert t1.deadline.text == "2022年6月底前完成"
    # a measure wrapped over two lines; 责任单位 beside 牵头单位 are supporters
    assert t2.text.endswith("及时率均达到100%。") and "工作，实现" in t2.text
    assert t2.leads == ("区发改局",)
    assert t2.supporters == ("区大数据中心", "具行政许可、行政处罚职能的部门")
    assert (t2.deadline.kind, t2.deadline.text) == ("ongoing", "持续推进")
    # heading levels kept apart: the top level (二、) is the group, the （一） under it is not,
    # so no two groups share a number (issue 21)
    assert (t3.category_no, t3.category) == (2, "加强政务诚信建设")
    assert t3.leads == ("区法院",) and t3.supporters == ()
    assert t3.deadline.due == date(2022, 9, 30)
    assert t4.leads == ("区委组织部", "区人力社保局")
    assert (t4.deadline.kind, t4.deadline.day) == ("monthly", 10)
    assert t5.text == "开展诚信宣传教育。"
    assert t5.leads == ("区文明办",)
    assert t5.supporters == ("各镇（街道）", "区教育局", "团区委")
    assert t5.deadline.due == date(2022, 12, 31)


def test_numbered_prose_without_units_is_a_warning_not_a_task() -> None:
    plan = load_plan(SAMPLES / "bracket-lines.txt")
    assert plan.errors == []
    (warning,) = plan.problems
    assert warning.severity == "warning" and warning.line == 16
    assert "保障措施" in warning.message


def test_labelled_sample() -> None:
    plan = load_plan(SAMPLES / "labelled-lines.txt")
    assert plan.problems == []
    assert plan.year == 2022
    t1, t2, t3, t4 = plan.tasks
    assert [t.line for t in plan.tasks] == [4, 8, 13, 18]
    assert t1.text == "完善信用制度建设。贯彻落实社会信用体系建设的决策部署，并及时在网上公开。"
    assert (t1.leads, t1.supporters) == (("区发改局",), ("区级有关部门",))
    assert (t1.deadline.kind, t1.deadline.day) == ("monthly", 8)
    assert t1.deadline.action == "将新出台的与信用相关的制度报送区发改局"
    assert (t2.leads, t2.supporters) == (("区发改局",), ("区司法局", "区市场监管局"))
    assert t2.deadline.due == date(2022, 6, 30)
    assert (t3.category_no, t3.category) == (2, "加强政务诚信建设")  # the top level groups
    assert t3.supporters == ("区发改局", "区委编办", "各镇(街道)", "园区")
    assert t3.deadline.kind == "ongoing"
    assert (t4.deadline.kind, t4.deadline.day) == ("quarterly", 10)


def test_sub_headings_are_the_groups_when_there_is_no_first_level() -> None:
    plan = parse_text(
        "2021年工作要点\n"
        "（一）健全信用制度体系\n"
        "1.完善信用制度。（区发改局负责，2021年6月底前）\n"
        "（二）加强政务诚信建设\n"
        "2.建立机制。（区法院牵头，持续推进）\n"
    )
    assert plan.problems == []
    assert [(t.category_no, t.category) for t in plan.tasks] == [
        (1, "健全信用制度体系"),
        (2, "加强政务诚信建设"),
    ]


def test_missing_lead_is_an_error_and_an_unknown_deadline_a_warning() -> None:
    plan = parse_text(
        "2021年工作要点\n一、制度\n1.完善信用制度。（区发改局牵头，2021年6月底前）\n"
        "2.建立机制。（区法院配合，尽快完成）\n"
    )
    messages = [(p.line, p.severity, p.message) for p in plan.problems]
    assert messages == [
        (4, "error", "任务 2 缺少牵头单位"),
        (4, "warning", "任务 2 的时限要求无法识别：“尽快完成”，已按原文保留，未设日期"),
    ]


def test_label_with_no_task_is_reported() -> None:
    plan = parse_text("2021年\n牵头单位：区发改局\n1.任务。（区发改局牵头，持续推进）\n")
    assert [(p.line, p.message) for p in plan.errors] == [(2, "“牵头单位”不在任何编号任务之下")]


def test_roles_forms() -> None:
    roles = parse_roles("区发改局牵头，区财政局、区级有关部门配合，2022年6月底前完成")
    assert roles.resolved() == (["区发改局"], ["区财政局", "区级有关部门"])
    assert roles.deadline == "2022年6月底前完成"
    roles = parse_roles("牵头单位：X；责任单位：Y、Z，持续推进")
    assert roles.resolved() == (["X"], ["Y", "Z"]) and roles.deadline == "持续推进"
    assert parse_roles("区法院负责").resolved() == (["区法院"], [])
    # 责任单位 with nobody named 牵头: those responsible lead
    assert parse_roles("责任单位：区法院、区检察院").resolved() == (["区法院", "区检察院"], [])
    assert parse_roles("区司法局、区市场监管局牵头负责").resolved() == (
        ["区司法局", "区市场监管局"],
        [],
    )
    assert parse_roles("牵头单位:区发改局 配合单位:区财政局").resolved() == (
        ["区发改局"],
        ["区财政局"],
    )


def test_a_plain_bracket_stays_in_the_text() -> None:
    plan = parse_text(
        "2021年\n一、组\n1.落实《意见》（国办发〔2020〕42号）要求。（区司法局牵头，持续推进）\n"
    )
    (task,) = plan.tasks
    assert task.text == "落实《意见》（国办发〔2020〕42号）要求。"
    assert task.leads == ("区司法局",)
