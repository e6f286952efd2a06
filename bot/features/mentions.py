"""A plain message that starts with a ref (`#18`, `#B18`): which task it is about and what it says.

In a private chat a bound contact may write `#18 今天完成了初稿` without a command or a reply;
that is a note on #18 (with a file, evidence for #18). Pure: no store, no Telegram; which task
the ref names is bot.features.refs's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.plan.refs import Ref

# `#18 …`, `＃18：…`, `#18，…`, `#18今天…` or `#B18 …`; the number ends at the first non-digit.
_LEADING = re.compile(r"^\s*[#＃]\s?(?:([A-Za-z]{1,4})\s?)?(\d{1,6})(?!\d)[\s:：,，、.。;；\-—]*")


@dataclass(frozen=True)
class Mention:
    """A message about task number `task` (of plan `code`, when written); `rest` is what
    follows the ref, stripped."""

    task: int
    rest: str
    code: str | None = None

    @property
    def ref(self) -> Ref:
        return Ref(self.code, self.task)


def leading_task(text: str | None) -> Mention | None:
    """The task a message starts with (`#N`, `#BN`), or None when it does not start with one."""
    if not text:
        return None
    m = _LEADING.match(text)
    if m is None:
        return None
    return Mention(
        task=int(m[2]), rest=text[m.end() :].strip(), code=m[1].upper() if m[1] else None
    )
