"""What several handlers send: review cards to the coordinators, a text to a unit's contacts,
the 受阻 alert, the answer to a recorded update with who else hears of it, and a 催办 now (or
the news of an item just assigned) with who it reached.

They live below the handlers so that no handler imports another (tests/test_layers.py).
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.domain.planner import Reminder, by_chat
from bot.features import blocked, review, sweep
from bot.features.access import Actor, Refusal
from bot.features.chase import Target, result_text
from bot.features.updates import Outcome, claim_notice
from bot.reports import review_notices
from bot.reports.due import chased
from bot.services import Services
from bot.store.records import PartStatus, ReviewRecord
from bot.telegram.context import DubanContext
from bot.telegram.courier import courier
from bot.telegram.keyboards import answer_blocked_button, review_buttons, undo_button
from bot.text.render import render


async def send_quietly(
    context: DubanContext,
    chat_id: int,
    text: str,
    *,
    task: int | None = None,
    unit: str | None = None,
    kind: str = "notice",
    record_id: int | None = None,
) -> bool:
    """Send to one person; a blocked bot or unknown chat is logged, not raised."""
    markup = card_buttons(context.services, record_id) if record_id is not None else None
    about = [(task, unit)] if task is not None else []
    sent = await context.outbox.notify(chat_id, text, markup, about=about, kind=kind)
    if not sent:
        return False
    return True


def card_buttons(services: Services, record_id: int) -> InlineKeyboardMarkup:
    """The card's buttons: with supporters' parts open, 通过，配合部分继续, and 通过并办结配合部分
    when no other lead's part is open."""
    record = review.get(services.store, record_id)
    if record is None or record["kind"] != "claim":
        return review_buttons(record_id)
    facts = review.claim_facts(services.store, record)
    return review_buttons(
        record_id,
        open_supporters=len(facts.open_supporters),
        can_close=facts.can_close_supporters,
    )


async def announce(context: DubanContext, record: ReviewRecord) -> int:
    """Send a new pending record to every coordinator with 通过/退回 buttons; how many got it."""
    services = context.services
    text = review_notices.card_text(services, record)
    sent = 0
    for coordinator in sorted(services.settings.coordinators):
        sent += await send_quietly(
            context,
            coordinator,
            text,
            task=record["task"],
            unit=record["unit"],
            kind="review",
            record_id=record["id"],
        )
    return sent


async def tell_unit(context: DubanContext, unit: str, task_id: int, text: str) -> int:
    """Send a text to the unit's bound contacts (replies to it become notes on the task)."""
    sent = 0
    for contact in context.services.store.people.contacts(unit):
        sent += await send_quietly(context, contact["user_id"], text, task=task_id, unit=unit)
    return sent


async def alert_blocked(context: DubanContext, outcome: Outcome, actor: Actor) -> None:
    """A part reported 受阻: every coordinator hears at once, with the reason and 答复单位."""
    index = blocked.unit_index(context.services, outcome.unit)
    markup = answer_blocked_button(outcome.task.id, index) if index is not None else None
    text = render("blocked_alert.html.j2", o=outcome, actor=actor)
    await context.outbox.notify(
        context.outbox.coordinators((actor.user_id,)),
        text,
        markup,
        about=[(outcome.task.id, outcome.unit)],
        kind="blocked",
    )


async def report(
    context: DubanContext, chat_id: int, actor: Actor, result: Outcome | Refusal
) -> None:
    """Repeat what was recorded (with 撤销 when a plain note stated a status or percentage);
    a new completion claim goes to the coordinators for review."""
    if isinstance(result, Refusal):
        await context.outbox.answer(chat_id, result.text)
        return
    # A reply to the confirmation is a further note on the same task and unit.
    about = [(result.task.id, result.unit)]
    markup = undo_button(result.undo) if result.undo else None
    await context.outbox.answer(chat_id, result.text, markup, about=about, kind="confirmation")
    await follow_up(context, actor, result)


async def follow_up(context: DubanContext, actor: Actor, result: Outcome) -> None:
    """Who else hears of an update: 受阻 alerts the coordinators, a claim goes to review."""
    if result.status == PartStatus.BLOCKED:
        await alert_blocked(context, result, actor)
    if result.claim is not None:
        notice = claim_notice(result, actor)
        extra = review_notices.claim_facts_text(context.services, result.claim)
        notice = f"{notice}\n\n{extra}" if extra else notice
        markup = card_buttons(context.services, result.claim["id"])
        about = [(result.task.id, result.unit)]
        await context.outbox.notify(
            context.outbox.coordinators(), notice, markup, about=about, kind="review"
        )


async def chase_now(
    context: DubanContext,
    found: Target,
    arg: str,
    actor: int | str,
    *,
    assigned: bool = False,
) -> tuple[list[Reminder], str]:
    """A 催办 now of the task or units `found` names (`assigned`: the news of an item just
    assigned in chat), one message per chat, recorded like the sweep's: the parts it chased
    and what the coordinator is told (who got it, who could not be reached and why)."""
    services = context.services
    now = services.clock.now()
    items = chased(services, now, found)
    report = await sweep.send_grouped(
        courier(context.outbox, services),
        services,
        by_chat(items),
        now=now,
        manual=True,
        actor=actor,
        assigned=assigned,
    )
    office = services.units.coordinator.name
    text = result_text(
        services.store, arg, items, report.failed, report.messages, office, assigned=assigned
    )
    return items, text
