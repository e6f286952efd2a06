"""What a person wrote that named no task, kept until they press the task it is for.

handlers.common.keep_and_ask keeps the message (a note or a file) in the person's "kept" wait
(bot.features.pending) and asks with a button per task; a press files it here, as if the
message had named that task. A command whose bare number named tasks in several plans is kept
the same way (handlers.common.task_named), and a press runs it again for the chosen one.
Lapsed ones are told by schedules.lapses.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler

from bot.features import pending
from bot.features.refs import coded
from bot.features.updates import submit_note, unit_of
from bot.telegram import callbacks as cb
from bot.telegram import notices
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.files import file_for_task
from bot.text.render import render
from handlers.common import REF_COMMANDS, actor_of, drop_keyboard, plain_text, reply

# `/update 3 进行中 …`: the command, the space after it, the ref, and the rest as typed.
_COMMAND = re.compile(r"^/(\S+)(\s+)\S+(.*)$", re.DOTALL)


async def pick(update: Update, context: DubanContext) -> None:
    """A task pressed under kept input: the note or file is filed on it (取消: dropped)."""
    query, button, user = (
        update.callback_query,
        cb.button_of(update, cb.FileKept),
        update.effective_user,
    )
    assert query is not None and user is not None
    services = context.services
    wait = pending.expected(services.store, user.id, "kept", services.clock.now())
    if wait is None or query.message is None or wait["message"] != query.message.message_id:
        await query.answer(plain_text(render("update_dialog.html.j2", step="stale")))
        await drop_keyboard(update, context)
        return
    await query.answer()
    await drop_keyboard(update, context)
    kept = Message.de_json(wait["draft"]["message"], context.bot)
    is_file = wait["action"] == "file"
    if button.task == 0:
        pending.clear(services.store, user.id, "kept")
        command = wait["action"] == "command"
        text = render("kept.html.j2", step="cancelled", file=is_file, command=command)
        await reply(update, context, text)
        return
    refs = [(int(task), unit) for task, unit in wait["draft"]["refs"]]
    unit, actor = unit_of(refs, button.task), actor_of(update, context)
    if wait["action"] == "command":
        await _run_again(update, context, wait["draft"]["message"], button.task)
    elif is_file:
        await file_for_task(context, actor, kept, button.task, unit)
    else:
        result = submit_note(services, actor, button.task, unit, kept.text or "")
        await notices.report(context, query.message.chat.id, actor, result)
    # Cleared once filed: a restart in between files it again rather than losing it.
    pending.clear(services.store, user.id, "kept")


async def _run_again(
    update: Update, context: DubanContext, kept: dict[str, Any], task_id: int
) -> None:
    """Run a kept command again as typed, with the chosen task's coded ref (`B18`) in place of
    the bare number that named tasks in several plans."""
    m = _COMMAND.match(kept.get("text") or "")
    run = REF_COMMANDS.get(m[1].partition("@")[0].lower()) if m else None
    if m is None or run is None:
        return
    text = f"/{m[1]}{m[2]}{coded(context.services.store, task_id)}{m[3]}"
    # the command's own entity stays where it was; others (bold, links) would point elsewhere
    entities = [e for e in kept.get("entities") or [] if e.get("offset") == 0]
    message = Message.de_json({**kept, "text": text, "entities": entities}, context.bot)
    context.args = text.split()[1:]
    await run(Update(update.update_id, message=message), context)


def register(application: DubanApp) -> None:
    application.add_handler(CallbackQueryHandler(pick, pattern=cb.matches(cb.FileKept)))
