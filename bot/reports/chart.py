"""The summary's PNG chart, drawn for a phone: per group, actual against planned progress.

With a CJK font (Debian: `apt-get install fonts-noto-cjk`) labels are Chinese; without one
they fall back to ASCII (Group 1…9) so the chart stays legible. The chart is an
extra: `chart_safely` never raises and gives up after a timeout.
"""

from __future__ import annotations

import asyncio
import io
import logging
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain import progress
from bot.domain.status import week_key
from bot.reports.snapshot import group_no, plan_groups, snapshot

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
)
CJK_FILE_HINTS = ("cjk", "wqy", "droidsansfallback", "sourcehansans", "simhei", "msyh")
CHART_TIMEOUT = 30.0
LIGHT_COLOURS = {"red": "#d9534f", "yellow": "#f0ad4e", "green": "#5cb85c", "closed": "#337ab7"}
# A bar takes the colour of its group's worst light.
PLANNED_COLOUR = "#b0b0b0"
LEGEND_CJK = {
    "red": "实际·有逾期",
    "yellow": "实际·有预警",
    "green": "实际·正常",
    "planned": "计划进度",
}
LEGEND_ASCII = {
    "red": "actual, overdue",
    "yellow": "actual, warning",
    "green": "actual, on track",
    "planned": "planned",
}


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    return cjk_font_in(font_manager.fontManager)


def cjk_font_in(manager: Any) -> str | None:
    """The family name of a font with Chinese glyphs that `manager` (matplotlib's font list)
    knows or can register from a system font file, or None."""
    found = _known_cjk_family({f.name for f in manager.ttflist})
    if found is None:
        # matplotlib caches its font list once and never rescans: a CJK font installed after
        # that first run is invisible until it is registered from its file.
        for path in _cjk_font_files():
            try:
                manager.addfont(path)
            except Exception:  # noqa: BLE001 - an unreadable font file is skipped
                log.debug("font %s not loaded", path, exc_info=True)
        found = _known_cjk_family({f.name for f in manager.ttflist})
    return found


def _known_cjk_family(installed: set[str]) -> str | None:
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    for name in sorted(installed):
        if "CJK" in name or "WenQuanYi" in name:
            return name
    return None


def _cjk_font_files() -> list[str]:
    """System font files that look like CJK fonts (Noto CJK, WenQuanYi, Droid fallback…)."""
    from matplotlib import font_manager

    return sorted(
        path
        for path in font_manager.findSystemFonts()
        if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS)
    )


@dataclass(frozen=True)
class ChartRow:
    """One group's bar pair: actual progress against where the plan expects it."""

    no: int
    no_cn: str
    name: str
    actual: int
    planned: int
    light: str  # the group's worst light: red, yellow or green


# A phone shows a photo about 390 px wide: the image is drawn ~1040 px wide, so a 13 pt label
# (36 px) lands at ~13 px on the screen. One row per group, its full name above its bars.
FIG_WIDTH_IN = 5.2
DPI = 200
NAME_WRAP = 16  # characters per line of a group name (≈ the figure's width at 13 pt)
ROW_IN = 0.95  # height per group: the name, the actual bar and the planned bar


def render_chart(
    rows: Sequence[ChartRow],
    title: str,
    font: str | None = None,
    subtitle: str = "",
) -> bytes:
    """A portrait PNG: per group, its name and two bars, actual and planned percent."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    # Without a CJK font every label is ASCII: matplotlib would draw missing glyphs as boxes.
    cjk = font is not None
    rc: dict[str, Any] = {
        "font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
        "font.size": 13,
    }
    names = [_label(r, cjk) for r in rows]
    lines = [n.count("\n") + 1 for n in names]
    height = 1.9 + sum(ROW_IN + 0.22 * (k - 1) for k in lines)
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=(FIG_WIDTH_IN, height), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.04, 0.9 / height, 0.8, 1 - 2.0 / height))
        y = 0.0
        ticks: list[float] = []
        for row, name, k in zip(rows, names, lines, strict=True):
            # Top to bottom: the name, then the actual bar, then the planned bar.
            ax.text(0, y, name, va="top", ha="left", fontsize=13, fontweight="bold")
            y -= 0.32 * k + 0.1
            # A faint track to 100 %: a group at 0 % still shows where its bar would be.
            ax.barh(y, 100, height=0.3, color="#f2f2f2")
            ax.barh(y, row.actual, height=0.3, color=LIGHT_COLOURS[row.light])
            ax.text(max(row.actual, 0) + 1.5, y, f"{row.actual}%", va="center", fontsize=12)
            ticks.append(y)
            y -= 0.32
            ax.barh(y, row.planned, height=0.22, color=PLANNED_COLOUR)
            ax.text(
                row.planned + 1.5, y, f"{row.planned}%", va="center", fontsize=11, color="#555555"
            )
            y -= 0.42
        ax.set_xlim(0, 100)
        ax.set_ylim(y + 0.1, 0.1)
        ax.set_yticks([])
        ax.set_xticks([0, 50, 100], ["0", "50%", "100%"], fontsize=11)
        ax.grid(axis="x", alpha=0.3)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        legend = LEGEND_CJK if cjk else LEGEND_ASCII
        handles = [
            Patch(color=LIGHT_COLOURS[k], label=legend[k]) for k in ("red", "yellow", "green")
        ]
        handles.append(Patch(color=PLANNED_COLOUR, label=legend["planned"]))
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=2,
            fontsize=11,
            frameon=False,
            bbox_to_anchor=(0.5, 0.0),
        )
        fig.suptitle(title, fontsize=15, fontweight="bold", y=1 - 0.25 / height)
        if subtitle:
            fig.text(0.5, 1 - 0.62 / height, subtitle, ha="center", fontsize=12, color="#333333")
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()


def _label(row: ChartRow, cjk: bool) -> str:
    if not cjk:
        return f"Group {row.no}"
    return "\n".join(textwrap.wrap(f"{row.no_cn}、{row.name}", NAME_WRAP)) or row.name


def _mean(values: Sequence[int]) -> int:
    return round(sum(values) / len(values)) if values else 0


def chart_figures(services: Services, day: date) -> tuple[list[ChartRow], int, int]:
    """Per group of the plan its actual and planned progress; and both over all tasks.

    Actual progress is counted as the summary counts it, so the chart's 全部 is the summary's
    平均完成 (the mean over tasks, not over groups of different sizes).
    """
    tasks = snapshot(services, day)
    # The plan is a year's work programme (年度工作要点): the plan's clock starts on 1 January,
    # not on the day the bot began tracking it.
    start = date(day.year, 1, 1)
    planned = {t.task.id: progress.planned_percent(t.task, start, day) for t in tasks}
    rows = [
        ChartRow(
            no=group.no,
            no_cn=group_no(plan, group.no),
            name=group.name,
            actual=group.percent,
            planned=_mean([planned[t.task.id] for t in group.tasks]),
            light=progress.worst_light(t.light for t in group.tasks if t.light != "closed"),
        )
        for plan, group in plan_groups(services, tasks)
    ]
    return rows, _mean([t.percent for t in tasks]), _mean(list(planned.values()))


def chart_rows(services: Services, day: date) -> list[ChartRow]:
    """Per group of the plan: actual progress (as the summary counts it) and planned progress."""
    return chart_figures(services, day)[0]


def chart_inputs(
    services: Services,
    day: date,
    summary: Mapping[str, Any] | None = None,
    *,
    find_font: Callable[[], str | None] = find_cjk_font,
) -> tuple[list[ChartRow], str, str | None, str]:
    """(rows, title, font, subtitle) read from the store; cheap, so it runs on the caller's thread."""
    rows, actual, planned = chart_figures(services, day)
    font = find_font()
    week = summary["week"] if summary is not None else week_key(day)
    if font:
        title = f"督办周报 {week}"
        subtitle = f"各组实际进度与计划进度（全部：实际{actual}%，计划{planned}%）"
    else:
        title = f"duban weekly {week}"
        subtitle = f"actual vs planned by group (all: {actual}% / {planned}%)"
    return rows, title, font, subtitle


async def chart_safely(
    services: Services,
    day: date,
    summary: Mapping[str, Any] | None = None,
    timeout: float = CHART_TIMEOUT,
    *,
    render: Callable[..., bytes] = render_chart,
) -> bytes | None:
    """The chart PNG, or None when it fails or takes too long (the summary goes out anyway).

    The store is read here, on the event loop's thread; only the drawing runs in a worker
    thread, so it never reads the store while a handler writes it.
    """
    try:
        await asyncio.to_thread(find_cjk_font)  # a first call may scan the system's fonts
        rows, title, font, subtitle = chart_inputs(services, day, summary)
        return await asyncio.wait_for(
            asyncio.to_thread(render, rows, title, font, subtitle), timeout
        )
    except Exception:  # noqa: BLE001 - a chart problem must never stop the summary
        log.warning("summary chart failed", exc_info=True)
        return None
