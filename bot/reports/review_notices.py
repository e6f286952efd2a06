"""What a review says: the card coordinators decide on, the notice the unit gets, the answers."""

from __future__ import annotations

from typing import Any

from bot.domain.days import days_late
from bot.domain.status import effective_due
from bot.features import evidence
from bot.features.review import Decision, open_supporter_parts
from bot.services import Services
from bot.store.records import ReviewRecord
from bot.text.render import render

KIND_LABELS = {"claim": "完成报告", "extension": "延期申请"}


def supporters_text(services: Services, record: ReviewRecord) -> str:
    """The supporters' open parts of a claim's task (empty when none): under every claim card."""
    return render("review_supporters.html.j2", supporters=open_supporters(services, record))


def open_supporters(services: Services, record: ReviewRecord) -> list[dict[str, Any]]:
    """The supporters' parts still open, with their working days late."""
    store = services.store
    task = store.task(record["task"])
    today = services.clock.now().date()
    supporters = []
    if record["kind"] == "claim" and task is not None:
        for part in open_supporter_parts(store, record["task"]):
            due = effective_due(task, part, today)
            supporters.append(
                {
                    "unit": part["unit"],
                    "status": part["status"],
                    "percent": part.get("percent"),
                    "late": days_late(services.calendar, due, today),
                }
            )
    return supporters


def card_text(services: Services, record: ReviewRecord) -> str:
    """A pending claim or extension request, as coordinators see it."""
    store = services.store
    task = store.task(record["task"])
    supporters = open_supporters(services, record)
    return render(
        "review_item.html.j2",
        record=record,
        title=task.title if task else "",
        evidence_count=evidence.count_evidence(store, record["task"], record["unit"]),
        supporters=supporters,
    )


def list_text(pending: list[ReviewRecord], limit: int) -> str:
    """The head of /review: how many claims and requests wait, and how many are shown."""
    return render(
        "review_list.html.j2",
        total=len(pending),
        shown=min(len(pending), limit),
        claims=sum(r["kind"] == "claim" for r in pending),
        extensions=sum(r["kind"] == "extension" for r in pending),
    )


def ask_reason_text(record: ReviewRecord, problem: str | None = None, **info: Any) -> str:
    """The request for a refusal reason after 退回 (again, with what was wrong, if `problem`)."""
    return render(
        "review_ask_reason.html.j2",
        problem=problem,
        record=record,
        kind_label=KIND_LABELS[record["kind"]],
        **info,
    )


def notice_text(services: Services, decision: Decision) -> str:
    """What the unit's contacts are told of a decision on their claim or request."""
    record = decision.record
    approved = record["status"] == "approved"
    task = services.store.task(record["task"])
    common = {
        "task_id": record["task"],
        "title": task.title if task else "",
        "unit": record["unit"],
    }
    if record["kind"] == "extension":
        return render(
            "extension_decided.html.j2",
            approved=approved,
            due=record["due"],
            old_due=record["old_due"],
            reason=record["decision_reason"],
            **common,
        )
    return render(
        "review_notice.html.j2",
        approved=approved,
        reason=record["decision_reason"],
        task_closed=decision.task_closed,
        kept_open=decision.kept_open,
        **common,
    )


def decided_text(decision: Decision, reached: int | None = None) -> str:
    """What the deciding coordinator is told: the decision, and whether the unit heard of it."""
    record = decision.record
    return render(
        "review_decided.html.j2",
        already=decision.already,
        approved=record["status"] == "approved",
        record=record,
        kind_label=KIND_LABELS[record["kind"]],
        task_closed=decision.task_closed,
        closed_parts=decision.closed_parts,
        kept_open=decision.kept_open,
        reached=reached,
    )


def button_answer(what: str) -> str:
    """The short answer to a pressed 通过/退回: forbidden, missing, done or approved."""
    return render("review_answer.html.j2", what=what)
