"""Coordinator review in chat: /review, the 通过/退回 buttons, and the refusal reason."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import pending, review
from bot.features.access import Actor
from bot.features.review import ReviewError
from bot.reports import review_notices
from bot.store.records import ReviewRecord
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import confirm_review_buttons
from bot.telegram.notices import card_buttons, send_quietly, tell_unit
from handlers.common import AWAITED_TEXT, actor_of, coordinator_message, plain_text, reply

log = logging.getLogger(__name__)
LIST_LIMIT = 10  # cards per /review; each is its own message so each keeps its own buttons


async def review_command(update: Update, context: DubanContext) -> None:
    """/review: pending completion claims and extension requests, each with its buttons."""
    message = await coordinator_message(update, context, review_notices.button_answer("forbidden"))
    if message is None:
        return
    services = context.services
    pending = review.records(services.store)
    await context.outbox.answer(message, review_notices.list_text(pending, LIST_LIMIT))
    for record in pending[:LIST_LIMIT]:
        text, buttons = (
            review_notices.card_text(services, record),
            card_buttons(services, record["id"]),
        )
        about = [(record["task"], record["unit"])]
        await reply(update, context, text, buttons, about=about, kind="review")


async def decide_button(update: Update, context: DubanContext) -> None:
    """通过 decides at once; 退回 asks for the reason first."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.services
    button = cb.button_of(update, cb.Review)
    verdict = button.verdict
    record, problem = review.pressable(services, user.id, button.record)
    if record is None or problem is not None:
        answer = plain_text(review_notices.button_answer(problem or "missing"))
        await query.answer(answer, show_alert=problem != "done")
        if problem == "done":
            await _drop_buttons(query)
    elif verdict == "no":
        await _ask_reason(update, context, record)
    elif (
        not isinstance(button, cb.ConfirmReview)
        and record["kind"] == "claim"
        and not review.claim_facts(services.store, record).evidence
    ):
        await _confirm_without_evidence(update, record, verdict)
    else:
        supporters = "close" if verdict == "okc" else "keep"
        await _approve(update, context, actor_of(update, context), record["id"], supporters)


async def _confirm_without_evidence(update: Update, record: ReviewRecord, verdict: str) -> None:
    """A 通过 of a claim with no evidence file: say so, and turn the buttons into 确认… / 退回."""
    query = update.callback_query
    assert query is not None
    await query.answer(plain_text(review_notices.no_evidence_text(record)), show_alert=True)
    try:
        await query.edit_message_reply_markup(confirm_review_buttons(verdict, record["id"]))
    except TelegramError:
        pass  # a message too old to edit keeps its buttons: the alert said what to do


async def _ask_reason(update: Update, context: DubanContext, record: ReviewRecord) -> None:
    """After 退回: the next text of the coordinator is the reason."""
    query, user, services = update.callback_query, update.effective_user, context.services
    assert query is not None and user is not None
    pending.expect(
        services.store,
        user.id,
        "text",
        "reject",
        now=services.clock.now(),
        record=record["id"],
        chat=query.message.chat.id if query.message else None,
        message=query.message.message_id if query.message else None,
    )
    await query.answer()
    await context.outbox.answer(user.id, review_notices.ask_reason_text(record))


async def _drop_buttons(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:
        pass  # the message may be too old to edit, or already without buttons


async def _approve(
    update: Update, context: DubanContext, actor: Actor, record_id: int, supporters: str = "keep"
) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    try:
        decision = review.approve(services, record_id, actor, supporters)
    except ReviewError as err:
        if err.code == "milestone_gone":  # the node was changed or removed since the request
            await query.answer(plain_text(review_notices.button_answer(err.code)), show_alert=True)
            return
        if err.code != "leads_open":
            raise
        # A card drawn before another lead reopened its part: say why, offer what can be done.
        await query.answer(plain_text(review_notices.leads_open_text(**err.info)), show_alert=True)
        try:
            await query.edit_message_reply_markup(card_buttons(services, record_id))
        except TelegramError:
            pass
        return
    answer = review_notices.button_answer("done" if decision.already else "approved")
    await query.answer(plain_text(answer))
    await _drop_buttons(query)
    if decision.already:
        return
    await _announce_decision(context, actor, decision)


async def _announce_decision(
    context: DubanContext, actor: Actor, decision: review.Decision
) -> None:
    """Tell the unit's contacts the outcome, and the deciding coordinator what happened."""
    record = decision.record
    text = review_notices.notice_text(context.services, decision)
    reached = await tell_unit(context, record["unit"], record["task"], text)
    await send_quietly(
        context,
        actor.user_id,
        review_notices.decided_text(decision, reached),
        task=record["task"],
        unit=record["unit"],
        kind="confirmation",
    )


async def reason_text(update: Update, context: DubanContext, wait: pending.Wait) -> None:
    """The coordinator's refusal reason after 退回: the record is refused and the unit told."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    services, record_id = context.services, wait["record"]
    assert record_id is not None  # 退回 waits for the reason of one record
    actor = actor_of(update, context)
    try:
        decision = review.reject(services, record_id, actor, message.text or "")
    except ReviewError as err:
        record = review.get(services.store, record_id)
        if err.code in ("no_reason", "reason_too_long") and record is not None:
            await context.outbox.answer(
                message, review_notices.ask_reason_text(record, err.code, **err.info)
            )
            return  # still waiting for a usable reason
        pending.clear(services.store, user.id, "text")
        raise
    pending.clear(services.store, user.id, "text")
    if wait.get("chat") is not None and wait.get("message") is not None:
        try:
            await context.bot.edit_message_reply_markup(wait["chat"], wait["message"])
        except TelegramError:
            pass  # the card may be gone or too old to edit
    if decision.already:
        await context.outbox.answer(message, review_notices.decided_text(decision))
        return
    await _announce_decision(context, actor, decision)


def register(application: DubanApp) -> None:
    """/review and the 通过/退回 buttons (the reason itself arrives through handlers.awaiting)."""
    AWAITED_TEXT["reject"] = reason_text
    application.add_handler(CommandHandler("review", review_command))
    application.add_handler(CallbackQueryHandler(decide_button, pattern=cb.matches(cb.Review)))
