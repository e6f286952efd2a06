"""The reminder sweep: plan today's reminders, skip what the ledger has, send, record.

`schedules/tick.py` decides when it runs; this module composes and sends through the outbox.

One sweep runs every simulated minute (schedules/tick.py). It does nothing before
DUBAN_REMINDER_TIME or on non-workdays; after that it sends whatever of *today's* plan is not
yet in the ledger, so a restart or a late start catches up the same day and never repeats.
Reminders of earlier days that were missed are not sent: the next scheduled one covers them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup

from bot.domain.clock import FixedClock
from bot.domain.contacts import LEADER, contact_role
from bot.domain.planner import (
    ESCALATIONS,
    LEADER_KIND,
    Reminder,
    by_chat,
    in_work_order,
    reachable_contacts,
    reachable_leaders,
    units_without_contacts,
)
from bot.domain.policy import Policy, PolicyError, policy_for, policy_of
from bot.domain.status import period_label, week_key
from bot.features.receipts import needs_receipt, unsigned_to_chase
from bot.features.slips import open_lines
from bot.reports.due import planned
from bot.services import PlanError, Services, open_services
from bot.store import StoreLocked
from bot.store.records import StateView
from bot.telegram.context import OUTBOX, SERVICES
from bot.telegram.keyboards import digest_buttons, slip_buttons, with_receipt_buttons
from bot.telegram.outbox import Delivery, Outbox, sending_bot
from bot.text.render import render

log = logging.getLogger(__name__)

_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sweep_lock(services: Services) -> asyncio.Lock:
    """One sweep at a time per store (the tick job and `/remind` may overlap)."""
    lock = _locks.get(services.store)
    if lock is None:
        lock = _locks[services.store] = asyncio.Lock()
    return lock


UNCONFIRMED_SHOWN = 30  # lines in the morning notice; the rest are counted


def ledger_key(reminder: Reminder, chat_id: int) -> str:
    """Ledger entries are per recipient: one contact's failure never repeats another's."""
    return f"{reminder.key}>{chat_id}"


def _item(services: Services, r: Reminder, policy: Policy, day: date | None) -> dict[str, Any]:
    task = services.store.plan.task(r.task)
    state: StateView = services.store.parts.state(r.task, r.unit) or {}
    return {
        "task": r.task,
        "title": task.title if task else "",
        "action": task.deadline.action if task and r.kind in ("monthly", "quarterly") else None,
        "unit": r.unit,
        "role": r.role,
        "unit_role": state.get("role", "lead"),
        "kind": r.kind,
        "due": r.due,
        "period": r.period,
        "period_label": period_label(r.period),
        "workdays_left": r.workdays_left,
        "workdays_overdue": r.workdays_overdue,
        "due_today": day is not None and r.due == day,
        "status": state.get("status", "todo"),
        "percent": state.get("percent"),
        "stale_days": policy.ongoing.stale_days,
        "late": r.late_catch_up,
    }


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
        "status": state.get("status", "todo"),
        "percent": state.get("percent"),
        "note": state.get("note"),
        "updated_at": state.get("updated_at"),
        "updated_with": state.get("updated_with"),  # the last update was a campaign report
        "late": r.late_catch_up,
    }


def task_buttons(task_ids: list[int]) -> InlineKeyboardMarkup | None:
    """A `#N` per task (at most 8, then 更多…): each opens that task's card in the message."""
    return digest_buttons(task_ids)


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
    services: Services, items: list[Reminder], *, manual: bool = False, day: date | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One chat's message for this morning: every reminder and escalation, and the buttons."""
    policy = policy_of(services)
    daily = [r for r in items if r.kind not in ESCALATIONS and r.kind != LEADER_KIND]
    reminders = [_item(services, r, policy, day) for r in in_work_order(daily)]
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
            )
        )
    if inspections:
        texts.append(render("inspection.html.j2", items=inspections, day=day))
    if for_leader:
        texts.append(render("leader_notice.html.j2", items=for_leader))
    text = "\n\n".join(texts)
    task_ids = list(dict.fromkeys(it["task"] for it in reminders))
    return text, with_receipt_buttons(task_buttons(task_ids), _receipt_parts(services, daily))


def _receipt_parts(services: Services, items: list[Reminder]) -> list[tuple[int, int]]:
    """(task, unit index) of the parts this message tells of that are not signed for yet."""
    order = {u.name: i for i, u in enumerate(services.units.units)}
    return [
        (r.task, order[r.unit])
        for r in items
        if r.unit in order and needs_receipt(services, r.task, r.unit)
    ]


def _about(items: list[Reminder]) -> tuple[list[tuple[int, str | None]], str]:
    """Which task(s) a morning message is about, and its kind, so a reply to it is resolved.

    A digest (several tasks) is remembered once per task; a reply then names `#N` to pick one.
    """
    refs: list[tuple[int, str | None]] = list(dict.fromkeys((r.task, r.unit) for r in items))
    kind = "digest" if len({t for t, _ in refs}) > 1 else items[0].kind
    kind = "escalation" if kind == "escalation2" else kind
    return refs, kind if kind in ("digest", "escalation") else "reminder"


@dataclass
class SweepReport:
    """What one sweep did."""

    day: date | None = None
    planned: int = 0
    messages: int = 0
    delivered: list[tuple[int, str]] = field(default_factory=list)  # (chat, reminder key)
    failed: list[int] = field(default_factory=list)  # chats not reached this time
    skipped: str | None = None  # why nothing was planned ("before reminder time", …)


def _record(
    outbox: Outbox,
    chat_id: int,
    items: list[Reminder],
    outcome: Delivery,
    now: datetime,
    actor: int | str = "bot",
) -> None:
    """Ledger, history and reply references of one message, made durable together."""
    store = outbox.services.store
    ids = [m.message_id for m in outcome.messages]
    # One fsync per message, not three per reminder: at 500 chats the syncs were half the
    # sweep's time, and the records of one message stand or fall together anyway.
    with store.batch():
        for r in items:
            key = ledger_key(r, chat_id)
            attempts = int((store.deliveries.ledger_get(key) or {}).get("attempts") or 0) + 1
            status = "sent" if outcome.ok else outcome.status
            if status == "uncertain" and attempts > outbox.policy.resend_after_timeout:
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
        outbox.remember(outcome.messages, *_about(items))


async def send_grouped(
    sender: Bot | Outbox,
    services: Services,
    by_chat: dict[int, list[Reminder]],
    *,
    now: datetime,
    manual: bool = False,
    actor: int | str = "bot",
    report: SweepReport | None = None,
) -> SweepReport:
    """One message per chat, sent concurrently (the rate limiter paces), recorded on success."""
    policy = policy_of(services)
    outbox = Outbox.of(sender, services, policy.delivery)
    report = report or SweepReport()
    gate = asyncio.Semaphore(max(1, policy.delivery.concurrency))

    async def one(chat_id: int, items: list[Reminder]) -> None:
        text, markup = compose(services, items, manual=manual, day=now.date())
        async with gate:
            outcome = await outbox.deliver(chat_id, text, markup, resend=False)
        # The ledger is written only once Telegram accepted (or may have accepted) the message;
        # a refusal (403) is recorded too, so the chat is not tried again every minute.
        if outcome.status in ("sent", "uncertain", "forbidden"):
            _record(outbox, chat_id, items, outcome, now, actor)
        if outcome.status in ("sent", "uncertain"):
            report.messages += 1
            report.delivered += [(chat_id, r.key) for r in items]
        else:
            report.failed.append(chat_id)

    await asyncio.gather(*(one(chat, items) for chat, items in by_chat.items()))
    return report


async def sweep(
    sender: Bot | Outbox,
    services: Services,
    *,
    now: datetime | None = None,
    policy: Policy | None = None,
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
    policy = policy or policy_of(services)
    async with _sweep_lock(services):
        reminders = planned(services, today, policy)
        report.planned = len(reminders)
        store = services.store

        # The planner lists reachable contacts only: one refused earlier today (403) who is
        # back in touch gets this morning's reminders after all. Other chats refused stay so.
        back = {c["user_id"] for c in store.people.contacts() if c.get("reachable", True)}

        retry_before = now - timedelta(minutes=policy.delivery.retry_uncertain_after_minutes)

        def in_ledger(r: Reminder, chat: int) -> bool:
            entry = store.deliveries.ledger_get(ledger_key(r, chat))
            if entry is None:
                return False
            if entry.get("status") == "uncertain":
                # A send that timed out: resent once, a while later (a duplicate at most).
                return datetime.fromisoformat(entry["sent_at"]) > retry_before
            return not (entry.get("status") == "forbidden" and chat in back)

        outbox = Outbox.of(sender, services, policy.delivery)
        await send_grouped(outbox, services, by_chat(reminders, in_ledger), now=now, report=report)
        await _unconfirmed_notice(outbox, services, now)
        if policy.no_contacts.weekly:
            await _weekly_no_contacts(outbox, services, now)
        await _weekly_leader_notes(outbox, services, now)
        await _receipt_chase(outbox, services, now)
    return report


async def _unconfirmed_notice(outbox: Outbox, services: Services, now: datetime) -> None:
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
    sent = await outbox.tell_coordinators(
        render(
            "unconfirmed.html.j2",
            items=items[:UNCONFIRMED_SHOWN],
            more=len(items) - UNCONFIRMED_SHOWN,
        )
    )
    if not sent:
        return  # told nobody: try again on the next tick
    with store.batch():
        for e in doubtful:
            store.deliveries.ledger_put(e["key"], reported=now.isoformat(timespec="seconds"))


async def _weekly_no_contacts(outbox: Outbox, services: Services, now: datetime) -> None:
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
    markup = slip_buttons([(u, order[u]) for u in sorted(missing) if u in order])
    key = f"nocontact:{week_key(now.date())}"
    for chat in sorted(services.settings.coordinators):
        if store.deliveries.ledger_get(f"{key}>{chat}") is not None:
            continue
        outcome = await outbox.deliver(chat, text, markup, notify=False)
        if outcome.status in ("sent", "uncertain", "forbidden"):
            store.deliveries.ledger_put(
                f"{key}>{chat}",
                status=outcome.status,
                sent_at=now.isoformat(timespec="seconds"),
                units=sorted(missing),
            )


async def _weekly_leader_notes(outbox: Outbox, services: Services, now: datetime) -> None:
    """Once a week (first sweep of the week), each 分管领导 gets a short note on the standing
    of their unit: its open tasks, the overdue ones, what falls due within a working week."""
    store, today = services.store, now.date()
    week = week_key(today)
    soon = services.calendar.add_workdays(today, 5)
    for unit, chats in sorted(reachable_leaders(store.people.contacts()).items()):
        waiting = [
            c for c in chats if store.deliveries.ledger_get(f"leadernote:{week}>{c}") is None
        ]
        if not waiting:
            continue
        lines = open_lines(services, unit, today)
        if not lines:
            continue
        done = sum(1 for s in store.parts.states(unit=unit) if s.get("status") == "done")
        text = render(
            "leader_weekly.html.j2",
            unit=unit,
            lines=lines,
            overdue=[ln for ln in lines if ln.overdue_workdays],
            soon=[ln for ln in lines if not ln.overdue_workdays and ln.due and ln.due <= soon],
            done=done,
        )
        for chat in waiting:
            outcome = await outbox.deliver(chat, text, notify=False)
            if outcome.status in ("sent", "uncertain", "forbidden"):
                store.deliveries.ledger_put(
                    f"leadernote:{week}>{chat}",
                    status=outcome.status,
                    sent_at=now.isoformat(timespec="seconds"),
                    unit=unit,
                )


async def _receipt_chase(outbox: Outbox, services: Services, now: datetime) -> None:
    """Once a day, work not signed for one workday after its first notice is chased once
    more (a 签收 button per task); after that the coordinators see it as 未签收."""
    store, today = services.store, now.date()
    if store.deliveries.ledger_get(f"signchase:{today.isoformat()}") is not None:
        return
    order = {u.name: i for i, u in enumerate(services.units.units)}
    reach = reachable_contacts(store.people.contacts())
    for unit, chats in sorted(reach.items()):
        due = [
            t
            for t in unsigned_to_chase(services, unit, today)
            if store.deliveries.ledger_get(f"sign:{t}:{unit}") is None
        ]
        tasks = [t for t in (store.plan.task(i) for i in due) if t is not None]
        if not tasks or unit not in order:
            continue
        text = render("receipt.html.j2", step="chase", unit=unit, tasks=tasks)
        markup = with_receipt_buttons(None, [(t.id, order[unit]) for t in tasks])
        told = False
        for chat in chats:
            outcome = await outbox.deliver(
                chat, text, markup, about=[(t.id, unit) for t in tasks], kind="reminder"
            )
            told = told or outcome.status in ("sent", "uncertain")
        if told:
            with store.batch():
                for t in tasks:
                    store.deliveries.ledger_put(
                        f"sign:{t.id}:{unit}",
                        status="sent",
                        sent_at=now.isoformat(timespec="seconds"),
                        task=t.id,
                        unit=unit,
                    )
    # Bookkeeping (no fsync of its own): lost in a crash, the day's scan is only made again.
    with store.deferred():
        store.deliveries.ledger_put(
            f"signchase:{today.isoformat()}",
            status="done",
            sent_at=now.isoformat(timespec="seconds"),
        )


async def reminder_sweep(application: Any) -> SweepReport:
    """The tick job's part: one sweep with the application's bot and services."""
    return await sweep(application.bot_data[OUTBOX], application.bot_data[SERVICES])


async def _remind_once(services: Services) -> SweepReport:
    settings = services.settings
    delivery = policy_of(services).delivery
    assert settings.token is not None  # remind_once refuses to run without one
    bot = sending_bot(settings.token, settings.api_base_url, settings.file_base_url, delivery)
    async with bot:
        return await sweep(bot, services)


def remind_once(settings: Any, day: date | None = None) -> int:
    """`duban remind [--date D]`: one sweep now (or at D's reminder time); the exit code."""
    if not settings.token:
        print("duban remind: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    try:
        policy_for(settings.data_dir)
    except PolicyError as exc:
        print(f"duban remind: {exc}", file=sys.stderr)
        return 2
    clock = None
    if day is not None:
        clock = FixedClock(datetime.combine(day, settings.reminder_time, tzinfo=settings.timezone))
    try:
        services = open_services(settings, writer=True, clock=clock)
    except StoreLocked as exc:
        print(f"duban remind: {exc} (the running bot sends reminders itself)", file=sys.stderr)
        return 1
    except PlanError as exc:
        print(f"duban remind: the plan has errors:\n{exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_remind_once(services))
    finally:
        services.close()
    if report.skipped:
        print(f"reminders {report.day}: nothing to send ({report.skipped})")
    else:
        print(
            f"reminders {report.day}: {report.messages} message(s) sent, "
            f"{len(report.delivered)} reminder(s), {len(report.failed)} chat(s) not reached"
        )
    return 1 if report.failed else 0
