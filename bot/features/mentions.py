"""A plain message that starts with `#N`: which task it is about and what it says.

In a private chat a bound contact may write `#18 今天完成了初稿` without a command or a reply;
that is a note on #18 (with a file, evidence for #18). Pure: no store, no Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `#18 …`, `＃18：…`, `#18，…` or `#18今天…`; the number ends at the first non-digit.
_LEADING = re.compile(r"^\s*[#＃]\s?(\d{1,6})(?!\d)[\s:：,，、.。;；\-—]*")


@dataclass(frozen=True)
class Mention:
    """A message about task `task`; `rest` is what follows the number, stripped."""

    task: int
    rest: str


def leading_task(text: str | None) -> Mention | None:
    """The task a message starts with (`#N`), or None when it does not start with one."""
    if not text:
        return None
    m = _LEADING.match(text)
    if m is None:
        return None
    return Mention(task=int(m[1]), rest=text[m.end() :].strip())
