"""Coordinator views and the weekly summary on a prepared store: sections, data, hostile text."""

from __future__ import annotations

from datetime import date

from bot.domain.status import week_key
from bot.features import campaign, kpis
from bot.features.access import Actor
from bot.features.updates import submit
from bot.reports import views
from bot.reports.snapshot import snapshot as summary_snapshot
from bot.reports.summary import messages_of
from bot.services import Services
from bot.store import Store
from bot.text.render import TELEGRAM_LIMIT
from sandbox.telegram_html import parse_html
from tests.prepared import (
    HOSTILE,
    add_activity,
    add_metric,
    add_rectification,
    at,
    services_fixture,
)

FRIDAY = date(2021, 6, 25)


services = services_fixture("2021-06-25 16:00")


def valid_messages(text: str) -> list[str]:
    """Split like delivery does, and check every part is Telegram HTML within the limit."""
    from bot.text.render import split_message

    parts = split_message(text)
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        parse_html(part)  # raises on bad markup
    return parts


def progress_on_4(store: Store) -> None:
    """区发改局 reports #4 进行中 60% with a note."""
    store.parts.update_state(
        4,
        "区发改局",
        at=at("2021-06-22 10:00"),
        actor=2002,
        status="doing",
        percent=60,
        note="已完成数据核查",
    )


def fill_week(services: Services) -> None:
    store = services.store
    store.parts.update_state(18, "区司法局", at=at("2021-06-23 10:00"), actor=2001, status="done")
    progress_on_4(store)
    add_activity(store)
    add_activity(
        store,
        when="2021-06-10 09:00",
        form="现场活动",
        carrier="企业",
        day=date(2021, 6, 9),
        title="百城万企亮信用",
        participants=80,
        enterprises=12,
    )
    add_rectification(store, cases="某公司逃废债已整改")
    add_rectification(store, field_name="信用服务机构失信", identified=4, rectified=1)
    kpi = kpis.find_kpi("sgs_report")
    assert kpi is not None
    kpis.record_metric(store, kpi, 100, at=at("2021-06-24 12:00"), actor=2002, unit="区发改局")
    add_metric(store, "credit_loan_share", 25, actor=2004, unit="区金融发展服务中心")
    store.table("reviews").insert(
        {
            "kind": "extension",
            "task": 5,
            "unit": "区民政局",
            "status": "pending",
            "due": "2021-07-15",
            "reason": "数据迁移",
        }
    )
    store.table("reviews").insert(
        {"kind": "claim", "task": 9, "unit": "区经信局", "status": "pending"}
    )


# -- views --------------------------------------------------------------------------------
def test_overview_lists_every_task_by_group(services: Services) -> None:
    text = views.overview(services, FRIDAY)
    for n in range(1, 26):
        assert f"#{n} " in text
    assert "九、加强诚信文化建设" in text and "未启动 289" in text
    valid_messages(text)


def test_task_view_pages_and_details(services: Services) -> None:
    progress_on_4(services.store)
    services.store.table("evidence").insert({"task": 4, "unit": "区发改局", "name": "a.pdf"})
    first = views.task_view(services, 4, FRIDAY)
    assert first is not None and first.pages == 2
    assert "区发改局（牵头）进行中 60%" in first.text and "材料 1 份" in first.text
    assert "已完成数据核查" in first.text and "最近记录" in first.text
    second = views.task_view(services, 4, FRIDAY, page=1)
    assert second is not None and second.page == 1 and "最近记录" not in second.text
    assert views.task_view(services, 99, FRIDAY) is None


def test_unit_view(services: Services) -> None:
    page = views.unit_view(services, "区司法局", FRIDAY)
    assert "区司法局" in page.text and "#18" in page.text and "#16" in page.text
    assert "无可联系的绑定联系人" in page.text


def test_overdue_view_groups_by_lead_unit(services: Services) -> None:
    later = date(2021, 7, 5)
    page = views.overdue_view(services, later)
    assert page.pages > 1
    texts = [views.overdue_view(services, later, n).text for n in range(page.pages)]
    assert any("<b>区发改局</b>" in t for t in texts)
    # supporters are listed too, and days are working days only, said so
    assert "（配合）" in page.text and "逾期 3 个工作日 ·" in page.text and "天）" not in page.text
    none = views.overdue_view(services, FRIDAY)
    assert "#20" in none.text  # due in May: already overdue in June


def test_views_escape_hostile_notes(services: Services) -> None:
    services.store.parts.update_state(
        18, "区司法局", at=at("2021-06-22 10:00"), actor=1, status="doing", note=HOSTILE
    )
    page = views.task_view(services, 18, FRIDAY)
    assert page is not None and "<script>" not in page.text
    assert "&lt;script&gt;" in page.text  # the note is shown, escaped, not dropped
    valid_messages(page.text)


# -- summary ------------------------------------------------------------------------------
def test_summary_sections_without_data(services: Services) -> None:
    text = messages_of(services, FRIDAY).text
    for heading in (
        "总体进度",
        "本周完成",
        "逾期事项",
        "本周未报送",
        "诚信建设万里行",
        "专项治理",
        "量化指标",
        "待审核",
        "通报",
    ):
        assert heading in text
    assert "本周未报送活动" in text and "各领域尚未报送治理数据" in text
    assert "尚未覆盖的载体：商圈、校园、企业、街道社区、村镇" in text
    assert "暂无待审核事项" in text
    valid_messages(text)


def test_summary_with_data(services: Services) -> None:
    fill_week(services)
    data = messages_of(services, FRIDAY).data
    assert data["week"] == "2021-W25" == week_key(FRIDAY)
    assert data["completed"] == [
        {"task": 18, "title": "全面推行信用承诺制", "units": ["区司法局"], "closed": False}
    ]
    silent = [row["unit"] for row in data["silent"]]
    assert "区司法局" not in silent and "区发改局" not in silent
    assert "区民政局" in silent
    camp = data["campaign"]
    assert len(camp["week"]) == 1 and camp["total"] == 2 and camp["enterprises"] == 12
    assert camp["missing"] == ["商圈", "街道社区", "村镇"]
    rect = {f["name"]: f for f in data["rectify"]["fields"]}
    assert rect["金融"]["rate"] == "100%" and rect["金融"]["met"] is True
    assert rect["信用服务机构失信"]["rate"] == "25%" and rect["信用服务机构失信"]["met"] is False
    assert data["rectify"]["rate"] == "78.6%"
    kpi = {k["key"]: k for k in data["kpis"]}
    assert kpi["sgs_report"]["met"] is True and kpi["credit_loan_share"]["met"] is False
    assert kpi["sgs_timely"]["value"] is None
    assert [r["task"] for r in data["reviews"]["extensions"]] == [5]
    assert [r["task"] for r in data["reviews"]["claims"]] == [9]
    # Four days after the import too few units have due work to rank: the 通报 says so
    ranking = data["ranking"]
    assert not ranking["open"] and ranking["top"] == ranking["bottom"] == []
    assert ranking["with_due"] < ranking["min_units"]

    text = messages_of(services, FRIDAY).text
    assert "☑️ #18 全面推行信用承诺制 — 区司法局 完成分工" in text  # the other lead is not done
    assert "诚信进校园" in text and "论坛讲座：0/1/0/0/0（合计 1）" in text
    assert "⚠️ #11 信用服务机构失信：对象 4，退出 1，退出率 25%" in text
    assert "✅ 双公示信息上报率：100%（目标 ≥ 100%）" in text
    assert "⚠️ 企业信用贷款规模占比：25%（目标 ＞ 30%）" in text
    assert "延期申请 #5 区民政局 至 2021年7月15日（周四）：数据迁移" in text
    assert (
        f"有到期任务的单位满 {ranking['min_units']} 个后开始排名（目前 {ranking['with_due']} 个）"
        in text
    )
    assert "得分" not in text and "scoring.yaml" not in text
    valid_messages(text)


def test_summary_lists_overdue_with_days(services: Services) -> None:
    text = messages_of(services, date(2021, 7, 9)).text
    assert "🔴 区商务局：#20（牵头，逾期 28 个工作日）" in text


def test_hostile_text_stays_valid_and_within_limits(services: Services) -> None:
    store = services.store
    for n in range(1, 26):
        for s in store.parts.states(task=n)[:2]:
            store.parts.update_state(
                n, s["unit"], at=at("2021-06-22 10:00"), actor=7, status="done", note=HOSTILE
            )
    for i in range(30):
        add_activity(
            store,
            actor=7,
            form="其他",
            carrier="村镇",
            day=date(2021, 6, 24),
            title=HOSTILE[: 200 + i],
            participants=1,
            enterprises=1,
        )
        add_rectification(
            store,
            when="2021-06-24 09:00",
            actor=7,
            field_name=campaign.FIELDS[i % 11],
            identified=1,
            rectified=1,
            cases=HOSTILE,
        )
        store.table("reviews").insert(
            {
                "kind": "extension",
                "task": 1 + i % 25,
                "unit": "区发改局",
                "status": "pending",
                "due": "2021-07-15",
                "reason": HOSTILE,
            }
        )
    text = messages_of(services, FRIDAY).text
    assert "<script>" not in text and "&lt;script&gt;" in text
    parts = messages_of(services, FRIDAY).messages
    assert len(parts) >= 2
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        parse_html(part)
    joined = "\n".join(parts)
    assert "诚信建设万里行" in joined and "专项治理" in joined


def test_silent_units_are_those_owing_due_work(services: Services) -> None:
    store = services.store
    store.parts.update_state(18, "区司法局", at=at("2021-06-22 10:00"), actor=2001, status="done")
    store.parts.update_state(
        18, "区市场监管局", at=at("2021-06-22 10:00"), actor=2002, status="done"
    )
    store.plan.set_task_closed(18, True)
    data = messages_of(services, FRIDAY).data
    assert data["completed"][0]["closed"] is True
    rows = {row["unit"]: row for row in data["silent"]}
    assert "团区委" not in rows  # its only part (#24) is due in October
    assert "区司法局" not in rows  # reported this week
    assert all(r["task"] != 18 for row in rows.values() for r in row["refs"])  # closed
    # #20 (due 5/31) is overdue; #1's June report fell due (6/8) before the plan was imported
    # (6/21): nobody chases it, so it is neither overdue nor owed; the rest is due 6/30
    assert rows["区商务局"]["overdue"] == 1
    assert [r["task"] for r in rows["区商务局"]["refs"][:2]] == [20, 2]
    assert all(r["task"] != 1 for row in rows.values() for r in row["refs"])
    assert "区发改局" not in rows  # the coordinating office: the coordinators' own work
    assert data["silent"][0]["overdue"]  # units with overdue work come first
    text = messages_of(services, FRIDAY).text
    section = text.split("六、本周未报送的单位")[1].split("七、")[0]
    assert "🔴 区商务局：#20、#2、" in section and "（逾期 1 项）" in section
    # the list is cut to the first 10 units (most overdue first); 区法院 owes nothing overdue
    assert "• 区法院：" not in section and f"其余 {len(rows) - 10} 个单位见 /status" in section
    assert [r["task"] for r in rows["区法院"]["refs"]] == [6, 11, 14]
    assert "团区委" not in section
    assert "✅ #18 全面推行信用承诺制（任务已办结） — 区司法局、区市场监管局 完成分工" in text
    valid_messages(text)


def test_everyone_reporting_leaves_the_section_short(services: Services) -> None:
    store = services.store
    for unit in {s["unit"] for s in store.parts.states()}:
        task_id = store.parts.states(unit=unit)[0]["task"]
        store.parts.update_state(
            task_id, unit, at=at("2021-06-22 10:00"), actor=7, event="note", note="本周推进中"
        )
    data = messages_of(services, FRIDAY).data
    assert data["silent"] == []
    assert "有到期任务的单位本周均有报送" in messages_of(services, FRIDAY).text


def test_reference_kpi_is_noted_and_relative_target_judged(services: Services) -> None:
    store = services.store
    base, firms = kpis.find_kpi("xyd_base"), kpis.find_kpi("xyd_firms")
    assert base is not None and firms is not None
    kpis.record_metric(
        store, base, 120, at=at("2021-06-21 10:00"), actor=1, unit="区金融发展服务中心"
    )
    kpis.record_metric(
        store, firms, 200, at=at("2021-06-24 10:00"), actor=1, unit="区金融发展服务中心"
    )
    text = messages_of(services, FRIDAY).text
    assert "📝 信易贷平台入驻企业数（基数）：120家" in text
    assert "⚠️ 信易贷平台入驻企业数：200家（目标 ≥ 2 × 基数（= 240家））" in text


def test_ranking_praises_only_units_with_a_record(services: Services) -> None:
    later = date(2021, 7, 9)
    data = messages_of(services, later).data
    assert data["ranking"]["top"] == []  # nothing done on time, nothing reported
    assert data["ranking"]["bottom"]  # but the late ones are named
    text = messages_of(services, later).text
    assert "暂无达到表扬标准的单位（按期完成率不低于 80%，或近 4 周中至少 3 周自主报送" in text
    assert "表现较好" not in text and "scoring.yaml" not in text


# -- views: closed tasks, extensions, long notes ------------------------------------------
def test_overview_lists_closed_tasks_on_their_own(services: Services) -> None:
    services.store.plan.set_task_closed(3, True)
    text = views.overview(services, FRIDAY)
    group, rest = text.split("<b>二、")[0], text.split("已办结（1 项）")[1]
    assert "#3 " not in group and "已办结 1 项" in group
    assert "#3 健全公共信用信息异议和修复工作机制" in rest
    valid_messages(text)


def test_task_view_shows_a_units_own_deadline(services: Services) -> None:
    services.store.parts.update_state(
        4,
        "区发改局",
        at=at("2021-06-22 10:00"),
        actor=1001,
        event="extension.approve",
        due_override="2021-07-20",
    )
    page = views.task_view(services, 4, date(2021, 7, 5))
    assert page is not None
    own = next(line for line in page.text.split("\n") if " 区发改局（牵头）" in line)
    assert "本单位截止 2021年7月20日" in own
    other = next(line for line in page.text.split("\n") if " 区大数据中心（牵头）" in line)
    assert "本单位截止" not in other and "逾期 3 个工作日" in other


def test_task_view_pages_fit_hostile_notes_and_lose_no_unit(services: Services) -> None:
    store = services.store
    units = [s["unit"] for s in store.parts.states(task=4)]
    for i, unit in enumerate(units):
        # "<" and '"' grow fivefold when escaped: the worst a short note can do
        note = HOSTILE if i % 3 == 0 else ("<" if i % 3 == 1 else '"') * 5000
        store.parts.update_state(
            4, unit, at=at("2021-06-22 10:00"), actor=7, status="doing", note=note
        )
    first = views.task_view(services, 4, FRIDAY)
    assert first is not None and first.pages > 2  # fewer units per page, none cut off
    seen = []
    for n in range(first.pages):
        page = views.task_view(services, 4, FRIDAY, page=n)
        assert page is not None and page.page == n
        assert len(page.text) <= TELEGRAM_LIMIT and "<script>" not in page.text
        parse_html(page.text)
        seen += [u for u in units if f"\n🟢 {u}（" in page.text or f"\n🟡 {u}（" in page.text]
    assert sorted(seen) == sorted(units)


def test_progress_shows_the_newest_note_and_a_pending_claim(services: Services) -> None:
    """Two reports in the same second: the later one is the week's news; a lead's 已完成
    waiting for review reads so, not as the status it had before."""
    store = services.store
    store.people.bind_contact(2001, "区司法局", name="Alice", at=at("2021-06-21 09:00"))
    actor = Actor(2001, "Alice", False, ("区司法局",))
    submit(services, actor, 18, "区司法局", note="在推进")
    submit(services, actor, 18, "区司法局", status="done", note="定稿印发")
    (row,) = [r for r in messages_of(services, FRIDAY).data["progress"]["rows"] if r["task"] == 18]
    assert row["note"] == "定稿印发" and row["claimed"]
    assert "• #18 区司法局 已报完成（待审核）：定稿印发" in messages_of(services, FRIDAY).text


def test_the_status_overview_is_drawn_once_and_follows_every_change(services: Services) -> None:
    """/status is read far more often than the plan changes: it is drawn once, and drawn again
    after any change to a task or a part, or on another day."""
    store, day = services.store, date(2021, 6, 25)
    first = views.overview_page(services, day)
    assert views.overview_page(services, day) is first
    lead = store.plan.task(15).leads[0]  # type: ignore[union-attr]
    before = next(t for t in summary_snapshot(services, day) if t.task.id == 15).percent
    store.parts.update_state(15, lead, at=at("2021-06-25 10:00"), actor=2001, percent=95)
    after = next(t for t in summary_snapshot(services, day) if t.task.id == 15)
    assert after.percent != before
    assert views.overview_page(services, day).text != first.text
    store.plan.set_task_closed(15, True)
    assert next(t for t in summary_snapshot(services, day) if t.task.id == 15).light == "closed"
    other_day = views.overview_page(services, date(2021, 6, 28)).text
    assert other_day != views.overview_page(services, day).text
