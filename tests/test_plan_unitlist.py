"""Splitting unit lists: separators, group phrases, trailing 等…部门, parentheses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.unitlist import GROUP_PHRASES, normalize_unit, split_units


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("区发改局、区大数据中心", ["区发改局", "区大数据中心"]),
        (
            "区发改局,区财政局，区民政局；区法院;园区",
            ["区发改局", "区财政局", "区民政局", "区法院", "园区"],
        ),
        ("具行政许可、行政处罚职能的部门", ["具行政许可、行政处罚职能的部门"]),
        (
            "区法院、具行政许可、行政处罚职能的部门、园区",
            ["区法院", "具行政许可、行政处罚职能的部门", "园区"],
        ),
        ("区发改局、各镇(街道)、园区", ["区发改局", "各镇(街道)", "园区"]),
        ("区建设交通局、区各镇（街道）", ["区建设交通局", "区各镇（街道）"]),
        ("区文明办等有关部门", ["区文明办"]),
        ("区市场监管局等行业主管部门,区各镇(街道)", ["区市场监管局", "区各镇(街道)"]),
        ("区教育局、团区委等部门、各镇(街道)", ["区教育局", "团区委", "各镇(街道)"]),
        ("某单位(含下属A、B两个中心)、区法院", ["某单位(含下属A、B两个中心)", "区法院"]),
        ("某单位（含A，B）", ["某单位（含A，B）"]),
        (" 区发改局 、、 区财政局 ", ["区发改局", "区财政局"]),
        ("", []),
        ("等有关部门", []),
        ("区级有关部门", ["区级有关部门"]),
    ],
)
def test_split(text: str, units: list[str]) -> None:
    assert split_units(text) == units


def test_extra_keep_phrases() -> None:
    text = "区发改局、承担安全生产、消防监管职责的部门"
    assert split_units(text) == ["区发改局", "承担安全生产、消防监管职责的部门"]
    keep = ["承担安全生产、消防监管职责的部门"]
    assert split_units(text, keep) == ["区发改局", "承担安全生产、消防监管职责的部门"]


def test_normalize() -> None:
    assert normalize_unit(" 各镇（街道） ") == "各镇(街道)"
    assert normalize_unit("区 发改局") == "区发改局"


_CHARS = st.characters(
    codec="utf-8", categories=("Lo", "Nd"), exclude_characters="、,，；;()（）等各的"
)
names = st.text(_CHARS, min_size=1, max_size=8)
separators = st.sampled_from(["、", ",", "，", "；", ";"])


@settings(deadline=None)
@given(st.lists(names | st.sampled_from(GROUP_PHRASES), min_size=1, max_size=8), st.data())
def test_round_trip(units: list[str], data: st.DataObject) -> None:
    text = units[0]
    for unit in units[1:]:
        text += data.draw(separators) + unit
    assert split_units(text) == units


@settings(deadline=None)
@given(
    st.lists(names, min_size=1, max_size=5),
    st.sampled_from(["等有关部门", "等行业主管部门", "等部门"]),
)
def test_trailing_etc_dropped(units: list[str], etc: str) -> None:
    assert split_units("、".join(units) + etc) == units


@settings(deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_items_are_clean(text: str) -> None:
    for unit in split_units(text):
        assert unit and unit == unit.strip()
        assert not unit.endswith("等部门")


@settings(deadline=None)
@given(st.lists(names, max_size=3), st.lists(names, max_size=3))
def test_kept_phrase_stays_whole(before: list[str], after: list[str]) -> None:
    phrase = "具行政许可、行政处罚职能的部门"
    units = [*before, phrase, *after]
    result = split_units("、".join(units))
    assert phrase in result
    assert result == units
