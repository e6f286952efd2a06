"""Who leads and who supports: `X牵头，Y配合`, `牵头单位：X；配合单位：Y`, `（X负责）`, the document's rule.

A plan whose table has one `责任单位` column says how to read it somewhere in its text
(`列第一位的为牵头单位`); without such a rule every listed unit leads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.plan.deadline import parse_deadline
from bot.plan.unitlist import split_units

RoleRule = Literal["first_leads", "all_lead"]

_LABELS = {
    "牵头责任单位": "leads",
    "协同责任单位": "supporters",
    "配合责任单位": "supporters",
    "牵头单位": "leads",
    "牵头部门": "leads",
    "主责单位": "leads",
    "主责部门": "leads",
    "责任单位": "responsible",
    "责任部门": "responsible",
    "配合单位": "supporters",
    "配合部门": "supporters",
    "协同单位": "supporters",
    "协同部门": "supporters",
    "协办单位": "supporters",
    "协办部门": "supporters",
    "参与单位": "supporters",
    "参与部门": "supporters",
    # a line that says both roles at once: `部门分工：X牵头，各地、各部门配合。`
    "部门分工": "mixed",
    "责任分工": "mixed",
    "任务分工": "mixed",
    "职责分工": "mixed",
    "分工": "mixed",
    "时限要求": "deadline",
    "完成时限": "deadline",
    "完成时间": "deadline",
    "时间节点": "deadline",
    "时间要求": "deadline",
    "时间安排": "deadline",
    "进度安排": "deadline",
}
# longest first: `协同责任单位` is not `责任单位`
LABEL = re.compile(rf"({'|'.join(sorted(_LABELS, key=len, reverse=True))})\s*[:：]\s*")
# `X按职责分工负责`, `Y分别牵头`, `Z共同负责落实`: the words before the role are no part of a name
_SUFFIX = re.compile(
    r"(?:(?:按照?|根据|依据)(?:各自)?职责(?:分工)?)?(?:分别|共同|联合|会同)?"
    r"(牵头负责|牵头|负责|配合|协同|协助|协办|参与)(?:实施|落实|推进|完成|工作)?$"
)
_SUFFIX_ROLE = {"牵头负责": "leads", "牵头": "leads", "负责": "responsible"}
# `区发改局牵头、区财政局配合`: a role word followed by a list separator ends a clause
_ROLE_THEN_LIST = re.compile(r"((?:牵头|负责|配合|协同|协助|参与)(?:实施|落实|推进|完成)?)[、]")
# a clause that reads as a deadline even if it is not a known one (reported as unknown later)
_DATEISH = re.compile(r"完成|之前|以前|\d+\s*[年月日]|[一二三四五六七八九十]+月")
_UNIT_LIKE = re.compile(
    r"(?:局|办|委|院|部|会|中心|政府|街道|镇|乡|单位|部门|公司|集团|所|队|站|行|处|厅|室|区|县|市)$"
)
_CLAUSE_SEPARATORS = "；;，,。\n"
OPEN_BRACKETS = "(（〔【［["
CLOSE_BRACKETS = ")）〕】］]"
_ROLE_WORD = re.compile(r"牵头|配合|负责|协同|协办|参与")
# a clause of a bracket that is a note about the document, not a unit: `不再做分工，下同`
_NOTE_CLAUSE = re.compile(
    r"下同|不再|均涉及|以下简称|为牵头|列第一|排名第一|排在首位|如无特别说明|除.{1,12}外"
)
# `列第一位的为牵头单位`, `排名第一的单位为牵头单位`, `第一个单位为牵头单位`, `排在首位的…牵头`
_FIRST_LEADS = re.compile(
    r"(?:列|排|排名|排序|名列)?(?:在)?(?:第一|首)(?:位|个|家)?(?:的|者)?(?:责任)?(?:单位|部门)?"
    r"(?:为|是|系)(?:工作|主要)?(?:牵头|主责)"
)


def role_rule(text: str) -> RoleRule:
    """How the document says to read a single unit list: the first leads, or all lead."""
    return "first_leads" if _FIRST_LEADS.search(text.replace(" ", "")) else "all_lead"


@dataclass
class Roles:
    """Who leads, who supports and by when, as one bracket or a few labelled lines say."""

    leads: list[str] = field(default_factory=list)
    supporters: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    deadline: str = ""
    leftover: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.leads or self.supporters or self.responsible)

    def merge(self, other: Roles) -> None:
        self.leads += other.leads
        self.supporters += other.supporters
        self.responsible += other.responsible
        self.deadline = self.deadline or other.deadline
        self.leftover += other.leftover

    def resolved(self, rule: RoleRule = "all_lead") -> tuple[list[str], list[str]]:
        """(leads, supporters): `责任单位`/`负责` lead when nobody is named as `牵头`."""
        if self.leads:
            return _unique(self.leads), _unique(self.supporters + self.responsible, self.leads)
        leads, rest = split_by_rule(self.responsible, rule)
        return leads, _unique(rest + self.supporters, leads)


def split_by_rule(units: list[str], rule: RoleRule) -> tuple[list[str], list[str]]:
    """(leads, supporters) of one `责任单位` list under the document's rule."""
    units = _unique(units)
    if rule == "first_leads" and units:
        return units[:1], units[1:]
    return units, []


def _unique(names: list[str], exclude: Sequence[str] = ()) -> list[str]:
    seen = set(exclude)
    out: list[str] = []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _clauses(text: str) -> list[str]:
    """`text` split on `；;，,` outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        elif ch in _CLAUSE_SEPARATORS and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [c.strip() for c in out if c.strip()]


def has_roles(text: str) -> bool:
    """Whether a unit cell says who leads (`区发改局牵头，…`, `牵头单位：…`)."""
    return bool(LABEL.search(text) or any(_SUFFIX.search(c) for c in _clauses(text)))


def parse_roles(text: str) -> Roles:
    """The units and deadline a bracket or labelled line states."""
    # several labels on one line (`牵头单位：X  配合单位：Y`) become separate clauses
    text = LABEL.sub(lambda m: "；" + m.group(0), text)
    text = _ROLE_THEN_LIST.sub(lambda m: m.group(1) + "；", text)
    roles = Roles()
    pending: list[str] = []
    open_role: str | None = None  # after `配合单位：`, unmarked clauses go on that list
    for clause in _clauses(text):
        if m := LABEL.match(clause):
            open_role = _LABELS[m.group(1)]
            value = clause[m.end() :]
            if open_role == "mixed":
                # `部门分工：` names no role itself: its clauses say `X牵头`, `Y配合`
                open_role, clause = None, value
            else:
                if open_role == "deadline":
                    roles.deadline = value
                elif (said := _SUFFIX.search(value)) and _SUFFIX_ROLE.get(said.group(1)) == "leads":
                    # `责任单位：X、Y分别牵头`: the list says itself that its units lead
                    roles.leads.extend(split_units(value[: said.start()]))
                else:
                    getattr(roles, open_role).extend(split_units(value))
                continue
        if m := _SUFFIX.search(clause):
            role = _SUFFIX_ROLE.get(m.group(1), "supporters")
            for name in [*pending, clause[: m.start()]]:
                getattr(roles, role).extend(split_units(name))
            pending, open_role = [], None
            continue
        if _NOTE_CLAUSE.search(clause):
            continue  # the document's own rule (read by role_rule), never a unit
        if open_role == "deadline":
            roles.deadline += "，" + clause
        elif open_role is not None and not roles.deadline and parse_deadline(clause, 2000):
            roles.deadline, open_role = clause, None  # `责任单位：Y、Z，持续推进`
        elif open_role is not None:
            getattr(roles, open_role).extend(split_units(clause))
        elif not roles.deadline and (parse_deadline(clause, 2000) or _DATEISH.search(clause)):
            roles.deadline = clause
        else:
            pending.append(clause)
    if roles.found and not roles.deadline and pending:
        # `（区发改局牵头，按上级要求）`: what is neither a unit nor a known date is the
        # deadline as written, reported as unreadable rather than lost
        timing = [c for c in pending if not _UNIT_LIKE.search(c)]
        pending = [c for c in pending if _UNIT_LIKE.search(c)]
        roles.deadline = "，".join(timing)
    roles.leftover = pending
    return roles


def _brackets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level bracket group, end exclusive: `（…）`, `〔…〕`, `【…】`."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in OPEN_BRACKETS:
            if depth == 0:
                start = i
            depth += 1
        elif ch in CLOSE_BRACKETS and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def split_bracket(text: str) -> tuple[str, Roles | None]:
    """The measure without its units bracket, and the roles the (last such) bracket names."""
    for start, end in reversed(_brackets(text)):
        inner = text[start + 1 : end - 1]
        if not _ROLE_WORD.search(inner) and not LABEL.search(inner):
            continue  # `（国办发〔2020〕42号）` and the like
        roles = parse_roles(inner)
        if roles.found:
            before, after = text[:start].rstrip(), text[end:].strip()
            if after.strip("。.；;") == "":
                rest = before if before.endswith("。") or not after else before + "。"
            else:
                rest = before + after
            return rest.strip(), roles
    return text, None
