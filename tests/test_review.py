"""Completion claims and extension requests: parsing, validation and the review state machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.domain.dates import parse_chinese_date
from bot.features import extensions, review
from bot.features.review import ReviewError
from bot.services import Services
from tests.prepared import writer_services

TODAY = date(2021, 6, 10)  # a Thursday; task 18 is due 2021-06-30, leads 区司法局 + 区市场监管局
LEAD, LEAD2, SUPPORTER = "区司法局", "区市场监管局", "区发改局"
COORD = 1


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with writer_services(
        tmp_path, datetime(2021, 6, 10, 10), coordinators=frozenset({COORD})
    ) as svc:
        yield svc


@pytest.mark.parametrize(
    ("text", "due", "reason"),
    [
        ("7月15日 因数据未到齐", date(2021, 7, 15), "因数据未到齐"),
        ("7月15日因数据未到齐", date(2021, 7, 15), "因数据未到齐"),
        ("下周五 等待上级文件", date(2021, 6, 18), "等待上级文件"),
        ("2021-07-15 系统改造", date(2021, 7, 15), "系统改造"),
        ("2021 年 7 月 15 日 系统改造", date(2021, 7, 15), "系统改造"),
        ("月底，人员不足", date(2021, 6, 30), "人员不足"),
        ("1月10日 跨年", date(2022, 1, 10), "跨年"),
        # what dateparser misses is normalised first: a time of day, 前, relative words
        ("明天下午3点 来不及", date(2021, 6, 11), "来不及"),
        ("明天下午3点前完成不了", date(2021, 6, 11), "完成不了"),
        ("7月15日 15:00 系统切换", date(2021, 7, 15), "系统切换"),
        ("7月15日前 数据未到齐", date(2021, 7, 15), "数据未到齐"),
        ("下周一上午 等待会签", date(2021, 6, 14), "等待会签"),
        ("三天后 人员外出", date(2021, 6, 13), "人员外出"),
        ("下周五前期工作未完成", date(2021, 6, 18), "前期工作未完成"),
    ],
)
def test_parse_request(text: str, due: date, reason: str) -> None:
    ask = extensions.parse_request(text, TODAY)
    assert (ask.due, ask.reason) == (due, reason)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("明天下午3点", date(2021, 6, 11)),
        ("后天晚上8点前", date(2021, 6, 12)),
        ("下周五上午十点半", date(2021, 6, 18)),
        ("2021-07-15 09:30", date(2021, 7, 15)),
        ("7月15日下午", date(2021, 7, 15)),
    ],
)
def test_a_time_of_day_is_dropped(text: str, due: date) -> None:
    assert parse_chinese_date(text, TODAY, prefer_future=True) == due


def test_dateparser_gets_its_languages_and_is_warmed_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import dateparser

    from bot.telegram.app import _warm_up_dateparser

    calls: list[dict[str, object]] = []
    real = dateparser.parse

    def spy(text: str, **kwargs: object) -> object:
        calls.append(kwargs)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dateparser, "parse", spy)
    _warm_up_dateparser(SimpleNamespace(bot_data={}))  # type: ignore[arg-type]
    assert calls and calls[-1]["languages"] == ["zh", "en"]  # no auto-detection (~23 ms, 'ja')
    assert parse_chinese_date("next friday", TODAY) == date(2021, 6, 11)
    assert len(calls) == 2 and calls[-1]["languages"] == ["zh", "en"]
    assert parse_chinese_date("下周一", TODAY) == date(2021, 6, 14)  # rules: no dateparser call
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "no_date"),
        ("随便 写写", "no_date"),
        ("7月15日", "no_reason"),
        ("7月15日 " + "长" * 2001, "reason_too_long"),
    ],
)
def test_parse_request_errors(text: str, code: str) -> None:
    with pytest.raises(ReviewError) as err:
        extensions.parse_request(text, TODAY)
    assert err.value.code == code


def test_extension_must_be_later_than_the_current_deadline(services: Services) -> None:
    with pytest.raises(ReviewError) as err:
        extensions.request_extension(services, 18, LEAD, 42, date(2021, 6, 30), "理由")
    assert err.value.code == "not_later" and err.value.info["current"] == date(2021, 6, 30)
    with pytest.raises(ReviewError):
        extensions.request_extension(services, 18, LEAD, 42, date(2021, 6, 1), "理由")


def test_extension_request_approve(services: Services) -> None:
    rec = extensions.request_extension(services, 18, LEAD, 42, date(2021, 7, 15), "数据未到齐")
    assert rec["kind"] == "extension" and rec["status"] == "pending"
    assert rec["old_due"] == "2021-06-30" and rec["due"] == "2021-07-15"
    with pytest.raises(ReviewError) as err:
        extensions.request_extension(services, 18, LEAD, 42, date(2021, 7, 20), "再来")
    assert err.value.code == "pending"
    decision = review.approve(services, rec["id"], COORD)
    assert not decision.already and decision.record["status"] == "approved"
    assert services.store.parts.state(18, LEAD)["due_override"] == "2021-07-15"
    assert extensions.current_due(services, 18, LEAD, TODAY) == date(2021, 7, 15)
    kinds = [e["kind"] for e in services.store.history.events(task=18, unit=LEAD)]
    assert kinds[-2:] == ["extension.request", "extension.approve"]
    assert review.approve(services, rec["id"], COORD).already  # a double press does nothing
    assert len(services.store.history.events(task=18, kinds=["extension.approve"])) == 1


def test_extension_reject_needs_a_reason(services: Services) -> None:
    rec = extensions.request_extension(services, 18, LEAD, 42, date(2021, 7, 15), "数据未到齐")
    with pytest.raises(ReviewError):
        review.reject(services, rec["id"], COORD, "  ")
    decision = review.reject(services, rec["id"], COORD, "<b>不予延期</b>")
    assert decision.record["decision_reason"] == "<b>不予延期</b>"
    assert services.store.parts.state(18, LEAD)["due_override"] is None
    assert services.store.history.events(task=18, kinds=["extension.reject"])[0]["reason"] == (
        "<b>不予延期</b>"
    )
    assert review.approve(services, rec["id"], COORD).already
    assert services.store.parts.state(18, LEAD)["due_override"] is None


def test_claim_approve_and_close(services: Services) -> None:
    services.store.parts.update_state(18, LEAD, at=services.clock.now(), actor=42, status="doing")
    claim = review.create_claim(services, 18, LEAD, 42)
    assert services.store.parts.state(18, LEAD)["claim"] == "pending"
    assert services.store.parts.state(18, LEAD)["status"] == "doing"
    assert review.create_claim(services, 18, LEAD, 42)["id"] == claim["id"]  # not made twice
    decision = review.approve(services, claim["id"], COORD)
    assert not decision.task_closed
    state = services.store.parts.state(18, LEAD)
    assert state["status"] == "done" and state["claim"] is None
    assert not services.store.plan.task_meta(18)["closed"]
    second = review.create_claim(services, 18, LEAD2, 43)
    supporters = [s["unit"] for s in review.open_supporter_parts(services.store, 18)]
    assert len(supporters) == 6
    decision = review.approve(services, second["id"], COORD, supporters="close")
    assert decision.task_closed and sorted(decision.closed_parts) == sorted(supporters)
    assert services.store.plan.task_meta(18)["closed"]
    for unit in supporters:  # each closed by the coordinator, with the reason
        state = services.store.parts.state(18, unit)
        assert state["status"] == "done" and state["closed_by"] == "coordinator"
        (ev,) = services.store.history.events(task=18, unit=unit, kinds=["part.closed"])
        assert ev["actor"] == COORD and ev["reason"] == review.CLOSE_REASON
    assert review.approve(services, second["id"], COORD).already
    assert len(services.store.history.events(task=18, kinds=["task.closed"])) == 1


def test_claim_approved_keeping_supporters_open_is_not_closed(services: Services) -> None:
    for lead, who in ((LEAD, 42), (LEAD2, 43)):
        claim = review.create_claim(services, 18, lead, who)
        decision = review.approve(services, claim["id"], COORD, supporters="keep")
    assert not decision.task_closed and len(decision.kept_open) == 6
    assert not services.store.plan.task_meta(18).get("closed")
    # the last supporter finishing its part closes the task
    for unit in decision.kept_open:
        services.store.parts.update_state(
            18, unit, at=services.clock.now(), actor=99, status="done", event="status"
        )
    assert review.close_if_complete(services, 18, 99)
    assert services.store.plan.task_meta(18)["closed"]
    with pytest.raises(ReviewError) as err:
        review.create_claim(services, 18, LEAD, 42)
    assert err.value.code == "done"


def test_claim_reject(services: Services) -> None:
    claim = review.create_claim(services, 18, LEAD, 42)
    decision = review.reject(services, claim["id"], COORD, "材料不全")
    state = services.store.parts.state(18, LEAD)
    assert state["claim"] == "rejected" and state["status"] == "doing"
    assert decision.record["status"] == "rejected"
    assert review.reject(services, claim["id"], COORD, "又一次").already
    assert review.get(services.store, claim["id"])["decision_reason"] == "材料不全"
    again = review.create_claim(services, 18, LEAD, 42)  # may claim again after a refusal
    assert again["id"] != claim["id"]
    assert [r["id"] for r in review.records(services.store)] == [again["id"]]


def test_a_later_status_withdraws_the_pending_claim(services: Services) -> None:
    from bot.features.access import Actor, Grant
    from bot.features.updates import apply_update

    lead = Actor(42, "李科长", False, (LEAD,))
    apply_update(services, lead, Grant(18, LEAD), status="done")
    (claim,) = review.records(services.store, kind="claim")
    apply_update(services, lead, Grant(18, LEAD), status="doing", note="发现还缺一份材料")
    assert services.store.parts.state(18, LEAD)["claim"] is None
    assert review.records(services.store, kind="claim") == []
    assert review.approve(services, claim["id"], COORD).already  # an old 通过 button: no-op
    assert services.store.parts.state(18, LEAD)["status"] == "doing"


def test_claim_refusals(services: Services) -> None:
    for unit, code in ((SUPPORTER, "supporter"), ("区教育局", "not_responsible")):
        with pytest.raises(ReviewError) as err:
            review.create_claim(services, 18, unit, 42)
        assert err.value.code == code
    with pytest.raises(ReviewError) as err:
        review.create_claim(services, 999, LEAD, 42)
    assert err.value.code == "unknown_task"
    with pytest.raises(ReviewError) as err:
        review.approve(services, 12345, COORD)
    assert err.value.code == "not_found"


def test_awaited_input_is_durable_and_expires(services: Services) -> None:
    from datetime import timedelta

    from bot.features import pending

    store, now = services.store, services.clock.now()
    assert pending.expected(store, 42, "text", now) is None
    pending.expect(store, 42, "text", "reject", now=now, record=7)
    pending.expect(store, 42, "file", "evidence", now=now, task=18, unit=LEAD)
    assert pending.expected(store, 42, "text", now)["record"] == 7
    assert pending.expected(store, 42, "file", now)["unit"] == LEAD
    pending.expect(store, 42, "text", "extend", now=now, task=18, unit=LEAD)
    assert pending.expected(store, 42, "text", now)["record"] is None  # replaced, not merged
    assert pending.expected(store, 42, "text", now + pending.WAIT + timedelta(seconds=1)) is None
    assert pending.clear(store, 42, "text") and not pending.clear(store, 42, "text")
    assert pending.expected(store, 42, "file", now) is not None
    assert pending.clear(store, 42) and pending.expected(store, 42, "file", now) is None
