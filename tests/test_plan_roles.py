"""Who leads and who supports, in every way the issue lists; group phrases stay whole."""

from __future__ import annotations

import pytest

from bot.plan import parse_text
from bot.plan.roles import parse_roles, role_rule
from bot.plan.unitlist import is_group_phrase, split_units


@pytest.mark.parametrize(
    ("text", "leads", "supporters"),
    [
        ("区发改局牵头，区财政局、区民政局配合", ["区发改局"], ["区财政局", "区民政局"]),
        ("牵头单位：区发改局；配合单位：区财政局", ["区发改局"], ["区财政局"]),
        ("区法院负责", ["区法院"], []),
        ("区发改局、区司法局分别牵头", ["区发改局", "区司法局"], []),
        (
            "区发改局、区司法局共同牵头，各镇（街道）配合",
            ["区发改局", "区司法局"],
            ["各镇（街道）"],
        ),
        ("区发改局牵头、区财政局配合", ["区发改局"], ["区财政局"]),
        ("主责单位：县商务局 协办单位：县市场监管局", ["县商务局"], ["县市场监管局"]),
    ],
)
def test_role_forms(text: str, leads: list[str], supporters: list[str]) -> None:
    roles = parse_roles(text)
    assert roles.resolved() == (leads, supporters)


@pytest.mark.parametrize(
    "text",
    [
        "责任单位中列第一位的为牵头单位",
        "（第一责任单位为牵头单位，下同）",
        "排名第一的单位为牵头单位",
        "注：责任单位排在首位的为牵头单位。",
    ],
)
def test_the_documents_first_leads_rule(text: str) -> None:
    assert role_rule(text) == "first_leads"


def test_without_a_rule_every_listed_unit_leads() -> None:
    assert role_rule("各单位要高度重视，按时完成。") == "all_lead"
    roles = parse_roles("责任单位：市发改委、市财政局")
    assert roles.resolved("all_lead") == (["市发改委", "市财政局"], [])
    assert roles.resolved("first_leads") == (["市发改委"], ["市财政局"])


def test_a_rule_anywhere_in_a_lines_document() -> None:
    plan = parse_text(
        "2023年要点（各项任务责任单位中列第一位的为牵头单位）\n"
        "一、优化服务\n"
        "（一）推行一网通办。\n"
        "责任单位：区政务办、区大数据局（除标注外，下同）、区发改局\n"
        "时限要求：持续推进\n"
    )
    (task,) = plan.tasks
    assert (task.leads, task.supporters) == (("区政务办",), ("区大数据局", "区发改局"))
    assert task.category == "优化服务" and task.deadline.kind == "ongoing"


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("各区、县级市", ["各区、县级市"]),
        ("市发改委、各县（市、区）", ["市发改委", "各县（市、区）"]),
        ("各乡镇（街道）、市直有关单位", ["各乡镇（街道）", "市直有关单位"]),
        ("各镇（街道）、各有关部门", ["各镇（街道）", "各有关部门"]),
        ("县直有关部门、县财政局", ["县直有关部门", "县财政局"]),
        ("区发改局（除标注…外，下同）、区财政局", ["区发改局", "区财政局"]),
        ("区国资委等", ["区国资委"]),
        ("区发改局\n区财政局", ["区发改局", "区财政局"]),
    ],
)
def test_group_phrases_and_notes(text: str, units: list[str]) -> None:
    assert split_units(text) == units


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("各镇（街道）", True),
        ("市直有关单位", True),
        ("区级相关部门", True),
        ("具行政许可、行政处罚职能的部门", True),
        ("区发改局", False),
        ("澥浦镇", False),
    ],
)
def test_is_group_phrase(name: str, group: bool) -> None:
    assert is_group_phrase(name) is group
