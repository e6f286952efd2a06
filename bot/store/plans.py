"""The plans side by side (table "plans"): each file imported, and the assigned-items list.

A plan is kept in a slot (its doc id, never reused) with a short code people type in refs
(A, B, … by default, renamable), a kind (`plan`, or `assigned`: the office's standing list of
items assigned in chat), its title and year as the document states them, and a status: an
active plan is followed, a closed one is read and never chased. A store from before plans sat
side by side holds one plan: it opens as plan A, slot 1 (`migrate`).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from tinydb.table import Document

from bot.plan.title import short_title
from bot.store.history import History
from bot.store.office import Office
from bot.store.records import PlanKind, PlanRow
from bot.store.repository import Repository, UnitOfWork, iso

PLANS = "plans"
FIRST_SLOT = 1  # the plan a store from before plans sat side by side holds
ASSIGNED_TITLE = "交办事项"
CODE_MAX = 4


@dataclass(frozen=True)
class PlanInfo:
    """One plan as people see it."""

    slot: int
    code: str
    kind: PlanKind
    title: str
    year: int | None
    active: bool
    source: str
    imported_at: datetime | None

    @property
    def short(self) -> str:
        """The title short enough for a heading on a phone."""
        return short_title(self.title)

    @property
    def titled_by_name(self) -> bool:
        """Whether the title is only its file's name (its document stated none)."""
        return bool(self.source) and self.title == Path(self.source).stem

    @property
    def status(self) -> str:
        return "active" if self.active else "closed"


class PlanError(ValueError):
    """A plan operation refused; `reason` says which (the caller words it)."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(f"{reason}: {code}")
        self.reason = reason
        self.code = code


def valid_code(code: str) -> bool:
    return 1 <= len(code) <= CODE_MAX and all(c in string.ascii_uppercase for c in code)


class Plans(Repository):
    """The plans, by slot."""

    tables = (PLANS,)

    def __init__(self, uow: UnitOfWork, history: History, office: Office) -> None:
        super().__init__(uow)
        self._history = history
        self._office = office
        self._legacy: PlanInfo | None = None  # a store from before plans, opened read-only

    # -- reading -----------------------------------------------------------------------------
    def all(self) -> list[PlanInfo]:
        """Every plan, in the order they came (slot order)."""
        docs = sorted(self._table(PLANS).raw_docs())
        if not docs and self._legacy is not None:
            return [self._legacy]
        return [_info(slot, cast(PlanRow, doc)) for slot, doc in docs]

    def active(self) -> list[PlanInfo]:
        return [p for p in self.all() if p.active]

    def get(self, slot: int) -> PlanInfo | None:
        """The plan in `slot` (0, a task record from before plans: plan A's slot)."""
        slot = slot or FIRST_SLOT
        return next((p for p in self.all() if p.slot == slot), None)

    def by_code(self, code: str) -> PlanInfo | None:
        code = code.strip().upper()
        return next((p for p in self.all() if p.code == code), None)

    def headings(self, slots: Iterable[int]) -> list[PlanInfo | None]:
        """For each item of a list in plan order (by its plan's slot; 0: plan A's records from
        before plans), the plan heading printed before it: its plan where the plan changes, once
        several plans are active (one active plan reads as before: no headings at all)."""
        slots = [s or FIRST_SLOT for s in slots]
        if len(self.active()) < 2:
            return [None] * len(slots)
        plans = {p.slot: p for p in self.all()}
        return [plans.get(s) if n == 0 or slots[n - 1] != s else None for n, s in enumerate(slots)]

    def assigned(self) -> PlanInfo | None:
        """The standing list of items assigned in chat, once there is one."""
        return next((p for p in self.all() if p.kind == "assigned"), None)

    # -- writing -----------------------------------------------------------------------------
    def migrate(self, *, has_tasks: bool, title: str, at: datetime) -> bool:
        """A store from before plans holds one plan: record it as plan A (slot 1), from the
        facts the store kept of it. True when it did (the caller backs up first)."""
        if len(self._table(PLANS)) or not has_tasks:
            return False
        self._table(PLANS).insert(Document(dict(self._legacy_row(title, at)), doc_id=FIRST_SLOT))
        self._legacy = None
        return True

    def legacy(self, *, has_tasks: bool, title: str, at: datetime) -> None:
        """Serve a store from before plans as plan A without writing it (a read-only open)."""
        if not len(self._table(PLANS)) and has_tasks:
            self._legacy = _info(FIRST_SLOT, self._legacy_row(title, at))

    def _legacy_row(self, title: str, at: datetime) -> PlanRow:
        source = str(self._office.meta("plan_source") or "")
        return {
            "code": "A",
            "kind": "plan",
            "title": title or Path(source).stem or "工作方案",
            "year": self._office.meta("plan_year"),
            "status": "active",
            "source": source,
            "created_at": iso(at),
            "imported_at": self._office.meta("imported_at"),
        }

    def create(
        self,
        *,
        kind: PlanKind,
        title: str,
        year: int | None,
        source: str,
        at: datetime,
        actor: int | str | None,
    ) -> PlanInfo:
        """A new plan in the next slot, with the next free code."""
        table = self._table(PLANS)
        slot = max((int(i) for i, _ in table.raw_docs()), default=0) + 1
        row: PlanRow = {
            "code": self._free_code(),
            "kind": kind,
            "title": title or ASSIGNED_TITLE,
            "year": year,
            "status": "active",
            "source": source,
            "created_at": iso(at),
            "imported_at": iso(at),
        }
        table.insert(Document(dict(row), doc_id=slot))
        self._history.record(
            "plan.created", at=at, actor=actor, plan=slot, code=row["code"], title=row["title"]
        )
        return _info(slot, row)

    def set_imported(self, slot: int, *, title: str, year: int | None, source: str) -> None:
        """What the last import of plan `slot` said of it (a revision may retitle it)."""
        changes: dict[str, object] = {"source": source}
        if title:
            changes["title"] = title
        if year is not None:
            changes["year"] = year
        self._table(PLANS).update(changes, doc_ids=[slot])

    def close(self, code: str, *, at: datetime, actor: int | str | None) -> PlanInfo:
        plan = self._found(code)
        if plan.kind == "assigned":
            raise PlanError("assigned", plan.code)
        if not plan.active:
            raise PlanError("already_closed", plan.code)
        self._table(PLANS).update({"status": "closed", "closed_at": iso(at)}, doc_ids=[plan.slot])
        self._history.record("plan.closed", at=at, actor=actor, plan=plan.slot, code=plan.code)
        return self._found(code)

    def reopen(self, code: str, *, at: datetime, actor: int | str | None) -> PlanInfo:
        plan = self._found(code)
        if plan.active:
            raise PlanError("already_active", plan.code)
        self._table(PLANS).update({"status": "active", "closed_at": None}, doc_ids=[plan.slot])
        self._history.record("plan.reopened", at=at, actor=actor, plan=plan.slot, code=plan.code)
        return self._found(code)

    def rename(self, code: str, new: str, *, at: datetime, actor: int | str | None) -> PlanInfo:
        plan = self._found(code)
        new = new.strip().upper()
        if not valid_code(new):
            raise PlanError("bad_code", new)
        if new != plan.code and self.by_code(new) is not None:
            raise PlanError("code_taken", new)
        self._table(PLANS).update({"code": new}, doc_ids=[plan.slot])
        self._history.record(
            "plan.renamed", at=at, actor=actor, plan=plan.slot, code=new, old_code=plan.code
        )
        return self._found(new)

    def _found(self, code: str) -> PlanInfo:
        plan = self.by_code(code)
        if plan is None:
            raise PlanError("unknown", code.strip().upper())
        return plan

    def next_code(self) -> str:
        """The code the next plan created gets."""
        return self._free_code()

    def _free_code(self) -> str:
        taken = {p.code for p in self.all()}
        for n in range(1, 10_000):
            code = _letters(n)
            if code not in taken:
                return code
        raise PlanError("no_code")


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA (spreadsheet column names)."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = string.ascii_uppercase[rest] + out
    return out


def _info(slot: int, row: PlanRow) -> PlanInfo:
    raw = row.get("imported_at")
    return PlanInfo(
        slot=int(slot),
        code=row["code"],
        kind=row.get("kind", "plan"),
        title=row.get("title", ""),
        year=row.get("year"),
        active=row.get("status", "active") == "active",
        source=row.get("source", ""),
        imported_at=datetime.fromisoformat(raw) if raw else None,
    )
