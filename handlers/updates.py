"""Progress updates: /update, the 更新进度 dialogue, the 标记完成 button, and replies to cards."""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from telegram import MaybeInaccessibleMessage, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain.status import STATUS_LABELS
from bot.features.access import Refusal, authorize
from bot.features.mentions import leading_task
from bot.features.updates import (
    Outcome,
    UpdateError,
    claim_notice,
    parse_detail,
    parse_update_command,
    reply_target,
    submit,
    submit_form,
)
from bot.telegram import callbacks as cb
from bot.telegram.keyboards import skip_button, status_choice
from bot.text import review_texts
from bot.text.render import render
from handlers.blocked import alert_blocked
from handlers.common import (
    Context,
    actor_of,
    command_rest,
    drop_keyboard,
    plain_text,
    reply,
)
from handlers.review import card_buttons

CHOOSING, DETAIL = range(2)
DIALOG_TIMEOUT = 15 * 60  # seconds; a forgotten dialogue must not swallow tomorrow's text
DRAFT_KEY = "update"  # the dialogue's draft in user_data (kept across restarts)
END = ConversationHandler.END


async def update_command(update: Update, context: Context) -> None:
    """`/update N [UNIT] STATUS [P%] [note]` or `/update N 本月无`: records it and says what."""
    assert update.message is not None
    services = context.services
    try:
        form = parse_update_command(command_rest(update.message), services.units)
    except UpdateError as exc:
        await reply(update, context, exc.text)
        return
    await _report(update, context, submit_form(services, actor_of(update, context), form))


async def _report(update: Update, context: Context, result: Outcome | str) -> None:
    """Repeat what was recorded; a new completion claim goes to the coordinators for review."""
    if isinstance(result, str):
        await reply(update, context, result)
        return
    # A reply to the confirmation is a further note on the same task and unit.
    about = [(result.task.id, result.unit)]
    await reply(update, context, result.text, about=about, kind="confirmation")
    if result.status == "blocked":
        await alert_blocked(context, result, actor_of(update, context))
    if result.claim is not None:
        notice = claim_notice(result, actor_of(update, context))
        extra = review_texts.supporters_text(context.services, result.claim)
        notice = f"{notice}\n\n{extra}" if extra else notice
        markup = card_buttons(context.services, result.claim["id"])
        await context.outbox.tell_coordinators(notice, markup, about=about, kind="review")


def _task_of(update: Update) -> int:
    """The task of the pressed task button (更新进度, a status, 跳过, 标记完成)."""
    button = cb.parse(update.callback_query.data if update.callback_query else None)
    assert isinstance(button, cb.UpdateTask | cb.PickStatus | cb.SkipNote | cb.MarkDone)
    return button.task


def _card_unit(
    context: Context, message: MaybeInaccessibleMessage | None, task_id: int
) -> str | None:
    """The unit a card or reminder was about, if the bot remembers that message."""
    if message is None:
        return None
    ref = context.services.store.message_ref(message.chat.id, message.message_id, task_id)
    return ref[1] if ref is not None else None


def fresh_draft(draft: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """The draft while the dialogue is alive: its last step less than DIALOG_TIMEOUT ago.

    Judged on the bot's clock, so it holds for a dialogue restored after a restart (PTB's own
    timeout job is not) and under the rehearsal clock.
    """
    if not draft or "at" not in draft:
        return None
    age = (now - datetime.fromisoformat(draft["at"])).total_seconds()
    return draft if 0 <= age < DIALOG_TIMEOUT else None


def _draft(context: Context) -> dict[str, Any] | None:
    assert context.user_data is not None
    return fresh_draft(context.user_data.get(DRAFT_KEY), context.services.clock.now())


def _stamp(context: Context, draft: dict[str, Any]) -> None:
    assert context.user_data is not None
    draft["at"] = context.services.clock.now().isoformat()
    context.user_data[DRAFT_KEY] = draft


async def ask_status(update: Update, context: Context) -> int:
    """更新进度: ask for the status with buttons (the unit is the card's)."""
    query, task_id = update.callback_query, _task_of(update)
    assert query is not None and context.user_data is not None
    services = context.services
    grant = authorize(
        actor_of(update, context), services, task_id, _card_unit(context, query.message, task_id)
    )
    if isinstance(grant, Refusal):
        await query.answer(plain_text(grant.text), show_alert=True)
        return END
    _stamp(context, {"task": task_id, "unit": grant.unit})
    await query.answer()
    await drop_keyboard(update, context)  # the card is used: its buttons would now be stale
    text = render(
        "update_dialog.html.j2", step="status", task=services.store.task(task_id), unit=grant.unit
    )
    # A text reply to the prompt itself is then a note on the same task and unit.
    about = [(task_id, grant.unit)]
    await reply(update, context, text, status_choice(task_id), about=about, kind="prompt")
    return CHOOSING


async def got_status(update: Update, context: Context) -> int:
    """A status was chosen: ask for an optional percentage and note."""
    query, button = update.callback_query, cb.button_of(update, cb.PickStatus)
    task_id = button.task
    assert query is not None and context.user_data is not None
    draft = _draft(context)
    if draft is None or draft["task"] != task_id or button.status not in STATUS_LABELS:
        await query.answer(plain_text(render("update_dialog.html.j2", step="stale")))
        return CHOOSING if draft else END  # a timed-out dialogue (say, across a restart) ends
    await query.answer()
    await drop_keyboard(update, context)
    text = render(
        "update_dialog.html.j2", step="detail", status=button.status, **_where(context, draft)
    )
    about = [(task_id, draft["unit"])]
    sent = await reply(update, context, text, skip_button(task_id), about=about, kind="prompt")
    _stamp(context, {**draft, "status": button.status, "prompt": sent[-1].message_id})
    return DETAIL


def _where(context: Context, draft: dict[str, object]) -> dict[str, object]:
    return {"task": context.services.store.task(int(draft["task"])), "unit": draft["unit"]}  # type: ignore[call-overload]


async def got_detail(update: Update, context: Context) -> int:
    """The percentage and note of the dialogue: record the update."""
    assert update.message is not None and context.user_data is not None
    try:
        percent, note = parse_detail(update.message.text or "")
    except UpdateError as exc:
        await reply(update, context, exc.text)
        return DETAIL
    return await _finish(update, context, percent=percent, note=note)


async def skip_detail(update: Update, context: Context) -> int:
    """跳过: record the status alone."""
    query = update.callback_query
    assert query is not None
    if _draft(context) is None:  # the dialogue timed out (say, across a restart)
        await query.answer(plain_text(render("update_dialog.html.j2", step="stale")))
        await drop_keyboard(update, context)
        return END
    await query.answer()
    return await _finish(update, context)


async def _finish(update: Update, context: Context, **detail: object) -> int:
    assert context.user_data is not None
    draft = _draft(context)
    context.user_data.pop(DRAFT_KEY, None)
    if not draft or "status" not in draft:
        await reply(update, context, render("update_dialog.html.j2", step="stale"))
        return END
    actor, services = actor_of(update, context), context.services
    chat = update.effective_chat
    if draft.get("prompt") and chat is not None:  # 跳过 under the prompt is spent now
        await context.outbox.drop_keyboard(chat.id, int(draft["prompt"]))  # type: ignore[call-overload]
    result = submit(services, actor, draft["task"], draft["unit"], status=draft["status"], **detail)  # type: ignore[arg-type]
    await _report(update, context, result)
    return END


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside the dialogue: nothing is recorded."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    await reply(update, context, render("update_dialog.html.j2", step="cancelled"))
    return END


async def mark_done(update: Update, context: Context) -> None:
    """标记完成: a supporter's part is done; a lead's becomes a claim for review."""
    query, task_id = update.callback_query, _task_of(update)
    assert query is not None
    unit = _card_unit(context, query.message, task_id)
    result = submit(context.services, actor_of(update, context), task_id, unit, status="done")
    await query.answer()
    await drop_keyboard(update, context)
    await _report(update, context, result)


async def reply_note(update: Update, context: Context) -> None:
    """A text reply to a bot message about task N: an update note on N for that unit."""
    message = update.message
    assert message is not None and message.reply_to_message is not None
    services = context.services
    refs = services.store.message_refs(message.chat_id, message.reply_to_message.message_id)
    target = reply_target(refs, message.text or "")
    if isinstance(target, str):
        await reply(update, context, target)
        return
    task_id, unit, note = target
    result = submit(services, actor_of(update, context), task_id, unit, note=note)
    await _report(update, context, result)


async def mention_note(update: Update, context: Context) -> None:
    """`#18 今天完成了初稿` in a private chat from a bound contact: a note on #18."""
    message = update.message
    assert message is not None
    actor = actor_of(update, context)
    mention = leading_task(message.text)
    if mention is None or not actor.is_contact:
        await reply(update, context, render("update_dialog.html.j2", step="stray"))
        return
    if not mention.rest:
        await reply(
            update,
            context,
            render("update_error.html.j2", reason="empty_mention", task_id=mention.task),
        )
        return
    result = submit(context.services, actor, mention.task, None, note=mention.rest)
    await _report(update, context, result)


class RepliesToKnownMessage(filters.MessageFilter):
    """A reply to a bot message the store knows is about a task (a card, reminder, detail)."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        super().__init__(name="RepliesToKnownMessage")
        self._application = application

    def filter(self, message: object) -> bool:
        target = getattr(message, "reply_to_message", None)
        services = self._application.bot_data.get("services")
        if target is None or services is None:
            return False
        return bool(services.store.message_refs(target.chat.id, target.message_id))


class InLiveDialogue(filters.MessageFilter):
    """The sender's 更新进度 dialogue is still alive (else the text goes on to other handlers)."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        super().__init__(name="InLiveDialogue")
        self._application = application

    def filter(self, message: object) -> bool:
        user = getattr(message, "from_user", None)
        services = self._application.bot_data.get("services")
        if user is None or services is None:
            return False
        draft = self._application.user_data.get(user.id, {}).get(DRAFT_KEY)
        return fresh_draft(draft, services.clock.now()) is not None


def dialogue(application: Application) -> ConversationHandler:  # type: ignore[type-arg]
    """更新进度 → status buttons → percentage and note (or 跳过); persistent across restarts."""
    live = InLiveDialogue(application)
    with warnings.catch_warnings():
        # per_message=False is intended: the dialogue follows the person, not one message.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(ask_status, pattern=cb.matches(cb.UpdateTask))],
            states={
                CHOOSING: [CallbackQueryHandler(got_status, pattern=cb.matches(cb.PickStatus))],
                DETAIL: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND & live, got_detail),
                    CallbackQueryHandler(skip_detail, pattern=cb.matches(cb.SkipNote)),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
            conversation_timeout=DIALOG_TIMEOUT,
            name="update_dialogue",
            persistent=True,
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("update", update_command))
    application.add_handler(dialogue(application))
    application.add_handler(CallbackQueryHandler(mark_done, pattern=cb.matches(cb.MarkDone)))
    known_reply = RepliesToKnownMessage(application)
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & known_reply, reply_note)
    )
    # After replies: a reply starting with #N is resolved against the message it answers.
    starts_with_task = filters.Regex(r"^\s*[#＃]\s?\d")
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & starts_with_task,
            mention_note,
        )
    )
