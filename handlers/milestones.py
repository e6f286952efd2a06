"""Milestones in chat: /milestone N …, the 时间节点 and ✅ 完成节点 buttons, and the short
dialogue behind 新增节点 / 调整 / 删除 (bot.features.milestones).

`/milestone N` shows the task's milestones with their buttons; `/milestone N DATE text` adds
one; `/milestone N 调整 DATE NEWDATE`, `/milestone N 删除 DATE` and `/milestone N 完成 [DATE]`
move, remove and report one done (`完成` alone: the earliest open one). A milestone is named
by its day, the year may be left out (`6月30日`); a task with one open milestone needs no day
to move it. After a contact's ✅ the next file or photo is that milestone's evidence.
"""

from __future__ import annotations

from datetime import date

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.milestones import open_ones
from bot.features import milestones, pending
from bot.features.access import Actor
from bot.features.extensions import split_dated
from bot.features.milestones import Change, MilestoneError
from bot.features.refs import lookup_text
from bot.plan.model import Milestone, Task
from bot.reports.cards import milestone_lines
from bot.store.records import MilestoneRow
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import confirm_remove_button, milestone_buttons
from bot.telegram.notices import announce, tell_unit
from bot.text.render import render
from handlers.common import (
    AWAITED_TEXT,
    REF_COMMANDS,
    actor_of,
    command_rest,
    confirm,
    drop_keyboard,
    plain_text,
    task_named,
    today,
)

VERBS = {
    **dict.fromkeys(("新增", "增加", "添加", "add"), "add"),
    **dict.fromkeys(("调整", "改期", "移动", "改到", "推迟", "提前", "修改", "move"), "move"),
    **dict.fromkeys(("删除", "删掉", "去掉", "移除", "remove"), "remove"),
    **dict.fromkeys(("完成", "已完成", "办结", "done"), "done"),
}
# What a person can correct by sending the text again, the question still open.
RETRYABLE = frozenset(
    {"no_date", "no_text", "text_too_long", "past", "after_deadline", "duplicate", "same_day"}
)


def _error(err: MilestoneError) -> str:
    return render("milestone_error.html.j2", code=err.code, info=err.info)


def _find(task: Task, day: date) -> Milestone:
    """The task's milestone on `day`, or on its month and day when the year was guessed."""
    try:
        return milestones.find(task, day)
    except MilestoneError:
        same = [m for m in task.milestones if (m.due.month, m.due.day) == (day.month, day.day)]
        if len(same) == 1:
            return same[0]
        raise


def _apply(context: DubanContext, actor: Actor, task_id: int, words: str) -> Change:
    """`[VERB] rest` after /milestone N: what it asks, done; MilestoneError when not."""
    services, day = context.services, today(context)
    verb_word, *tail = words.split(maxsplit=1)
    verb = VERBS.get(verb_word.lower())
    rest = (tail[0] if tail else "") if verb else words
    task = milestones.editor(services, actor, task_id).task
    if verb in (None, "add"):
        return milestones.add(services, actor, task_id, milestones.parse(rest, day))
    if verb == "done":
        which = _find(task, milestones.parse_day(rest, day)) if rest else None
        return milestones.mark_done(services, actor, task_id, which)
    found = split_dated(rest, day)
    if verb == "remove":
        if found is None:
            raise MilestoneError("no_date", text=rest[:40])
        return milestones.remove(services, actor, task_id, _find(task, found[0]))
    # move: `OLD NEW`, or `NEW` alone when one milestone is open
    waiting = open_ones(task.milestones, milestones.done(services, task_id))
    if found is not None and found[1]:
        old, new = _find(task, found[0]), milestones.parse_day(found[1], day)
    elif found is not None and len(waiting) == 1:
        old, new = waiting[0], found[0]
    elif found is not None and not waiting:
        raise MilestoneError("none_open", task=task_id, any=bool(task.milestones))
    elif found is not None:  # one day, several milestones open: which one?
        raise MilestoneError("which", task=task_id)
    else:
        raise MilestoneError("no_date", text=rest[:40])
    return milestones.move(services, actor, task_id, old, new)


async def milestone_command(update: Update, context: DubanContext) -> None:
    """/milestone N [what]: the task's milestones with buttons, or the change asked for."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    head, *tail = command_rest(message).split(maxsplit=1) or [""]
    words = tail[0] if tail else ""
    actor = actor_of(update, context)
    found = lookup_text(context.services.store, head, actor.units)
    if found is None:
        await context.outbox.answer(message, render("milestone.html.j2", step="usage"))
        return
    if (task_id := await task_named(update, context, found)) is None:
        return
    try:
        if not words.strip():
            await _panel(context, message.chat_id, actor, task_id)
            return
        change = _apply(context, actor, task_id, words.strip())
    except MilestoneError as err:
        await context.outbox.answer(message, _error(err))
        return
    await _tell(context, message, actor, change)


async def _panel(context: DubanContext, chat_id: int, actor: Actor, task_id: int) -> None:
    """The task's milestones, each with its buttons (a supporter sees them, without buttons)."""
    services = context.services
    try:
        task, edit = milestones.editor(services, actor, task_id).task, True
    except MilestoneError as err:
        if err.code != "forbidden" or not err.info.get("supporter"):
            raise
        seen = services.store.plan.task(task_id)
        assert seen is not None  # a supporter has a part of it
        task, edit = seen, False
    done = milestones.done(services, task_id)
    text = render(
        "milestone.html.j2",
        step="panel",
        task=task,
        ms=milestone_lines(task.milestones, done, today(context), most=len(task.milestones)),
        edit=edit,
        coordinator=actor.is_coordinator,
    )
    markup = milestone_buttons(task_id, task.milestones, done, edit=edit) if edit else None
    await context.outbox.answer(chat_id, text, markup, about=[(task_id, None)], kind="card")


async def _tell(context: DubanContext, message: Message, actor: Actor, change: Change) -> None:
    """Confirm a change (after a contact's ✅, the next file is that milestone's evidence),
    then tell whom it concerns."""
    services, task, unit = context.services, change.task, change.editor.unit
    evidence = change.what == "done" and unit is not None and change.new is not None
    if evidence and change.new is not None:  # on disk before the confirmation invites the file
        row: MilestoneRow = {"due": change.new.due.isoformat(), "text": change.new.text}
        now = services.clock.now()
        draft: pending.Draft = {"milestone": row}
        pending.expect(
            services.store,
            actor.user_id,
            "file",
            "evidence",
            now=now,
            task=task.id,
            unit=unit,
            draft=draft,
        )
    text = render(
        "milestone.html.j2",
        step=change.what,
        task=task,
        m=change.new or change.old,
        old=change.old,
        on_behalf=unit is None,
        evidence=evidence,
        minutes=int(pending.WAIT.total_seconds() // 60),
    )
    await confirm(context, message, text, task.id, unit)
    await _spread(context, actor, change)


async def _spread(context: DubanContext, actor: Actor, change: Change) -> None:
    """Who else hears of a change: a request goes to review, a contact's add or remove to the
    coordinators, a coordinator's change to the lead units' contacts."""
    task, unit, shown = change.task, change.editor.unit, change.new or change.old
    if change.what == "requested" and change.record is not None:
        await announce(context, change.record)
    elif change.what in ("added", "removed") and unit is not None:
        notice = render(
            "milestone.html.j2",
            step="notice",
            what=change.what,
            task=task,
            m=shown,
            who=actor.name,
            unit=unit,
        )
        others = context.outbox.coordinators((actor.user_id,))
        await context.outbox.notify(others, notice, about=[(task.id, unit)], kind="notice")
    elif change.what in ("added", "removed", "moved") and unit is None:
        told = render(
            "milestone.html.j2", step="told", what=change.what, task=task, m=shown, old=change.old
        )
        for lead in milestones.lead_units(context.services, task.id):
            await tell_unit(context, lead, task.id, told)


async def panel_button(update: Update, context: DubanContext) -> None:
    """时间节点: the task's milestones with their buttons."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    button = cb.button_of(update, cb.Milestones)
    await query.answer()
    chat_id = query.message.chat.id if query.message else user.id
    try:
        await _panel(context, chat_id, actor_of(update, context), button.task)
    except MilestoneError as err:
        await context.outbox.answer(user.id, _error(err))


async def action_button(update: Update, context: DubanContext) -> None:
    """✅ 完成节点, 调整, 删除, 确认删除 and 新增节点 on a task's milestones."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    services, button = context.services, cb.button_of(update, cb.MilestoneAction)
    actor = actor_of(update, context)
    try:
        editor = milestones.editor(services, actor, button.task)
    except MilestoneError as err:
        await query.answer()
        await context.outbox.answer(user.id, _error(err))
        return
    task, now = editor.task, services.clock.now()
    if button.action == "add":
        await query.answer()
        pending.expect(services.store, user.id, "text", "milestone_add", now=now, task=task.id)
        limit = milestones.latest_day(services, task, now.date())
        text = render("milestone.html.j2", step="ask_add", task=task, limit=limit)
        await context.outbox.answer(user.id, text, kind="prompt")
        return
    found = task.milestones[button.index] if button.index < len(task.milestones) else None
    if found is None or int(f"{found.due:%Y%m%d}") != button.day:
        await query.answer(plain_text(render("milestone.html.j2", step="stale")), show_alert=True)
        return
    await query.answer()
    if button.action == "mv":
        draft: pending.Draft = {"milestone": {"due": found.due.isoformat(), "text": found.text}}
        pending.expect(
            services.store, user.id, "text", "milestone_move", now=now, task=task.id, draft=draft
        )
        text = render(
            "milestone.html.j2", step="ask_move", task=task, m=found, coordinator=editor.coordinator
        )
        await context.outbox.answer(user.id, text, kind="prompt")
        return
    if button.action == "rm":
        text = render("milestone.html.j2", step="ask_remove", task=task, m=found)
        markup = confirm_remove_button(task.id, button.index, found)
        await context.outbox.answer(query.message.chat.id, text, markup, kind="prompt")
        return
    try:
        if button.action == "rmy":
            change = milestones.remove(services, actor, task.id, found)
            await drop_keyboard(update, context)
        else:
            change = milestones.mark_done(services, actor, task.id, found)
    except MilestoneError as err:
        await context.outbox.answer(user.id, _error(err))
        return
    message = query.message
    assert isinstance(message, Message)
    await _tell(context, message, actor, change)


async def awaited_text(update: Update, context: DubanContext, wait: pending.Wait) -> None:
    """The `DATE text` after 新增节点, or the new day after 调整; a wrong one can be retyped."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    services, task_id = context.services, wait["task"]
    assert task_id is not None  # both questions are about one task
    actor, text, day = actor_of(update, context), message.text or "", today(context)
    try:
        if wait["action"] == "milestone_add":
            change = milestones.add(services, actor, task_id, milestones.parse(text, day))
        else:
            row = wait["draft"]["milestone"]
            old = Milestone(date.fromisoformat(row["due"]), row["text"])
            change = milestones.move(services, actor, task_id, old, milestones.parse_day(text, day))
    except MilestoneError as err:
        if err.code not in RETRYABLE:
            pending.clear(services.store, user.id, "text")
        await context.outbox.answer(message, _error(err))
        return
    pending.clear(services.store, user.id, "text")
    await _tell(context, message, actor, change)


def register(application: DubanApp) -> None:
    AWAITED_TEXT["milestone_add"] = awaited_text  # the `DATE text` after 新增节点
    AWAITED_TEXT["milestone_move"] = awaited_text  # the new day after 调整
    REF_COMMANDS["milestone"] = milestone_command
    application.add_handler(CommandHandler("milestone", milestone_command))
    application.add_handler(CallbackQueryHandler(panel_button, pattern=cb.matches(cb.Milestones)))
    application.add_handler(
        CallbackQueryHandler(action_button, pattern=cb.matches(cb.MilestoneAction))
    )
