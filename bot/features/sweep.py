"""The reminder sweep, as a use case: what today's sweep sends, and what it records once sent.

`schedules/tick.py` decides when it runs; a `Courier` (the outbox, in bot/telegram) delivers
what this module composes, and this module writes the ledger and the history from the outcome.

One sweep runs every simulated minute. It does nothing before DUBAN_REMINDER_TIME or on
non-workdays; after that it sends whatever of *today's* plan is not yet in the ledger, so a
restart or a late start catches up the same day and never repeats. Reminders of earlier days
that were missed are not sent: the next scheduled one covers them.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.domain.contacts import LEADER, contact_role
from bot.domain.planner import (
    ESCALATIONS,
    LEADER_KIND,
    Reminder,
    by_chat,
    in_work_order,
    plan_all,
    plan_reminders,
    reachable_contacts,
    reachable_leaders,
    units_without_contacts,
)
from bot.domain.policy import Policy
from bot.domain.status import period_label, week_key
from bot.features.receipts import needs_receipt, unsigned_to_chase
from bot.features.slips import SlipLine, open_lines
from bot.services import Services
from bot.store import Store
from bot.store.deliveries import LedgerKind, ledger_key
from bot.store.records import PartStatus, StateView
from bot.text.render import render

UNCONFIRMED_SHOWN = 30  # lines in the morning notice; the rest are counted

About = tuple[int, str | None]  # (task, unit) a message concerns; unit None: the whole task


@dataclass(frozen=True)
class Buttons:
    """The buttons under a message, named by what they do (bot/telegram draws them)."""

    tasks: tuple[int, ...] = ()  # a #N per task, opening its card
    receipts: tuple[tuple[int, int], ...] = ()  # a 签收 per (task, unit index)
    slips: tuple[tuple[str, int], ...] = ()  # a 生成督办单 per (unit, unit index)


@dataclass(frozen=True)
class Outgoing:
    """One message the sweep sends: to whom, what, and what a reply to it is about."""

    chat: int
    text: str
    buttons: Buttons = Buttons()
    about: tuple[About, ...] = ()
    kind: str = "reminder"
    notify: bool = True
    resend: bool = True  # False: a timeout is resent by a later sweep, from the ledger


@dataclass(frozen=True)
class Sent:
    """What became of one outgoing message: status sent | forbidden | failed | uncertain."""

    status: str
    message_ids: tuple[int, ...] = ()
    resent_after_timeout: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "sent"


class Courier(Protocol):
    """What delivers the sweep's messages (the outbox): bulk sends under the delivery policy."""

    async def deliver(self, message: Outgoing) -> Sent: ...

    async def tell_coordinators(self, text: str) -> bool:
        """Every coordinator privately; True when at least one was told."""
        ...


@dataclass
class SweepReport:
    """What one sweep did."""

    day: date | None = None
    planned: int = 0
    messages: int = 0
    delivered: list[tuple[int, str]] = field(default_factory=list)  # (chat, reminder key)
    failed: list[int] = field(default_factory=list)  # chats not reached this time
    skipped: str | None = None  # why nothing was planned ("before reminder time", …)


_locks: weakref.WeakKeyDictionary[Store, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sweep_lock(services: Services) -> asyncio.Lock:
    """One sweep at a time per store (the tick job and `/remind` may overlap)."""
    lock = _locks.get(services.store)
    if lock is None:
        lock = _locks[services.store] = asyncio.Lock()
    return lock


# -- what the rules schedule ------------------------------------------------------------------
def planned(
    services: Services,
    day: date,
    policy: Policy | None = None,
    *,
    include_unreachable: bool = False,
) -> list[Reminder]:
    """What the rules schedule on `day` for the current store (the planner, nothing else).

    `duban preview reminders` and the live sweep call this same function, so a preview is
    exactly what goes out (less what the ledger already has). With include_unreachable, also
    the reminders no bound contact could receive.
    """
    store, settings = services.store, services.settings
    planner = plan_all if include_unreachable else plan_reminders
    return planner(
        store.plan.tasks(),
        store.parts.states(),
        store.people.contacts(),
        services.calendar,
        policy or services.policy,
        day,
        units=services.units,
        coordinators=settings.coordinators,
        summary_chat=settings.summary_chat_id,
        closed=services.store.plan.closed_tasks(),
        inspection_chat=getattr(settings, "inspection_chat_id", None),
        # Catch-up is what *today's* sweep adds for days the bot was down; the preview of a
        # later day assumes the sweeps in between ran (they catch up first).
        escalated=escalated_keys(store) if day == services.clock.now().date() else None,
        since=services.tracking_starts(),
    )


def escalated_keys(store: Store) -> set[str]:
    """The escalations already made (ledger keys `esc…:<task>:<unit>:<occurrence>>chat`)."""
    return {
        entry["key"].split(">", 1)[0] for entry in store.deliveries.ledger(LedgerKind.ESCALATION)
    }


def reminder_key(reminder: Reminder, chat_id: int) -> str:
    """Ledger entries are per recipient: one contact's failure never repeats another's."""
    return f"{reminder.key}>{chat_id}"


# -- what one chat's morning message says -------------------------------------------------------
def _item(services: Services, r: Reminder, policy: Policy, day: date | None) -> dict[str, Any]:
    task = services.store.plan.task(r.task)
    state: StateView = services.store.parts.state(r.task, r.unit) or {}
    return {
        "task": r.task,
        "title": task.title if task else "",
        "task_text": task.text if task else "",  # an assigned item is told in full
        "action": task.deadline.action if task and r.kind in ("monthly", "quarterly") else None,
        "unit": r.unit,
        "role": r.role,
        "unit_role": state.get("role", "lead"),
        "kind": r.kind,
        "due": r.due,
        "text": r.text,
        "period": r.period,
        "period_label": period_label(r.period),
        "workdays_left": r.workdays_left,
        "workdays_overdue": r.workdays_overdue,
        "due_today": day is not None and r.due == day,
        "status": state.get("status", PartStatus.TODO),
        "percent": state.get("percent"),
        "stale_days": policy.ongoing.stale_days,
        "late": r.late_catch_up,
    }


def _plan_by_plan(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A morning's reminders plan by plan (in work order within each), each plan's first
    headed by its plan (`plan`) once several plans are active."""
    plans = {it["task"]: store.plan.plan_of(it["task"]) for it in items}
    slot = {key: plan.slot if plan else 0 for key, plan in plans.items()}
    items = sorted(items, key=lambda it: slot[it["task"]])
    heads = store.plans.headings(slot[it["task"]] for it in items)
    return [{**it, "plan": head} for it, head in zip(items, heads, strict=True)]


def _inspection(services: Services, r: Reminder) -> dict[str, Any]:
    """One 督办通报 entry: unit, task, due date, days overdue, reminders sent, last update."""
    store = services.store
    task = store.plan.task(r.task)
    state: StateView = store.parts.state(r.task, r.unit) or {}
    sent = store.history.events(
        task=r.task,
        where=lambda ev: (
            ev["kind"] == "reminder"
            and ev.get("unit") == r.unit
            and ev.get("reminder_kind") not in ESCALATIONS
            and ev.get("status") in ("sent", "uncertain")
        ),
    )
    return {
        "task": r.task,
        "title": task.title if task else "",
        "unit": r.unit,
        "unit_role": state.get("role", "lead"),
        "due": r.due,
        "period_label": period_label(r.period),
        "workdays_overdue": r.workdays_overdue,
        "reminders": len({ev.get("key") for ev in sent}),
        "status": state.get("status", PartStatus.TODO),
        "percent": state.get("percent"),
        "note": state.get("note"),
        "updated_at": state.get("updated_at"),
        "updated_with": state.get("updated_with"),  # the last update was a campaign report
        "late": r.late_catch_up,
    }


def escalation_groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A morning's escalations by task (and due date): one entry naming its units by role.

    The end of June can escalate some 200 unit parts at once; a line per task stays readable.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for it in items:
        key = (it["task"], it["due"], it["period"], it["workdays_overdue"])
        group = groups.setdefault(key, {**it, "leads": [], "supporters": []})
        group["leads" if it["unit_role"] == "lead" else "supporters"].append(it["unit"])
    return list(groups.values())


def compose(
    services: Services,
    items: list[Reminder],
    *,
    manual: bool = False,
    day: date | None = None,
    assigned: bool = False,
) -> tuple[str, Buttons]:
    """One chat's message for this morning: every reminder and escalation, and the buttons
    (`assigned`: the news of an item just assigned in chat, with its whole text)."""
    policy = services.policy
    daily = [r for r in items if r.kind not in ESCALATIONS and r.kind != LEADER_KIND]
    reminders = _plan_by_plan(
        services.store, [_item(services, r, policy, day) for r in in_work_order(daily)]
    )
    escalations = [_item(services, r, policy, day) for r in items if r.kind == "escalation"]
    inspections = [_inspection(services, r) for r in items if r.kind == "escalation2"]
    for_leader = [_item(services, r, policy, day) for r in items if r.kind == LEADER_KIND]
    texts = []
    if reminders or escalations:
        texts.append(
            render(
                "reminder.html.j2",
                reminders=reminders,
                escalations=escalations,
                escalated_tasks=escalation_groups(escalations),
                manual=manual,
                assigned=assigned,
            )
        )
    if inspections:
        texts.append(render("inspection.html.j2", items=inspections, day=day))
    if for_leader:
        texts.append(render("leader_notice.html.j2", items=for_leader))
    text = "\n\n".join(texts)
    task_ids = tuple(dict.fromkeys(it["task"] for it in reminders))
    return text, Buttons(tasks=task_ids, receipts=tuple(_receipt_parts(services, daily)))


def _receipt_parts(services: Services, items: list[Reminder]) -> list[tuple[int, int]]:
    """(task, unit index) of the parts this message tells of that are not signed for yet."""
    order = {u.name: i for i, u in enumerate(services.units.units)}
    return [
        (r.task, order[r.unit])
        for r in items
        if r.unit in order and needs_receipt(services, r.task, r.unit)
    ]


def _about(items: list[Reminder]) -> tuple[list[About], str]:
    """Which task(s) a morning message is about, and its kind, so a reply to it is resolved.

    A digest (several tasks) is remembered once per task; a reply then names `#N` to pick one.
    """
    refs: list[About] = list(dict.fromkeys((r.task, r.unit) for r in items))
    kind = "digest" if len({t for t, _ in refs}) > 1 else items[0].kind
    kind = "escalation" if kind == "escalation2" else kind
    return refs, kind if kind in ("digest", "escalation") else "reminder"


# -- sending and recording ----------------------------------------------------------------------
def _record(
    services: Services,
    chat_id: int,
    items: list[Reminder],
    outcome: Sent,
    now: datetime,
    actor: int | str = "bot",
) -> None:
    """Ledger, history and reply references of one message, made durable together."""
    store = services.store
    ids = list(outcome.message_ids)
    refs, kind = _about(items)
    # One fsync per message, not three per reminder: at 500 chats the syncs were half the
    # sweep's time, and the records of one message stand or fall together anyway.
    with store.batch():
        for r in items:
            key = reminder_key(r, chat_id)
            found = store.deliveries.ledger_get(key)
            attempts = (int(found.get("attempts") or 0) if found is not None else 0) + 1
            status = "sent" if outcome.ok else outcome.status
            if status == "uncertain" and attempts > services.policy.delivery.resend_after_timeout:
                status = "unconfirmed"  # the one resend timed out too: told in the morning
            store.deliveries.ledger_put(
                key,
                status=status,
                sent_at=now.isoformat(timespec="seconds"),
                chat=chat_id,
                message_ids=ids,
                task=r.task,
                unit=r.unit,
                kind=r.kind,
                attempts=attempts,
                resent_after_timeout=attempts > 1 or outcome.resent_after_timeout,
            )
            store.history.record(
                "reminder",
                at=now,
                actor=actor,
                task=r.task,
                unit=r.unit,
                reminder_kind=r.kind,
                role=r.role,
                key=r.key,
                chat=chat_id,
                message_ids=ids,
                status=outcome.status,
            )
        for message_id in ids:
            for task, unit in refs:
                store.deliveries.remember_message(
                    chat_id, message_id, task=task, unit=unit, kind=kind
                )


async def send_grouped(
    courier: Courier,
    services: Services,
    by_chat: dict[int, list[Reminder]],
    *,
    now: datetime,
    manual: bool = False,
    actor: int | str = "bot",
    report: SweepReport | None = None,
    assigned: bool = False,
) -> SweepReport:
    """One message per chat, sent concurrently (the rate limiter paces), recorded on success."""
    report = report or SweepReport()
    gate = asyncio.Semaphore(max(1, services.policy.delivery.concurrency))

    async def one(chat_id: int, items: list[Reminder]) -> None:
        text, buttons = compose(services, items, manual=manual, day=now.date(), assigned=assigned)
        async with gate:
            outcome = await courier.deliver(Outgoing(chat_id, text, buttons, resend=False))
        # The ledger is written only once Telegram accepted (or may have accepted) the message;
        # a refusal (403) is recorded too, so the chat is not tried again every minute.
        if outcome.status in ("sent", "uncertain", "forbidden"):
            _record(services, chat_id, items, outcome, now, actor)
        if outcome.status in ("sent", "uncertain"):
            report.messages += 1
            report.delivered += [(chat_id, r.key) for r in items]
        else:
            report.failed.append(chat_id)

    await asyncio.gather(*(one(chat, items) for chat, items in by_chat.items()))
    return report


async def sweep(
    courier: Courier, services: Services, *, now: datetime | None = None
) -> SweepReport:
    """Send today's due reminders not yet in the ledger (only at/after the reminder time)."""
    settings = services.settings
    now = (now or services.clock.now()).astimezone(settings.timezone)
    today = now.date()
    report = SweepReport(day=today)
    if not services.calendar.is_workday(today):
        report.skipped = "not a workday"
        return report
    if now.time() < settings.reminder_time:
        report.skipped = "before the reminder time"
        return report
    policy = services.policy
    async with _sweep_lock(services):
        reminders = planned(services, today, policy)
        report.planned = len(reminders)
        store = services.store

        # The planner lists reachable contacts only: one refused earlier today (403) who is
        # back in touch gets this morning's reminders after all. Other chats refused stay so.
        back = {c["user_id"] for c in store.people.contacts() if c.get("reachable", True)}

        retry_before = now - timedelta(minutes=policy.delivery.retry_uncertain_after_minutes)

        def in_ledger(r: Reminder, chat: int) -> bool:
            entry = store.deliveries.ledger_get(reminder_key(r, chat))
            if entry is None:
                return False
            if entry.get("status") == "uncertain":
                # A send that timed out: resent once, a while later (a duplicate at most).
                return datetime.fromisoformat(entry["sent_at"]) > retry_before
            return not (entry.get("status") == "forbidden" and chat in back)

        await send_grouped(courier, services, by_chat(reminders, in_ledger), now=now, report=report)
        await _unconfirmed_notice(courier, services, now)
        if policy.no_contacts.weekly:
            await _weekly_no_contacts(courier, services, now)
        await _weekly_leader_notes(courier, services, now)
        await _receipt_chase(courier, services, now)
    return report


async def _unconfirmed_notice(courier: Courier, services: Services, now: datetime) -> None:
    """Each morning, the coordinators learn which of earlier days' sends nobody could confirm.

    A timed-out reminder still unconfirmed when its day ended (its resend timed out too, or the
    bot stopped before resending) is listed once, so no reminder is lost without anyone told.
    """
    store = services.store
    today = now.date().isoformat()
    doubtful = [
        e
        for e in store.deliveries.ledger()
        if e.get("status") in ("uncertain", "unconfirmed")
        and e.get("task") is not None
        and not e.get("reported")
        and str(e.get("sent_at", ""))[:10] < today
    ]
    if not doubtful:
        return
    settings = services.settings
    names: dict[int, str] = {c["user_id"]: c["name"] for c in store.people.contacts()}
    names.update({uid: "督办人员" for uid in settings.coordinators})
    for chat, label in (
        (settings.summary_chat_id, "协调群"),
        (settings.inspection_chat_id, "督查室"),
    ):
        if chat is not None:
            names[chat] = label
    grouped: dict[tuple[str, int], dict[str, Any]] = {}
    for e in sorted(doubtful, key=lambda e: (e["sent_at"], e["task"], e["unit"])):
        day, task, chat = e["sent_at"][:10], e["task"], e["chat"]
        assert task is not None and chat is not None  # a reminder's entry names both
        item = grouped.setdefault(
            (day, task),
            {"task": task, "day": date.fromisoformat(day), "units": [], "who": []},
        )
        item["escalation"] = e.get("kind") in ("escalation", "escalation2")
        for key, value in (("units", e["unit"]), ("who", names.get(chat, str(chat)))):
            if value not in item[key]:
                item[key].append(value)
    items = list(grouped.values())
    told = await courier.tell_coordinators(
        render(
            "unconfirmed.html.j2",
            items=items[:UNCONFIRMED_SHOWN],
            more=len(items) - UNCONFIRMED_SHOWN,
        ),
    )
    if not told:
        return  # told nobody: try again on the next tick
    with store.batch():
        for e in doubtful:
            store.deliveries.ledger_put(e["key"], reported=now.isoformat(timespec="seconds"))


async def _weekly_no_contacts(courier: Courier, services: Services, now: datetime) -> None:
    """Once a week, the coordinators learn which units with open work nobody can be told."""
    store = services.store
    missing = units_without_contacts(
        store.plan.tasks(),
        store.parts.states(),
        store.people.contacts(),
        units=services.units,
        closed=services.store.plan.closed_tasks(),
        coordinators=services.settings.coordinators,
    )
    if not missing:
        return
    leaders: dict[str, list[str]] = {}
    for c in store.people.contacts():
        if contact_role(c) == LEADER and c["unit"] in missing:
            leaders.setdefault(c["unit"], []).append(c["name"])
    text = render("no_contacts.html.j2", units=sorted(missing.items()), leaders=leaders)
    order = {u.name: i for i, u in enumerate(services.units.units)}
    # 生成督办单 per unit: the office's fallback for a unit the bot cannot reach is paper.
    buttons = Buttons(slips=tuple((u, order[u]) for u in sorted(missing) if u in order))
    key = ledger_key(LedgerKind.NO_CONTACT, week_key(now.date()))
    for chat in sorted(services.settings.coordinators):
        if store.deliveries.ledger_get(f"{key}>{chat}") is not None:
            continue
        outcome = await courier.deliver(Outgoing(chat, text, buttons, notify=False))
        if outcome.status in ("sent", "uncertain", "forbidden"):
            store.deliveries.ledger_put(
                f"{key}>{chat}",
                status=outcome.status,
                sent_at=now.isoformat(timespec="seconds"),
                units=sorted(missing),
            )


async def _weekly_leader_notes(courier: Courier, services: Services, now: datetime) -> None:
    """Once a week (first sweep of the week), each 分管领导 gets a short note on the standing
    of their unit: its open tasks, the overdue ones, what falls due within a working week."""
    store, today = services.store, now.date()
    note = ledger_key(LedgerKind.LEADER_NOTE, week_key(today))
    soon = services.calendar.add_workdays(today, 5)
    for unit, chats in sorted(reachable_leaders(store.people.contacts()).items()):
        waiting = [c for c in chats if store.deliveries.ledger_get(f"{note}>{c}") is None]
        if not waiting:
            continue
        # the active plans' work only: a closed plan's tasks are no longer followed
        lines = [ln for ln in open_lines(services, unit, today) if store.plan.is_followed(ln.task)]
        if not lines:
            continue
        done = sum(
            1
            for s in store.parts.states(unit=unit)
            if s.get("status") == PartStatus.DONE and store.plan.is_followed(s["task"])
        )
        text = render(
            "leader_weekly.html.j2",
            unit=unit,
            lines=lines,
            overdue=[ln for ln in lines if ln.overdue_workdays],
            blocks=_by_plan(store, lines, soon),
            done=done,
        )
        for chat in waiting:
            outcome = await courier.deliver(Outgoing(chat, text, notify=False))
            if outcome.status in ("sent", "uncertain", "forbidden"):
                store.deliveries.ledger_put(
                    f"{note}>{chat}",
                    status=outcome.status,
                    sent_at=now.isoformat(timespec="seconds"),
                    unit=unit,
                )


def _by_plan(store: Store, lines: list[SlipLine], soon: date) -> list[dict[str, Any]]:
    """A leader note's overdue and soon-due work, plan by plan (a plan heading each once
    several plans are active; one block without a heading otherwise)."""
    active = store.plans.active()
    slots = {ln.task: (store.plan.plan_of(ln.task) if len(active) > 1 else None) for ln in lines}
    blocks: dict[int, dict[str, Any]] = {}
    for ln in lines:
        plan = slots[ln.task]
        block = blocks.setdefault(
            plan.slot if plan else 0, {"plan": plan, "overdue": [], "soon": []}
        )
        if ln.overdue_workdays:
            block["overdue"].append(ln)
        elif ln.due and ln.due <= soon:
            block["soon"].append(ln)
    return [blocks[k] for k in sorted(blocks) if blocks[k]["overdue"] or blocks[k]["soon"]]


async def _receipt_chase(courier: Courier, services: Services, now: datetime) -> None:
    """Once a day, work not signed for one workday after its first notice is chased once
    more (a 签收 button per task); after that the coordinators see it as 未签收."""
    store, today = services.store, now.date()
    if store.deliveries.get(LedgerKind.SIGN_CHASE, today.isoformat()) is not None:
        return
    order = {u.name: i for i, u in enumerate(services.units.units)}
    reach = reachable_contacts(store.people.contacts())
    for unit, chats in sorted(reach.items()):
        due = [
            t
            for t in unsigned_to_chase(services, unit, today)
            if store.deliveries.get(LedgerKind.SIGN, t, unit) is None
        ]
        tasks = [t for t in (store.plan.task(i) for i in due) if t is not None]
        if not tasks or unit not in order:
            continue
        text = render("receipt.html.j2", step="chase", unit=unit, tasks=tasks)
        buttons = Buttons(receipts=tuple((t.id, order[unit]) for t in tasks))
        about = tuple((t.id, unit) for t in tasks)
        told = False
        for chat in chats:
            outcome = await courier.deliver(Outgoing(chat, text, buttons, about=about))
            told = told or outcome.status in ("sent", "uncertain")
        if told:
            with store.batch():
                for t in tasks:
                    store.deliveries.put(
                        LedgerKind.SIGN,
                        t.id,
                        unit,
                        status="sent",
                        sent_at=now.isoformat(timespec="seconds"),
                        task=t.id,
                        unit=unit,
                    )
    # Bookkeeping (no fsync of its own): lost in a crash, the day's scan is only made again.
    with store.deferred():
        store.deliveries.put(
            LedgerKind.SIGN_CHASE,
            today.isoformat(),
            status="done",
            sent_at=now.isoformat(timespec="seconds"),
        )


def reachable_again(services: Services, user_id: int) -> None:
    """A contact who unblocked the bot or wrote to it again receives reminders again."""
    services.store.people.set_reachable(user_id, True, at=services.clock.now())
