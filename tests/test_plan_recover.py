"""Properties of the table reader (issue 21), by hypothesis.

- The table recoverer never loses a cell's text, whatever carried the table: `|` rows with or
  without outer pipes, cells one per line ending in `|` or with `|` on lines of their own, and
  cells broken over lines.
- The column classifier gives the same roles whatever the order of the columns.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.columns import refine
from bot.plan.flat import recover_flat
from bot.plan.grid import Grid
from bot.plan.headers import header_columns
from bot.plan.table import recover_table

HEADER = ["序号", "具体措施", "牵头单位", "配合单位", "完成时限"]
_TEXT = st.text(
    alphabet="甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄", min_size=1, max_size=12
)
_SPACE = re.compile(r"\s+")


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    """A header and 1–5 numbered rows of made-up cell texts (a unit name ends like one)."""
    n = draw(st.integers(min_value=1, max_value=5))
    rows = []
    for i in range(1, n + 1):
        rows.append(
            [
                str(i),
                draw(_TEXT) + "。",
                draw(_TEXT) + "局",
                draw(_TEXT) + "办",
                f"2023年{draw(st.integers(1, 12))}月底前",
            ]
        )
    return [HEADER, *rows]


def _broken(cell: str, cut: int) -> str:
    """The cell with a line break inside it (where a narrow column wraps), if it is long."""
    return (
        cell
        if len(cell) < 4
        else cell[: 1 + cut % (len(cell) - 1)] + "\n" + cell[1 + cut % (len(cell) - 1) :]
    )


def _render(table: list[list[str]], layout: str, cut: int) -> str:
    title = "2023年重点工作任务分解表\n"
    if layout == "markdown":
        return title + "".join(
            "| " + " | ".join(_broken(c, cut) if i == 1 else c for i, c in enumerate(r)) + " |\n"
            for r in table
        )
    if layout == "pipes":
        return title + "".join(
            " | ".join(_broken(c, cut) if i == 1 else c for i, c in enumerate(r)) + "\n"
            for r in table
        )
    if layout == "cell per line":
        return title + "".join(f"{c} |\n" for r in table for c in r)
    assert layout == "bar lines"
    return title + "".join(f"{c}\n|\n" for r in table for c in r)


def _joined(cells: object) -> str:
    return _SPACE.sub("", "".join(str(c) for c in cells))  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    tables(),
    st.sampled_from(["markdown", "pipes", "cell per line", "bar lines"]),
    st.integers(0, 99),
)
def test_the_recoverer_never_loses_a_cells_text(
    table: list[list[str]], layout: str, cut: int
) -> None:
    text = _render(table, layout, cut)
    if layout in ("markdown", "pipes"):
        found = recover_table(text)
        assert found is not None
        grid, _, problems = found
        assert problems == []
    else:
        recovered = recover_flat(text)
        assert recovered is not None
        grid = recovered
    assert isinstance(grid, Grid)
    # every cell's text is there, in order, and nothing was made up
    assert _joined(c for r in grid.rows for c in r) == _joined(c for r in table for c in r)
    assert len(grid.rows) == len(table)
    for got, want in zip(grid.rows, table, strict=True):
        assert [_joined([c]) for c in got[: len(want)]] == [_joined([c]) for c in want]


# one header word per role, and what the cells under it hold
_COLUMNS = {
    "number": (["序号", "编号"], lambda i: str(i)),
    "measure": (
        ["具体措施", "工作措施", "任务内容"],
        lambda i: f"完善第{i}项信用制度建设，健全相关工作机制。",
    ),
    "leads": (["牵头单位", "牵头部门", "主责单位"], lambda i: "区发改局"),
    "supporters": (["配合单位", "协办单位", "协助单位"], lambda i: "区财政局、区民政局"),
    "deadline": (["完成时限", "时限要求", "完成时间"], lambda i: f"2023年{i}月底前"),
    "person": (["分管领导", "责任领导", "联系人"], lambda i: "张三"),
    "group": (["类别", "分类", "领域"], lambda i: "制度建设"),
}


@st.composite
def headed_columns(draw: st.DrawFn) -> list[tuple[str, str, list[str]]]:
    """(role, header word, cells) of a table: a measure and a lead column, and some others."""
    roles = ["measure", "leads"] + draw(
        st.lists(
            st.sampled_from(["number", "supporters", "deadline", "person", "group"]), unique=True
        )
    )
    out = []
    for role in roles:
        words, cell = _COLUMNS[role]
        out.append((role, draw(st.sampled_from(words)), [cell(i) for i in range(1, 4)]))
    return out


def _classify(columns: list[tuple[str, str, list[str]]]) -> dict[str, str]:
    header = [word for _, word, _ in columns]
    rows = [[cells[i] for _, _, cells in columns] for i in range(3)]
    cols = header_columns(header)
    assert cols is not None
    return {role: header[index] for role, index in refine(cols, header, rows).items()}


@settings(max_examples=80, deadline=None)
@given(headed_columns(), st.randoms(use_true_random=False))
def test_the_classifier_gives_the_same_roles_whatever_the_column_order(
    columns: list[tuple[str, str, list[str]]], random: object
) -> None:
    roles = _classify(columns)
    shuffled = list(columns)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _classify(shuffled) == roles
    assert roles == {role: word for role, word, _ in columns}


def test_a_column_of_names_under_a_units_header_holds_people() -> None:
    header = ["序号", "具体措施", "牵头单位", "责任单位"]
    rows = [
        ["1", "完善信用制度。", "区发改局", "张三"],
        ["2", "建立诚信档案。", "区政务办", "李四、王五"],
    ]
    cols = header_columns(header)
    assert cols is not None and cols["responsible"] == 3
    assert refine(cols, header, rows) == {"number": 0, "measure": 1, "leads": 2, "person": 3}
