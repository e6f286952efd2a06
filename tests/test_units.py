"""The unit directory: every name in the seed plan resolves, groups expand, tasks list units."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot
from bot.domain.units import Directory, Unit
from bot.plan.model import Deadline, Task

SEED = bot.DATA / "zhenhai-2021-credit-plan.txt"
GROUP_PHRASES = ("具行政许可、行政处罚职能的部门",)
TRAILERS = re.compile(r"(等有关部门|等行业主管部门|等部门)$")


def seed_unit_names() -> set[str]:
    """Unit names of the seed table's unit cells, parsed crudely (independent of bot.plan)."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("重点任务 |"))
    names: set[str] = set()
    for line in lines[start + 1 :]:
        if "|" not in line:
            continue
        cells = [c.strip() for c in line.split("|")]
        # the deadline cell is the first one after the measure (which holds a sentence and 。)
        measure = next(i for i, c in enumerate(cells) if "。" in c)
        for cell in cells[measure + 2 :]:
            for phrase in GROUP_PHRASES:
                if phrase in cell:
                    names.add(phrase)
                    cell = cell.replace(phrase, "")
            for part in re.split(r"[、,，；]", cell):
                part = TRAILERS.sub("", part.strip())
                if part:
                    names.add(part)
    return names


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load()


def test_seed_parser_sees_the_table() -> None:
    names = seed_unit_names()
    assert {"区发改局", "区医保局", "团区委", "区委网信办", "各镇(街道)", "园区"} <= names
    assert len(names) > 35


def test_every_seed_unit_resolves(directory: Directory) -> None:
    unknown = sorted(n for n in seed_unit_names() if directory.canonical(n) is None)
    assert unknown == []
    for name in seed_unit_names():
        assert (directory.get(name) is not None) != directory.is_group(name)


def test_lookup_by_full_name_alias_and_spelling(directory: Directory) -> None:
    fgj = directory.get("区发改局")
    assert fgj is not None and fgj.full_name == "区发展和改革局" and fgj.kind == "department"
    for spelling in ("区发展和改革局", "发改局", "区发展改革局", " 区发改局 ", "镇海区发改局"):
        assert directory.get(spelling) is fgj, spelling
    assert directory.get("区法院") == directory.get("区人民法院")
    assert directory.get("区法院").kind == "court"  # type: ignore[union-attr]
    assert directory.get("区总工会").kind == "mass_org"  # type: ignore[union-attr]
    assert directory.get("团区委").kind == "mass_org"  # type: ignore[union-attr]
    assert directory.get("澥浦镇").kind == "town"  # type: ignore[union-attr]
    assert directory.get("区级有关部门") is None
    assert directory.get("区发改委") is None
    for spelling in ("各镇（街道）", "各镇(街道)", "区各镇(街道)", "各镇街道", " 各镇（ 街道） "):
        assert directory.is_group(spelling), spelling
        assert directory.canonical(spelling) == "各镇(街道)"
    assert directory.canonical("区人力资源和社会保障局") == "区人力社保局"
    assert directory.canonical("不存在的单位") is None


def test_units_are_ordered_and_coordinator_is_fgj(directory: Directory) -> None:
    assert directory.units[0].name == "区发改局"
    assert directory.coordinator.name == "区发改局"
    assert len({u.name for u in directory.units}) == len(directory.units)
    assert directory.groups == [
        "区级有关部门",
        "各镇(街道)",
        "园区",
        "区各行业主管部门",
        "具行政许可、行政处罚职能的部门",
    ]


def test_coordinator_is_configurable() -> None:
    assert Directory.load(coordinator="区市场监管局").coordinator.name == "区市场监管局"
    assert Directory.load(coordinator="市场监管局").coordinator.name == "区市场监管局"
    with pytest.raises(ValueError, match="coordinator"):
        Directory.load(coordinator="区发改委")


def _names(units: list[Unit]) -> list[str]:
    return [u.name for u in units]


def test_expand_groups(directory: Directory) -> None:
    assert _names(directory.expand("各镇(街道)")) == [
        "招宝山街道",
        "蛟川街道",
        "骆驼街道",
        "庄市街道",
        "澥浦镇",
        "九龙湖镇",
    ]
    assert _names(directory.expand("园区")) == ["宁波石化经济技术开发区", "镇海经济开发区"]
    departments = directory.expand("区级有关部门")
    assert {u.kind for u in departments} == {"department"}
    assert {"区发改局", "区委网信办", "区文明办"} <= set(_names(departments))
    assert not {"区法院", "区总工会", "团区委"} & set(_names(departments))
    assert len(departments) == sum(u.kind == "department" for u in directory.units)
    regulators = directory.expand("区各行业主管部门")
    assert regulators and all(u.regulator for u in regulators)
    assert {"区市场监管局", "区建设交通局", "区经信局"} <= set(_names(regulators))
    licensing = directory.expand("具行政许可、行政处罚职能的部门")
    assert licensing and all(u.licensing for u in licensing)
    assert {"区市场监管局", "区综合执法局"} <= set(_names(licensing))
    assert "区委组织部" not in _names(licensing)
    assert _names(directory.expand("区发改局")) == ["区发改局"]
    assert directory.expand("区发改委") == []


def test_suggest_nearest_name(directory: Directory) -> None:
    assert directory.suggest("区发改委") == "区发改局"
    assert directory.suggest("区市场监督局") == "区市场监管局"
    assert directory.suggest("区发改局") is None
    assert directory.suggest("区级有关部门") is None
    assert directory.suggest("各镇（街道）") is None
    assert directory.suggest("完全无关的东西xyz") is None


def test_check_name_always_names_the_nearest_for_an_unknown(directory: Directory) -> None:
    """`duban check` warns of every unknown unit, never of a known one or a group."""
    for known in ("区发改局", "区发展和改革局", "镇海区发改局", "各镇（街道）", "区级有关部门"):
        assert directory.check_name(known) is None
    assert directory.check_name("区发改委") == "区发改局"
    far = directory.check_name("火星办")
    assert far and directory.canonical(far) == far
    assert directory.check_name("xyz") == ""  # nothing in common with any name


def _task(leads: tuple[str, ...], supporters: tuple[str, ...]) -> Task:
    return Task(
        id=6,
        category_no=2,
        category="加强政务诚信建设",
        title="建立政府机构失信治理长效机制",
        text="建立政府机构失信治理长效机制。",
        deadline=Deadline(kind="once", text="2021年6月"),
        leads=leads,
        supporters=supporters,
    )


def test_responsible_expands_with_roles(directory: Directory) -> None:
    task = _task(("区法院",), ("区发改局", "区委编办", "区民政局", "各镇(街道)", "园区"))
    got = [(u.name, role) for u, role in directory.responsible(task)]
    assert got[:4] == [
        ("区法院", "lead"),
        ("区发改局", "supporter"),
        ("区委编办", "supporter"),
        ("区民政局", "supporter"),
    ]
    assert [n for n, _ in got[4:10]] == _names(directory.expand("各镇(街道)"))
    assert got[-2:] == [("宁波石化经济技术开发区", "supporter"), ("镇海经济开发区", "supporter")]
    assert len(got) == 12


def test_responsible_counts_a_unit_once_as_lead(directory: Directory) -> None:
    task = _task(("区发改局", "区大数据中心"), ("具行政许可、行政处罚职能的部门", "区发改委"))
    got = directory.responsible(task)
    names = [u.name for u, _ in got]
    assert len(names) == len(set(names))
    assert got[0][0].name == "区发改局" and got[0][1] == "lead"
    assert got[1][0].name == "区大数据中心" and got[1][1] == "lead"
    assert dict((u.name, r) for u, r in got)["区发改局"] == "lead"
    assert all(r == "supporter" for _, r in got[2:])
    assert len(got) == 2 + sum(u.licensing and u.name != "区发改局" for u in directory.units)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    return path


UNIT = "  - {name: 区甲局, full_name: 区甲管理局, kind: department}\n"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("units: [\n", "invalid YAML"),
        ("groups: []\n", "missing field 'units'"),
        ("units:\n  - {name: 区甲局, kind: department}\n", "missing field 'full_name'"),
        ("units:\n  - {full_name: 区甲管理局, kind: department}\n", "missing field 'name'"),
        ("units:\n  - {name: 区甲局, full_name: 区甲管理局}\n", "missing field 'kind'"),
        ("units:\n  - {name: 区甲局, full_name: x, kind: agency}\n", "kind 'agency'"),
        (f"units:\n{UNIT}{UNIT}", "both"),
        (f"units:\n{UNIT}groups:\n  - {{name: G, members: [区乙局]}}\n", "not a unit"),
        (f"units:\n{UNIT}groups:\n  - {{name: G}}\n", "'rule' or 'members'"),
        (f"units:\n{UNIT}coordinator: 区乙局\n", "coordinator"),
    ],
)
def test_bad_directory_is_one_line_naming_the_file(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        Directory.load(path)
    message = str(err.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_explicit_member_group(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "units:\n"
        "  - {name: 区甲局, full_name: 区甲管理局, kind: department}\n"
        "  - {name: 区乙局, full_name: 区乙管理局, kind: department, aliases: [乙局]}\n"
        "groups:\n  - {name: 甲乙, aliases: [甲乙两局], members: [区乙局, 区甲局]}\n",
    )
    directory = Directory.load(path)
    assert directory.coordinator.name == "区甲局"
    assert _names(directory.expand("甲乙两局")) == ["区乙局", "区甲局"]
    assert directory.get("乙局") is not None and not directory.is_group("乙局")


def test_a_group_with_no_members_yet_names_no_units(tmp_path: Path) -> None:
    """`members: []` is a group the office has not filled in: known, but it expands to nothing."""
    path = _write(
        tmp_path,
        "units:\n"
        "  - {name: 区甲局, full_name: 区甲管理局, kind: department}\n"
        "groups:\n  - {name: 各镇(街道), members: []}\n",
    )
    directory = Directory.load(path)
    assert directory.is_group("各镇（街道）") and directory.expand("各镇(街道)") == []


def test_a_rule_that_selects_no_unit_is_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "units:\n"
        "  - {name: 区甲局, full_name: 区甲管理局, kind: department}\n"
        "groups:\n  - {name: 各镇, rule: {kind: town}}\n",
    )
    with pytest.raises(ValueError, match="has no members"):
        Directory.load(path)
