"""The one scorecard: who ranks, in what order, and what counts as a unit's own reporting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.features import kpis
from bot.reports import report, scorecard
from bot.reports.summary import messages_of
from bot.services import Services
from tests.prepared import at, services_fixture

services = services_fixture("2021-07-09 17:00")
DAY = date(2021, 7, 9)
COORD = 1001


def test_a_coordinators_metric_is_proxy_and_not_the_units_own(services: Services) -> None:
    store = services.store
    kpi = kpis.find_kpi("credit_loan_share")
    assert kpi is not None
    unit = "区金融发展服务中心"
    kpis.record_metric(store, kpi, 25, at=at("2021-07-05 10:00"), actor=COORD, unit=unit)
    who = scorecard.reporters(services)
    (ev,) = store.history.events(kinds=["metric"])
    assert who.is_proxy(ev) and not who.is_own(ev)
    card = scorecard.scorecard(services, DAY)
    row = next(r for r in card.rows if r.unit == unit)
    assert row.own_weeks == 0 and row.proxy_entries == 1
    # the same value from the unit's own bound contact counts
    store.people.bind_contact(3001, unit, name="钱七", at=at("2021-07-05 09:00"))
    kpis.record_metric(store, kpi, 26, at=at("2021-07-06 10:00"), actor=3001, unit=unit)
    row = next(r for r in scorecard.scorecard(services, DAY).rows if r.unit == unit)
    assert row.own_weeks == 1
    # and the coordinators' own unit reports for itself
    assert who.is_own({"kind": "note", "actor": COORD, "unit": "区发改局", "at": "2021-07-06"})
    assert who.is_proxy({"kind": "note", "actor": COORD, "unit": "区民政局", "at": "2021-07-06"})


def test_never_reported_never_ranks_above_reported_and_no_due_work_is_unranked(
    services: Services,
) -> None:
    store = services.store
    store.people.bind_contact(3002, "区民政局", name="周九", at=at("2021-06-21 09:00"))
    store.parts.update_state(
        18, "区民政局", at=at("2021-07-06 10:00"), actor=3002, event="note", note="推进中"
    )
    card = scorecard.scorecard(services, DAY)
    ranked = [r.unit for r in card.ranked]
    assert ranked[0] == "区民政局"  # the only unit with its own reporting
    assert all(r.own_weeks == 0 for r in card.ranked[1:])
    # units with nothing due in the window are listed apart, not ranked
    assert card.unranked and all(r.due == 0 and r.rank is None for r in card.unranked)
    assert "团区委" in [r.unit for r in card.unranked]  # its only part (#24) is due in October
    # the export and the summary read the same card, in the same order
    sheet = next(s for s in report.collect(services, DAY).sheets if s.title == "单位评分")
    assert [row[1] for row in sheet.rows] == [r.unit for r in card.rows]
    ranks = [row[0] for row in sheet.rows[: len(ranked)]]
    assert ranks == [r.rank for r in card.ranked] and ranks[0] == 1
    # equal merit, equal rank (1, 2, 2, 4): a rank is the number of units strictly ahead + 1
    merit = [(r.own_weeks == 0, -(r.score or 0), r.overdue) for r in card.ranked]
    assert ranks == [1 + sum(m < mine for m in merit) for mine in merit]
    assert {row[0] for row in sheet.rows[len(ranked) :]} == {"不参与排名", "督办单位"}
    assert [row[1] for row in sheet.rows if row[0] == "督办单位"] == ["区发改局"]
    data = messages_of(services, DAY).data
    # Ranked first, but its overdue work outweighs one note: not held up as an example.
    assert card.ranked[0].score == 0 and card.ranked[0].overdue > 0
    assert data["ranking"]["top"] == []
    assert data["ranking"]["unranked"] == [r.unit for r in card.unranked]


def test_scoring_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "scoring.yaml"
    bad.write_text("window_weeks: 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="window_weeks"):
        scorecard.load_scoring(bad)
    bad.write_text("weights: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting"):
        scorecard.load_scoring(bad)
    assert scorecard.load_scoring() == scorecard.Scoring()  # the bundled file: the defaults
