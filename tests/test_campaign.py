"""诚信建设万里行 and 专项治理 records: the activity date, counts, stats (bot/campaign.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.features import campaign
from tests.prepared import add_activity, add_rectification

D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("昨天", "2021-11-25", "2021-11-24"),
        ("11月20日", "2021-11-25", "2021-11-20"),
        ("上周五", "2021-11-25", "2021-11-19"),
        ("2021-06-03", "2021-11-25", "2021-06-03"),
        # a month and day still ahead this year is last year's: activities have taken place
        ("11月20日", "2021-06-18", "2020-11-20"),
        ("12.28", "2022-01-05", "2021-12-28"),
        # a date said with its year, or a relative word, is kept as said (the dialogue refuses
        # a future day)
        ("2021-12-01", "2021-06-18", "2021-12-01"),
        ("明天", "2021-06-18", "2021-06-19"),
    ],
)
def test_activity_day(text: str, today: str, expected: str) -> None:
    assert campaign.activity_day(text, D(today)) == D(expected)


def test_activity_day_not_understood() -> None:
    assert campaign.activity_day("随便", D("2021-06-18")) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", 120),
        ("120人", 120),
        ("1,200人次", 1200),
        ("很多", None),
        ("1000000000", None),  # a typo, not a figure to add to the totals
        ("-5", None),
    ],
)
def test_parse_count(text: str, expected: int | None) -> None:
    assert campaign.parse_count(text) == expected


def test_campaign_stats_week_matrix_and_carriers_missing() -> None:
    records = [
        {
            "form": "论坛讲座",
            "carrier": "校园",
            "day": "2021-06-23",
            "at": "2021-06-24T09:00:00",
            "unit": "区文明办",
            "participants": 120,
            "enterprises": 0,
        },
        # held last week, reported this week: it is this week's news
        {
            "form": "现场活动",
            "carrier": "企业",
            "day": "2021-06-16",
            "at": "2021-06-21T09:00:00",
            "unit": "区商务局",
            "participants": 80,
            "enterprises": 12,
        },
        {
            "form": "现场活动",
            "carrier": "企业",
            "day": "2021-06-09",
            "at": "2021-06-10T09:00:00",
            "unit": "区商务局",
            "participants": 50,
            "enterprises": 3,
        },
    ]
    stats = campaign.campaign_stats(records, D("2021-06-21"), D("2021-06-25"))
    assert [r["day"] for r in stats.week] == ["2021-06-16", "2021-06-23"]
    assert stats.matrix["现场活动"]["企业"] == 2 and stats.matrix["论坛讲座"]["校园"] == 1
    assert (stats.total, stats.participants, stats.units) == (3, 250, 2)
    assert (stats.enterprises, stats.week_enterprises) == (15, 12)
    assert stats.carriers_missing == ["商圈", "街道社区", "村镇"]


def test_rectify_stats_per_field_with_exit_rate() -> None:
    records = [
        {
            "field": "金融",
            "identified": 10,
            "rectified": 6,
            "cases": "案例一",
            "at": "2021-06-22T10:00:00",
        },
        {
            "field": "金融",
            "identified": 0,
            "rectified": 4,
            "cases": "",
            "at": "2021-06-10T10:00:00",
        },
        {
            "field": "信用服务机构失信",
            "identified": 3,
            "rectified": 0,
            "cases": "旧案例",
            "at": "2021-06-10T10:00:00",
        },
    ]
    stats = {f.name: f for f in campaign.rectify_stats(records, D("2021-06-21"), D("2021-06-25"))}
    assert len(stats) == 11 and stats["金融"].task == 25 and stats["信用服务机构失信"].task == 11
    assert stats["金融"].exit_rate == 100.0 and stats["金融"].met is True
    assert stats["金融"].week_cases == ["案例一"]
    assert stats["信用服务机构失信"].met is False and stats["信用服务机构失信"].week_cases == []
    assert stats["国家考试"].exit_rate is None and stats["国家考试"].met is None
    assert campaign.total_exit_rate(stats.values()) == pytest.approx(100 * 10 / 13)


@pytest.mark.parametrize(
    "build, fields",
    [
        (
            add_activity,
            {"form": "茶话会", "day": D("2021-06-22"), "title": "x", "participants": 1},
        ),
        (add_rectification, {"field_name": "天气", "identified": 1, "rectified": 1}),
    ],
)
def test_unknown_form_or_field_is_refused(
    tmp_path: Path, build: Callable[..., object], fields: dict[str, object]
) -> None:
    from bot.store import Store

    store = Store(tmp_path, fsync=False)
    try:
        with pytest.raises(ValueError):
            build(store, when="2021-06-22 10:00", actor=1, **fields)
    finally:
        store.close()


def test_a_report_on_24_or_25_counts_as_the_units_progress(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Found in a month's rehearsal: 区文明办 reported 专项治理 for #25, and on the next
    month's first workday was told #25 had no update for 30 days (持续推进), its status still
    未启动. (The plan is imported on 21 June: 2 August is the first such day a month after.)"""
    from bot.features.sweep import planned
    from tests.prepared import at, make_services

    services = make_services(seeded_data_dir, tmp_path, "2021-06-20 10:00")
    store = services.store
    try:
        before = [
            (r.task, r.unit) for r in planned(services, D("2021-08-02"), include_unreachable=True)
        ]
        assert (25, "区文明办") in before
        add_rectification(
            store,
            when="2021-07-20 10:00",
            unit="区文明办",
            actor=2003,
            field_name="电信网络",
            identified=8,
            rectified=6,
        )
        state = store.parts.state(25, "区文明办")
        assert state is not None and state["updated_at"] == "2021-07-20T10:00:00+08:00"
        assert state["updated_by"] == 2003 and state["status"] == "todo"  # the status stays
        after = [
            (r.task, r.unit) for r in planned(services, D("2021-08-02"), include_unreachable=True)
        ]
        assert (25, "区文明办") not in after
        # an activity recorded late (an earlier timestamp) never moves the stamp back
        add_activity(store, participants=50)  # 区文明办's lecture of 23 June, at 24 June 09:00
        assert store.parts.state(24, "区文明办")["updated_at"] == "2021-06-24T09:00:00+08:00"  # type: ignore[index]
        assert store.parts.touch_state(
            24, "区文明办", at=at("2021-06-01 09:00"), actor=1, what="activity"
        )
        assert store.parts.state(24, "区文明办")["updated_at"] == "2021-06-24T09:00:00+08:00"  # type: ignore[index]
        # a unit without a part in the task: the report is kept, no state is touched
        assert not store.parts.touch_state(
            25, "招宝山街道", at=at("2021-06-24 09:00"), actor=1, what="rectify"
        )
    finally:
        services.close()
