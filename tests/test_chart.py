"""The summary chart drawn for a phone: portrait, full group names, actual against planned."""

from __future__ import annotations

import io
import warnings
from datetime import date

import pytest

from bot.domain import progress
from bot.plan.model import Deadline, Task
from bot.reports import chart, summary
from bot.services import Services
from tests.prepared import at, services_fixture

services = services_fixture("2021-06-18 17:00")


def _task(kind: str, due: date | None) -> Task:
    deadline = Deadline(kind=kind, text="", due=due)  # type: ignore[arg-type]
    return Task(
        id=1,
        category_no=1,
        category="c",
        title="t",
        text="t",
        deadline=deadline,
        leads=(),
        supporters=(),
    )


def test_planned_progress_moves_evenly_to_the_deadline() -> None:
    task = _task("once", date(2021, 6, 30))
    start = date(2021, 5, 31)
    assert progress.planned_percent(task, start, start) == 0
    assert progress.planned_percent(task, start, date(2021, 6, 15)) == 50
    assert progress.planned_percent(task, start, date(2021, 6, 30)) == 100
    assert progress.planned_percent(task, start, date(2021, 8, 1)) == 100
    # Tracking started after the deadline: the plan expected it done already.
    assert progress.planned_percent(task, date(2021, 7, 1), date(2021, 7, 2)) == 100
    # Ongoing work moves through its year.
    ongoing = _task("ongoing", None)
    assert progress.planned_percent(ongoing, date(2021, 1, 1), date(2021, 7, 2)) == 50


def test_rows_hold_every_group_with_its_full_name_and_both_figures(services: Services) -> None:
    services.store.parts.update_state(
        18, "区市场监管局", at=at("2021-06-18 10:00"), actor=2001, percent=80
    )
    rows = chart.chart_rows(services, date(2021, 6, 18))
    assert [r.no for r in rows] == list(range(1, 10))
    names = {r.name for r in rows}
    assert "强化信贷服务支持实体经济" in names and "探索开展“综合执法+信用”" in names
    six = next(r for r in rows if r.no == 6)
    assert six.actual > 0
    assert all(0 <= r.planned <= 100 and 0 <= r.actual <= 100 for r in rows)
    # Not a flat picture: six weeks into a plan due at the end of June, some work is expected.
    assert len({r.planned for r in rows}) > 1 and max(r.planned for r in rows) > 0


def _png_size(png: bytes) -> tuple[int, int]:
    from matplotlib import image

    arr = image.imread(io.BytesIO(png))
    return arr.shape[1], arr.shape[0]


def test_the_chart_is_portrait_and_wide_enough_for_a_phone(services: Services) -> None:
    rows, title, _, subtitle = chart.chart_inputs(services, date(2021, 6, 18))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        png = chart.render_chart(rows, title, "DejaVu Sans", subtitle)
    width, height = _png_size(png)
    assert height > width  # portrait
    # Shown ~390 px wide on a phone: a 13 pt label at this size stays ≥ 12 px there.
    label_px = 13 / 72 * chart.DPI * 390 / width
    assert width >= 1000 and label_px >= 12


def test_long_group_names_wrap_instead_of_being_cut() -> None:
    row = chart.ChartRow(
        no=8,
        no_cn="八",
        name="探索开展“综合执法+信用”监管新模式试点工作",
        actual=10,
        planned=40,
        light="red",
    )
    label = chart._label(row, cjk=True)  # noqa: SLF001
    assert label.replace("\n", "") == "八、探索开展“综合执法+信用”监管新模式试点工作"
    assert all(len(line) <= chart.NAME_WRAP for line in label.split("\n"))


@pytest.mark.parametrize("cjk", [True, False])
def test_chart_draws_with_and_without_a_cjk_font(services: Services, cjk: bool) -> None:
    rows = chart.chart_rows(services, date(2021, 6, 18))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        png = chart.render_chart(rows, "t", "DejaVu Sans" if cjk else None, "s")
    assert png.startswith(b"\x89PNG")


def test_the_charts_overall_figure_is_the_summarys(services: Services) -> None:
    """全部 on the chart is the summary's 平均完成: the mean over tasks, not over groups."""
    store = services.store
    # One group of many tasks moves, one of few does not: the two means differ.
    for task_id in (15, 16, 17):
        for unit in store.plan.task(task_id).leads:  # type: ignore[union-attr]
            store.parts.update_state(
                task_id, unit, at=at("2021-06-18 10:00"), actor=2001, percent=90
            )
    day = date(2021, 6, 18)
    rows, actual, _ = chart.chart_figures(services, day)
    overall = summary.messages_of(services, day).data["percent"]
    assert actual == overall
    assert round(sum(r.actual for r in rows) / len(rows)) != overall  # the old, wrong figure
    _, _, font, subtitle = chart.chart_inputs(services, day)
    # Without a CJK font installed the chart is labelled in English.
    assert (f"实际{overall}%" if font else f"all: {overall}% /") in subtitle
