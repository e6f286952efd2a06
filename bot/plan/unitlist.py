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

SEPARATORS = "、,，；;"
_OPEN = "(（"
_CLOSE = ")）"
_PARENS = str.maketrans("（）", "()")
_TRAILING_ETC = re.compile(r"等(?:其他|其它)?(?:有关|相关)?(?:行业主管)?(?:部门|单位)$")
_SPACE = re.compile(r"\s+")


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


def split_units(text: str, keep: Iterable[str] = ()) -> list[str]:
    """The unit names in `text`, split on `、,，；;` outside parentheses, group phrases whole."""
    if not text:
        return []
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
    names = (strip_etc(item.strip()) for item in items)
    return [name for name in names if name]
