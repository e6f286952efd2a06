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
# a role verb left on the last name of a list: `区财政局按职责分工负责`, `区民政局配合`
_TRAILING_VERB = re.compile(
    r"(?:(?:按照?|根据|依据)(?:各自)?职责(?:分工)?)?(?:分别|共同|联合|会同)?"
    r"(?:牵头负责|牵头|负责|配合|协同|协助|协办|参与)(?:实施|落实|推进|完成|工作)?$"
)
# a unit name: what it ends with (for lists that separate names by spaces only)
UNIT_END = re.compile(
    r"(?:局|办|委|院|部|会|中心|政府|街道|镇|乡|单位|部门|公司|集团|所|队|站|行|处|厅|室|科|股"
    r"|联|社|馆|团|区|县|市|管委会|指挥部|分局|支队|大队|法院|检察院)[)）]?$"
)
# `各区、县级市`, `各县、市、区`: a short `各X` followed by bare levels is one group
_EACH = re.compile(r"^各[^()（）]{1,2}$")
_LEVEL = re.compile(
    r"^(?:县级市|县市区|县（市、区）|县\(市、区\)|[市县区乡镇]|街道|乡镇|镇街|功能区|开发区)(?:人民)?(?:政府)?$"
)
# `具行政许可、行政处罚职能的部门`: a clause ending in `…的部门/单位` continues the one before
_OF_UNITS = re.compile(r"的(?:部门|单位|机构)$")
_QUALIFIER = re.compile(r"^(?:具有|具|承担|负有|负责|涉及|拥有|履行|有)")


def is_unit_name(name: str) -> bool:
    """Whether a name reads as a unit's (or a group of units): `区发改局`, `各镇（街道）`."""
    return len(name) <= 30 and bool(UNIT_END.search(name) or is_group_phrase(name))


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
    names = (_clean_name(item) for item in items)
    return _joined([n for name in names for n in _by_spaces(name) if n and n.strip("()（）")])


def _clean_name(item: str) -> str:
    """One listed name without stray marks, `等有关部门`, a role verb or an unmatched bracket."""
    name = _balanced(strip_etc(_STRAY.sub("", item.strip()).strip()))
    stripped = _TRAILING_VERB.sub("", name).strip()
    if stripped and stripped != name:
        name = _balanced(strip_etc(stripped))
    return name


def _balanced(name: str) -> str:
    """`区发改局）` → `区发改局`: a closing bracket whose opening one is in another item."""
    pairs = {")": "(", "）": "（", "〕": "〔", "】": "【", "]": "[", "］": "［"}
    while name and name[-1] in pairs and name.count(name[-1]) > name.count(pairs[name[-1]]):
        name = name[:-1].rstrip()
    while name and name[0] in "(（〔【[［" and not any(c in name for c in ")）〕】]］"):
        name = name[1:].lstrip()
    return name


def _by_spaces(name: str) -> list[str]:
    """`区发改局 区财政局`: names separated by spaces only, when every part is a unit's name."""
    parts = name.split()
    if len(parts) > 1 and all(UNIT_END.search(p) and len(p) >= 3 for p in parts):
        return parts
    return [name]
