"""Authorization: who may change which unit's part of a task, and who may speak at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.features.access import (
    Actor,
    Grant,
    Refusal,
    admission,
    authorize,
    command_allowed,
    resolve_actor,
)
from bot.services import Services
from tests.harness import COORDINATOR, START
from tests.prepared import writer_services

ALICE, BOB, CAROL = 2001, 2002, 2003


@pytest.fixture
def services(seeded_data_dir: Path, tmp_path: Path) -> Iterator[Services]:
    with writer_services(
        tmp_path, START, coordinators=frozenset({COORDINATOR}), seeded=seeded_data_dir
    ) as svc:
        store = svc.store
        store.people.bind_contact(ALICE, "区司法局", name="Alice", at=START)
        store.people.bind_contact(BOB, "区市场监管局", name="Bob", at=START)
        store.people.bind_contact(CAROL, "区司法局", name="Carol", at=START)
        store.people.bind_contact(CAROL, "区市场监管局", name="Carol", at=START)
        yield svc


def user(user_id: int, name: str = "X") -> SimpleNamespace:
    return SimpleNamespace(id=user_id, full_name=name)


def test_resolve_actor_roles(services: Services) -> None:
    alice = resolve_actor(services, user(ALICE, "Alice"))
    assert alice == Actor(ALICE, "Alice", False, ("区司法局",))
    assert alice.role == "contact"
    assert resolve_actor(services, user(COORDINATOR)).role == "coordinator"
    stranger = resolve_actor(services, user(9999))
    assert stranger.is_stranger and stranger.units == ()


def test_unbound_contact_becomes_stranger(services: Services) -> None:
    services.store.people.unbind_contact(ALICE, "区司法局", at=START, actor=COORDINATOR)
    assert resolve_actor(services, user(ALICE)).is_stranger


def test_contact_updates_own_unit(services: Services) -> None:
    alice = resolve_actor(services, user(ALICE))
    assert authorize(alice, services, 18) == Grant(18, "区司法局", on_behalf=False)
    assert authorize(alice, services, 18, "司法局") == Grant(18, "区司法局")


def test_contact_cannot_update_other_unit(services: Services) -> None:
    alice = resolve_actor(services, user(ALICE))
    refusal = authorize(alice, services, 18, "区市场监管局")
    assert isinstance(refusal, Refusal) and refusal.reason == "not_your_unit"
    assert "区市场监管局" in refusal.text


def test_contact_without_part(services: Services) -> None:
    alice = resolve_actor(services, user(ALICE))
    refusal = authorize(alice, services, 17, None)  # 17: 区金融发展服务中心 alone
    assert isinstance(refusal, Refusal) and refusal.reason == "not_responsible"


def test_unit_without_part_named(services: Services) -> None:
    coordinator = resolve_actor(services, user(COORDINATOR))
    refusal = authorize(coordinator, services, 17, "区司法局")
    assert isinstance(refusal, Refusal) and refusal.reason == "no_part"


def test_several_units_must_choose(services: Services) -> None:
    carol = resolve_actor(services, user(CAROL))
    refusal = authorize(carol, services, 18)
    assert isinstance(refusal, Refusal) and refusal.reason == "which_unit"
    assert set(refusal.choices) == {"区司法局", "区市场监管局"}
    assert authorize(carol, services, 18, "区市场监管局") == Grant(18, "区市场监管局")
    # Only one of Carol's units has a part in #16: no need to ask.
    assert authorize(carol, services, 16) == Grant(16, "区司法局")


def test_coordinator_acts_on_behalf(services: Services) -> None:
    coordinator = resolve_actor(services, user(COORDINATOR))
    assert authorize(coordinator, services, 18, "区司法局") == Grant(18, "区司法局", on_behalf=True)
    refusal = authorize(coordinator, services, 18)
    assert isinstance(refusal, Refusal) and refusal.reason == "which_unit"
    assert "区司法局" in refusal.choices


def test_unknown_task_and_unit(services: Services) -> None:
    alice = resolve_actor(services, user(ALICE))
    assert authorize(alice, services, 99).reason == "unknown_task"  # type: ignore[union-attr]
    assert authorize(alice, services, 18, "火星局").reason == "unknown_unit"  # type: ignore[union-attr]


def test_stranger_is_refused(services: Services) -> None:
    stranger = resolve_actor(services, user(9999))
    refusal = authorize(stranger, services, 18, "区司法局")
    assert isinstance(refusal, Refusal) and refusal.reason == "stranger"


@pytest.mark.parametrize(
    ("role", "command", "allowed"),
    [
        ("stranger", "start", True),
        ("stranger", "help", True),
        ("stranger", "mytasks", False),
        ("contact", "update", True),
        ("contact", "invite", False),
        ("coordinator", "invite", True),
    ],
)
def test_command_allowed(role: str, command: str, allowed: bool) -> None:
    actor = Actor(1, "x", role == "coordinator", ("区司法局",) if role == "contact" else ())
    assert command_allowed(actor, command) is allowed


def test_admission() -> None:
    stranger = Actor(1, "x", False, ())
    contact = Actor(2, "y", False, ("区司法局",))
    coordinator = Actor(3, "z", True, ())
    assert admission(stranger, in_group=False, command="start") is None
    assert admission(stranger, in_group=False, command="update") == "stranger"
    assert admission(stranger, in_group=False, addressed=True) == "stranger"
    assert admission(stranger, in_group=False) == "ignore"  # e.g. blocking the bot
    assert admission(contact, in_group=True, command="update") == "use_private"
    assert admission(contact, in_group=True) == "ignore"
    assert admission(contact, in_group=False, command="units") == "coordinator_only"
    assert admission(contact, in_group=False, button="rv") == "coordinator_only"
    assert admission(coordinator, in_group=True, command="status") is None
