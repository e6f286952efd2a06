"""The reminder policy (`data/policy.yaml`): when reminders, chasers and escalations go out.

A deployment changes any number without touching the bundled file: a `policy.yaml` in
DUBAN_DATA_DIR is read over it, key by key (only the keys it names change).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import bot
from bot.domain.datafile import read_yaml

DEFAULT_PATH = bot.DATA / "policy.yaml"
OVERRIDE_NAME = "policy.yaml"  # in DUBAN_DATA_DIR
ROLES = ("lead", "supporter")


_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class OncePolicy:
    lead_days_before: tuple[int, ...] = (7, 3, 1)
    supporter_days_before: tuple[int, ...] = (7, 1)
    due_day_roles: tuple[str, ...] = ("lead",)


@dataclass(frozen=True)
class OverduePolicy:
    roles: tuple[str, ...] = ("lead", "supporter")
    every_workdays: int = 3
    escalate_after_workdays: int = 5
    inspection_after_workdays: int = 10  # 二级: to 区政府督查室 (DUBAN_INSPECTION_CHAT_ID)
    leader_after_workdays: int = 7  # to the unit's 分管领导 (0: off)


@dataclass(frozen=True)
class PeriodicPolicy:
    workdays_before: int = 3
    on_day: bool = True


@dataclass(frozen=True)
class OngoingPolicy:
    stale_days: int = 30


@dataclass(frozen=True)
class NoContactsPolicy:
    weekly: bool = True


@dataclass(frozen=True)
class SlipPolicy:
    reply_workdays: int = 5  # a 督办单 asks for the unit's written reply within this many workdays


@dataclass(frozen=True)
class DeliveryPolicy:
    messages_per_second: float = 28.0
    limiter_retries: int = 3
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    resend_after_timeout: int = 1
    retry_uncertain_after_minutes: int = 10
    concurrency: int = 30


@dataclass(frozen=True)
class BackupPolicy:
    at: str = "02:00"  # HH:MM on the bot's clock
    keep: int = 14


@dataclass(frozen=True)
class DueProgressPolicy:
    proportional: bool = True  # without milestones, progress is due evenly up to the deadline
    tolerance_points: int = 10  # lagging when the reported percent trails by more than this


@dataclass(frozen=True)
class Policy:
    """Every number of the reminder rules; the defaults are the issue's default policy."""

    once: OncePolicy = field(default_factory=OncePolicy)
    overdue: OverduePolicy = field(default_factory=OverduePolicy)
    periodic: PeriodicPolicy = field(default_factory=PeriodicPolicy)
    ongoing: OngoingPolicy = field(default_factory=OngoingPolicy)
    no_contacts: NoContactsPolicy = field(default_factory=NoContactsPolicy)
    slip: SlipPolicy = field(default_factory=SlipPolicy)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    backup: BackupPolicy = field(default_factory=BackupPolicy)
    due_progress: DueProgressPolicy = field(default_factory=DueProgressPolicy)


_SECTIONS: dict[str, type] = {
    "once": OncePolicy,
    "overdue": OverduePolicy,
    "periodic": PeriodicPolicy,
    "ongoing": OngoingPolicy,
    "no_contacts": NoContactsPolicy,
    "slip": SlipPolicy,
    "delivery": DeliveryPolicy,
    "backup": BackupPolicy,
    "due_progress": DueProgressPolicy,
}


def _value(where: str, default: Any, raw: Any) -> Any:
    """Check one setting against the type of its default."""
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ValueError(f"{where}: expected true or false, got {raw!r}")
        return raw
    if isinstance(default, str):  # a time of day
        if not isinstance(raw, str) or not _HHMM.fullmatch(raw):
            raise ValueError(f"{where}: expected a time HH:MM, got {raw!r}")
        return raw
    if isinstance(default, int):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"{where}: expected a whole number ≥ 0, got {raw!r}")
        return raw
    if isinstance(default, float):
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
            raise ValueError(f"{where}: expected a number ≥ 0, got {raw!r}")
        return float(raw)
    if isinstance(default, tuple):
        if not isinstance(raw, list):
            raise ValueError(f"{where}: expected a list, got {raw!r}")
        if default and isinstance(default[0], str):
            if not all(r in ROLES for r in raw):
                raise ValueError(f"{where}: roles must be among {', '.join(ROLES)}")
            return tuple(raw)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in raw):
            raise ValueError(f"{where}: expected a list of whole numbers > 0, got {raw!r}")
        return tuple(sorted(set(raw), reverse=True))
    raise ValueError(f"{where}: unsupported setting")  # pragma: no cover


def policy_from_mapping(raw: Any, source: str = "<policy>", base: Policy | None = None) -> Policy:
    """A Policy from parsed YAML; missing keys keep `base`'s values (default: the defaults),
    unknown keys are errors."""
    policy = base or Policy()
    if raw is None:
        return policy
    if not isinstance(raw, Mapping):
        raise ValueError(f"{source}: expected a mapping of sections")
    for name, section in raw.items():
        cls = _SECTIONS.get(name)
        if cls is None:
            raise ValueError(f"{source}: unknown section {name!r}")
        if section is None:
            continue
        if not isinstance(section, Mapping):
            raise ValueError(f"{source}: {name}: expected a mapping")
        current = getattr(policy, name)
        known = {f.name for f in fields(cls)}
        changes = {}
        for key, value in section.items():
            if key not in known:
                raise ValueError(f"{source}: {name}.{key}: unknown setting")
            changes[key] = _value(f"{source}: {name}.{key}", getattr(current, key), value)
        policy = replace(policy, **{name: replace(current, **changes)})
    inspection = policy.overdue.inspection_after_workdays
    if inspection and inspection <= policy.overdue.escalate_after_workdays:
        raise ValueError(
            f"{source}: overdue.inspection_after_workdays: must be more than "
            "escalate_after_workdays (the second tier comes after the first)"
        )
    if policy.overdue.every_workdays < 1:
        raise ValueError(f"{source}: overdue.every_workdays: must be at least 1")
    if policy.backup.keep < 1:
        raise ValueError(f"{source}: backup.keep: must be at least 1")
    if policy.delivery.max_attempts < 1:
        raise ValueError(f"{source}: delivery.max_attempts: must be at least 1")
    if policy.due_progress.tolerance_points > 100:
        raise ValueError(f"{source}: due_progress.tolerance_points: must be at most 100")
    if policy.delivery.messages_per_second <= 0:
        raise ValueError(f"{source}: delivery.messages_per_second: must be more than 0")
    return policy


def load_policy(path: Path | None = None, base: Policy | None = None) -> Policy:
    """Read the policy YAML (default: the bundled one) over `base`; PolicyError names the file
    and key."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.exists() and path == DEFAULT_PATH:
        return base or Policy()
    try:
        return policy_from_mapping(read_yaml(path, "the policy"), source=str(path), base=base)
    except PolicyError:
        raise
    except ValueError as exc:
        raise PolicyError(str(exc)) from None


def override_path(data_dir: Path) -> Path:
    """Where a deployment's own policy lives: DUBAN_DATA_DIR/policy.yaml."""
    return Path(data_dir) / OVERRIDE_NAME


def policy_for(data_dir: Path | None) -> Policy:
    """The bundled policy, with DUBAN_DATA_DIR/policy.yaml (when there is one) read over it."""
    bundled = load_policy()
    if data_dir is None or not override_path(data_dir).is_file():
        return bundled
    return load_policy(override_path(data_dir), base=bundled)


# -- the policy in force, read again when the override file changes ----------------------
@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The bundled policy (`data/policy.yaml`)."""
    return load_policy()


@lru_cache(maxsize=8)
def _policy_at(data_dir: str, stamp: int | None) -> Policy:
    return policy_for(Path(data_dir)) if stamp is not None else default_policy()


def policy_of(services: Any) -> Policy:
    """The policy in force: the bundled one with DUBAN_DATA_DIR/policy.yaml read over it.

    The override is read again when the file changes, so an edit applies from the next tick.
    Raises PolicyError (naming the file and key) when the override is malformed.
    """
    explicit = getattr(services, "policy", None)
    if explicit is not None:
        return explicit  # type: ignore[no-any-return]
    data_dir = services.settings.data_dir
    try:
        stamp: int | None = override_path(data_dir).stat().st_mtime_ns
    except OSError:
        stamp = None
    return _policy_at(str(data_dir), stamp)
