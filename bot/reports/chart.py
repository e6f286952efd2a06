"""The summary's PNG chart: progress by group and the weekly trend (matplotlib, no display).

With a CJK font (Debian: `apt-get install fonts-noto-cjk`) labels are Chinese; without one
they fall back to ASCII (G1…G9, week numbers) so the chart stays legible. The chart is an
extra: `chart_safely` never raises and gives up after a timeout.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.reports.summary import build_summary, weekly_trend

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
LEGEND_CJK = {"red": "有逾期任务", "yellow": "有预警任务", "green": "正常"}
LEGEND_ASCII = {"red": "overdue task", "yellow": "warning", "green": "on track"}


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    found = _known_cjk_family({f.name for f in font_manager.fontManager.ttflist})
    if found is None:
        # matplotlib caches its font list once and never rescans: a CJK font installed after
        # that first run is invisible until it is registered from its file.
        for path in _cjk_font_files():
            try:
                font_manager.fontManager.addfont(path)
            except Exception:  # noqa: BLE001 - an unreadable font file is skipped
                log.debug("font %s not loaded", path, exc_info=True)
        found = _known_cjk_family({f.name for f in font_manager.fontManager.ttflist})
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


def render_chart(
    groups: Sequence[Mapping[str, Any]],
    trend: Sequence[tuple[str, int, int]],
    title: str,
    font: str | None = None,
) -> bytes:
    """A PNG: bars of percent done per group, and the count of parts done per week."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    # Without a CJK font every label is ASCII: matplotlib would draw missing glyphs as boxes.
    cjk = font is not None
    rc: dict[str, Any] = (
        {"font.family": [font, "DejaVu Sans"]} if cjk else {"font.family": ["DejaVu Sans"]}
    )
    import matplotlib

    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=(10, 5.2), dpi=110)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        labels = [f"{g['no_cn']}、{g['name'][:10]}" if cjk else f"G{g['no']}" for g in groups][::-1]
        values = [g["percent"] for g in groups][::-1]
        colours = [_group_colour(g) for g in groups][::-1]
        left.barh(labels, values, color=colours)
        left.set_xlim(0, 100)
        left.set_xlabel("完成进度（%）" if cjk else "progress (%)")
        left.set_title("各组任务进度" if cjk else "Progress by group")
        for y, v in enumerate(values):
            left.text(min(v + 1, 92), y, f"{v}%", va="center", fontsize=8)
        legend = LEGEND_CJK if cjk else LEGEND_ASCII
        left.legend(
            handles=[Patch(color=LIGHT_COLOURS[k], label=legend[k]) for k in legend],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncol=len(legend),
            fontsize=8,
            frameon=False,
        )
        weeks = [w.split("-W")[-1] for w, _, _ in trend]
        done = [d for _, d, _ in trend]
        total = max((t for _, _, t in trend), default=0)
        right.plot(weeks, done, marker="o", color="#337ab7")
        right.set_ylim(0, max(total, max(done, default=0), 1))
        right.set_xlabel("周次" if cjk else "ISO week")
        right.set_title("已完成分工（累计）" if cjk else "Parts done (cumulative)")
        right.grid(alpha=0.3)
        fig.suptitle(title)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()


def _group_colour(group: Mapping[str, Any]) -> str:
    lights = [t["light"] for t in group.get("tasks", [])]
    for light in ("red", "yellow"):
        if light in lights:
            return LIGHT_COLOURS[light]
    return LIGHT_COLOURS["green"]


def chart_inputs(
    services: Services, day: date, summary: Mapping[str, Any] | None = None
) -> tuple[list[Mapping[str, Any]], list[tuple[str, int, int]], str, str | None]:
    """(groups, trend, title, font) read from the store; cheap, so it runs on the caller's thread."""
    data = summary if summary is not None else build_summary(services, day)
    font = find_cjk_font()
    title = f"督办周报 {data['week']}" if font else f"duban weekly {data['week']}"
    return list(data["groups"]), weekly_trend(services, day), title, font


async def chart_safely(
    services: Services,
    day: date,
    summary: Mapping[str, Any] | None = None,
    timeout: float = CHART_TIMEOUT,
) -> bytes | None:
    """The chart PNG, or None when it fails or takes too long (the summary goes out anyway).

    The store is read here, on the event loop's thread; only the drawing runs in a worker
    thread, so it never reads the store while a handler writes it.
    """
    try:
        await asyncio.to_thread(find_cjk_font)  # a first call may scan the system's fonts
        inputs = chart_inputs(services, day, summary)
        return await asyncio.wait_for(asyncio.to_thread(render_chart, *inputs), timeout)
    except Exception:  # noqa: BLE001 - a chart problem must never stop the summary
        log.warning("summary chart failed", exc_info=True)
        return None
