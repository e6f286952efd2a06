"""Milestones (时间节点) a plan writes itself: dated steps in a deadline cell, target columns."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.plan import load_plan
from bot.plan.model import Plan
from bot.plan.steps import read_steps, split_steps
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.plan_writers import grid_docx, grid_text, grid_xlsx

TITLE = "2022年度重点工作任务分解表"
HEADER = ["序号", "工作任务", "完成时限", "牵头单位", "配合单位"]
STEPS = "2022年6月底前完成方案制定；9月底前完成试点；12月底前全面完成"


def _txt(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path = path / "plan.txt"
    path.write_text(grid_text(TITLE, rows), encoding="utf-8")
    return path


def _docx(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    grid_docx(path / "plan.docx", TITLE, rows)
    return path / "plan.docx"


def _xlsx(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    grid_xlsx(path / "plan.xlsx", TITLE, rows)
    return path / "plan.xlsx"


WRITERS: dict[str, Callable[[Path, Sequence[Sequence[str]]], Path]] = {
    "txt": _txt,
    "docx": _docx,
    "xlsx": _xlsx,
}


@pytest.fixture(params=sorted(WRITERS))
def write(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Plan]:
    def run(rows: Sequence[Sequence[str]]) -> Plan:
        return load_plan(WRITERS[request.param](tmp_path, rows))

    return run


def steps_of(plan: Plan, task_id: int) -> list[tuple[str, str]]:
    task = plan.task(task_id)
    assert task is not None
    return [(m.due.isoformat(), m.text) for m in task.milestones]


def test_dated_steps_in_a_deadline_cell_are_milestones(write: Callable[..., Plan]) -> None:
    plan = write(
        [
            HEADER,
            ["1", "推进信用分级分类监管", STEPS, "区发改局", "区市场监管局"],
            ["2", "开展诚信宣传", "2022年10月底前", "区文明办", ""],
        ]
    )
    assert steps_of(plan, 1) == [
        ("2022-06-30", "完成方案制定"),
        ("2022-09-30", "完成试点"),
        ("2022-12-31", "全面完成"),
    ]
    first = plan.task(1)
    assert first is not None and first.deadline.due == date(2022, 12, 31)
    assert first.deadline.text == STEPS  # kept as written
    assert steps_of(plan, 2) == []  # a plain single deadline makes no milestone
    assert not plan.problems


def test_a_step_without_a_year_takes_the_one_before_it_or_the_plans(
    write: Callable[..., Plan],
) -> None:
    plan = write(
        [
            HEADER,
            ["1", "建设平台", "11月底前完成招标；2023年3月底前上线；6月底前验收", "区大数据局", ""],
        ]
    )
    assert [due for due, _ in steps_of(plan, 1)] == ["2022-11-30", "2023-03-31", "2023-06-30"]
    task = plan.task(1)
    assert task is not None and task.deadline.due == date(2023, 6, 30)  # the last milestone


def test_a_cell_whose_steps_cannot_all_be_dated_is_kept_and_flagged(
    write: Callable[..., Plan],
) -> None:
    plan = write(
        [
            HEADER,
            ["1", "推进试点", "2022年6月底前完成方案；适时全面推开", "区发改局", ""],
            ["2", "推进改革", "2022年12月底前完成评估；6月底前出台办法", "区司法局", ""],
        ]
    )
    for task_id in (1, 2):
        task = plan.task(task_id)
        assert task is not None and task.milestones == ()
    first = plan.task(1)
    assert first is not None and first.deadline.text == "2022年6月底前完成方案；适时全面推开"
    assert first.deadline.due == date(2022, 6, 30)  # as the deadline read before milestones
    flagged = [p.message for p in plan.problems if "时间节点" in p.message]
    assert len(flagged) == 2 and all(p.severity == "warning" for p in plan.problems)
    assert "任务 1" in flagged[0] and "适时全面推开" in flagged[0]
    assert "任务 2" in flagged[1] and "早于上一步" in flagged[1]


def test_yearly_target_columns_are_milestones(write: Callable[..., Plan]) -> None:
    plan = write(
        [
            ["序号", "重点任务", "2018年度", "2019年度", "2020年度", "牵头单位"],
            ["1", "建设智慧社区", "建成10个", "建成20个", "建成30个", "区民政局"],
            ["2", "改造老旧小区", "完成规划", "", "全面完成", "区住建局"],
        ]
    )
    assert steps_of(plan, 1) == [
        ("2018-12-31", "建成10个"),
        ("2019-12-31", "建成20个"),
        ("2020-12-31", "建成30个"),
    ]
    assert steps_of(plan, 2) == [("2018-12-31", "完成规划"), ("2020-12-31", "全面完成")]
    task = plan.task(1)
    assert task is not None and task.deadline.due == date(2020, 12, 31)
    assert task.deadline.text == "2020年度"
    assert not plan.problems


def test_target_columns_under_a_banner_keep_the_deadline_cell(write: Callable[..., Plan]) -> None:
    plan = write(
        [
            ["序号", "重点工作", "年度目标", "年度目标", "责任单位", "完成时限"],
            ["序号", "重点工作", "2023年", "2024年", "责任单位", "完成时限"],  # merged cells copied
            ["1", "完善信用制度建设", "出台办法", "全面完善", "区发改局", "2024年12月底前"],
            ["2", "推进政务诚信建设", "启动", "完成", "区政务办", "2023年12月底前"],
        ]
    )
    assert steps_of(plan, 1) == [("2023-12-31", "出台办法"), ("2024-12-31", "全面完善")]
    second = plan.task(2)
    assert second is not None and second.deadline.due == date(2023, 12, 31)  # as written
    assert [p.message for p in plan.problems] == [
        "任务 2 的时间节点“2024-12-31 完成”晚于完成时限（2023-12-31）"
    ]


def test_quarterly_target_columns_take_the_plans_year(write: Callable[..., Plan]) -> None:
    plan = write(
        [
            ["序号", "重点任务", "一季度", "二季度", "三季度", "四季度", "责任单位"],
            ["1", "新增就业岗位", "500个", "1000个", "1500个", "2000个", "区人力社保局"],
        ]
    )
    assert [due for due, _ in steps_of(plan, 1)] == [
        "2022-03-31",
        "2022-06-30",
        "2022-09-30",
        "2022-12-31",
    ]
    assert steps_of(plan, 1)[0][1] == "500个"


def test_one_step_a_line_in_a_word_cell(tmp_path: Path) -> None:
    cell = "3月底前完成调研\n6月底前出台方案\n12月底前全面推开"
    plan = load_plan(_docx(tmp_path, [HEADER, ["1", "推进改革", cell, "区发改局", ""]]))
    assert steps_of(plan, 1) == [
        ("2022-03-31", "完成调研"),
        ("2022-06-30", "出台方案"),
        ("2022-12-31", "全面推开"),
    ]


def test_a_cell_wrapped_before_a_date_is_one_deadline(tmp_path: Path) -> None:
    plan = load_plan(
        _docx(tmp_path, [HEADER, ["1", "推进改革", "2022年\n6月底前", "区发改局", ""]])
    )
    task = plan.task(1)
    assert task is not None and task.milestones == () and task.deadline.due == date(2022, 6, 30)


def test_tasks_json_and_check_show_give_the_milestones(tmp_path: Path, cli: Cli) -> None:
    path = _txt(tmp_path, [HEADER, ["1", "推进信用分级分类监管", STEPS, "区发改局", ""]])
    code, out, _ = cli("tasks", "--plan", str(path), "--json")
    assert code == 0
    assert json.loads(out)[0]["milestones"] == [
        {"due": "2022-06-30", "text": "完成方案制定"},
        {"due": "2022-09-30", "text": "完成试点"},
        {"due": "2022-12-31", "text": "全面完成"},
    ]
    code, out, _ = cli("check", "--show", str(path))
    assert code == 0 and "2022-06-30 完成方案制定" in out and "2022-09-30 完成试点" in out


def test_check_flags_steps_that_cannot_be_dated(tmp_path: Path, cli: Cli) -> None:
    path = _txt(
        tmp_path, [HEADER, ["1", "推进试点", "2022年6月底前完成方案；适时推开", "区发改局", ""]]
    )
    for args in (("check", str(path)), ("check", "--show", str(path))):
        code, _, err = cli(*args)
        assert code == 0  # a warning: the plan still imports, the deadline as written
        assert "warning: 任务 1 的时间节点无法识别" in err and "适时推开" in err


# -- the step splitter, by property ------------------------------------------------------

SEPARATORS = ("；", ";", "。", "\n", "，")
ACTIONS = st.text(
    alphabet=st.sampled_from("完成方案制定试点推广验收评估出台办法建设平台上线全面"), min_size=1
)


@st.composite
def dated_steps(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str]]]:
    """A plan year and steps (month, day or 0 for 月底, action) in date order."""
    year = draw(st.integers(2018, 2030))
    months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=8))
    steps = [(m, draw(st.sampled_from([0, 10, 15, 20])), draw(ACTIONS)) for m in months]
    return year, sorted(steps, key=lambda s: _due(year, s[0], s[1]))


def _phrase(month: int, day: int) -> str:
    return f"{month}月底前" if day == 0 else f"{month}月{day}日前"


def _due(year: int, month: int, day: int) -> date:
    return date(year, month, day or calendar.monthrange(year, month)[1])


@given(dated_steps(), st.sampled_from(SEPARATORS), st.booleans())
def test_n_joined_dated_steps_make_n_milestones(
    case: tuple[int, list[tuple[int, int, str]]], separator: str, year_on_first: bool
) -> None:
    year, steps = case
    texts = [f"{_phrase(m, d)}{action}" for m, d, action in steps]
    if year_on_first:
        texts[0] = f"{year}年{texts[0]}"
    found = read_steps(separator.join(texts), None if year_on_first else year)
    if len(steps) == 1:
        assert found.milestones == () and found.problem == ""
        return
    assert found.problem == ""
    assert [(m.due, m.text) for m in found.milestones] == [
        (_due(year, m, d), action) for m, d, action in steps
    ]


@given(st.text(alphabet=st.sampled_from("2022年6月底前完成；;。，,\n （）(试点)12日")))
def test_splitting_never_loses_a_steps_text(text: str) -> None:
    steps = split_steps(text)
    drop = re.compile(r"[；;。，,\s]")
    assert drop.sub("", "".join(steps)) == drop.sub("", text)
    assert all(s == s.strip() and s for s in steps)


@given(dated_steps(), dated_steps())
def test_dates_go_forward_or_the_cell_is_flagged(
    first: tuple[int, list[tuple[int, int, str]]], second: tuple[int, list[tuple[int, int, str]]]
) -> None:
    year = first[0]
    steps = [*first[1], *second[1]]  # two runs: the second may go back
    text = "；".join(f"{_phrase(m, d)}{action}" for m, d, action in steps)
    found = read_steps(text, year)
    dues = [_due(year, m, d) for m, d, _ in steps]
    if dues == sorted(dues):
        assert found.problem == "" and [m.due for m in found.milestones] == dues
    else:
        assert found.milestones == () and "早于上一步" in found.problem


def test_numbered_items_are_series_of_their_own() -> None:
    found = read_steps(
        "1.驿站：3月底前建成2家；9月底前建成7家。2.托位：3月底前新增100个；6月底前新增500个。",
        2022,
    )
    assert [(m.due.isoformat(), m.text) for m in found.milestones] == [
        ("2022-03-31", "托位：新增100个"),
        ("2022-03-31", "驿站：建成2家"),
        ("2022-06-30", "托位：新增500个"),
        ("2022-09-30", "驿站：建成7家"),
    ]
