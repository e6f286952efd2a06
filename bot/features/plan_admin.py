"""The plans side by side, for coordinators in chat (/plans): the list, closing a plan at year
end (after a confirmation), reopening it, and renaming its code.

A closed plan gets no reminders or escalations and stays readable and exportable; the standing
list of assigned items is never closed. The store records each change (plan.closed,
plan.reopened, plan.renamed); a refusal says why in a short sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.services import Services
from bot.store.plans import PlanError, PlanInfo
from bot.text.render import render


@dataclass(frozen=True)
class Answer:
    """What the coordinator is told: `done` False is a refusal (a toast under a button)."""

    text: str
    done: bool = True
    confirm: int | None = None  # the question before closing the plan in this slot


def _text(what: str, **ctx: object) -> str:
    return render("plans.html.j2", what=what, **ctx)


def _refusal(err: PlanError) -> Answer:
    return Answer(_text("refused", reason=err.reason, code=err.code), done=False)


def overview(services: Services) -> tuple[str, list[PlanInfo]]:
    """The plans with their task counts, and the ones that get 关闭 / 重开 buttons (every
    plan but the assigned-items list)."""
    store = services.store
    plans = store.plans.all()
    counts = {p.slot: len(store.plan.tasks(plan=p.slot)) for p in plans}
    text = _text("list", plans=plans, counts=counts)
    return text, [p for p in plans if p.kind != "assigned"]


def pressed(services: Services, action: str, slot: int, actor: int) -> Answer:
    """A button under /plans or its question, naming the plan by slot (a rename meanwhile
    does not change it): close (ask first), confirm (close), keep, reopen."""
    plan = services.store.plans.get(slot)
    if plan is None:
        return _refusal(PlanError("unknown", str(slot)))
    if action == "close":
        return ask_close(plan)
    if action == "confirm":
        return close(services, plan, actor)
    if action == "reopen":
        return reopen(services, plan, actor)
    return Answer(_text("kept"))


def ask_close(plan: PlanInfo) -> Answer:
    """The question before closing (nothing is closed yet), or why it cannot be."""
    if plan.kind == "assigned":
        return _refusal(PlanError("assigned", plan.code))
    if not plan.active:
        return _refusal(PlanError("already_closed", plan.code))
    return Answer(_text("ask_close", plan=plan), confirm=plan.slot)


def close(services: Services, plan: PlanInfo, actor: int) -> Answer:
    """关闭: the plan is no longer followed (recorded as plan.closed; its history moves out of
    the store, still readable)."""
    return _change(services, services.store.close_plan, plan.code, actor, "closed")


def reopen(services: Services, plan: PlanInfo, actor: int) -> Answer:
    """重开: the plan is followed again (recorded as plan.reopened)."""
    return _change(services, services.store.reopen_plan, plan.code, actor, "reopened")


def rename(services: Services, code: str, new: str, actor: int) -> Answer:
    """`/plans rename A X`: the plan's code becomes X (its tasks' refs follow)."""
    try:
        plan = services.store.plans.rename(code, new, at=services.clock.now(), actor=actor)
    except PlanError as err:
        return _refusal(err)
    return Answer(_text("renamed", plan=plan, old=code.strip().upper()))


def _change(
    services: Services,
    change: Callable[..., PlanInfo],
    code: str,
    actor: int,
    what: str,
) -> Answer:
    try:
        plan = change(code, at=services.clock.now(), actor=actor)
    except PlanError as err:
        return _refusal(err)
    return Answer(_text(what, plan=plan))


def command(services: Services, args: Sequence[str], actor: int) -> Answer | None:
    """`/plans` (None: the list), `/plans close CODE` (asked first), `/plans reopen CODE`,
    `/plans rename CODE NEW`; anything else is answered with the usage."""
    if not args:
        return None
    verb = args[0].lower()
    if verb == "rename" and len(args) == 3:
        return rename(services, args[1], args[2], actor)
    if verb in ("close", "reopen") and len(args) == 2:
        plan = services.store.plans.by_code(args[1])
        if plan is None:
            return _refusal(PlanError("unknown", args[1].strip().upper()))
        return pressed(services, verb, plan.slot, actor)
    return Answer(_text("usage"), done=False)
