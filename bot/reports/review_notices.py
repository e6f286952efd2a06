"""What a review says: the card coordinators decide on, the notice the unit gets, the answers."""

from __future__ import annotations

from typing import Any

from bot.domain.days import days_late
from bot.domain.status import effective_due
from bot.features import review
from bot.features.review import Decision
from bot.services import Services
from bot.store.records import ReviewRecord
from bot.text.render import render

KIND_LABELS = {"claim": "完成报告", "extension": "延期申请", "milestone": "节点调整申请"}


def claim_facts_text(services: Services, record: ReviewRecord) -> str:
    """Under every claim card: its evidence, the open co-leads and supporters, what 通过 does."""
    return render("review_claim_facts.html.j2", record=record, **claim_context(services, record))


def claim_context(services: Services, record: ReviewRecord) -> dict[str, Any]:
    """The facts a claim card shows, each from the store: the claiming unit's evidence count,
    the other leads' open parts, the supporters' open parts with their working days late."""
    store = services.store
    task = store.plan.task(record["task"])
    today = services.clock.now().date()
    facts = review.claim_facts(store, record)
    states = {s["unit"]: s for s in store.parts.states(task=record["task"])}

    def part(unit: str) -> dict[str, Any]:
        state = states[unit]
        due = effective_due(task, state, today) if task is not None else None
        return {
            "unit": unit,
            "status": state["status"],
            "percent": state.get("percent"),
            "claim": state.get("claim"),
            "late": days_late(services.calendar, due, today),
        }

    return {
        "evidence": facts.evidence,
        "other_leads": [part(u) for u in facts.other_leads],
        "supporters": [part(u) for u in facts.open_supporters],
        "can_close": facts.can_close_supporters,
    }


def card_text(services: Services, record: ReviewRecord) -> str:
    """A pending claim or extension request, as coordinators see it."""
    store = services.store
    task = store.plan.task(record["task"])
    facts = claim_context(services, record) if record["kind"] == "claim" else {}
    return render("review_item.html.j2", record=record, title=task.title if task else "", **facts)


def list_text(pending: list[ReviewRecord], limit: int) -> str:
    """The head of /review: how many claims and requests wait, and how many are shown."""
    return render(
        "review_list.html.j2",
        total=len(pending),
        shown=min(len(pending), limit),
        claims=sum(r["kind"] == "claim" for r in pending),
        extensions=sum(r["kind"] == "extension" for r in pending),
        milestones=sum(r["kind"] == "milestone" for r in pending),
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
    task = services.store.plan.task(record["task"])
    common = {
        "task_id": record["task"],
        "title": task.title if task else "",
        "unit": record["unit"],
    }
    if record["kind"] == "milestone":
        return render(
            "milestone_decided.html.j2",
            approved=approved,
            record=record,
            reason=record["decision_reason"],
            **common,
        )
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
        leads_open=decision.leads_open,
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
        leads_open=decision.leads_open,
        evidence=decision.evidence,
        reached=reached,
    )


def button_answer(what: str, **info: Any) -> str:
    """The short answer to a pressed 通过/退回: forbidden, missing, done, approved, and why a
    通过 waits (no_evidence, leads_open)."""
    return render("review_answer.html.j2", what=what, **info)


def no_evidence_text(record: ReviewRecord) -> str:
    """A 通过 of a claim without evidence: asked to confirm with a second tap."""
    return button_answer("no_evidence", record=record)


def leads_open_text(task: int, leads: list[str]) -> str:
    """通过并办结配合部分 while other leads' parts are open: why it was not done."""
    return button_answer("leads_open", task=task, leads=leads)
