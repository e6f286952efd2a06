"""Plans read by their structure (issue 21): tables whatever carried them, headers over two rows
or broken over lines, person columns, prose role lines, the document's own rules, heading levels.

Each case is a small document in one of the layouts published plans come in; the facts are the
same two or three tasks every time, so a case fails only where its layout is not read.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.plan import parse_text
from bot.plan.model import Plan

TITLE = "2023年区重点工作任务分解表"

# (title, leads, supporters, due) of the two tasks most cases hold
TASKS = [
    ("完善信用制度建设", ("区发改局",), ("区财政局", "区民政局"), date(2023, 6, 30)),
    ("推进政务诚信建设", ("区政务办",), ("区司法局",), date(2023, 12, 31)),
]


def _facts(plan: Plan) -> list[tuple[str, tuple[str, ...], tuple[str, ...], date | None]]:
    return [(t.title, t.leads, t.supporters, t.deadline.due) for t in plan.tasks]


def _one_cell_per_line(bar: str, header: list[str]) -> str:
    cells = [*header]
    for n, (title, leads, sups, due) in enumerate(TASKS, start=1):
        cells += [
            str(n),
            title,
            "、".join(leads),
            "、".join(sups),
            f"{due.year}年{due.month}月底前",
        ]
    if bar == "own line":
        return TITLE + "\n" + "".join(f"{c}\n|\n" for c in cells)
    return TITLE + "\n" + "".join(f"{c} |\n" for c in cells)


HEADER = ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]

LAYOUTS = {
    "cells one per line, `|` on lines of their own": _one_cell_per_line("own line", HEADER),
    "cells one per line ending in `|`": _one_cell_per_line("same line", HEADER),
    "header words broken over lines, no `|`": TITLE
    + "\n序号\n重点任务\n牵头\n单位\n配合\n单位\n完成\n时限\n"
    + "1\n完善信用制度建设\n区发改局\n区财政局、区民政局\n2023年6月底前\n"
    + "2\n推进政务诚信建设\n区政务办\n区司法局\n2023年12月底前\n",
    "a line break inside a cell of a Markdown table": TITLE
    + "\n| 序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限 |\n"
    + "| 1 | 完善信用制度\n建设 | 区发改局 | 区财政局、区民政局 | 2023年6月底前 |\n"
    + "| 2 | 推进政务诚信建设 | 区政务办 | 区司法局 | 2023年12月底前 |\n",
    "a line break inside a cell of a `|` table without outer pipes": TITLE
    + "\n序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限\n"
    + "1 | 完善信用制度\n建设 | 区发改局 | 区财政局、区民政局 | 2023年6月底前\n"
    + "2 | 推进政务诚信建设 | 区政务办 | 区司法局 | 2023年12月底前\n",
    "header over two rows, category rows": TITLE
    + "\n| 序号 | 重点任务 | 责任单位 | | 完成时限 |\n"
    + "| | | 牵头单位 | 配合单位 | |\n"
    + "| 一、优化营商环境 | | | | |\n"
    + "| 1 | 完善信用制度建设 | 区发改局 | 区财政局、区民政局 | 2023年6月底前 |\n"
    + "| 2 | 推进政务诚信建设 | 区政务办 | 区司法局 | 2023年12月底前 |\n",
    "cells one per line, category rows between the rows": TITLE
    + "\n序号\n重点任务\n牵头单位\n配合单位\n完成时限\n一、优化营商环境\n"
    + "1\n完善信用制度建设\n区发改局\n区财政局、区民政局\n2023年6月底前\n"
    + "二、加强政务诚信\n"
    + "2\n推进政务诚信建设\n区政务办\n区司法局\n2023年12月底前\n",
    "tabs, units separated by spaces, a person column": TITLE
    + "\n序号\t重点任务\t牵头单位\t配合单位\t完成时限\t分管领导\n"
    + "1\t完善信用制度建设\t区发改局\t区财政局 区民政局\t2023年6月底前\t王五\n"
    + "2\t推进政务诚信建设\t区政务办\t区司法局\t2023年12月底前\t赵六\n",
    "department words, a leader column, year columns under a banner": "2023年重点工作分解表\n"
    + "| 序号 | 重点工作 | 年度目标 | | 责任科室 | 协助单位 | 完成时限 | 责任领导 |\n"
    + "| | | 2023年 | 2024年 | | | | |\n"
    + "| 1 | 完善信用制度建设 | 出台办法 | 完善 | 区发改局 | 区财政局、区民政局 | 2023年6月底前 | 张三 |\n"
    + "| 2 | 推进政务诚信建设 | 启动 | 完成 | 区政务办 | 区司法局 | 2023年12月底前 | 李四 |\n",
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_reads_the_same_tasks(layout: str) -> None:
    plan = parse_text(LAYOUTS[layout])
    assert plan.errors == []
    assert _facts(plan) == TASKS


def test_a_labelled_role_line_under_each_measure() -> None:
    plan = parse_text(
        "关于印发某市2022年优化营商环境工作要点的通知\n"
        "一、优化政务服务\n"
        "（一）推进一网通办。全面推进政务服务一网通办，2022年6月底前完成。\n"
        "部门分工：市政务办牵头，各地、各部门配合。\n"
        "（二）压减审批时限。三年内将审批时限压减一半。\n"
        "部门分工：市发改委、市住建局牵头，各地、各部门配合。\n"
        "二、加强监管\n"
        "（三）推进信用监管。5年内建成信用监管体系。\n"
        "部门分工：市市场监管局牵头，市发改委配合。\n"
    )
    assert plan.errors == []
    t1, t2, t3 = plan.tasks
    assert (t1.leads, t1.supporters) == (("市政务办",), ("各地", "各部门"))
    assert t2.leads == ("市发改委", "市住建局")
    assert (t3.leads, t3.supporters) == (("市市场监管局",), ("市发改委",))
    assert [(t.category_no, t.category) for t in plan.tasks] == [
        (1, "优化政务服务"),
        (1, "优化政务服务"),
        (2, "加强监管"),
    ]
    # `三年内`, `5年内` in the measure: counted from the document's year, that year included
    assert t2.deadline.due == date(2024, 12, 31)
    assert t3.deadline.due == date(2026, 12, 31)


def test_numbered_measures_ending_in_a_units_note_with_a_document_rule() -> None:
    plan = parse_text(
        "某省“十四五”现代流通体系建设实施方案\n2022年10月18日\n"
        "一、深化现代流通市场化改革\n"
        "（一）加强市场体系建设。推进高标准市场体系建设。〔责任单位：省发展改革委、"
        "省市场监管局按职责分工负责。具体任务均涉及相关市(州)人民政府，不再做分工，下同。〕\n"
        "（二）优化市场准入环境。实施“证照分离”改革全覆盖。〔责任单位：省市场监管局〕\n"
        "二、完善流通设施\n"
        "（三）建设物流枢纽。〔责任单位：省发展改革委牵头，交通运输厅配合〕\n"
    )
    assert plan.errors == []
    assert [(t.id, t.title) for t in plan.tasks] == [
        (1, "加强市场体系建设"),
        (2, "优化市场准入环境"),
        (3, "建设物流枢纽"),
    ]
    t1, t2, t3 = plan.tasks
    assert (t1.leads, t1.supporters) == (("省发展改革委", "省市场监管局"), ())
    assert t2.leads == ("省市场监管局",)
    assert (t3.leads, t3.supporters) == (("省发展改革委",), ("交通运输厅",))
    assert [t.category for t in plan.tasks] == ["深化现代流通市场化改革"] * 2 + ["完善流通设施"]


def test_sub_headings_group_only_when_the_top_level_does_not_split_the_tasks() -> None:
    both = (
        "2021年工作要点\n一、总体要求\n二、重点任务\n"
        "（一）健全信用制度体系\n1.完善信用制度。（区发改局负责）\n"
        "（二）加强政务诚信建设\n2.建立政务诚信档案。（区政务办负责）\n"
    )
    assert [t.category for t in parse_text(both).tasks] == ["健全信用制度体系", "加强政务诚信建设"]
    mixed = (
        "2021年工作要点\n一、健全信用制度\n（一）制度\n1.完善信用制度。（区发改局负责）\n"
        "（二）规范\n2.建立信用规范。（区市场监管局负责）\n"
        "二、加强政务诚信\n（一）机构\n3.建立政务诚信档案。（区政务办负责）\n"
    )
    groups = [(t.category_no, t.category) for t in parse_text(mixed).tasks]
    assert groups == [(1, "健全信用制度"), (1, "健全信用制度"), (2, "加强政务诚信")]


@pytest.mark.parametrize(
    "cell,units",
    [
        ("区发改局 区财政局 区民政局", ["区发改局", "区财政局", "区民政局"]),
        ("区财政局、区民政局按职责分工负责", ["区财政局", "区民政局"]),
        ("区财政局、各街道（功能区）〕", ["区财政局", "各街道（功能区）"]),
        ("区财政局）", ["区财政局"]),
        ("区发改局配合", ["区发改局"]),
    ],
)
def test_unit_lists_without_verbs_brackets_or_spaces_left_on_names(
    cell: str, units: list[str]
) -> None:
    from bot.plan import split_units

    assert split_units(cell) == units


def test_check_and_show_name_what_is_uncertain_task_by_task() -> None:
    from bot.plan import check_loaded, describe_task, plan_doubts, suggester

    plan = parse_text(
        "2021年工作要点\n一、某组\n"
        "1.完善信用制度。（张三牵头，区财政局配合，2021年6月底前完成）\n"
        "2.建立诚信档案。（区政务办牵头，按上级要求）\n"
    )
    assert plan_doubts(plan) == ["第 1 项：“张三”像是人名，不是单位", "第 2 项：时限未能识别"]
    warnings = [p.message for p in check_loaded(plan, suggester(["区财政局", "区政务办", "张三"]))]
    assert "任务 1：“张三”像是人名，不是单位" in warnings
    assert describe_task(plan.tasks[0]).endswith("待核对：“张三”像是人名，不是单位")


def test_the_documents_rule_first_leads_except_where_each_leads() -> None:
    plan = parse_text(
        "2023年重点工作责任分解\n一、主要目标\n"
        "1.生产总值增长6%。\n责任单位：市发改委、市经信局（除标注“分别牵头”外，列第一位为牵头单位，下同）\n"
        "2.居民收入增长。\n责任单位：市人力社保局、市农业农村局分别牵头\n"
        "3.招商引资。\n责任单位：市商务局、市发改委，各县(市、区)政府\n"
    )
    assert [(t.leads, t.supporters) for t in plan.tasks] == [
        (("市发改委",), ("市经信局",)),
        (("市人力社保局", "市农业农村局"), ()),
        (("市商务局",), ("市发改委", "各县(市、区)政府")),
    ]


def test_the_one_column_no_header_word_claims_holds_the_measure() -> None:
    plan = parse_text(
        "2022年预期目标任务分解表\n\n序号\n\n2022年预期目标\n\n责任单位\n\n"
        "1\n\n地区生产总值增长5.5%左右\n\n区发展改革委\n\n2\n\n固定资产投资增长6%左右\n\n区财政局\n"
    )
    assert [(t.title, t.leads) for t in plan.tasks] == [
        ("地区生产总值增长5.5%左右", ("区发展改革委",)),
        ("固定资产投资增长6%左右", ("区财政局",)),
    ]


def test_a_row_under_a_number_merged_down_is_its_own_task_with_the_same_units() -> None:
    plan = parse_text(
        "2023年民生实事进展情况\n"
        "序号 | 工作任务 | 责任单位 | 一季度目标 |\n"
        "1 | 新改扩建公办中小学校1所 | 教体局 | 室内安装 |\n"
        "新增学位810个 | |||\n"
        "2 | 新建公园2个 | 住建局 | 开工 |\n"
    )
    assert [(t.title, t.leads) for t in plan.tasks] == [
        ("新改扩建公办中小学校1所", ("教体局",)),
        ("新增学位810个", ("教体局",)),
        ("新建公园2个", ("住建局",)),
    ]
    assert plan.errors == []


def test_roles_in_the_measures_last_sentence_without_a_bracket() -> None:
    plan = parse_text(
        "2022年工作要点\n一、某组\n"
        "1.完善信用制度。健全信用制度规范。区发改局牵头，区财政局、各镇（街道）配合，2022年6月底前完成。\n"
        "2.建立诚信档案。区政务办负责。\n"
    )
    t1, t2 = plan.tasks
    assert t1.text == "完善信用制度。健全信用制度规范。"
    assert (t1.leads, t1.supporters) == (("区发改局",), ("区财政局", "各镇（街道）"))
    assert t1.deadline.due == date(2022, 6, 30)
    assert (t2.text, t2.leads) == ("建立诚信档案。", ("区政务办",))


def test_category_rows_between_one_cell_per_line_rows_are_groups() -> None:
    plan = parse_text(LAYOUTS["cells one per line, category rows between the rows"])
    assert [(t.category_no, t.category) for t in plan.tasks] == [
        (1, "优化营商环境"),
        (2, "加强政务诚信"),
    ]
