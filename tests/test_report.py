"""The Excel report and the evidence zip, read back; the chart with and without a CJK font."""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.features import evidence
from bot.reports import chart
from bot.reports.cards import task_detail
from bot.reports.report import DECOMPOSITION_HEADERS, export_report
from bot.services import Services
from bot.store import Store
from tests.prepared import (
    HOSTILE,
    add_activity,
    add_metric,
    add_rectification,
    at,
    services_fixture,
)

PNG = b"\x89PNG\r\n\x1a\n"


services = services_fixture("2021-07-05 10:00")


def add_evidence(services: Services, task: int, unit: str, name: str, body: bytes) -> None:
    rel = f"evidence/{task}/x/{name}"
    path = services.settings.data_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    services.store.table("evidence").insert(
        {
            "task": task,
            "unit": unit,
            "name": name,
            "path": rel,
            "size": len(body),
            "uploader_name": "张三",
            "at": "2021-06-22T10:00:00+08:00",
            "sha256": "ab",
        }
    )


def justice_on_18(store: Store, **changes: Any) -> None:
    """区司法局's contact (2001) reports on #18 on 2021-06-22 at 10:00."""
    store.parts.update_state(18, "区司法局", at=at("2021-06-22 10:00"), actor=2001, **changes)


def test_excel_round_trip(services: Services, tmp_path: Path) -> None:
    store = services.store
    store.people.bind_contact(2001, "区司法局", name="李四", at=at("2021-06-21 09:00"))
    justice_on_18(store, status="doing", percent=60, note=HOSTILE + "\x07")
    add_activity(store, enterprises=3)
    add_rectification(store, rectified=7, cases="案例")
    add_metric(store, "重错码率", 0.5)
    add_evidence(services, 18, "区司法局", "方案.pdf", b"%PDF-1.4 test")
    out = tmp_path / "out" / "report.xlsx"
    zip_path = tmp_path / "out" / "evidence.zip"
    export_report(services, out, zip_path)

    wb = load_workbook(out)
    assert wb.sheetnames == [
        "任务分解及进展",
        "历史记录",
        "佐证材料",
        "诚信建设万里行",
        "专项治理",
        "量化指标",
        "单位评分",
    ]
    main = wb["任务分解及进展"]
    header = [c.value for c in main[1]]
    assert tuple(header[:5]) == DECOMPOSITION_HEADERS and "逾期工作日" in header
    assert "逾期天数" not in header  # one count everywhere: working days
    assert main.freeze_panes == "A2"
    assert main.max_row == 1 + len(store.parts.states())
    merged = {str(r) for r in main.merged_cells.ranges}
    assert any(r.startswith("A2:A") for r in merged)  # 一、健全信用制度体系 spans its rows
    assert main["A2"].value == "一、健全信用制度体系"  # as the plan's table writes it
    rows = list(main.iter_rows(min_row=2, values_only=True))
    row18 = next(r for r in rows if r[5] == "区司法局" and str(r[1] or "").startswith("18."))
    assert row18[7] == "进行中" and row18[8] == 60 and row18[11] == 1 and row18[12] == 3
    late = next(r for r in rows if r[5] == "区商务局" and r[6] == "牵头")  # #20, due 5/31
    assert late[12] == 24 and late[13] == "红"
    assert main.column_dimensions["B"].width >= 30
    history = wb["历史记录"]
    assert history.max_row == 1 + store.history.event_count()
    noted = next(
        r
        for r in history.iter_rows(min_row=2, values_only=True)
        if r[2] == "#18" and r[3] == "区司法局"
    )
    # names, not ids; readable columns instead of a JSON dump
    assert noted[1] == "更新进度" and noted[3] == "区司法局" and noted[4] == "李四（区司法局）"
    assert not noted[5] and noted[6] == "进行中" and noted[7] == 60
    assert noted[8].startswith("<script>")  # type: ignore[union-attr]
    assert len(history[1]) == 9 and "详细数据" not in [c.value for c in history[1]]
    actors = {r[4] for r in history.iter_rows(min_row=2, values_only=True)}
    assert not any(str(a).isdigit() for a in actors)
    kinds = {r[1] for r in history.iter_rows(min_row=2, values_only=True)}
    assert {"导入计划", "绑定联系人", "报送活动", "报送专项治理", "报送指标"} <= kinds
    acts = list(wb["诚信建设万里行"].iter_rows(min_row=2, values_only=True))
    assert acts == [
        (
            "2021-06-23",
            "区文明办",
            "论坛讲座",
            "校园",
            "诚信进校园",
            120,
            3,
            0,
            "2021-06-24 09:00",
            "未绑定用户",  # 2003 is no contact in this store: no name to give
        )
    ]
    assert wb["专项治理"]["F2"].value == 7
    kpi_rows = {r[1]: r for r in wb["量化指标"].iter_rows(min_row=2, values_only=True)}
    assert kpi_rows["code_error"][5] == 0.5 and kpi_rows["code_error"][7] == "未达标"
    assert kpi_rows["sgs_report"][7] == "未报送"
    scorecard = wb["单位评分"]
    assert scorecard.max_row > 40 and scorecard["I1"].value == "近4周自主报送周数"
    judicial = next(
        r for r in scorecard.iter_rows(min_row=2, values_only=True) if r[1] == "区司法局"
    )
    assert judicial[8] == 1  # reported in one of the last four weeks

    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert any(n.startswith("#18/区司法局/") and n.endswith("方案.pdf") for n in names)
        index = list(csv.reader(io.StringIO(zf.read("index.csv").decode("utf-8-sig"))))
        assert index[0][0] == "任务" and index[1][:2] == ["#18", "区司法局"]
    assert not list(out.parent.glob(".export-*")) and not list(out.parent.glob(".evidence-*"))


def test_zip_notes_missing_files(services: Services, tmp_path: Path) -> None:
    services.store.table("evidence").insert(
        {"task": 4, "unit": "区发改局", "name": "../../etc/passwd", "path": "../../etc/passwd"}
    )
    zip_path = tmp_path / "e.zip"
    export_report(services, tmp_path / "r.xlsx", zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ["index.csv"]
        assert "文件缺失" in zf.read("index.csv").decode("utf-8-sig")


# -- chart --------------------------------------------------------------------------------
def test_chart_without_cjk_font(services: Services) -> None:
    rows, title, font, subtitle = chart.chart_inputs(
        services, date(2021, 7, 2), find_font=lambda: None
    )
    assert font is None and title.isascii() and subtitle.isascii() and len(rows) == 9
    assert chart.render_chart(rows, title, font, subtitle).startswith(PNG)


def test_chart_with_a_cjk_font(services: Services) -> None:
    # A stand-in family: the code path is the CJK one whatever is installed here.
    rows, title, font, subtitle = chart.chart_inputs(
        services, date(2021, 7, 2), find_font=lambda: "DejaVu Sans"
    )
    assert font == "DejaVu Sans" and "督办周报" in title and "计划" in subtitle
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu lacks CJK glyphs: matplotlib warns per glyph
        assert chart.render_chart(rows, title, font, subtitle).startswith(PNG)


def test_find_cjk_font_prefers_known_families() -> None:
    from types import SimpleNamespace

    fake = [SimpleNamespace(name="DejaVu Sans"), SimpleNamespace(name="WenQuanYi Zen Hei")]
    assert chart.cjk_font_in(SimpleNamespace(ttflist=fake)) == "WenQuanYi Zen Hei"


async def test_chart_failure_or_slowness_gives_none(services: Services) -> None:
    def broken(*_: object) -> bytes:
        raise RuntimeError("no display")

    assert await chart.chart_safely(services, date(2021, 7, 2), render=broken) is None

    def slow(*_: object) -> bytes:
        import time

        time.sleep(0.3)
        return PNG

    assert await chart.chart_safely(services, date(2021, 7, 2), timeout=0.05, render=slow) is None


def _cjk_files() -> list[str]:
    chart.find_cjk_font.cache_clear()
    return chart._cjk_font_files()  # noqa: SLF001


@pytest.mark.skipif(
    not _cjk_files(), reason="no CJK font installed (apt-get install fonts-noto-cjk)"
)
def test_installed_cjk_font_is_found_and_draws_chinese(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib import font_manager

    # matplotlib's font list cached before the font was installed: found from its file anyway
    stale = [f for f in font_manager.fontManager.ttflist if "DejaVu" in f.name]
    before = {f.name for f in stale}
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    chart.find_cjk_font.cache_clear()
    try:
        font = chart.find_cjk_font()
        assert font is not None and font not in before
        rows, title, found, subtitle = chart.chart_inputs(services, date(2021, 7, 2))
        assert found == font and "督办周报" in title
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = chart.render_chart(rows, title, found, subtitle)
        # matplotlib warns "Glyph … missing from font(s)" for every character it cannot draw
        assert not [w for w in caught if "missing from" in str(w.message)]
        assert png.startswith(PNG)
    finally:
        chart.find_cjk_font.cache_clear()


# -- the record names the evidence ----------------------------------------------------------
def _rows(wb: Any, sheet: str) -> list[tuple[Any, ...]]:
    return list(wb[sheet].iter_rows(min_row=2, values_only=True))


def test_the_record_and_the_evidence_sheet_name_each_file(
    services: Services, tmp_path: Path
) -> None:
    store = services.store
    store.people.bind_contact(2001, "区司法局", name="李四", at=at("2021-06-21 09:00"))
    data = b"%PDF-1.4 commitment rules"
    vetted = evidence.vet("承诺制度.pdf", "application/pdf", len(data))
    temp = evidence.temp_path(services.settings.data_dir, 18, "区司法局")
    temp.write_bytes(data)
    saved = evidence.keep_file(
        store,
        services.settings.data_dir,
        temp,
        vetted,
        task_id=18,
        unit="区司法局",
        at=at("2021-06-22 10:05"),
        uploader=2001,
        uploader_name="李四",
        caption="告知承诺制度文件（修订版）",
    )
    sha = hashlib.sha256(data).hexdigest()
    out = export_report(services, tmp_path / "r.xlsx")
    wb = load_workbook(out)
    (row,) = [r for r in _rows(wb, "历史记录") if r[1] == "上传材料"]
    assert row[:5] == ("2021-06-22 10:05", "上传材料", "#18", "区司法局", "李四（区司法局）")
    text = str(row[8])
    assert "承诺制度.pdf" in text and f"{len(data)} 字节" in text and sha in text
    assert "说明：告知承诺制度文件（修订版）" in text
    assert wb["佐证材料"]["A1"].value == "任务"
    assert _rows(wb, "佐证材料") == [
        (
            "#18",
            "区司法局",
            "承诺制度.pdf",
            len(data),
            sha,
            "李四（区司法局）",
            "2021-06-22 10:05",
            "告知承诺制度文件（修订版）",
        )
    ]
    assert saved.record["caption"] == "告知承诺制度文件（修订版）"


def test_an_old_store_without_the_file_fields_still_exports(
    services: Services, tmp_path: Path
) -> None:
    """Evidence kept before files were named in the history: no caption, no file fields on
    the event, a record from the first versions (no mime, kind or uploader id)."""
    store = services.store
    store.table("evidence").insert(
        {
            "task": 18,
            "unit": "区司法局",
            "name": "旧方案.docx",
            "path": "evidence/18/x/old.docx",
            "size": 2048,
            "sha256": "ab" * 32,
            "uploader_name": "张三",
            "at": "2021-06-22T10:00:00+08:00",
        }
    )
    justice_on_18(store, event="evidence", evidence_count=1, last_evidence="旧方案.docx")
    wb = load_workbook(export_report(services, tmp_path / "r.xlsx"))
    (row,) = [r for r in _rows(wb, "历史记录") if r[1] == "上传材料"]
    assert "旧方案.docx" in row[8] and "2048 字节" in row[8] and "ab" * 32 in row[8]
    (listed,) = _rows(wb, "佐证材料")
    assert listed[:5] == ("#18", "区司法局", "旧方案.docx", 2048, "ab" * 32)
    assert listed[5] == "张三" and listed[7] is None
    card = task_detail(services, 18, date(2021, 7, 5))
    assert card is not None and "上传材料：旧方案.docx" in card


def test_the_history_speaks_chinese_and_every_row_says_what(
    services: Services, tmp_path: Path
) -> None:
    store = services.store
    now = at("2021-06-22 09:00")
    store.people.bind_contact(2001, "区司法局", name="李四", at=now)
    for kind, status in (("manual", "sent"), ("overdue", "forbidden")):
        store.history.record(
            "reminder",
            at=now,
            actor="bot",
            task=18,
            unit="区司法局",
            reminder_kind=kind,
            role="lead",
            status=status,
        )
    store.history.record("summary.posted", at=now, actor=None, week="2021-W25", chat=-100500)
    store.history.record("summary.posted", at=now, actor=1001, chat=-100500, manual=True)
    store.people.set_reachable(2001, False, at=now)
    store.history.record("task.closed", at=now, actor=1001, task=18)
    wb = load_workbook(export_report(services, tmp_path / "r.xlsx"))
    rows = _rows(wb, "历史记录")
    cells = {str(c) for r in rows for c in r}
    assert not cells & {"sent", "manual", "forbidden", "overdue"}
    assert all(r[8] and r[4] for r in rows), [r for r in rows if not r[8]]
    reminders = [r for r in rows if r[1] == "发送提醒"]
    assert [(r[6], r[8]) for r in reminders] == [
        ("已送达", "督办人员催办（发给牵头单位）"),
        ("对方已屏蔽机器人", "逾期催办（发给牵头单位）"),
    ]
    posted = [r[8] for r in rows if r[1] == "发送周报"]
    assert posted == ["第 2021-W25 周周报已发送到协调群", "督办人员手动发送周报到协调群"]
    (blocked,) = [r for r in rows if r[1] == "联系人状态"]
    assert blocked[3] == "区司法局" and "李四" in blocked[8] and "屏蔽" in blocked[8]
    (closed,) = [r for r in rows if r[1] == "任务办结"]
    assert closed[3] == "—" and closed[8]
    (imported,) = [r for r in rows if r[1] == "导入计划"]
    assert imported[2] == "—" and "新增" in imported[8]
