"""The normalised task decomposition: tasks, their deadlines and responsible units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

DeadlineKind = Literal["once", "monthly", "quarterly", "ongoing"]


@dataclass(frozen=True)
class Deadline:
    """A deadline as the plan states it, with the text kept as written."""

    kind: DeadlineKind
    text: str
    due: date | None = None  # once: the last day; others: None
    day: int | None = None  # monthly: day of month the report is due by
    action: str | None = None  # monthly/quarterly: what is to be done ("将…报送区发改局")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "day": self.day,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Deadline:
        due = raw.get("due")
        return cls(
            kind=raw["kind"],
            text=raw.get("text", ""),
            due=date.fromisoformat(due) if due else None,
            day=raw.get("day"),
            action=raw.get("action"),
        )


@dataclass(frozen=True, order=True)
class Milestone:
    """A dated step on the way to a task's deadline (时间节点): `2021-06-30 出台实施方案`."""

    due: date
    text: str

    def to_json(self) -> dict[str, str]:
        return {"due": self.due.isoformat(), "text": self.text}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Milestone:
        return cls(due=date.fromisoformat(raw["due"]), text=str(raw.get("text", "")))


@dataclass(frozen=True)
class Task:
    """One measure of the plan (重点任务分解表 row)."""

    id: int
    category_no: int
    category: str
    title: str
    text: str
    deadline: Deadline
    leads: tuple[str, ...]
    supporters: tuple[str, ...] = ()
    line: int = 0  # source line number (1-based) in the plan file
    milestones: tuple[Milestone, ...] = ()  # in date order; the deadline is the last step
    remarks: str = ""  # 备注, as written
    # In the store: `id` is the task's key across every plan, `no` its number in its plan and
    # `plan` the plan's slot (bot/store/plans.py). As read from a file, `id` is the number.
    no: int = 0
    plan: int = 0

    @property
    def number(self) -> int:
        """The task's number in its plan (序号), as the plan writes it."""
        return self.no or self.id

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT.md shape of `duban tasks --json`."""
        return {
            "id": self.number,
            "category_no": self.category_no,
            "category": self.category,
            "title": self.title,
            "text": self.text,
            "deadline": self.deadline.to_json(),
            "leads": list(self.leads),
            "supporters": list(self.supporters),
            "milestones": [m.to_json() for m in sorted(self.milestones)],
        }

    def to_record(self) -> dict[str, Any]:
        """Everything, for the store (to_json plus the source line and deadline action)."""
        rec = self.to_json()
        rec["deadline"]["action"] = self.deadline.action
        rec["line"] = self.line
        rec["remarks"] = self.remarks
        rec["id"] = self.id
        if self.no:
            rec["no"], rec["plan"] = self.no, self.plan
        return rec

    @classmethod
    def from_record(cls, raw: dict[str, Any]) -> Task:
        return cls(
            id=int(raw["id"]),
            category_no=int(raw["category_no"]),
            category=raw["category"],
            title=raw["title"],
            text=raw["text"],
            deadline=Deadline.from_json(raw["deadline"]),
            leads=tuple(raw["leads"]),
            supporters=tuple(raw.get("supporters", ())),
            line=int(raw.get("line", 0)),
            # records stored before milestones and remarks existed have neither key
            milestones=tuple(sorted(Milestone.from_json(m) for m in raw.get("milestones") or ())),
            remarks=str(raw.get("remarks") or ""),
            # records stored before plans sat side by side have neither: plan A's, keyed by number
            no=int(raw.get("no") or 0),
            plan=int(raw.get("plan") or 0),
        )


@dataclass(frozen=True)
class Problem:
    """A defect found while reading a plan file, reported as `FILE:LINE: message`."""

    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self, filename: str) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{filename}:{self.line}: {prefix}{self.message}"


@dataclass
class Plan:
    """A parsed plan: its tasks in order, and whatever was wrong with the source."""

    tasks: list[Task] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    year: int | None = None
    source: str = ""
    title: str = ""  # as the document states it (bot/plan/title.py), else the file's name
    titled_by_name: bool = False  # the document states none: `title` is the file's name
    # where each task stands in the file just read, when that is not Task.line (YAML keeps the
    # original document's line in Task.line; problems must point into the YAML itself)
    task_lines: dict[int, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def task(self, task_id: int) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def line_of(self, task: Task) -> int:
        """The line of `task` in the file this plan was read from."""
        return self.task_lines.get(task.id, task.line)
