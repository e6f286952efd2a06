"""Layouts no sample has: group rows merged across, a header in two rows on a second sheet,
`一是`/`（1）` numbering, a 责任单位 column whose header states the rule."""

from __future__ import annotations

import datetime
from pathlib import Path

from docx import Document
from openpyxl import Workbook

from bot.plan import describe_task, load_plan


def _read(path: Path) -> list[str]:
    plan = load_plan(path)
    assert plan.problems == []
    return [describe_task(t) for t in plan.tasks]


def test_group_rows_merged_across_a_word_table(tmp_path: Path) -> None:
    path = tmp_path / "g1.docx"
    d = Document()
    d.add_paragraph("XX市2022年优化营商环境攻坚行动任务清单")
    t = d.add_table(rows=6, cols=5)
    rows = [
        ("序号", "工作任务", "牵头单位", "配合单位", "完成时限"),
        ("一、提升开办便利度",) * 5,
        ("1", "压缩企业开办时间至1个工作日", "市市场监管局", "市公安局、市税务局", "2022年6月底前"),
        ("2", "推行电子营业执照", "市市场监管局", "各区、县级市", "三季度"),
        ("二、优化纳税服务",) * 5,
        ("1", "推广非接触式办税", "市税务局", "", "长期坚持"),
    ]
    for r, vals in zip(t.rows, rows, strict=True):
        for c, v in zip(r.cells, vals, strict=True):
            c.text = v
    for i in (1, 4):
        m = t.cell(i, 0).merge(t.cell(i, 4))
        m.text = rows[i][0]
    d.save(str(path))
    assert _read(path) == [
        "#1 [提升开办便利度] 压缩企业开办时间至1个工作日 | 牵头：市市场监管局 | 配合：市公安局、市税务局 | 2022-06-30（2022年6月底前）",
        "#2 [提升开办便利度] 推行电子营业执照 | 牵头：市市场监管局 | 配合：各区、县级市 | 2022-09-30（三季度）",
        "#3 [优化纳税服务] 推广非接触式办税 | 牵头：市税务局 | 持续（长期坚持）",
    ]


def test_a_two_row_header_on_a_second_sheet(tmp_path: Path) -> None:
    path = tmp_path / "g2.xlsx"
    b = Workbook()
    b.active.title = "说明"
    b.active.append(["本表说明"])
    s = b.create_sheet("任务表")
    s.append(["附件"])
    s.append(["2023年重点任务分解表"])
    s.append([])
    s.append(["序号", "重点工作", "责任单位", None, "完成时间"])
    s.append([None, None, "牵头单位", "配合单位", None])
    s.merge_cells("C4:D4")
    s.merge_cells("A4:A5")
    s.merge_cells("B4:B5")
    s.merge_cells("E4:E5")
    s.append([1, "建设数据平台", "区大数据局", "区财政局", datetime.datetime(2023, 9, 30)])
    s.append([])
    s.append([2.0, "开展培训", "区人社局", "各街道、区级相关部门", "每季度"])
    b.save(str(path))
    assert _read(path) == [
        "#1 建设数据平台 | 牵头：区大数据局 | 配合：区财政局 | 2023-09-30（2023年9月30日）",
        "#2 开展培训 | 牵头：区人社局 | 配合：各街道、区级相关部门 | 每季度（每季度）",
    ]


def test_yi_shi_and_bracket_numbers(tmp_path: Path) -> None:
    path = tmp_path / "g3.txt"
    txt = """某区2024年工作要点
    一、抓好项目建设
    一是加快重大项目开工。（区发改局牵头，各镇（街道）配合，二季度）
    二是强化要素保障。（区自然资源局、区财政局分别牵头，年底前）
    二、优化服务
    （1）推进帮办代办。（区政务办负责，持续推进）
    """
    Path(str(path)).write_text(txt)
    assert _read(path) == [
        "#1 [抓好项目建设] 加快重大项目开工 | 牵头：区发改局 | 配合：各镇（街道） | 2024-06-30（二季度）",
        "#2 [抓好项目建设] 强化要素保障 | 牵头：区自然资源局、区财政局 | 2024-12-31（年底前）",
        "#3 [优化服务] 推进帮办代办 | 牵头：区政务办 | 持续（持续推进）",
    ]


def test_a_rule_in_the_header_of_a_pipe_table(tmp_path: Path) -> None:
    path = tmp_path / "g4.txt"
    txt = """2021年度工作任务分解
    序号 | 主要任务 | 具体措施 | 责任单位（排名第一的为牵头单位） | 完成时限
    1 | 加强监管 | 开展双随机抽查 | 县市场监管局、县农业农村局 | 2021年11月底前
    2 | 加强监管 | 建立信用档案 | 县发改局 | 每月
    3 | 强化宣传 | 开展宣传月活动 | 县委宣传部、县文明办 | 6月
    """
    Path(str(path)).write_text(txt)
    assert _read(path) == [
        "#1 [加强监管] 开展双随机抽查 | 牵头：县市场监管局 | 配合：县农业农村局 | 2021-11-30（2021年11月底前）",
        "#2 [加强监管] 建立信用档案 | 牵头：县发改局 | 每月（每月）",
        "#3 [强化宣传] 开展宣传月活动 | 牵头：县委宣传部 | 配合：县文明办 | 2021-06-30（6月）",
    ]
