"""Step-by-step dialogues (更新进度, /activity, /rectify, /assign) on the person's one pending record.

A dialogue is where the person's "dialogue" wait (bot.features.pending) says it is: its name,
its step, its chat and the answers so far. Each answered step is written there before the bot
moves on, so a restart or kill -9 between two steps loses nothing, and one timeout
(pending.WAIT, judged on the bot's clock) ends a forgotten dialogue. Text and files reach a
step through the `at` filter; a button reaches it by its callback kind and is checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.features import pending
from bot.features.pending import Draft
from bot.features.refs import STARTS_WITH_REF
from bot.telegram.context import DubanApp, DubanContext
from handlers.common import drop_keyboard, plain_text, reply


class DialogueStep(StrEnum):
    """Where a dialogue waits for its next answer. The value is kept in the person's pending
    record (`Wait.step`), so a restart resumes at the same step: never change one."""

    # 更新进度 (handlers.updates)
    STATUS = "status"  # the status buttons
    DETAIL = "detail"  # an optional percentage and note, or 跳过
    # /activity and /rectify (handlers.dialogue): first the unit, last the files
    UNIT = "unit"
    FILES = "files"
    # /activity (handlers.activity)
    FORM = "form"
    CARRIER = "carrier"
    DATE = "date"
    TITLE = "title"
    PEOPLE = "people"
    FIRMS = "firms"
    # /rectify (handlers.rectify)
    FIELD = "field"
    FOUND = "found"
    FIXED = "fixed"
    CASES = "cases"
    # /assign (handlers.assign): the units, DATE, the text, then the card to confirm
    UNITS = "units"
    CONTENT = "content"
    CONFIRM = "confirm"


# A step: handle the update with the answers so far (changing them in place); the next step,
# or None when the dialogue is over.
Step = Callable[[Update, DubanContext, Draft], Coroutine[Any, Any, DialogueStep | None]]
TEXT = filters.TEXT & ~filters.COMMAND
FILES = filters.PHOTO | filters.Document.ALL
# A message that names its own task: a reply to a bot message, or one starting with `#N`. A
# lapsed wait lets it go on to be handled as such.
NAMES_ITS_TASK = filters.REPLY | filters.Regex(STARTS_WITH_REF)


class _Waits(filters.MessageFilter):
    """A message from a person whose dialogue `name` waits in this chat at one of `steps`."""

    def __init__(
        self,
        application: DubanApp,
        name: str,
        steps: tuple[DialogueStep, ...],
        lapsed: bool = False,
    ) -> None:
        super().__init__(name=f"Waits({name}, {steps}, lapsed={lapsed})")
        self._application = application
        self._name = name
        self._steps = steps
        self._lapsed = lapsed

    def filter(self, message: Message) -> bool:
        services = self._application.bot_data.get("services")
        if services is None or message.from_user is None:
            return False
        look = pending.lapsed if self._lapsed else pending.expected
        wait = look(services.store, message.from_user.id, "dialogue", services.clock.now())
        return (
            wait is not None
            and wait["action"] == self._name
            and wait["chat"] == message.chat.id
            and (not self._steps or wait["step"] in self._steps)
        )


@dataclass(frozen=True)
class Dialogue:
    """One dialogue's name (its wait's action) and what it says when it is over."""

    name: str
    lapsed_text: Callable[[], str]  # to the next message after the dialogue lapsed
    stale_text: Callable[[], str]  # to a press of a button of a dialogue that is over

    def at(self, application: DubanApp, *steps: DialogueStep) -> filters.MessageFilter:
        """Messages that answer one of `steps` (any step when none is named)."""
        return _Waits(application, self.name, steps)

    def on_message(
        self,
        application: DubanApp,
        step: DialogueStep,
        message_filter: filters.BaseFilter,
        run: Step,
    ) -> MessageHandler[DubanContext, None]:
        """`run` for a message matching `message_filter` while the dialogue is at `step`."""
        return MessageHandler(message_filter & self.at(application, step), self.step(run, step))

    def on_button(
        self, step: DialogueStep, pattern: Callable[[object], bool], run: Step
    ) -> CallbackQueryHandler[DubanContext, None]:
        """`run` for a press of a button matching `pattern` while the dialogue is at `step`."""
        return CallbackQueryHandler(self.step(run, step), pattern=pattern)

    def begin(
        self, update: Update, context: DubanContext, step: DialogueStep, draft: Draft, **wait: Any
    ) -> None:
        """Start the dialogue at `step` in this update's chat, replacing any other dialogue."""
        assert update.effective_user is not None and update.effective_chat is not None
        pending.expect(
            context.services.store,
            update.effective_user.id,
            "dialogue",
            self.name,
            now=context.services.clock.now(),
            step=step,
            chat=update.effective_chat.id,
            draft=draft,
            **wait,
        )

    def step(
        self, run: Step, *at: DialogueStep
    ) -> Callable[[Update, DubanContext], Coroutine[Any, Any, None]]:
        """A handler callback that runs `run` while the dialogue is at one of `at`."""

        async def callback(update: Update, context: DubanContext) -> None:
            services, user = context.services, update.effective_user
            chat = update.effective_chat
            assert user is not None and chat is not None
            now = services.clock.now()
            wait = pending.expected(services.store, user.id, "dialogue", now)
            if (
                wait is None
                or wait["action"] != self.name
                or wait["chat"] != chat.id
                or (at and wait["step"] not in at)
            ):
                await self._stale(update, context)  # only a button gets here: messages are filtered
                return
            draft = wait["draft"]
            following = await run(update, context, draft)
            if following is None:
                task = draft.get("task") or wait["task"]
                if isinstance(task, int):  # a message right after is offered this task
                    unit = draft.get("unit") or wait["unit"]
                    now = services.clock.now()
                    pending.finish(
                        services.store, user.id, "dialogue", now=now, task=task, unit=unit
                    )
                else:
                    pending.clear(services.store, user.id, "dialogue")
                return
            pending.expect(
                services.store,
                user.id,
                "dialogue",
                self.name,
                now=services.clock.now(),
                step=following,
                chat=chat.id,
                draft=draft,
                task=wait["task"],
                unit=wait["unit"],
                message=wait["message"],
            )

        return callback

    async def _stale(self, update: Update, context: DubanContext) -> None:
        query = update.callback_query
        if query is not None:
            await query.answer(plain_text(self.stale_text()))  # a toast: no emergency
            await drop_keyboard(update, context)

    async def _lapsed(self, update: Update, context: DubanContext) -> None:
        """The first message after the dialogue lapsed: say so (it is not taken as an answer)."""
        user = update.effective_user
        assert user is not None
        pending.clear(context.services.store, user.id, "dialogue")
        await reply(update, context, self.lapsed_text())

    def lapse_handler(self, application: DubanApp) -> MessageHandler[DubanContext, None]:
        """Tells the person their dialogue lapsed; register it after the dialogue's steps.

        Replies and `#N` messages name their own task, so they go on to be handled as such.
        """
        lapsed = _Waits(application, self.name, (), lapsed=True)
        return MessageHandler((TEXT | FILES) & ~NAMES_ITS_TASK & lapsed, self._lapsed)
