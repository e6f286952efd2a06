"""A plan's title, as its document states it: how a revision is told from a new plan.

The title is the first line near the top that names a document (方案, 要点, 分解表, 通知…),
not a metadata line (索引号：…), a numbered heading or the table itself. A notice that
issues a plan (关于印发《…》的通知) is titled by the plan it issues.
"""

from __future__ import annotations

import re

# Words a document's title ends with or holds (工作要点, 任务分解表, 实施方案, 责任清单…).
_DOC_WORDS = re.compile(
    r"(方案|要点|计划|清单|分工|分解|任务|措施|通知|意见|安排|办法|规划|责任|情况|进度|实事|目标)"
)
_METADATA = re.compile(r"^[^，。,]{1,8}\s*[:：]")  # 索 引 号: / 发布日期：
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])"
)
_ISSUED = re.compile(r"关于印发(.+?)的通知")
_QUOTED = re.compile(r"《([^《》]{4,}?)》")
_BRACKETED = re.compile(r"^【[^】]*】")
_SENTENCE = re.compile(r"[，,。；;]")
_SPACES = re.compile(r"\s+")
_NOISE = re.compile(r"[\s《》〈〉“”\"'‘’()（）〔〕\[\]【】、，,。．.:：;；·—\-]+")
SCAN_LINES = 40
TITLE_MAX = 80


def plan_title(text: str) -> str:
    """The document's title, or "" when none can be seen before the task table."""
    seen = 0
    for raw in text.splitlines():
        line = _SPACES.sub("", raw.strip().lstrip("\ufeff"))
        if not line:
            continue
        seen += 1
        if seen > SCAN_LINES or " | " in raw or "牵头单位" in line or "责任单位" in line[:12]:
            break
        line = _BRACKETED.sub("", line)
        issued = _ISSUED.search(line)
        if issued:
            name = issued[1]
            whole = _QUOTED.fullmatch(name)
            return (whole[1] if whole else name)[:TITLE_MAX]
        if _SENTENCE.search(line):  # 现将《…》印发给你们，…: the plan it names, if any
            quoted = next((q for q in _QUOTED.findall(line) if _DOC_WORDS.search(q)), "")
            if quoted:
                return quoted[:TITLE_MAX]
            continue
        if _METADATA.match(line) or _NUMBERED.match(line) or line.startswith("附件"):
            continue
        if (
            6 <= len(line) <= TITLE_MAX
            and _DOC_WORDS.search(line)
            and not line.endswith(("：", ":"))
        ):
            return line.strip("《》")
    return ""


def same_title(a: str, b: str) -> bool:
    """Whether two titles name the same document (spacing, quotes and punctuation aside)."""
    return bool(a) and title_key(a) == title_key(b)


def title_key(title: str) -> str:
    return _NOISE.sub("", title)


def short_title(title: str, limit: int = 14) -> str:
    """A title short enough for a heading on a phone: 《…》 kept whole when it fits."""
    inner = re.search(r"《(.+?)》", title)
    core = inner[1] if inner and len(inner[1]) <= limit else title
    return core if len(core) <= limit else core[: limit - 1] + "…"
