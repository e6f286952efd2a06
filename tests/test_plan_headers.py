"""The header matcher: every synonym the issue lists, in any order, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.headers import header_columns

NUMBERS = ["序号", "编号"]
MEASURES = ["重点任务", "主要任务", "工作任务", "任务", "事项", "重点工作", "工作内容",
            "具体措施", "工作举措", "任务内容", "目标任务"]  # fmt: skip
LEADS = ["牵头单位", "牵头部门", "主责单位"]
RESPONSIBLE = ["责任单位", "责任部门", "负责单位", "负责部门"]
SUPPORTERS = ["配合单位", "协办单位", "参与单位", "配合部门", "协同单位"]
DEADLINES = ["时限要求", "完成时限", "完成时间", "时间节点", "时间安排", "进度安排"]
GROUPS = ["分类", "类别", "领域", "板块"]


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("deadline", DEADLINES)
def test_every_measure_and_deadline_synonym(measure: str, deadline: str) -> None:
    cols = header_columns(["序号", measure, "牵头单位", "配合单位", deadline])
    assert cols == {"number": 0, "measure": 1, "leads": 2, "supporters": 3, "deadline": 4}


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("supporter", SUPPORTERS)
def test_every_unit_synonym(lead: str, supporter: str) -> None:
    cols = header_columns(["工作任务", lead, supporter])
    assert cols == {"measure": 0, "leads": 1, "supporters": 2}


@pytest.mark.parametrize("group", GROUPS)
def test_group_columns(group: str) -> None:
    cols = header_columns([group, "序号", "具体措施", "责任单位", "完成时限"])
    assert cols == {"group": 0, "number": 1, "measure": 2, "responsible": 3, "deadline": 4}


def test_a_task_column_beside_a_measure_column_is_the_group() -> None:
    cols = header_columns(["重点任务", "具体措施", "时限要求", "牵头单位", "配合单位"])
    assert cols is not None and (cols["group"], cols["measure"]) == (0, 1)


def test_notes_and_spaces_in_header_cells() -> None:
    cols = header_columns(["序  号", "工作任务", "责任单位（列第一位的为牵头单位）", "完成时限"])
    assert cols == {"number": 0, "measure": 1, "responsible": 2, "deadline": 3}


@pytest.mark.parametrize(
    "row",
    [
        ["姓名", "电话"],
        ["序号", "具体措施"],  # nobody responsible
        ["1", "完善信用制度建设。贯彻落实党中央、国务院关于社会信用体系建设的决策部署", "区发改局"],
        [],
    ],
)
def test_rows_that_are_no_header(row: list[str]) -> None:
    assert header_columns(row) is None


FIELDS = {
    "number": NUMBERS,
    "measure": [m for m in MEASURES if m not in ("重点任务", "主要任务", "工作任务", "任务",
                                                   "事项", "重点工作", "目标任务")],
    "leads": LEADS,
    "supporters": SUPPORTERS,
    "deadline": DEADLINES,
}  # fmt: skip


@settings(deadline=None, max_examples=200)
@given(st.permutations(list(FIELDS)), st.data())
def test_columns_are_found_in_any_order(order: list[str], data: st.DataObject) -> None:
    row = [data.draw(st.sampled_from(FIELDS[key])) for key in order]
    assert header_columns(row) == {key: i for i, key in enumerate(order)}


@settings(deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), st.none(), st.integers()), max_size=12))
def test_never_raises(row: list[object]) -> None:
    cols = header_columns(row)
    if cols is not None:
        assert "measure" in cols and all(0 <= i < len(row) for i in cols.values())
        assert len(set(cols.values())) == len(cols)
