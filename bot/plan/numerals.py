"""Chinese numerals as plans and users write them: 一, 十二, 二十五, 两, 〇, and plain digits."""

from __future__ import annotations

import re

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
_DIGITS |= {c: i for i, c in enumerate("０１２３４５６７８９")}

# A number in either script, for use inside larger regexes.
NUMBER = r"(?:\d+|[０-９]+|[〇零一二两三四五六七八九十百]+)"
CN_NUMBER = r"[〇零一二两三四五六七八九十百]+"

_ASCII = re.compile(r"\d+")


def parse_number(text: str) -> int | None:
    """The value of a numeral like `12`, `十二`, `二十五`, `一百零三`; None if it is not one."""
    text = text.strip()
    if not text or len(text) > 40:  # no count or year is written this long
        return None
    if _ASCII.fullmatch(text):
        return int(text)
    if all(c in _DIGITS for c in text):
        # 二〇二一 or ２０２１: digit by digit, the way years are written
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current, seen = 0, 0, False
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
            seen = True
        elif ch == "十":
            total += (current or 1) * 10
            current, seen = 0, True
        elif ch == "百":
            total += (current or 1) * 100
            current, seen = 0, True
        else:
            return None
    return total + current if seen else None
