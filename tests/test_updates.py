"""Applying a progress update: parsing `/update …`, validation, and what lands in the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.units import Directory
from bot.features import review
from bot.features.access import Actor, Grant, Refusal
from bot.features.updates import (
    NOTE_LIMIT,
    UpdateForm,
    apply_update,
    parse_detail,
    parse_update_command,
    submit,
)
from bot.services import Services
from tests.harness import COORDINATOR, START
from tests.prepared import writer_services

ALICE = Actor(2001, "Alice", False, ("区司法局",))
DRC = Actor(2002, "Dora", False, ("区发改局",))
COORD = Actor(COORDINATOR, "督办", True, ())


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load()


@pytest.fixture
def services(seeded_data_dir: Path, tmp_path: Path) -> Iterator[Services]:
    with writer_services(
        tmp_path, START, coordinators=frozenset({COORDINATOR}), seeded=seeded_data_dir
    ) as svc:
        svc.store.people.bind_contact(ALICE.user_id, "区司法局", name="Alice", at=START)
        svc.store.people.bind_contact(DRC.user_id, "区发改局", name="Dora", at=START)
        yield svc


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("18 进行中", UpdateForm(18, status="doing")),
        ("#18 doing 60%", UpdateForm(18, status="doing", percent=60)),
        (
            "18 进行中 60％ 已完成初稿",
            UpdateForm(18, status="doing", percent=60, note="已完成初稿"),
        ),
        ("18 进行中60% 初稿", UpdateForm(18, status="doing", percent=60, note="初稿")),
        (
            "18 受阻 等待 <上级> 文件 & 数据",
            UpdateForm(18, status="blocked", note="等待 <上级> 文件 & 数据"),
        ),
        ("18 已完成", UpdateForm(18, status="done")),
        ("18 区司法局 进行中 10%", UpdateForm(18, unit="区司法局", status="doing", percent=10)),
        ("18 司法局 todo", UpdateForm(18, unit="区司法局", status="todo")),
        ("1 本月无", UpdateForm(1, nil_return=True)),
        ("18 进行中 第一行\n第二行", UpdateForm(18, status="doing", note="第一行\n第二行")),
    ],
)
def test_parse_update_command(text: str, form: UpdateForm, directory: Directory) -> None:
    assert parse_update_command(text, directory) == form


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "missing_task"),
        ("   ", "missing_task"),
        ("abc 进行中", "bad_task"),
        ("18", "missing_status"),
        ("18 差不多", "unknown_status"),
        ("18 进行中 150%", "bad_percent"),
        ("18 进行中 " + "长" * (NOTE_LIMIT + 1), "note_too_long"),
    ],
)
def test_parse_update_command_errors(text: str, reason: str, directory: Directory) -> None:
    with pytest.raises(Refusal) as err:
        parse_update_command(text, directory)
    assert err.value.reason == reason
    assert err.value.text  # a short Chinese answer saying what would work


def test_parse_detail() -> None:
    assert parse_detail("60% 已完成初稿") == (60, "已完成初稿")
    assert parse_detail("60") == (60, None)
    assert parse_detail("只写说明") == (None, "只写说明")
    with pytest.raises(Refusal):
        parse_detail("101%")


def test_status_update_recorded(services: Services) -> None:
    outcome = apply_update(
        services, ALICE, Grant(18, "区司法局"), status="doing", percent=60, note="初稿 <b>"
    )
    state = services.store.parts.state(18, "区司法局")
    assert state is not None
    assert (state["status"], state["percent"], state["note"]) == ("doing", 60, "初稿 <b>")
    assert state["updated_by"] == ALICE.user_id and "on_behalf" not in state
    (event,) = services.store.history.events(task=18, unit="区司法局", kinds=["status"])
    assert (event["status"], event["percent"], event["note"]) == ("doing", 60, "初稿 <b>")
    assert "60%" in outcome.text and "初稿 &lt;b&gt;" in outcome.text


def test_lead_done_is_a_claim(services: Services) -> None:
    outcome = apply_update(services, ALICE, Grant(18, "区司法局"), status="done")
    state = services.store.parts.state(18, "区司法局")
    assert state is not None and state["status"] == "todo" and state["claim"] == "pending"
    assert outcome.claim is not None and outcome.claim["kind"] == "claim"
    assert review.open_request(services.store, "claim", 18, "区司法局") is not None
    again = apply_update(services, ALICE, Grant(18, "区司法局"), status="done")
    assert again.claim is None and again.claim_problem == "pending"
    assert len(review.records(services.store, kind="claim")) == 1


def test_supporter_done_is_done(services: Services) -> None:
    outcome = apply_update(services, DRC, Grant(18, "区发改局"), status="done")
    state = services.store.parts.state(18, "区发改局")
    assert state is not None and (state["status"], state["percent"]) == ("done", 100)
    assert outcome.claim is None


def test_monthly_status_counts_as_reported(services: Services) -> None:
    apply_update(services, DRC, Grant(1, "区发改局"), status="doing")
    state = services.store.parts.state(1, "区发改局")
    assert state is not None and state["reported"] == ["2021-06"]


def test_nil_return(services: Services) -> None:
    outcome = apply_update(services, DRC, Grant(1, "区发改局"), nil_return=True)
    state = services.store.parts.state(1, "区发改局")
    assert state is not None and state["reported"] == ["2021-06"] and state["status"] == "todo"
    assert services.store.history.events(task=1, unit="区发改局", kinds=["report"])
    assert "2021年6月 无新增" in outcome.text


def test_nil_return_refused_for_one_off_task(services: Services) -> None:
    with pytest.raises(Refusal) as err:
        apply_update(services, ALICE, Grant(18, "区司法局"), nil_return=True)
    assert err.value.reason == "nil_not_periodic"
    assert services.store.history.events(task=18, unit="区司法局") == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({}, "empty"), ({"note": "  "}, "empty"), ({"note": "x" * (NOTE_LIMIT + 1)}, "note_too_long")],
)
def test_nothing_half_stored(services: Services, fields: dict, reason: str) -> None:
    before = services.store.history.event_count()
    with pytest.raises(Refusal) as err:
        apply_update(services, ALICE, Grant(18, "区司法局"), **fields)
    assert err.value.reason == reason
    assert services.store.history.event_count() == before


def test_note_only(services: Services) -> None:
    apply_update(services, ALICE, Grant(18, "区司法局"), note="说明")
    state = services.store.parts.state(18, "区司法局")
    assert state is not None and state["note"] == "说明" and state["status"] == "todo"
    assert services.store.history.events(task=18, unit="区司法局", kinds=["note"])


def test_coordinator_on_behalf(services: Services) -> None:
    outcome = submit(services, COORD, 18, "区司法局", status="blocked", note="代报")
    assert not isinstance(outcome, Refusal) and outcome.on_behalf
    state = services.store.parts.state(18, "区司法局")
    assert state is not None and state["updated_by"] == COORDINATOR and "on_behalf" not in state
    (event,) = services.store.history.events(task=18, kinds=["status"])
    assert event["actor"] == COORDINATOR and event["on_behalf"] is True
    assert "代为更新" in outcome.text


def test_submit_refuses_other_unit(services: Services) -> None:
    refusal = submit(services, ALICE, 18, "区市场监管局", status="doing")
    assert isinstance(refusal, Refusal) and "区市场监管局" in refusal.text
    assert services.store.history.events(task=18, unit="区市场监管局") == []
