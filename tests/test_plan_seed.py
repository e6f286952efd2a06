"""The bundled Zhenhai 2021 plan: all 25 measures, field by field."""

from __future__ import annotations

from datetime import date

import pytest

from bot.plan import BUNDLED_PLAN, check_plan, load_plan
from bot.plan.model import Plan, Task

CATEGORIES = {
    1: "健全信用制度体系",
    2: "加强政务诚信建设",
    3: "规范构建联合奖惩机制",
    4: "加强信用分级分类监管",
    5: "加强区域金融风险防范",
    6: "全面推行告知承诺制",
    7: "强化信贷服务支持实体经济",
    8: "探索开展“综合执法+信用”",
    9: "加强诚信文化建设",
}

# id: (category_no, leads, supporters)
UNITS: dict[int, tuple[int, list[str], list[str]]] = {
    1: (1, ["区发改局"], ["区级有关部门"]),
    2: (1, ["区发改局"], ["区级有关部门"]),
    3: (1, ["区发改局"], ["区级有关部门"]),
    4: (1, ["区发改局", "区大数据中心"], ["具行政许可、行政处罚职能的部门"]),
    5: (1, ["区发改局"], ["区市场监管局", "区民政局", "区委编办", "区农业农村局", "区总工会"]),
    6: (2, ["区法院"], ["区发改局", "区委编办", "区民政局", "各镇(街道)", "园区"]),
    7: (2, ["区委组织部"], ["区发改局"]),
    8: (2, ["区财政局", "区国资中心"], ["区发改局"]),
    9: (2, ["区经信局"], ["区国资中心", "区财政局"]),
    10: (
        3,
        ["区发改局"],
        [
            "区政务办",
            "区财政局",
            "区建设交通局",
            "区农业农村局",
            "区综合执法局",
            "区自然资源规划分局",
            "区经信局",
            "区市场监管局",
            "区商务局",
            "区委组织部",
            "区文明办",
        ],
    ),
    11: (3, ["区发改局"], ["区市场监管局", "区建设交通局", "区综合执法局", "区法院"]),
    12: (
        3,
        ["区发改局"],
        [
            "区财政局",
            "区政务办",
            "区建设交通局",
            "区农业农村局",
            "区自然资源规划分局",
            "区金融发展服务中心",
        ],
    ),
    13: (4, ["区发改局"], ["区各行业主管部门"]),
    14: (
        4,
        ["区发改局"],
        [
            "区经信局",
            "区教育局",
            "区科技局",
            "区公安分局",
            "区民政局",
            "区财政局",
            "区人力社保局",
            "区自然资源规划分局",
            "区生态环境分局",
            "区建设交通局",
            "区农业农村局",
            "区商务局",
            "区文广旅体局",
            "区卫生健康局",
            "区应急管理局",
            "区市场监管局",
            "区金融发展服务中心",
            "区医保局",
            "区人防办",
            "区综合执法局",
            "区法院",
            "区税务局",
        ],
    ),
    15: (5, ["区金融发展服务中心"], ["区农业农村局", "区发改局"]),
    16: (5, ["区金融发展服务中心"], ["区司法局"]),
    17: (5, ["区金融发展服务中心"], []),
    18: (
        6,
        ["区司法局", "区市场监管局"],
        ["区发改局", "区公安分局", "区人力社保局", "区民政局", "区卫生健康局", "区政务办"],
    ),
    19: (
        6,
        ["区发改局"],
        [
            "区司法局",
            "区市场监管局",
            "区公安分局",
            "区人力社保局",
            "区民政局",
            "区卫生健康局",
            "区政务办",
            "区商务局",
            "区应急管理局",
            "区文广旅体局",
            "区大数据中心",
        ],
    ),
    20: (7, ["区商务局"], ["区建设交通局", "区各镇(街道)"]),
    21: (
        7,
        ["区金融发展服务中心"],
        [
            "区经信局",
            "区商务局",
            "区人力社保局",
            "区税务局",
            "区建设交通局",
            "区市场监管局",
            "区各镇(街道)",
        ],
    ),
    22: (7, ["区金融发展服务中心"], []),
    23: (
        8,
        ["区发改局"],
        [
            "区综合执法局",
            "区市场监管局",
            "区建设交通局",
            "区农业农村局",
            "区文广旅体局",
            "区生态环境分局",
            "区法院",
            "区公安分局",
        ],
    ),
    24: (9, ["区文明办"], ["区发改局", "区文广旅体局", "区教育局", "团区委", "各镇(街道)"]),
    25: (
        9,
        ["区文明办"],
        [
            "区发改局",
            "区委网信办",
            "区公安分局",
            "区教育局",
            "区市场监管局",
            "区建设交通局",
            "区人力社保局",
            "区法院",
            "区金融发展服务中心",
            "区生态环境分局",
        ],
    ),
}

JUNE = ("once", date(2021, 6, 30), None, "2021年6月")
ONGOING = ("ongoing", None, None, "持续推进")
# id: (kind, due, day, text as written)
DEADLINES = {n: JUNE for n in range(1, 26)} | {
    1: ("monthly", None, 8, "每月8日前将新出台的与信用相关的制度报送区发改局"),
    16: ONGOING,
    17: ONGOING,
    20: ("once", date(2021, 5, 31), None, "2021年5月"),
    23: ("once", date(2021, 12, 31), None, "2021年12月"),
    24: ("once", date(2021, 10, 31), None, "2021年10月"),
    25: ONGOING,
}

TITLES = {
    1: "完善信用制度建设",
    5: "做好统一社会信用代码赋码",
    14: "大力推进信用分级分类监管",
    17: "防范重大区域金融风险",
    18: "全面推行信用承诺制",
    20: "在依法依规获得企业授权前提下,采集企业的仓储物流信息,并将信息共享至国家“信易贷”平台",
    23: "深化场景应用",
    24: "持续推进“诚信建设万里行”宣传活动",
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(BUNDLED_PLAN)


def test_all_25_tasks_in_order_without_problems(plan: Plan) -> None:
    assert [t.id for t in plan.tasks] == list(range(1, 26))
    assert plan.problems == []
    assert plan.year == 2021


def test_check_of_bundled_plan_is_clean() -> None:
    assert check_plan(BUNDLED_PLAN) == []


@pytest.mark.parametrize("task_id", range(1, 26))
def test_units_and_category(plan: Plan, task_id: int) -> None:
    task = plan.task(task_id)
    assert task is not None
    category_no, leads, supporters = UNITS[task_id]
    assert task.category_no == category_no
    assert task.category == CATEGORIES[category_no]
    assert list(task.leads) == leads
    assert list(task.supporters) == supporters


@pytest.mark.parametrize("task_id", range(1, 26))
def test_deadline(plan: Plan, task_id: int) -> None:
    task = plan.task(task_id)
    assert task is not None
    kind, due, day, text = DEADLINES[task_id]
    assert (task.deadline.kind, task.deadline.due, task.deadline.day) == (kind, due, day)
    assert task.deadline.text == text


def test_monthly_action(plan: Plan) -> None:
    task = plan.task(1)
    assert task is not None
    assert task.deadline.action == "将新出台的与信用相关的制度报送区发改局"


@pytest.mark.parametrize(("task_id", "title"), TITLES.items())
def test_titles(plan: Plan, task_id: int, title: str) -> None:
    task = plan.task(task_id)
    assert task is not None and task.title == title


def test_text_is_whole_measure_without_number(plan: Plan) -> None:
    by_id = {t.id: t for t in plan.tasks}
    assert by_id[14].text.startswith("大力推进信用分级分类监管。建立行业信用评价体系")
    assert by_id[23].text.startswith("深化场景应用。进一步深化“6+2”")
    assert by_id[23].text.endswith("打造具有镇海辨识度的“综合执法+信用”应用体系。")
    assert by_id[18].text.endswith("法律服务等方面推行告知承诺制。")
    assert "(国办发〔2020〕42号)" in by_id[18].text
    for task in plan.tasks:
        assert not task.text[:1].isdigit()
        assert task.text.startswith(task.title)


def test_source_lines(plan: Plan) -> None:
    lines = BUNDLED_PLAN.read_text(encoding="utf-8").splitlines()
    assert [t.line for t in plan.tasks] == list(range(33, 58))
    for task in plan.tasks:
        assert task.title in lines[task.line - 1]


def test_json_shape(plan: Plan) -> None:
    task = plan.task(18)
    assert task is not None
    assert task.to_json() == {
        "id": 18,
        "category_no": 6,
        "category": "全面推行告知承诺制",
        "title": "全面推行信用承诺制",
        "text": task.text,
        "deadline": {"kind": "once", "due": "2021-06-30", "day": None, "text": "2021年6月"},
        "leads": ["区司法局", "区市场监管局"],
        "supporters": UNITS[18][2],
        "milestones": [],
    }


def test_record_round_trip(plan: Plan) -> None:
    for task in plan.tasks:
        assert Task.from_record(task.to_record()) == task
