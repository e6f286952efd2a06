"""What the /activity and /rectify dialogues share: the draft, the unit step, steps, files, /cancel.

Their ConversationHandlers are registered before the evidence handler (see HANDLER_MODULES), so
photos and files sent during a dialogue belong to it and not to a task's evidence by caption.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.features import campaign, evidence
from bot.features.access import Actor
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.text import dialogues
from handlers.common import Context, actor_of
from handlers.evidence import keep_downloaded, vet_message

log = logging.getLogger(__name__)

DONE_WORDS = ("完成", "跳过", "无", "没有", "好了", "done")
# A forgotten dialogue must not swallow tomorrow's messages: judged on the bot's clock (so it
# holds under the rehearsal clock), with PTB's real-time timeout as a backstop.
IDLE_LIMIT = timedelta(minutes=30)
TEXT = filters.TEXT & ~filters.COMMAND
FILES = filters.PHOTO | filters.Document.ALL
Step = Callable[[Update, Context], Coroutine[Any, Any, int]]
States = dict[object, list[BaseHandler[Any, Any, Any]]]


def buttons(dialogue: str, step: str, labels: list[str], per_row: int = 2) -> InlineKeyboardMarkup:
    """One button per label: option i of `step` in `dialogue`."""
    row = [
        InlineKeyboardButton(label, callback_data=cb.Choice(dialogue, step, i).pack())
        for i, label in enumerate(labels)
    ]
    return InlineKeyboardMarkup([row[i : i + per_row] for i in range(0, len(row), per_row)])


def done_button(dialogue: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("完成", callback_data=cb.Finish(dialogue).pack())]]
    )


async def answer(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer in the dialogue's chat (after acknowledging a pressed button)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if update.effective_chat is not None:
        await context.outbox.send(update.effective_chat.id, text, markup)


def draft(context: Context) -> dict[str, Any]:
    """What the user has answered so far (one dialogue at a time per user)."""
    return context.user_data.setdefault("campaign", {})  # type: ignore[union-attr]


def clear(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop("campaign", None)


def text_of(update: Update) -> str:
    return update.effective_message.text or ""  # type: ignore[union-attr]


def choice_step(
    key: str,
    options: tuple[str, ...],
    next_state: int,
    ask: Callable[[str], tuple[str, InlineKeyboardMarkup | None]],
) -> Step:
    """A button step: keep the option pressed (`…:N`) under `key`, ask the next question."""

    async def step(update: Update, context: Context) -> int:
        query = update.callback_query
        assert query is not None and query.data is not None
        value = options[cb.button_of(update, cb.Choice).option % len(options)]
        draft(context)[key] = value
        await answer(update, context, *ask(value))
        return next_state

    return step


def count_step(
    key: str,
    state: int,
    next_state: int,
    ask: Callable[[], str],
    markup: InlineKeyboardMarkup | None = None,
) -> Step:
    """A typed count: kept under `key` and the next question asked, or asked again."""

    async def step(update: Update, context: Context) -> int:
        count = campaign.parse_count(text_of(update))
        if count is None:
            await answer(update, context, dialogues.dialogue("bad_number"))
            return state
        draft(context)[key] = count
        await answer(update, context, ask(), markup)
        return next_state

    return step


@dataclass(frozen=True)
class Dialogue:
    """One step-by-step report: the unit step before its own steps, and the files step after."""

    command: str
    prefix: str  # of its callback data; also the draft's kind
    unit_state: int
    files_state: int
    files_prompt: Callable[[], str]  # the text that asks for the files
    start: Step  # the first question, once the unit is known
    finish: Callable[[Services, Actor, dict[str, Any]], str]  # store the draft; what was kept
    files_task: Callable[[dict[str, Any]], int]  # the task the files are evidence of

    async def begin(self, update: Update, context: Context) -> int:
        """The command: pick the unit, or ask for it (a stranger is refused)."""
        actor = actor_of(update, context)
        if context.user_data is not None:
            context.user_data["campaign"] = {
                "kind": self.prefix,
                "files": [],
                "at": context.services.clock.now(),
            }
        if actor.is_stranger:
            await answer(update, context, dialogues.dialogue("no_unit"))
            return ConversationHandler.END
        if len(actor.units) == 1:
            draft(context)["unit"] = actor.units[0]
            return await self.start(update, context)
        if actor.units:
            await answer(
                update,
                context,
                dialogues.dialogue("ask_unit"),
                buttons(self.prefix, "u", list(actor.units), 1),
            )
        else:
            await answer(update, context, dialogues.dialogue("ask_unit", typed=True))
        return self.unit_state

    async def unit_button(self, update: Update, context: Context) -> int:
        """The unit picked by a contact of several units."""
        query = update.callback_query
        assert query is not None and query.data is not None
        actor = actor_of(update, context)
        index = cb.button_of(update, cb.Choice).option
        if index >= len(actor.units):
            await query.answer()
            return ConversationHandler.END
        draft(context)["unit"] = actor.units[index]
        return await self.start(update, context)

    async def unit_text(self, update: Update, context: Context) -> int:
        """A coordinator types the unit reported for."""
        services = context.services
        text = text_of(update).strip()
        unit = services.units.get(text)
        if unit is None:
            await answer(
                update,
                context,
                dialogues.dialogue("bad_unit", text=text, suggestion=services.units.suggest(text)),
            )
            return self.unit_state
        draft(context)["unit"] = unit.name
        return await self.start(update, context)

    async def file(self, update: Update, context: Context) -> int:
        """A photo or file at the last step, kept as evidence of the dialogue's task."""
        await _keep_file(update, context, self.files_task(draft(context)), self.prefix)
        return self.files_state

    async def files_text(self, update: Update, context: Context) -> int:
        """Other text at the files step: remind how to finish."""
        await answer(update, context, self.files_prompt(), done_button(self.prefix))
        return self.files_state

    async def done(self, update: Update, context: Context) -> int:
        """完成 (button or word): store the report and end the dialogue."""
        text = self.finish(context.services, actor_of(update, context), draft(context))
        await answer(update, context, text)
        clear(context)
        return ConversationHandler.END

    def expiring(self, step: Step) -> Step:
        """`step`, unless the dialogue sat idle past IDLE_LIMIT: then it ends and says so."""

        async def guarded(update: Update, context: Context) -> int:
            now = context.services.clock.now()
            last = draft(context).get("at")
            if last is None or now - last > IDLE_LIMIT:
                clear(context)
                await answer(update, context, dialogues.dialogue("expired", command=self.command))
                return ConversationHandler.END
            draft(context)["at"] = now
            return await step(update, context)

        return guarded

    def handler(self, steps: States) -> ConversationHandler:  # type: ignore[type-arg]
        """The conversation: the command, the unit step, `steps`, the files step, /cancel."""
        p = self.prefix
        states: States = {
            self.unit_state: [
                CallbackQueryHandler(self.unit_button, pattern=cb.choices(p, "u")),
                MessageHandler(TEXT, self.unit_text),
            ],
            **steps,
            self.files_state: [
                MessageHandler(FILES, self.file),
                CallbackQueryHandler(self.done, pattern=cb.finish_of(p)),
                MessageHandler(TEXT & filters.Regex(f"^({'|'.join(DONE_WORDS)})$"), self.done),
                MessageHandler(TEXT, self.files_text),
            ],
        }
        for handlers in states.values():
            for h in handlers:
                h.callback = self.expiring(h.callback)
        with warnings.catch_warnings():
            # Buttons are tracked per chat and user, which is what a one-person dialogue needs.
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=[CommandHandler(self.command, self.begin)],
                states=states,
                fallbacks=[CommandHandler("cancel", cancel)],
                name=self.command,
                allow_reentry=True,
                conversation_timeout=IDLE_LIMIT,
            )


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a dialogue: nothing is stored."""
    clear(context)
    await answer(update, context, dialogues.dialogue("cancelled"))
    return ConversationHandler.END


# -- files inside a dialogue --------------------------------------------------------------
async def _keep_file(update: Update, context: Context, task_id: int, prefix: str) -> None:
    """Download a photo or file and keep it as evidence of the task for the draft's unit."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    actor = actor_of(update, context)
    files = draft(context)
    try:
        ref = await keep_file(context, services, actor, message, task_id, files["unit"])
    except evidence.EvidenceError as err:
        await context.outbox.reply(
            message, dialogues.dialogue("photo_failed", reason=err.code), done_button(prefix)
        )
        return
    except TelegramError as err:
        log.warning("dialogue file download failed: %s", err)
        await context.outbox.reply(
            message, dialogues.dialogue("photo_failed", reason="download"), done_button(prefix)
        )
        return
    files["files"].append(ref)
    await context.outbox.reply(
        message, dialogues.dialogue("photo_saved", count=len(files["files"])), done_button(prefix)
    )


async def keep_file(
    context: Context, services: Services, actor: Actor, message: Message, task_id: int, unit: str
) -> dict[str, Any]:
    """Keep a photo or document through bot/evidence; a unit without a part keeps a reference."""
    vetted, file_id, unique_id = vet_message(message, services)
    ref: dict[str, Any] = {
        "name": vetted.display_name,
        "file_id": file_id,
        "file_unique_id": unique_id,
    }
    if services.store.state(task_id, unit) is None:
        # Evidence is recorded on the unit's part of the task; without one, a reference.
        return ref
    temp = evidence.temp_path(services.settings.data_dir, task_id, unit)
    try:
        tg_file = await context.bot.get_file(file_id)
        await tg_file.download_to_drive(custom_path=temp)
    except TelegramError:
        evidence.discard(temp)
        raise
    saved = keep_downloaded(services, actor, message, temp, vetted, task_id, unit, unique_id)
    ref["evidence"] = saved.record["id"]
    return ref
