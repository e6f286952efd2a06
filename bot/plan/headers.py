"""Which column of a task table holds what, from the header's own words and their synonyms."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Each field with the words plans use for it, most specific first. A header cell is matched
# whole first, then by containment, so `具体工作措施` is a measure and `牵头单位（部门）` leads.
NUMBER = ("序号", "编号", "序")
GROUP = ("分类", "类别", "领域", "板块", "任务类别", "工作类别", "项目类别", "类型")
# words that name the measure when alone, and the group when a measure column is also there
TASKISH = (
    "重点任务",
    "主要任务",
    "工作任务",
    "目标任务",
    "重点工作",
    "民生实事",
    "实事项目",
    "任务",
    "事项",
    "实事",
    "工作",
)
MEASURE = (
    "具体措施",
    "工作措施",
    "主要措施",
    "工作举措",
    "具体举措",
    "具体任务",
    "任务内容",
    "工作内容",
    "具体内容",
    "主要内容",
    "具体工作",
    "措施",
    "内容",
)
DEADLINE = (
    "时限要求",
    "完成时限",
    "完成时间",
    "时间节点",
    "时间安排",
    "进度安排",
    "时间要求",
    "完成期限",
    "截止时间",
    "办结时限",
    "时间进度",
    "进度要求",
    "完成节点",
    "时限",
    "时间",
)
LEADS = (
    "牵头单位",
    "牵头部门",
    "主责单位",
    "主责部门",
    "牵头责任单位",
    "牵头科室",
    "牵头处室",
    "牵头股室",
    "主办单位",
    "主办部门",
    "主办科室",
    "主要责任单位",
    "牵头",
)
SUPPORTERS = (
    "配合单位",
    "协办单位",
    "参与单位",
    "配合部门",
    "协同单位",
    "协办部门",
    "参与部门",
    "协同部门",
    "协助单位",
    "协助部门",
    "协助科室",
    "配合科室",
    "配合处室",
    "协办科室",
    "协办处室",
    "其他责任单位",
    "配合",
    "协助",
)
RESPONSIBLE = (
    "责任单位",
    "责任部门",
    "责任科室",
    "责任处室",
    "责任股室",
    "承办科室",
    "实施单位",
    "承办单位",
    "责任主体",
    "负责单位",
    "负责部门",
)
# columns that name a person (a leader, a contact): never units, whatever else they say
PERSON = (
    "责任领导",
    "分管领导",
    "牵头领导",
    "包抓领导",
    "联系领导",
    "挂点领导",
    "牵头负责领导",
    "分管县领导",
    "分管区领导",
    "分管市领导",
    "领导",
    "责任人",
    "负责人",
    "联系人",
    "经办人",
)

# columns that report on the work (`工作进展情况`, `1-10月推进情况`, `完成状态`): never the task
PROGRESS = ("进展", "推进情况", "完成情况", "落实情况", "完成状态", "存在问题")

_SPACE = re.compile(r"\s+")
# a header's own words, maybe after the year they are for (`2022年预期目标`), not a number
_WORDY = re.compile(r"^(?:20\d\d年度?)?[^\d\W]")
# a column under a banner such as 年度目标: `2023年`, `2024年度`, `第一季度`, `上半年`
_PERIOD_WORD = re.compile(
    r"^(?:20\d\d年?度?(?:目标|任务)?|第?[一二三四1-4]季度|[上下]半年|\d{1,2}月(?:份)?)$"
)
_NOTE = re.compile(r"[（(][^）)]*[）)]")
# a header cell is short; a long cell that happens to hold `任务` is a data cell
_MAX_HEADER_LEN = 16


def clean_header(cell: object) -> str:
    """A header cell's words without spaces or line breaks (`牵头\n单位` is `牵头单位`)."""
    return _SPACE.sub("", str(cell or ""))


_clean = clean_header


def _matches(name: str, words: Sequence[str], exact: bool) -> bool:
    bare = _NOTE.sub("", name)
    if exact:
        return bare in words or name in words
    return any(w in (bare or name) for w in words)


def _find(names: list[str], words: Sequence[str], taken: set[int]) -> int | None:
    for exact in (True, False):
        for i, name in enumerate(names):
            if i not in taken and name and _matches(name, words, exact):
                return i
    return None


def header_columns(cells: Sequence[object]) -> dict[str, int] | None:
    """Column index by field for a header row, or None if the row is no task-table header.

    Fields: number, group, measure, deadline, leads, supporters, responsible, person (a
    leader's or contact's name: never units). A table needs a measure and someone responsible
    (leads or responsible).
    """
    names = [_clean(c) for c in cells]
    if not names or any(len(n) > _MAX_HEADER_LEN for n in names):
        return None
    taken: set[int] = set()
    found: dict[str, int] = {}
    # units first: `牵头单位` must not be read as a `单位`-less task word, and so on
    order: tuple[tuple[str, Sequence[str]], ...] = (
        ("person", PERSON),  # `牵头领导` is a person before it is `牵头`
        ("leads", LEADS),
        ("supporters", SUPPORTERS),
        ("responsible", RESPONSIBLE),
        ("deadline", DEADLINE),
        ("number", NUMBER),
        ("measure", MEASURE),
        ("group", GROUP),
    )
    for key, words in order:
        if (i := _find(names, words, taken)) is not None:
            if key == "number" and len(names[i]) > 4:
                continue
            found[key] = i
            taken.add(i)
    taskish = [
        i
        for i, n in enumerate(names)
        if i not in taken and n and _matches(n, TASKISH, False) and not _matches(n, PROGRESS, False)
    ]
    if "measure" not in found and taskish:
        found["measure"] = taskish.pop()  # the rightmost task column holds the measure
    if "group" not in found and taskish:
        left = [i for i in taskish if i < found["measure"]]
        if left:
            found["group"] = left[-1]
    if "measure" not in found and {"leads", "responsible"} & found.keys():
        # `序号 | 2022年预期目标 | 责任单位`: the one column no word claims holds the measure
        left = [i for i, n in enumerate(names) if n and i not in found.values()]
        plain = not any(c in n for n in names for c in ":：。") and len(found) >= 2
        name = names[left[0]] if len(left) == 1 else ""
        if plain and 0 < len(name) <= 12 and _WORDY.match(name) and not _PERIOD_WORD.match(name):
            found["measure"] = left[0]
    if "measure" not in found or not ({"leads", "responsible"} & found.keys()):
        return None
    return found


def merge_header_rows(top: Sequence[object], below: Sequence[object]) -> list[str]:
    """Two header rows as one (`责任单位` over `牵头 | 配合`): each column's words joined."""
    out: list[str] = []
    for i in range(max(len(top), len(below))):
        a = _clean(top[i]) if i < len(top) else ""
        b = _clean(below[i]) if i < len(below) else ""
        out.append(b if a == b or not a else (a if not b else a + b))
    return out


_ALL_WORDS: tuple[str, ...] = (
    *NUMBER,
    *GROUP,
    *TASKISH,
    *MEASURE,
    *DEADLINE,
    *LEADS,
    *SUPPORTERS,
    *RESPONSIBLE,
    *PERSON,
    "年度目标",
    "目标",
    "备注",
    "单位",
    "责任",
)


def is_header_word(cell: object) -> bool:
    """Whether a cell is, whole, one of the words headers use (`牵头单位`, `完成时限`)."""
    name = _clean(cell)
    return bool(name) and (name in _ALL_WORDS or _NOTE.sub("", name) in _ALL_WORDS)


def join_broken_words(cells: Sequence[str]) -> list[tuple[int, int]]:
    """Spans (start, end) of cells that are one header word broken over lines: `牵头` / `单位`."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(cells):
        end = i + 1
        joined = _clean(cells[i])
        for j in range(i + 1, min(i + 3, len(cells))):
            part = _clean(cells[j])
            if not joined or not part or len(joined) > 4 or len(part) > 4:
                break
            if is_header_word(joined + part):
                joined, end = joined + part, j + 1
        spans.append((i, end))
        i = end
    return spans


def is_header_like(cells: Sequence[object]) -> bool:
    """Whether a row reads as (part of) a header: short cells naming known fields only."""
    names = [_clean(c) for c in cells if _clean(c)]
    if not names or any(len(n) > _MAX_HEADER_LEN for n in names):
        return False
    words = _ALL_WORDS
    if len(names) == 1:
        return names[0] in words or bool(_PERIOD_WORD.match(names[0]))
    return all(any(w in n for w in words) or _PERIOD_WORD.match(n) for n in names)
