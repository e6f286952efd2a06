"""What the /activity and /rectify reports share: the unit step, count and choice steps, files.

Each is a dialogue on the person's pending record (handlers.steps). They are registered before
the evidence handler (see HANDLER_MODULES), so photos and files sent during a report belong to
it and not to a task's evidence by caption.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseHandler, CommandHandler, filters

from bot.features import campaign, evidence
from bot.features.access import Actor
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.text import dialogues
from handlers.common import Context, actor_of
from handlers.evidence import keep_downloaded, vet_message
from handlers.steps import FILES, TEXT, Draft, Step
from handlers.steps import Dialogue as Steps

log = logging.getLogger(__name__)

DONE_WORDS = ("完成", "跳过", "无", "没有", "好了", "done")


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


def text_of(update: Update) -> str:
    return update.effective_message.text or ""  # type: ignore[union-attr]


def choice_step(
    key: str,
    options: tuple[str, ...],
    next_step: str,
    ask: Callable[[str], tuple[str, InlineKeyboardMarkup | None]],
) -> Step:
    """A button step: keep the option pressed (`…:N`) under `key`, ask the next question."""

    async def step(update: Update, context: Context, draft: Draft) -> str | None:
        value = options[cb.button_of(update, cb.Choice).option % len(options)]
        draft[key] = value
        await answer(update, context, *ask(value))
        return next_step

    return step


def count_step(
    key: str,
    this_step: str,
    next_step: str,
    ask: Callable[[], str],
    markup: InlineKeyboardMarkup | None = None,
) -> Step:
    """A typed count: kept under `key` and the next question asked, or asked again."""

    async def step(update: Update, context: Context, draft: Draft) -> str | None:
        count = campaign.parse_count(text_of(update))
        if count is None:
            await answer(update, context, dialogues.dialogue("bad_number"))
            return this_step
        draft[key] = count
        await answer(update, context, ask(), markup)
        return next_step

    return step


@dataclass(frozen=True)
class Report:
    """One step-by-step report: the unit step before its own steps, and the files step after."""

    command: str  # also the name of its dialogue
    prefix: str  # of its callback data
    files_prompt: Callable[[], str]  # the text that asks for the files
    start: Step  # the first question, once the unit is known
    finish: Callable[[Services, Actor, Draft], str]  # store the draft; what was kept
    files_task: Callable[[Draft], int]  # the task the files are evidence of

    @property
    def steps(self) -> Steps:
        command = self.command
        return Steps(
            name=command,
            lapsed_text=partial(dialogues.dialogue, "expired", command=command),
            stale_text=partial(dialogues.dialogue, "stale", command=command),
        )

    async def begin(self, update: Update, context: Context) -> None:
        """The command: pick the unit, or ask for it (a stranger is refused)."""
        actor = actor_of(update, context)
        if actor.is_stranger:
            await answer(update, context, dialogues.dialogue("no_unit"))
            return
        draft: Draft = {"files": []}
        if len(actor.units) == 1:
            draft["unit"] = actor.units[0]
            step = await self.start(update, context, draft)
        elif actor.units:
            prompt = dialogues.dialogue("ask_unit")
            await answer(update, context, prompt, buttons(self.prefix, "u", list(actor.units), 1))
            step = "unit"
        else:
            await answer(update, context, dialogues.dialogue("ask_unit", typed=True))
            step = "unit"
        if step is not None:
            self.steps.begin(update, context, step, draft)

    async def unit_button(self, update: Update, context: Context, draft: Draft) -> str | None:
        """The unit picked by a contact of several units."""
        query = update.callback_query
        assert query is not None
        actor = actor_of(update, context)
        index = cb.button_of(update, cb.Choice).option
        if index >= len(actor.units):
            await query.answer()
            return None
        draft["unit"] = actor.units[index]
        return await self.start(update, context, draft)

    async def unit_text(self, update: Update, context: Context, draft: Draft) -> str | None:
        """A coordinator types the unit reported for."""
        services = context.services
        text = text_of(update).strip()
        unit = services.units.get(text)
        if unit is None:
            suggestion = services.units.suggest(text)
            await answer(
                update, context, dialogues.dialogue("bad_unit", text=text, suggestion=suggestion)
            )
            return "unit"
        draft["unit"] = unit.name
        return await self.start(update, context, draft)

    async def file(self, update: Update, context: Context, draft: Draft) -> str | None:
        """A photo or file at the last step, kept as evidence of the dialogue's task."""
        await _keep_file(update, context, draft, self.files_task(draft), self.prefix)
        return "files"

    async def files_text(self, update: Update, context: Context, draft: Draft) -> str | None:
        """Other text at the files step: remind how to finish."""
        await answer(update, context, self.files_prompt(), done_button(self.prefix))
        return "files"

    async def done(self, update: Update, context: Context, draft: Draft) -> str | None:
        """完成 (button or word): store the report and end the dialogue."""
        text = self.finish(context.services, actor_of(update, context), draft)
        await answer(update, context, text)
        return None

    def register(self, application: Application, own: list[BaseHandler[Any, Any, Any]]) -> None:  # type: ignore[type-arg]
        """The command, the unit step, the report's `own` steps, the files step, the lapse."""
        p, s = self.prefix, self.steps
        done_word = TEXT & filters.Regex(f"^({'|'.join(DONE_WORDS)})$")
        for handler in [
            CommandHandler(self.command, self.begin),
            s.on_button("unit", cb.choices(p, "u"), self.unit_button),
            s.on_message(application, "unit", TEXT, self.unit_text),
            *own,
            s.on_message(application, "files", FILES, self.file),
            s.on_button("files", cb.finish_of(p), self.done),
            s.on_message(application, "files", done_word, self.done),
            s.on_message(application, "files", TEXT, self.files_text),
            s.lapse_handler(application),
        ]:
            application.add_handler(handler)


# -- files inside a dialogue --------------------------------------------------------------
async def _keep_file(
    update: Update, context: Context, files: Draft, task_id: int, prefix: str
) -> None:
    """Download a photo or file and keep it as evidence of the task for the draft's unit."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    actor = actor_of(update, context)
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
    if services.store.parts.state(task_id, unit) is None:
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
