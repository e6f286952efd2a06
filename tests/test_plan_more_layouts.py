"""General layouts the second batch of real plans showed (each test names the pattern)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.plan import load_plan


def _load(tmp_path: Path, text: str):
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_flat_table_without_bars_multi_line_unit_cell_and_a_merged_second_item(
    tmp_path: Path,
) -> None:
    """One cell per line, no `|`: units on several lines; a second item after the deadline."""
    plan = _load(
        tmp_path,
        "2016年民生实事目标任务分解表\n\n序号\n\n民生实事\n\n责任单位\n\n完成时限\n\n"
        "1\n\n启动城区河道综合治理工程。\n\n县水务局\n\n县住建局\n\n12月底前\n\n"
        "2\n\n开工建设县老年养护楼。\n\n县民政局\n\n5月底前动工\n\n开工建设老年大学。\n\n12月底前\n\n"
        "3\n\n新建2座人行天桥。\n\n县住建局\n\n9月投入使用\n",
    )
    got = [(t.title, t.leads, t.deadline.due) for t in plan.tasks]
    assert got == [
        ("启动城区河道综合治理工程", ("县水务局", "县住建局"), dt.date(2016, 12, 31)),
        ("开工建设县老年养护楼", ("县民政局",), dt.date(2016, 5, 31)),
        ("开工建设老年大学", ("县民政局",), dt.date(2016, 12, 31)),
        ("新建2座人行天桥", ("县住建局",), dt.date(2016, 9, 30)),
    ]


def test_flat_table_header_starts_at_its_number_column(tmp_path: Path) -> None:
    """Short lines before `序号` (signature, date, attachment caption) are not header cells."""
    plan = _load(
        tmp_path,
        "县人民政府办公室\n\n2016年2月26日\n\n附件\n\n2016年民生实事目标任务分解表\n\n"
        "序号\n\n民生实事\n\n责任单位\n\n完成时限\n\n1\n\n完成棚户区改造2836户。\n\n县住建局\n\n12月底前\n",
    )
    assert [(t.title, t.leads) for t in plan.tasks] == [("完成棚户区改造2836户", ("县住建局",))]


def test_rule_first_listed_is_the_work_lead(tmp_path: Path) -> None:
    """`（列第一位的为工作牵头单位或汇总单位，下同）`: the first unit leads, the rest support."""
    plan = _load(
        tmp_path,
        "2024年重点工作责任分解\n一、市长主抓重点工作\n1.全面提高政府自身建设水平。\n"
        "责任单位:市政府办公室、市财政局(列第一位的为工作牵头单位或汇总单位,下同)\n"
        "2.深入开展招商行动。\n责任单位:市商务局、市发展改革委\n",
    )
    assert [(t.leads, t.supporters) for t in plan.tasks] == [
        (("市政府办公室",), ("市财政局",)),
        (("市商务局",), ("市发展改革委",)),
    ]


def test_labels_lead_and_cooperating_responsible_units(tmp_path: Path) -> None:
    """`牵头责任单位：` leads and `协同责任单位：` supports; `牵头负责领导：` is a person."""
    plan = _load(
        tmp_path,
        "2020年市政府重点工作及责任分解\n一、确保完成全年主要预期目标\n"
        "1. 地区生产总值增长8%以上。\n牵头负责领导:金力。\n牵头责任单位:市发展改革委。\n"
        "协同责任单位:市经信局、滁州经开区管委会等,各县、市、区政府。\n",
    )
    (task,) = plan.tasks
    assert task.leads == ("市发展改革委",)
    assert task.supporters == ("市经信局", "滁州经开区管委会", "各县、市、区政府")


def test_header_word_minsheng_shishi_names_the_task_column() -> None:
    from bot.plan.headers import header_columns

    cols = header_columns(["序号", "民生实事", "责任单位", "完成时限"])
    assert cols is not None and cols["measure"] == 1


def test_flat_table_with_bars_on_lines_of_their_own(tmp_path: Path) -> None:
    """`|` / `序号` / `|` / `工作任务` / `|` …: a bar between every cell, two where a row ends;
    the second bar is the row's edge, not an empty cell. `常态工作` is an ongoing duty."""
    cells = [
        ["序号", "工作任务", "负责部门", "时间进度"],
        ["1", "完善城市工作机制", "市住建局,各县(区)政府", "2016 年底前"],
        ["2", "加强设施运行监管", "市城管局、市环保局", "常态工作"],
    ]
    text = "".join("|\n" + "".join(f"{c}\n|\n" for c in row) for row in cells)
    plan = _load(tmp_path, text)
    got = [(t.title, t.leads, t.deadline.kind, t.deadline.due) for t in plan.tasks]
    assert got == [
        ("完善城市工作机制", ("市住建局", "各县(区)政府"), "once", dt.date(2016, 12, 31)),
        ("加强设施运行监管", ("市城管局", "市环保局"), "ongoing", None),
    ]


def test_table_whose_cells_a_copy_joined_with_spaces(tmp_path: Path) -> None:
    """A web table copied as text: cells split by single spaces, a row per line."""
    plan = _load(
        tmp_path,
        "2018年河长制主要任务分解表\n"
        "序号 类别 主要任务 牵头单位 参与单位\n"
        "1 加强水资源保护 严守用水总量红线 市水利局 市发展改革委、农业局等\n"
        "2 加强水污染防治 开展入河排污口整治 市环保局 市水利局\n",
    )
    got = [(t.title, t.leads, t.supporters, t.category) for t in plan.tasks]
    assert got == [
        ("严守用水总量红线", ("市水利局",), ("市发展改革委", "农业局"), "加强水资源保护"),
        ("开展入河排污口整治", ("市环保局",), ("市水利局",), "加强水污染防治"),
    ]


def test_progress_table_on_one_line_half_year_and_a_progress_column(tmp_path: Path) -> None:
    """All rows on one line; `工作进展情况` reports on the work and is never the task;
    `2022上半年` names the plan's year."""
    plan = _load(
        tmp_path,
        "2022上半年重点工作进展情况统计表\n"
        "序号 承担的重点工作 完成状态 工作进展情况 牵头责任单位 一、完成全年主要预期目标 "
        "1 全市生产总值增长6%。 序时推进 逐月召开经济运行分析调度会,安排部署重点工作。 市发展改革委 "
        "2 进出口总额增长5%以上。 序时推进 累计实现进出口总额9亿美元。 市商务局\n",
    )
    got = [(t.title, t.leads, t.category, t.deadline.due) for t in plan.tasks]
    assert got == [
        ("全市生产总值增长6%", ("市发展改革委",), "完成全年主要预期目标", dt.date(2022, 12, 31)),
        ("进出口总额增长5%以上", ("市商务局",), "完成全年主要预期目标", dt.date(2022, 12, 31)),
    ]
