"""Progress updates: /update, the 更新进度 dialogue, the 标记完成 button, and replies to cards."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from telegram import MaybeInaccessibleMessage, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.status import STATUS_LABELS
from bot.features.access import Refusal, authorize
from bot.features.mentions import leading_task
from bot.features.refs import STARTS_WITH_REF, lookup, unknown_text, which_text
from bot.features.updates import (
    Outcome,
    parse_detail,
    parse_update_command,
    reply_target,
    submit,
    submit_form,
    submit_note,
    undo_stated,
)
from bot.store.records import PartStatus
from bot.telegram import callbacks as cb
from bot.telegram import notices
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import skip_button, status_choice, undo_button
from bot.text.render import render
from handlers.common import (
    REF_COMMANDS,
    actor_of,
    command_rest,
    drop_keyboard,
    keep_and_ask,
    plain_text,
    reply,
    task_named,
)
from handlers.steps import TEXT, Dialogue, DialogueStep, Draft


async def update_command(update: Update, context: DubanContext) -> None:
    """`/update N [UNIT] STATUS [P%] [note]` or `/update N 本月无`: records it and says what."""
    assert update.message is not None
    services, actor = context.services, actor_of(update, context)
    try:
        form = parse_update_command(command_rest(update.message), services.units)
    except Refusal as exc:
        await reply(update, context, exc.text)
        return
    found = lookup(services.store, form.ref, actor.units)
    if (task_id := await task_named(update, context, found)) is None:
        return
    await report(update, context, submit_form(services, actor, replace(form, task_id=task_id)))


async def report(update: Update, context: DubanContext, result: Outcome | Refusal) -> None:
    """Answer in this chat with what was recorded (bot.telegram.notices.report)."""
    assert update.effective_chat is not None
    await notices.report(context, update.effective_chat.id, actor_of(update, context), result)


def _task_of(update: Update) -> int:
    """The task of the pressed task button (更新进度, a status, 跳过, 标记完成)."""
    button = cb.parse(update.callback_query.data if update.callback_query else None)
    assert isinstance(button, cb.UpdateTask | cb.PickStatus | cb.SkipNote | cb.MarkDone)
    return button.task


def _card_unit(
    context: DubanContext, message: MaybeInaccessibleMessage | None, task_id: int
) -> str | None:
    """The unit a card or reminder was about, if the bot remembers that message."""
    if message is None:
        return None
    ref = context.services.store.deliveries.message_ref(
        message.chat.id, message.message_id, task_id
    )
    return ref[1] if ref is not None else None


def _stale_text() -> str:
    return render("update_dialog.html.j2", step="stale")


UPDATE = Dialogue(
    name="update",
    lapsed_text=partial(render, "update_dialog.html.j2", step="lapsed"),
    stale_text=_stale_text,
)


async def ask_status(update: Update, context: DubanContext) -> None:
    """更新进度: ask for the status with buttons (the unit is the card's)."""
    query, task_id = update.callback_query, _task_of(update)
    assert query is not None
    services = context.services
    grant = authorize(
        actor_of(update, context), services, task_id, _card_unit(context, query.message, task_id)
    )
    if isinstance(grant, Refusal):
        await query.answer(plain_text(grant.text), show_alert=True)
        return
    UPDATE.begin(update, context, DialogueStep.STATUS, {"task": task_id, "unit": grant.unit})
    await query.answer()
    await drop_keyboard(update, context)  # the card is used: its buttons would now be stale
    text = render(
        "update_dialog.html.j2",
        step="status",
        task=services.store.plan.task(task_id),
        unit=grant.unit,
    )
    # A text reply to the prompt itself is then a note on the same task and unit.
    about = [(task_id, grant.unit)]
    await reply(update, context, text, status_choice(task_id), about=about, kind="prompt")


async def got_status(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """A status was chosen: ask for an optional percentage and note."""
    query, button = update.callback_query, cb.button_of(update, cb.PickStatus)
    assert query is not None
    if draft["task"] != button.task or button.status not in STATUS_LABELS:
        await query.answer(plain_text(_stale_text()))
        return DialogueStep.STATUS
    await query.answer()
    await drop_keyboard(update, context)
    task, unit = context.services.store.plan.task(button.task), draft["unit"]
    text = render(
        "update_dialog.html.j2", step="detail", status=button.status, task=task, unit=unit
    )
    about = [(button.task, unit)]
    sent = await reply(update, context, text, skip_button(button.task), about=about, kind="prompt")
    draft["status"], draft["prompt"] = button.status, sent[-1].message_id
    return DialogueStep.DETAIL


async def got_detail(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """The percentage and note of the dialogue: record the update."""
    assert update.message is not None
    try:
        percent, note = parse_detail(update.message.text or "")
    except Refusal as exc:
        await reply(update, context, exc.text)
        return DialogueStep.DETAIL
    await _finish(update, context, draft, percent=percent, note=note)
    return None


async def skip_detail(update: Update, context: DubanContext, draft: Draft) -> DialogueStep | None:
    """跳过: record the status alone."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _finish(update, context, draft)
    return None


async def _finish(update: Update, context: DubanContext, draft: Draft, **detail: Any) -> None:
    actor, services = actor_of(update, context), context.services
    chat = update.effective_chat
    if chat is not None:  # 跳过 under the prompt is spent now
        await context.outbox.drop_keyboard(chat.id, int(draft["prompt"]))
    result = submit(
        services, actor, draft["task"], draft["unit"], status=PartStatus(draft["status"]), **detail
    )
    await report(update, context, result)


async def mark_done(update: Update, context: DubanContext) -> None:
    """标记完成: a supporter's part is done; a lead's becomes a claim for review."""
    query, task_id = update.callback_query, _task_of(update)
    assert query is not None
    unit = _card_unit(context, query.message, task_id)
    result = submit(
        context.services, actor_of(update, context), task_id, unit, status=PartStatus.DONE
    )
    await query.answer()
    await drop_keyboard(update, context)
    await report(update, context, result)


async def reply_note(update: Update, context: DubanContext) -> None:
    """A text reply to a bot message about task N: an update note on N for that unit."""
    message = update.message
    assert message is not None and message.reply_to_message is not None
    services = context.services
    refs = services.store.deliveries.message_refs(
        message.chat_id, message.reply_to_message.message_id
    )
    target = reply_target(refs, message.text or "")
    if target is None:  # a digest or list: keep the text, ask which task
        await keep_and_ask(context, message, refs)
        return
    if isinstance(target, Refusal):
        await reply(update, context, target.text)
        return
    task_id, unit, note = target
    await report(
        update, context, submit_note(services, actor_of(update, context), task_id, unit, note)
    )


async def mention_note(update: Update, context: DubanContext) -> None:
    """`#18 今天完成了初稿` in a private chat from a bound contact: a note on #18."""
    message = update.message
    assert message is not None
    actor = actor_of(update, context)
    mention = leading_task(message.text)
    if mention is None or not actor.is_contact:
        await reply(update, context, render("update_dialog.html.j2", step="stray"))
        return
    found = lookup(context.services.store, mention.ref, actor.units)
    if not mention.rest:
        text = render("update_error.html.j2", reason="empty_mention", task_id=found.typed)
        await reply(update, context, text)
        return
    if (
        task_id := await task_named(update, context, found, action="note", text=mention.rest)
    ) is None:
        return
    await report(update, context, submit_note(context.services, actor, task_id, None, mention.rest))


async def group_note(update: Update, context: DubanContext) -> None:
    """`#24 …` from a bound contact in a group: recorded, and acknowledged there briefly (a
    short reply while the group's pace has room, else a reaction)."""
    message = update.message
    assert message is not None
    actor = actor_of(update, context)
    if not actor.is_contact:  # a coordinator's `#N` chatter; a reply to a task message counts
        if message.reply_to_message is not None and context.services.store.deliveries.message_refs(
            message.chat_id, message.reply_to_message.message_id
        ):
            await reply_note(update, context)
        return
    mention = leading_task(message.text)
    assert mention is not None  # the handler's filter
    found = lookup(context.services.store, mention.ref, actor.units)
    if not mention.rest:
        text = render("update_error.html.j2", reason="empty_mention", task_id=found.typed)
        await context.outbox.acknowledge(message, text)
        return
    if found.key is None:  # no such task, or one in several plans: which ref to write
        text = which_text(found, in_group=True) if found.keys else unknown_text(found)
        await context.outbox.acknowledge(message, text)
        return
    result = submit_note(context.services, actor, found.key, None, mention.rest)
    if isinstance(result, Refusal):
        await context.outbox.acknowledge(message, result.text)
        return
    markup = undo_button(result.undo) if result.undo else None
    about = [(result.task.id, result.unit)]
    text = render("group_ack.html.j2", o=result)
    await context.outbox.acknowledge(message, text, markup, about)
    await notices.follow_up(context, actor, result)


async def undo_note(update: Update, context: DubanContext) -> None:
    """撤销 under a plain note's confirmation: what it stated is put back, its words stay."""
    query, button = update.callback_query, cb.button_of(update, cb.UndoStated)
    assert query is not None
    undone = undo_stated(context.services, actor_of(update, context), button.mark)
    if undone.result == "not_yours":
        await query.answer(plain_text(undone.text), show_alert=True)
        return
    await query.answer()
    await drop_keyboard(update, context)
    await reply(update, context, undone.text)


class RepliesToKnownMessage(filters.MessageFilter):
    """A reply to a bot message the store knows is about a task (a card, reminder, detail)."""

    def __init__(self, application: DubanApp) -> None:
        super().__init__(name="RepliesToKnownMessage")
        self._application = application

    def filter(self, message: object) -> bool:
        target = getattr(message, "reply_to_message", None)
        services = self._application.bot_data.get("services")
        if target is None or services is None:
            return False
        return bool(services.store.deliveries.message_refs(target.chat.id, target.message_id))


def register(application: DubanApp) -> None:
    REF_COMMANDS["update"] = update_command
    application.add_handler(CommandHandler("update", update_command))
    # 更新进度 → status buttons → percentage and note (or 跳过), on the person's pending record.
    for handler in [
        CallbackQueryHandler(ask_status, pattern=cb.matches(cb.UpdateTask)),
        UPDATE.on_button(DialogueStep.STATUS, cb.matches(cb.PickStatus), got_status),
        UPDATE.on_message(application, DialogueStep.DETAIL, TEXT, got_detail),
        UPDATE.on_button(DialogueStep.DETAIL, cb.matches(cb.SkipNote), skip_detail),
        UPDATE.lapse_handler(application),
    ]:
        application.add_handler(handler)
    application.add_handler(CallbackQueryHandler(mark_done, pattern=cb.matches(cb.MarkDone)))
    application.add_handler(CallbackQueryHandler(undo_note, pattern=cb.matches(cb.UndoStated)))
    # Before replies: in a group a contact's `#N …` is theirs whatever it answers.
    starts_with_task = filters.Regex(STARTS_WITH_REF)
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND & starts_with_task,
            group_note,
        )
    )
    known_reply = RepliesToKnownMessage(application)
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & known_reply, reply_note)
    )
    # After replies: a reply starting with #N is resolved against the message it answers.
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & starts_with_task,
            mention_note,
        )
    )
