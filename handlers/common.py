"""What every handler needs: the actor of the update, its task arguments, and replying."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from typing import NamedTuple

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update, User

from bot.features import pending
from bot.features.access import Actor, Grant, Refusal, authorize, resolve_actor
from bot.features.refs import Lookup, lookup_text, plan_choices, unknown_text, which_text
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanContext
from bot.telegram.keyboards import kept_choice, plan_choice
from bot.telegram.outbox import About
from bot.text.render import plain_text as plain_text  # handlers answer button presses with it
from bot.text.render import render

log = logging.getLogger(__name__)
# The text the bot asked for after a button, by the action of the person's text wait
# (pending.expect): each handler module adds its answer when registered, and handlers.awaiting
# hands the text on, so no handler imports another.
AwaitedText = Callable[[Update, DubanContext, pending.Wait], Awaitable[None]]
AWAITED_TEXT: dict[str, AwaitedText] = {}
# The commands that take a task ref first, by name: when a bare number names a task in several
# plans the person is asked which (`task_named`), and the chosen button runs the command again
# with that task's ref (handlers.kept); each handler module adds its own when registered.
Command = Callable[[Update, DubanContext], Awaitable[None]]
REF_COMMANDS: dict[str, Command] = {}


def actor_of(update: Update, context: DubanContext) -> Actor:
    """The actor the gate resolved for this update (the context object is per update)."""
    actor = context.actor
    if actor is None:
        assert update.effective_user is not None
        actor = context.actor = resolve_actor(context.services, update.effective_user)
    return actor


def today(context: DubanContext) -> date:
    return context.services.clock.now().date()


def task_unit_args(
    services: Services, args: Sequence[str], units: Iterable[str] = ()
) -> tuple[Lookup, str | None, list[str]] | None:
    """`N [UNIT] rest…` → (the tasks ref N may name for someone of `units`, the unit if one is
    named before more words, rest); else None."""
    found = lookup_text(services.store, args[0], units) if len(args) > 1 else None
    if found is None:
        return None
    rest, unit = list(args[1:]), None
    if len(rest) > 1 and services.units.get(rest[0]) is not None:
        unit, rest = rest[0], rest[1:]
    return found, unit, rest


async def task_named(
    update: Update,
    context: DubanContext,
    found: Lookup,
    *,
    unknown: str | None = None,
    action: str = "command",
    text: str | None = None,
) -> int | None:
    """The one task a typed ref names. Else None, once the person is told: no such task
    (`unknown`, by default "没有编号为 #N 的任务"), or asked which plan with a button each. In a
    private chat the message is kept meanwhile (`ask_which_plan`: a command is run again, a
    note (`text`) or a file filed on the chosen task); in a group, which refs to write."""
    message = update.effective_message
    assert message is not None
    if found.key is not None:
        return found.key
    if not found.keys:
        await context.outbox.answer(message, unknown or unknown_text(found))
    elif message.chat.type != "private":
        await context.outbox.answer(message, which_text(found, in_group=True))
    else:
        await ask_which_plan(context, message, found, action, text=text)
    return None


async def ask_which_plan(
    context: DubanContext, message: Message, found: Lookup, action: str, *, text: str | None = None
) -> None:
    """Keep `message` (a command, a note: `text` instead of what it says, or a file) and ask
    which of the tasks `found` names it is for, a button each with its plan's title."""
    markup = plan_choice(plan_choices(context.services.store, found.keys))
    pairs = [(key, None) for key in found.keys]
    await _keep(context, message, pairs, action, which_text(found), markup, text=text)


def button_grant(update: Update, context: DubanContext, task_id: int) -> Grant | Refusal:
    """Whether the presser may act on the task; the unit of the message under it is the hint."""
    services = context.services
    message = update.callback_query.message if update.callback_query else None
    ref = (
        services.store.deliveries.message_ref(message.chat.id, message.message_id, task=task_id)
        if message
        else None
    )
    return authorize(actor_of(update, context), services, task_id, ref[1] if ref else None)


class Pressed(NamedTuple):
    """A task button pressed by someone who may act on its task."""

    query: CallbackQuery
    user: User
    grant: Grant


async def pressed_grant(
    update: Update, context: DubanContext, kind: type[cb.TaskButton]
) -> Pressed | None:
    """The press and its grant for the task of a pressed task button; a refusal is told
    privately (None)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    grant = button_grant(update, context, cb.button_of(update, kind).task)
    if isinstance(grant, Grant):
        return Pressed(query, user, grant)
    await query.answer()
    await context.outbox.answer(user.id, grant.text)
    return None


async def coordinator_message(
    update: Update, context: DubanContext, refusal: str
) -> Message | None:
    """The message of a coordinator's command; anyone else is answered `refusal` (None)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    if not context.services.is_coordinator(user.id):
        await context.outbox.answer(message, refusal)
        return None
    return message


def command_rest(message: Message) -> str:
    """The text after the leading /command (newlines and spacing kept as written)."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == "bot_command" and entity.offset == 0:
            return text[entity.length :]
    return text.partition(" ")[2]


async def reply(
    update: Update,
    context: DubanContext,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    about: Iterable[About] = (),
    kind: str = "reply",
) -> list[Message]:
    """Answer in the chat the update came from (through the outbox)."""
    assert update.effective_chat is not None
    return await context.outbox.answer(
        update.effective_chat.id, text, reply_markup, about=about, kind=kind
    )


async def confirm(
    context: DubanContext, message: Message, text: str, task_id: int, unit: str | None
) -> list[Message]:
    """Answer `message` with what was done to one unit's part of a task: a reply to the
    confirmation is about that part too (text a note, a file evidence)."""
    return await context.outbox.answer(message, text, about=[(task_id, unit)], kind="confirmation")


async def drop_keyboard(update: Update, context: DubanContext) -> None:
    """Remove the buttons of the message whose button was just pressed (they are used up)."""
    query = update.callback_query
    if query is not None and query.message is not None:
        await context.outbox.drop_keyboard(query.message.chat.id, query.message.message_id)


async def keep_and_ask(
    context: DubanContext,
    message: Message,
    refs: Sequence[tuple[int, str | None]],
    *,
    likely: int | None = None,
) -> None:
    """Keep what `message` says (a note, or a file) and ask which of the tasks in `refs` it
    is for, a button each (`likely`: the one it most probably is, asked first).

    Nothing a person writes is thrown away: the message waits, on disk, in their "kept" slot
    until a button files it (handlers.kept), /cancel, or pending.WAIT lapses (they are told).
    """
    tasks = list(dict.fromkeys(task for task, _ in refs))
    is_file = message.document is not None or bool(message.photo)
    text = render(
        "kept.html.j2",
        step="ask",
        file=is_file,
        likely=likely,
        several=likely is None and len(tasks) > 1,
        tasks=tasks,
        minutes=int(pending.WAIT.total_seconds() // 60),
    )
    action = "file" if is_file else "note"
    await _keep(context, message, refs, action, text, kept_choice(tasks, likely))


async def _keep(
    context: DubanContext,
    message: Message,
    refs: Sequence[tuple[int, str | None]],
    action: str,
    question: str,
    markup: InlineKeyboardMarkup,
    *,
    text: str | None = None,
) -> None:
    """Keep `message` (what it says replaced by `text`, if given) in the person's "kept" wait
    for `action` with the (task, unit) pairs offered, and ask `question` with `markup`."""
    user, services = message.from_user, context.services
    assert user is not None
    kept = message.to_dict()
    kept.pop("reply_to_message", None)  # what it answered was read already: `refs`
    if text is not None:
        kept["text"] = text
    draft: pending.Draft = {"message": kept, "refs": [list(r) for r in refs]}
    now, store = services.clock.now(), services.store
    # On disk before the question goes out: a kill -9 in between loses nothing.
    pending.expect(store, user.id, "kept", action, now=now, chat=message.chat_id, draft=draft)
    sent = await context.outbox.answer(message, question, markup, kind="kept")
    pending.expect(
        store,
        user.id,
        "kept",
        action,
        now=now,
        chat=message.chat_id,
        message=sent[-1].message_id,
        draft=draft,
    )
