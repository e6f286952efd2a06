"""The unit directory: who the plan's unit names are, and which units a group phrase means."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import bot
from bot.domain.datafile import read_yaml
from bot.store.records import Role

if TYPE_CHECKING:
    from bot.plan.model import Task

UnitKind = Literal["department", "town", "court", "park", "mass_org", "other"]
KINDS: tuple[str, ...] = ("department", "town", "court", "park", "mass_org", "other")
FLAGS: tuple[str, ...] = ("licensing", "regulator")

DEFAULT_PATH = bot.DATA / "units.yaml"

_SPACE = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """The lookup key of a name: NFKC (full-width parentheses become ASCII), no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


@dataclass(frozen=True)
class Unit:
    """One responsible unit (责任单位) of the plan."""

    name: str
    full_name: str
    aliases: tuple[str, ...] = ()
    kind: UnitKind = "department"
    licensing: bool = False
    regulator: bool = False


@dataclass(frozen=True)
class _Group:
    name: str
    aliases: tuple[str, ...]
    members: tuple[Unit, ...]


class Directory:
    """Every unit and group the plan may name, with lookups tolerant of how people write them."""

    def __init__(
        self,
        units: Iterable[Unit],
        groups: Iterable[_Group] = (),
        coordinator: str | None = None,
        district: str | None = None,
        source: str = "<units>",
    ) -> None:
        self.source = source
        self.district = normalize_name(district) if district else None
        self.units: tuple[Unit, ...] = tuple(units)
        self._groups: dict[str, _Group] = {g.name: g for g in groups}
        # normalised name -> the unit or group it means; a name meaning two things is a
        # mistake in the YAML, reported on load rather than resolved by file order.
        self._index: dict[str, Unit | _Group] = {}
        for unit in self.units:
            for key in (unit.name, unit.full_name, *unit.aliases):
                self._register(key, unit)
        for group in self._groups.values():
            for key in (group.name, *group.aliases):
                self._register(key, group)
        if not self.units:
            raise ValueError(f"{source}: no units defined")
        wanted = coordinator if coordinator is not None else self.units[0].name
        found = self.get(wanted)
        if found is None:
            raise ValueError(f"{source}: coordinator {wanted!r} is not a known unit")
        self.coordinator: Unit = found

    def _register(self, key: str, target: Unit | _Group) -> None:
        norm = self._key(key)
        other = self._index.get(norm)
        if other is not None and other is not target:
            raise ValueError(
                f"{self.source}: name {key!r} is used by both {other.name!r} and {target.name!r}"
            )
        self._index[norm] = target

    def _key(self, name: str) -> str:
        norm = normalize_name(name)
        # "镇海区发改局" is how outsiders write "区发改局"
        if self.district and norm.startswith(self.district) and len(norm) > len(self.district):
            norm = "区" + norm[len(self.district) :]
        return norm

    @classmethod
    def load(cls, path: Path | None = None, coordinator: str | None = None) -> Directory:
        """Read a unit directory YAML (default: the bundled one); ValueError names the file."""
        path = Path(path) if path is not None else DEFAULT_PATH
        raw = read_yaml(path, "unit directory")
        return cls.from_mapping(raw, source=str(path), coordinator=coordinator)

    @classmethod
    def from_mapping(
        cls, raw: Any, source: str = "<units>", coordinator: str | None = None
    ) -> Directory:
        """Build a directory from parsed YAML; every defect is a one-line ValueError."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"{source}: expected a mapping with 'units' and 'groups'")
        raw_units = raw.get("units")
        if not isinstance(raw_units, list) or not raw_units:
            raise ValueError(f"{source}: missing field 'units' (a non-empty list)")
        units = [_parse_unit(item, i, source) for i, item in enumerate(raw_units)]
        by_name = {normalize_name(u.name): u for u in units}
        raw_groups = raw.get("groups") or []
        if not isinstance(raw_groups, list):
            raise ValueError(f"{source}: 'groups' must be a list")
        groups = [
            _parse_group(item, i, source, units, by_name) for i, item in enumerate(raw_groups)
        ]
        wanted = coordinator if coordinator is not None else raw.get("coordinator")
        if wanted is not None and not isinstance(wanted, str):
            raise ValueError(f"{source}: 'coordinator' must be a unit name")
        district = raw.get("district")
        if district is not None and not isinstance(district, str):
            raise ValueError(f"{source}: 'district' must be a string")
        return cls(units, groups, coordinator=wanted, district=district, source=source)

    @property
    def groups(self) -> list[str]:
        """The group names, in file order."""
        return list(self._groups)

    def get(self, name: str) -> Unit | None:
        """The unit a name means (short name, full name or alias), or None."""
        found = self._index.get(self._key(name))
        return found if isinstance(found, Unit) else None

    def is_group(self, name: str) -> bool:
        """Whether the name is a group phrase such as 区级有关部门."""
        return isinstance(self._index.get(self._key(name)), _Group)

    def canonical(self, name: str) -> str | None:
        """The directory's own spelling of a unit or group name, or None if unknown."""
        found = self._index.get(self._key(name))
        return found.name if found is not None else None

    def expand(self, name: str) -> list[Unit]:
        """The concrete units a name stands for: [unit], a group's members, or [] if unknown."""
        found = self._index.get(self._key(name))
        if isinstance(found, Unit):
            return [found]
        if isinstance(found, _Group):
            return list(found.members)
        return []

    def suggest(self, name: str, cutoff: float = 0.6) -> str | None:
        """The nearest known name for an unknown one; None if it is known or nothing is close.

        `cutoff` is difflib's similarity bar (0..1); a small one names the nearest at any
        distance, as `duban check` does.
        """
        key = self._key(name)
        if not key or key in self._index:
            return None
        close = difflib.get_close_matches(key, list(self._index), n=1, cutoff=cutoff)
        return self._index[close[0]].name if close else None

    def check_name(self, name: str) -> str | None:
        """For `check_plan`: None if the name is known, else the nearest known unit or group."""
        if self.canonical(name) is not None:
            return None
        return self.suggest(name, cutoff=0.01) or ""

    def responsible(self, task: Task) -> list[tuple[Unit, Role]]:
        """Every concrete unit of a task with its role; a unit both lead and supporter is a lead."""
        seen: set[str] = set()
        out: list[tuple[Unit, Role]] = []
        roles: tuple[tuple[Iterable[str], Role], ...] = (
            (task.leads, "lead"),
            (task.supporters, "supporter"),
        )
        for names, role in roles:
            for name in names:
                for unit in self.expand(name):
                    if unit.name not in seen:
                        seen.add(unit.name)
                        out.append((unit, role))
        return out


def _field(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: missing field {key!r}")
    return value.strip()


def _aliases(item: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = item.get("aliases") or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise ValueError(f"{where}: 'aliases' must be a list of names")
    return tuple(a.strip() for a in value if a.strip())


def _parse_unit(item: Any, index: int, source: str) -> Unit:
    where = f"{source}: units[{index}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    name = _field(item, "name", where)
    where = f"{source}: unit {name}"
    kind = _field(item, "kind", where)
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    flags = {}
    for flag in FLAGS:
        value = item.get(flag, False)
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {flag!r} must be true or false")
        flags[flag] = value
    return Unit(
        name=name,
        full_name=_field(item, "full_name", where),
        aliases=_aliases(item, where),
        kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
        **flags,
    )


def _parse_group(
    item: Any, index: int, source: str, units: list[Unit], by_name: dict[str, Unit]
) -> _Group:
    where = f"{source}: groups[{index}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    name = _field(item, "name", where)
    where = f"{source}: group {name}"
    rule, members = item.get("rule"), item.get("members")
    if (rule is None) == (members is None):
        raise ValueError(f"{where}: needs exactly one of 'rule' or 'members'")
    chosen: list[Unit] = []
    if rule is not None:
        if not isinstance(rule, Mapping) or len(rule) != 1:
            raise ValueError(f"{where}: rule must be {{kind: K}} or {{flag: F}}")
        ((key, value),) = rule.items()
        if key == "kind" and value in KINDS:
            chosen = [u for u in units if u.kind == value]
        elif key == "flag" and value in FLAGS:
            chosen = [u for u in units if getattr(u, value)]
        else:
            raise ValueError(f"{where}: unknown rule {key}: {value}")
    else:
        if not isinstance(members, list):
            raise ValueError(f"{where}: 'members' must be a list of unit names")
        for member in members:
            unit = by_name.get(normalize_name(str(member)))
            if unit is None:
                raise ValueError(f"{where}: member {member!r} is not a unit")
            chosen.append(unit)
    # `members: []` is a group the office has yet to fill in: it names no units (yet);
    # a rule that selects nothing is a mistake in the rule
    if rule is not None and not chosen:
        raise ValueError(f"{where}: has no members")
    return _Group(name=name, aliases=_aliases(item, where), members=tuple(chosen))
