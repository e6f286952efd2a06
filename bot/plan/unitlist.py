"""Unit lists as plans write them: `区发改局、区大数据中心`, `…等有关部门`, `各镇(街道)`."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Group phrases that name several units at once and must stay one entry.
GROUP_PHRASES: tuple[str, ...] = (
    "具行政许可、行政处罚职能的部门",
    "具有行政许可、行政处罚职能的部门",
    "区级有关部门",
    "区各镇(街道)",
    "各镇(街道)",
    "区各行业主管部门",
    "园区",
)

SEPARATORS = "、,，；;\n/"
_OPEN = "(（"
_CLOSE = ")）"
_PARENS = str.maketrans("（）", "()")
_TRAILING_ETC = re.compile(r"等(?:其他|其它)?(?:有关|相关)?(?:行业主管)?(?:部门|单位)?$")
_SPACE = re.compile(r"\s+")
# a bracket that is a note about the list, not part of a name: `（除标注外，下同）`
_NOTE = re.compile(
    r"[(（][^()（）]*(?:下同|除|标注|标\*|以下简称|为牵头|列第一|排名|排序|按职责|分工)[^()（）]*[)）]"
)
_STRAY = re.compile(r"^[*＊★☆△▲※]+|[*＊★☆△▲※]+$")
# `各区、县级市`, `各县、市、区`: a short `各X` followed by bare levels is one group
_EACH = re.compile(r"^各[^()（）]{1,2}$")
_LEVEL = re.compile(
    r"^(?:县级市|县市区|县（市、区）|县\(市、区\)|[市县区乡镇]|街道|乡镇|镇街|功能区|开发区)(?:人民)?(?:政府)?$"
)
# `具行政许可、行政处罚职能的部门`: a clause ending in `…的部门/单位` continues the one before
_OF_UNITS = re.compile(r"的(?:部门|单位|机构)$")
_QUALIFIER = re.compile(r"^(?:具有|具|承担|负有|负责|涉及|拥有|履行|有)")


def normalize_unit(name: str) -> str:
    """A unit name for comparison: ASCII parentheses, no whitespace."""
    return _SPACE.sub("", name.translate(_PARENS))


def _protected(text: str, phrases: Iterable[str]) -> set[int]:
    """Positions of separators that lie inside a kept phrase."""
    # full-width and ASCII parentheses map one to one, so positions survive the translation
    plain = text.translate(_PARENS)
    keep: set[int] = set()
    for phrase in phrases:
        phrase = phrase.strip().translate(_PARENS)
        if not phrase or not any(sep in phrase for sep in SEPARATORS):
            continue
        start = plain.find(phrase)
        while start >= 0:
            keep.update(i for i in range(start, start + len(phrase)) if plain[i] in SEPARATORS)
            start = plain.find(phrase, start + 1)
    return keep


def strip_etc(name: str) -> str:
    """`区文明办等有关部门` → `区文明办`: the trailing `等…部门` is not part of the name."""
    return _TRAILING_ETC.sub("", name).strip()


def is_group_phrase(name: str) -> bool:
    """Whether a name stands for several units (`各镇（街道）`, `市直有关单位`, `区级有关部门`)."""
    plain = normalize_unit(name)
    if plain in {normalize_unit(p) for p in GROUP_PHRASES}:
        return True
    if plain.startswith(("各", "区各", "市各", "县各")):
        return True
    return bool(
        re.search(r"(?:有关|相关|其他|其它|各)[^、，,；;]*(?:部门|单位|机构)", plain)
    ) or bool(_OF_UNITS.search(plain))


def _joined(items: list[str]) -> list[str]:
    """Items rejoined where a separator fell inside a group phrase."""
    out: list[str] = []
    for item in items:
        if out and item:
            prev = out[-1]
            head = prev.split("、")[0]
            if _EACH.match(head) and _LEVEL.match(item):
                out[-1] = prev + "、" + item
                continue
            whole = _QUALIFIER.match(item) or "、" in item  # already a phrase of its own
            if _OF_UNITS.search(item) and not whole and _QUALIFIER.match(prev) and "的" not in prev:
                out[-1] = prev + "、" + item
                continue
        out.append(item)
    return out


def split_units(text: str, keep: Iterable[str] = ()) -> list[str]:
    """The unit names in `text`, split on `、,，；;` outside parentheses, group phrases whole."""
    if not text:
        return []
    text = _NOTE.sub("", text)
    protected = _protected(text, (*GROUP_PHRASES, *keep))
    items: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in SEPARATORS and depth == 0 and i not in protected:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    names = (strip_etc(_STRAY.sub("", item.strip()).strip()) for item in items)
    return _joined([name for name in names if name and name.strip("()（）")])
