"""The typed context every handler and job receives: `.services`, `.actor`, `.outbox`.

Built by PTB for each update (`ContextTypes(context=DubanContext)`, as in python-telegram-bot's
`contexttypesbot` example), so a handler's first line is typed and mypy checks the seams. The
gate (group -1) resolves the actor once; the same context object serves every handler group of
that update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.features.access import Actor
from bot.services import Services

if TYPE_CHECKING:
    from bot.telegram.outbox import Outbox

SERVICES = "services"
OUTBOX = "outbox"


class DubanContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's CallbackContext with duban's services and the update's actor."""

    def __init__(
        self,
        application: DubanApp,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES]
        return services

    @property
    def outbox(self) -> Outbox:
        outbox: Outbox = self.application.bot_data[OUTBOX]
        return outbox

    @property
    def actor(self) -> Actor | None:
        """Who sent this update, as the gate resolved it (None in jobs)."""
        return self._actor

    @actor.setter
    def actor(self, actor: Actor) -> None:
        self._actor = actor


CONTEXT_TYPES = ContextTypes(context=DubanContext)

# The one name for duban's Application: its bot, its context type (above), plain dicts for the
# user/chat/bot data, and a job queue whose callbacks receive a DubanContext.
DubanApp = Application[
    ExtBot[None],
    DubanContext,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[DubanContext],
]
