"""Coordinator review: completion claims of lead units and extension requests, one table for both.

A record is created `pending` and decided once: `approved` or `rejected`. Deciding again is a
no-op that says so (a double press of a button must not act twice). Every step is recorded in
the history through the store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol, TypedDict, Unpack

from bot.features import evidence
from bot.features.errors import CodedError
from bot.plan.model import Milestone
from bot.services import Services
from bot.store import Store
from bot.store.records import (
    EventFields,
    EventKind,
    PartStatus,
    ReviewExtras,
    ReviewRecord,
    ReviewRow,
    StateChanges,
    StateRow,
)

KINDS = ("claim", "extension", "milestone")  # milestone: a lead contact moves one
MAX_REASON = 2000


class ActorLike(Protocol):
    @property
    def user_id(self) -> int: ...

    @property
    def name(self) -> str: ...


class ReviewError(CodedError, ValueError):
    """A request or decision that cannot be made; `code` says why, `info` carries details.

    codes: "unknown_task", "not_responsible", "supporter", "done", "closed", "pending",
    "no_reason", "reason_too_long", "not_found", "no_date", "not_later", "too_far",
    "leads_open" (info `leads`: 通过并办结配合部分 while another lead's part is open),
    "milestone_gone" (a milestone move whose milestone was changed or removed meanwhile).
    """


@dataclass(frozen=True)
class Decision:
    """What a decision did: the record after it; `already` when it had been decided before."""

    record: ReviewRecord
    already: bool = False
    task_closed: bool = False
    closed_parts: tuple[str, ...] = ()  # supporters' parts closed with the claim
    kept_open: tuple[str, ...] = ()  # supporters' parts left open (牵头已完成，配合未完)
    leads_open: tuple[str, ...] = ()  # the other leads whose parts are still open
    evidence: int | None = None  # a claim's evidence files when it was approved


@dataclass(frozen=True)
class ClaimFacts:
    """What a coordinator must know before approving a lead's claim, from the store.

    `other_leads`: the task's other leads whose parts are not done — while there are any, the
    supporters' parts cannot be closed with this claim (they still support open lead work).
    """

    evidence: int  # files the claiming unit uploaded for the task
    open_supporters: tuple[str, ...]
    other_leads: tuple[str, ...]

    @property
    def can_close_supporters(self) -> bool:
        return bool(self.open_supporters) and not self.other_leads


def claim_facts(store: Store, record: ReviewRecord) -> ClaimFacts:
    """The evidence count, open supporters' parts and open co-leads of a claim's task."""
    task_id = record["task"]
    return ClaimFacts(
        evidence=evidence.count_evidence(store, task_id, record["unit"]),
        open_supporters=tuple(p["unit"] for p in open_supporter_parts(store, task_id)),
        other_leads=tuple(
            s["unit"]
            for s in store.parts.states(task=task_id)
            if s["role"] == "lead"
            and s["unit"] != record["unit"]
            and s["status"] != PartStatus.DONE
            and not s.get("removed")
        ),
    )


SUPPORTERS = ("close", "keep")
CLOSE_REASON = "牵头单位完成申请通过，督办单位一并办结配合部分"


def open_supporter_parts(store: Store, task_id: int) -> list[StateRow]:
    """The supporters' parts of a task not done yet (what a 通过 must decide about)."""
    return [
        s
        for s in store.parts.states(task=task_id)
        if s["role"] != "lead" and s["status"] != PartStatus.DONE and not s.get("removed")
    ]


def close_if_complete(services: Services, task_id: int, actor: int | str | None) -> bool:
    """Close the task when every part is done (the lead's claim approved before); True if closed."""
    store = services.store
    if store.plan.task_meta(task_id).get("closed") or not _leads_done(store, task_id):
        return False
    if open_supporter_parts(store, task_id):
        return False
    store.plan.set_task_closed(task_id, True)
    store.history.record("task.closed", at=services.clock.now(), actor=actor, task=task_id)
    return True


def actor_id(actor: ActorLike | int) -> int:
    return actor if isinstance(actor, int) else actor.user_id


def actor_name(actor: ActorLike | int) -> str:
    return str(actor) if isinstance(actor, int) else actor.name


def get(store: Store, record_id: int) -> ReviewRecord | None:
    return store.reviews.get(record_id)


def records(
    store: Store,
    *,
    status: str | None = "pending",
    kind: str | None = None,
    task: int | None = None,
    unit: str | None = None,
) -> list[ReviewRecord]:
    """Review records, oldest first, filtered."""
    return [
        record
        for record in store.reviews.records()
        if (status is None or record["status"] == status)
        and (kind is None or record["kind"] == kind)
        and (task is None or record["task"] == task)
        and (unit is None or record["unit"] == unit)
    ]


def pressable(
    services: Services, user_id: int, record_id: int
) -> tuple[ReviewRecord | None, str | None]:
    """(record, None) when the presser may decide it; else why not: forbidden, missing or done."""
    if not services.is_coordinator(user_id):
        return None, "forbidden"
    record = get(services.store, record_id)
    if record is None:
        return None, "missing"
    return record, None if record["status"] == "pending" else "done"


def open_request(store: Store, kind: str, task_id: int, unit: str) -> ReviewRecord | None:
    """The pending record of this kind for a task and unit, if any."""
    found = records(store, kind=kind, task=task_id, unit=unit)
    return found[0] if found else None


def check_reason(reason: str | None) -> str:
    """A decision or request reason: required, at most MAX_REASON characters."""
    text = (reason or "").strip()
    if not text:
        raise ReviewError("no_reason")
    if len(text) > MAX_REASON:
        raise ReviewError("reason_too_long", limit=MAX_REASON, length=len(text))
    return text


def responsible_state(services: Services, task_id: int, unit: str) -> StateRow:
    """The unit's state row of an open task; raises ReviewError when there is none."""
    store = services.store
    if store.plan.task(task_id) is None:
        raise ReviewError("unknown_task", task=task_id)
    state = store.parts.state(task_id, unit)
    if state is None:
        raise ReviewError("not_responsible", task=task_id, unit=unit)
    return state


def insert(
    services: Services,
    kind: str,
    task_id: int,
    unit: str,
    actor: ActorLike | int,
    **fields: Unpack[ReviewExtras],
) -> ReviewRecord:
    """Create a pending review record."""
    doc: ReviewRow = {
        "kind": kind,
        "task": task_id,
        "unit": unit,
        "status": "pending",
        "requested_by": actor_id(actor),
        "requested_by_name": actor_name(actor),
        "requested_at": services.clock.now().isoformat(timespec="seconds"),
        "decided_by": None,
        "decided_by_name": None,
        "decided_at": None,
        "decision_reason": None,
        # mypy --strict wants the row's NotRequired "upd" (the store adds it) spelled here or in
        # the type of `fields`; ReviewExtras is only the kind-specific fields, so not there.
        **fields,  # type: ignore[typeddict-item]
    }
    doc_id = services.store.reviews.add(doc)
    return {"id": doc_id, **doc}


def create_claim(
    services: Services, task_id: int, unit: str, actor: ActorLike | int, note: str | None = None
) -> ReviewRecord:
    """A lead unit says its part is done: a pending claim for coordinator review.

    A claim already pending for the task and unit is returned as it is, not made twice.
    """
    state = responsible_state(services, task_id, unit)
    if state["role"] != "lead":
        raise ReviewError("supporter", task=task_id, unit=unit)
    if state["status"] == PartStatus.DONE:
        raise ReviewError("done", task=task_id, unit=unit)
    if services.store.plan.task_meta(task_id).get("closed"):
        raise ReviewError("closed", task=task_id)
    existing = open_request(services.store, "claim", task_id, unit)
    if existing is not None:
        return existing
    now = services.clock.now()
    services.store.parts.update_state(
        task_id, unit, at=now, actor=actor_id(actor), event="claim", claim="pending"
    )
    return insert(services, "claim", task_id, unit, actor, note=note)


class _Decided(TypedDict):
    """What deciding a review record writes into it."""

    status: str
    decided_by: int
    decided_by_name: str
    decided_at: str
    decision_reason: str | None


def _decide(
    services: Services,
    record: ReviewRecord,
    actor: ActorLike | int,
    status: str,
    reason: str | None,
) -> ReviewRecord:
    fields: _Decided = {
        "status": status,
        "decided_by": actor_id(actor),
        "decided_by_name": actor_name(actor),
        "decided_at": services.clock.now().isoformat(timespec="seconds"),
        "decision_reason": reason,
    }
    services.store.reviews.update(record["id"], fields)
    return {**record, **fields}


def _existing(store: Store, record_id: int) -> ReviewRecord:
    record = get(store, record_id)
    if record is None:
        raise ReviewError("not_found", id=record_id)
    return record


def _mark(
    store: Store,
    record: ReviewRecord,
    at: datetime,
    actor: ActorLike | int,
    event: EventKind,
    **changes: Unpack[StateChanges],
) -> None:
    """Change the state of the part a review record is about, as `actor`'s `event`."""
    store.parts.update_state(
        record["task"], record["unit"], at=at, actor=actor_id(actor), event=event, **changes
    )


def _leads_done(store: Store, task_id: int) -> bool:
    leads = [s for s in store.parts.states(task=task_id) if s["role"] == "lead"]
    return bool(leads) and all(s["status"] == PartStatus.DONE for s in leads)


def approve(
    services: Services, record_id: int, actor: ActorLike | int, supporters: str = "keep"
) -> Decision:
    """Approve a claim (the lead's part is done) or an extension (the unit's deadline moves).

    For a claim, `supporters` says what becomes of the supporters' open parts: "close" closes
    each with it (recorded as closed by the coordinator, with the reason), "keep" leaves them
    open. The task closes only when every part is done: never 已办结 beside open parts.
    """
    if supporters not in SUPPORTERS:
        raise ValueError(f"supporters must be one of {SUPPORTERS}")
    store = services.store
    record = _existing(store, record_id)
    if record["status"] != "pending":
        return Decision(record, already=True)
    now = services.clock.now()
    task_id = record["task"]
    closed = False
    closed_parts: list[str] = []
    kept: list[str] = []
    facts = claim_facts(store, record) if record["kind"] == "claim" else None
    if facts is not None and supporters == "close" and facts.other_leads:
        # Never a silent "keep" for a pressed "close": say why, decide nothing.
        raise ReviewError("leads_open", task=task_id, leads=list(facts.other_leads))
    if record["kind"] == "claim":
        _mark(
            store,
            record,
            now,
            actor,
            "claim.approve",
            status=PartStatus.DONE,
            claim=None,
            percent=100,
            done_at=record["requested_at"],  # completed when claimed, not when reviewed
        )
        others = open_supporter_parts(store, task_id)
        if supporters == "close" and _leads_done(store, task_id):
            for part in others:
                store.parts.update_state(
                    task_id,
                    part["unit"],
                    at=now,
                    actor=actor_id(actor),
                    event="part.closed",
                    status=PartStatus.DONE,
                    closed_by="coordinator",
                    done_at=now.isoformat(timespec="seconds"),
                    details={"reason": CLOSE_REASON},
                )
                closed_parts.append(part["unit"])
        else:
            kept = [p["unit"] for p in others]
        closed = close_if_complete(services, task_id, actor_id(actor))
    elif record["kind"] == "milestone":
        old = Milestone(date.fromisoformat(record["old_due"] or ""), record["text"])
        try:
            store.plan.edit_milestone(
                task_id,
                old=old,
                new=replace(old, due=date.fromisoformat(record["due"])),
                at=now,
                actor=actor_id(actor),
            )
        except KeyError:
            raise ReviewError("milestone_gone", task=task_id, due=old.due) from None
    else:
        _mark(store, record, now, actor, "extension.approve", due_override=record["due"])
    return Decision(
        _decide(services, record, actor, "approved", None),
        task_closed=closed,
        closed_parts=tuple(closed_parts),
        kept_open=tuple(kept),
        leads_open=facts.other_leads if facts else (),
        evidence=facts.evidence if facts else None,
    )


def withdraw_claim(services: Services, task_id: int, unit: str, actor: ActorLike | int) -> bool:
    """The unit took its 已完成 back (a later 进行中/受阻/未启动): its pending claim is withdrawn,
    so a coordinator can no longer approve work the unit says is not finished."""
    record = open_request(services.store, "claim", task_id, unit)
    if record is None:
        return False
    _decide(services, record, actor, "withdrawn", None)
    _mark(services.store, record, services.clock.now(), actor, "claim.withdraw", claim=None)
    return True


def reject(services: Services, record_id: int, actor: ActorLike | int, reason: str) -> Decision:
    """Refuse a claim (status back to 进行中) or an extension, with the reason for the unit."""
    store = services.store
    text = check_reason(reason)
    record = _existing(store, record_id)
    if record["status"] != "pending":
        return Decision(record, already=True)
    now = services.clock.now()
    task_id, unit = record["task"], record["unit"]
    if record["kind"] == "claim":
        _mark(
            store,
            record,
            now,
            actor,
            "claim.reject",
            claim="rejected",
            status=PartStatus.DOING,
            claim_reason=text,
        )
    else:  # an extension or a milestone move: the request's days (and milestone) stay
        extra: EventFields = {"due": record["due"], "reason": text}
        if record["kind"] == "milestone":
            extra |= {"old_due": record["old_due"], "text": record["text"]}
        store.history.record(
            "milestone.reject" if record["kind"] == "milestone" else "extension.reject",
            at=now,
            actor=actor_id(actor),
            task=task_id,
            unit=unit,
            **extra,
        )
    return Decision(_decide(services, record, actor, "rejected", text))
