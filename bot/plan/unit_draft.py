"""A draft unit directory (units.yaml) from any plan, for the office to correct and complete."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from bot.plan.model import Plan
from bot.plan.unitlist import is_group_phrase, normalize_unit

# (pattern on the name's end or content, kind) — first match wins; kinds are units.yaml's
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"法院|检察院|人民法庭"), "court"),
    (re.compile(r"(?:园区|开发区|高新区|产业园|功能区|新区|保税区|管委会)$"), "park"),
    (
        re.compile(r"(?:工会|团[区市县]委|团委|妇联|科协|残联|侨联|文联|工商联|红十字会)$"),
        "mass_org",
    ),
    (re.compile(r"(?:街道|街道办事处|镇|乡|镇人民政府|乡人民政府)$"), "town"),
    (
        re.compile(r"(?:局|办|委|中心|部|厅|署|院|所|站|队|处|室|分局|支队|大队|分行|政府)$"),
        "department",
    ),
)

_HEADER = """\
# 单位名录草稿（由 duban units --init 根据任务分解表生成）。
# 请逐项核对：name 为任务分解表中的写法，full_name 请改为单位全称，kind 为程序推测，
# 可选 department | town | court | park | mass_org | other。
# groups 中的群体称谓（如“各镇（街道）”“区级有关部门”）的 members 先留空（members: []，
# 此时该称谓不对应任何单位、不会收到提醒）：请填写成员单位名称，或改用 rule: {kind: town} 之类的规则。
"""
# the one unit of a draft made from a plan that names no concrete unit (a directory needs one)
PLACEHOLDER = "待分配成员"


def guess_kind(name: str) -> str:
    """The units.yaml kind a unit's name suggests (`区发改局` department, `澥浦镇` town)."""
    plain = normalize_unit(name)
    for pattern, kind in _KINDS:
        if pattern.search(plain):
            return kind
    return "other"


def _names(plan: Plan) -> list[str]:
    seen: dict[str, str] = {}
    for task in plan.tasks:
        for name in (*task.leads, *task.supporters):
            seen.setdefault(normalize_unit(name), name)
    return list(seen.values())


def draft_directory(plan: Plan, coordinator: str | None = None) -> str:
    """units.yaml text naming every unit and group phrase of `plan`, kinds guessed."""
    names = _names(plan)
    units = [n for n in names if not is_group_phrase(n)]
    groups = [n for n in names if is_group_phrase(n)]
    lead_counts: dict[str, int] = {}
    for task in plan.tasks:
        for name in task.leads:
            if name in units:
                lead_counts[name] = lead_counts.get(name, 0) + 1
    chosen = coordinator or (
        max(lead_counts, key=lambda n: lead_counts[n]) if lead_counts else None
    )
    body: dict[str, Any] = {}
    if chosen:
        body["coordinator"] = chosen
    body["units"] = [{"name": n, "full_name": n, "kind": guess_kind(n)} for n in units]
    if not units:  # a directory needs at least one unit
        body["units"].append({"name": PLACEHOLDER, "full_name": PLACEHOLDER, "kind": "other"})
    text = _HEADER + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)
    return text + _groups_yaml(groups)


def _groups_yaml(groups: Iterable[str]) -> str:
    """Group phrases with empty member lists (`members: []`) for the office to fill in."""
    groups = list(groups)
    if not groups:
        return ""
    lines = ["groups:"]
    for name in groups:
        lines.append(f"  - name: {yaml.safe_dump(name, allow_unicode=True).splitlines()[0]}")
        lines.append("    # 请填写成员单位，例如 members: [区发改局, 区财政局]")
        lines.append("    members: []")
    return "\n".join(lines) + "\n"
