"""`duban check`: every defect as FILE:LINE, never a traceback, never a silently dropped row."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan import BUNDLED_PLAN, check_plan, load_plan, parse_text, suggester

HEADER = "镇海区2021年度工作要点\n附件:任务分解表\n重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"


def _formatted(path: Path, **kwargs: object) -> list[str]:
    return [p.format(str(path)) for p in check_plan(path, **kwargs)]  # type: ignore[arg-type]


def _write(tmp_path: Path, body: str, name: str = "plan.txt") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_table_defects(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "一、制度 | 1.甲。 | 2021年6月 | 区发改局 | 区财政局 |\n"  # line 4
        + "2.乙。 | 尽快 | 区发改局 | | |\n"  # 5: unknown date
        + "3.丙。 | 2021年6月 | | 区财政局 | |\n"  # 6: missing lead
        + "2.丁。 | 2021年6月 | 区法院 | | |\n"  # 7: duplicate number
        + "4. | 2021年6月 | 区法院 | | |\n"  # 8: no text
        + "这一行不是任务 | | | | |\n",  # 9: no number
    )
    assert _formatted(path) == [
        f"{path}:5: warning: 任务 2 的时限要求无法识别：“尽快”，已按原文保留，未设日期",
        f"{path}:6: 任务 3 缺少牵头单位",
        f"{path}:7: 任务序号 2 重复（第 5 行已有任务 2）",
        f"{path}:8: 任务 4 缺少具体措施内容",
        f"{path}:9: 无法解析的表格行：“这一行不是任务 | | | | |”",
    ]


def test_a_row_broken_off_the_table_is_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "一、制度 | 1.甲。 | 2021年6月 | 区发改局 | 区财政局 |\n"  # line 4
        + "甲的补充说明，换行后没有竖线\n"  # 5: a line break inside a cell
        + "2.乙。 | 2021年6月 | 区法院 | | |\n",  # 6
    )
    plan = load_plan(path)
    assert [t.id for t in plan.tasks] == [1, 2]
    assert [(p.line, p.message) for p in plan.problems] == [
        (5, "表格中的这一行没有“|”分隔：“甲的补充说明，换行后没有竖线”"),
    ]


def test_prose_after_a_blank_line_ends_the_table(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "一、制度 | 1.甲。 | 2021年6月 | 区发改局 | 区财政局 |\n"
        + "\n附：联系人\n姓名 | 电话\n张三 | 123\n",  # another table, after the task table
    )
    plan = load_plan(path)
    assert [t.id for t in plan.tasks] == [1] and plan.problems == []


def test_number_without_text(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "一、制度 | 1. | 2021年6月 | 区发改局 | |\n")
    plan = load_plan(path)
    assert plan.tasks == []
    assert [(p.line, p.message) for p in plan.problems] == [(4, "任务 1 缺少具体措施内容")]


def test_unknown_units_are_warnings_with_the_nearest_known(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEADER + "一、制度 | 1.甲。 | 2021年6月 | 区发该局 | 区财政局、火星办 |\n"
    )
    assert _formatted(path) == [
        f"{path}:4: warning: 未知单位“区发该局”，最接近的已知单位是“区发改局”",
        f"{path}:4: warning: 未知单位“火星办”",
    ]


def test_unit_callback_is_used(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "一、制度 | 1.甲。 | 2021年6月 | 区发展和改革局 | |\n")
    known = suggester(["区发展和改革局"])
    assert check_plan(path, known) == []
    calls: list[str] = []

    def suggest(name: str) -> str | None:
        calls.append(name)
        return "区发改局"

    (problem,) = check_plan(path, suggest)
    assert calls == ["区发展和改革局"]
    assert problem.severity == "warning" and "区发改局" in problem.message


def test_a_gap_in_numbering_is_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "一、制度 | 1.甲。 | 2021年6月 | 区发改局 | |\n"
        + "3.丙。 | 2021年6月 | 区发改局 | |\n",
    )
    (problem,) = check_plan(path)
    assert (problem.line, problem.severity, problem.message) == (
        5,
        "warning",
        "任务序号不连续，缺少：2",
    )


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"", 1, "文件为空"),
        (b"  \n\n\t\n", 1, "文件为空"),
        (
            b"\x00\x01\x02\xff\xfe garbage \x00\x9c" * 20,
            0,
            "无法读取文件：不是文本文件，也不是 .xlsx 表格",
        ),
        (bytes(range(256)) * 4, 0, "无法读取文件：不是文本文件，也不是 .xlsx 表格"),
        ("只是一段话，没有任何任务。\n".encode(), 1, "未找到任何编号任务"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    problems = check_plan(path)
    assert len(problems) == 1
    assert problems[0].line == line and problems[0].message.startswith(message)
    assert problems[0].severity == "error"


def test_nonexistent_path(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    assert _formatted(path) == [f"{path}:0: 文件不存在"]


def test_directory(tmp_path: Path) -> None:
    assert [p.line for p in check_plan(tmp_path)] == [0]


def test_garbage_with_xlsx_name(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    (problem,) = check_plan(path)
    assert problem.line == 0 and problem.message.startswith("无法读取 Excel 文件")


def test_gb18030_text_is_read(tmp_path: Path) -> None:
    source = BUNDLED_PLAN.read_text(encoding="utf-8")
    path = tmp_path / "gbk.txt"
    path.write_bytes(source.encode("gb18030"))
    plan = load_plan(path)
    assert plan.problems == [] and len(plan.tasks) == 25


def test_markdown_table(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# 2021年任务\n\n"
        "| 重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "|---|---|---|---|---|\n"
        "| 一、制度 | 1.甲。 | 2021年6月 | 区发改局 | 区财政局 |\n"
        "| | 2.乙。 | 持续推进 | 区法院 | |\n",
        name="plan.md",
    )
    plan = load_plan(path)
    assert plan.problems == []
    assert [(t.id, t.category, t.leads, t.line) for t in plan.tasks] == [
        (1, "制度", ("区发改局",), 5),
        (2, "制度", ("区法院",), 6),
    ]


_PIECES = st.sampled_from(
    [
        "一、制度",
        "（一）分组",
        "1.",
        "23",
        "甲。",
        " | ",
        "|",
        "\n",
        "牵头单位：",
        "责任单位：",
        "时限要求：",
        "区发改局",
        "、",
        "，",
        "（",
        "）",
        "牵头",
        "配合",
        "2021年6月",
        "每月8日前",
        "持续推进",
        "重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位",
        "tasks:",
        "- id: 1",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=5), max_size=40))
def test_any_text_never_raises(pieces: list[str]) -> None:
    plan = parse_text("".join(pieces))
    for problem in plan.problems:
        assert problem.line >= 0 and problem.message
    ids = [t.id for t in plan.tasks]
    assert len(ids) == len(set(ids))
