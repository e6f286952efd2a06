"""The sweep's messages through the outbox: their buttons drawn, their outcome reported back.

The reminder sweep itself (what to send, what to record) is `bot.features.sweep`; this is the
Telegram side of it, and a sweep with a bare bot (`duban remind`, benchmarks).
"""

from __future__ import annotations

from datetime import datetime

from telegram import Bot, InlineKeyboardMarkup

from bot.features.sweep import Buttons, Outgoing, Sent, SweepReport
from bot.features.sweep import sweep as sweep_feature
from bot.services import Services
from bot.telegram.keyboards import digest_buttons, slip_buttons, with_receipt_buttons
from bot.telegram.outbox import Outbox, sending_bot


def task_buttons(task_ids: list[int]) -> InlineKeyboardMarkup | None:
    """A `#N` per task (at most 8, then 更多…): each opens that task's card in the message."""
    return digest_buttons(task_ids)


def markup_of(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """The keyboard the sweep's buttons stand for (None: no buttons)."""
    if buttons.slips:
        return slip_buttons(list(buttons.slips))
    return with_receipt_buttons(task_buttons(list(buttons.tasks)), list(buttons.receipts))


class OutboxCourier:
    """The sweep's `Courier`: bulk sends through the outbox, under its delivery policy."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def deliver(self, message: Outgoing) -> Sent:
        outcome = await self.outbox.deliver(
            message.chat,
            message.text,
            markup_of(message.buttons),
            about=message.about,
            kind=message.kind,
            notify=message.notify,
            resend=message.resend,
        )
        return Sent(
            outcome.status,
            tuple(m.message_id for m in outcome.messages),
            outcome.resent_after_timeout,
        )

    async def tell_coordinators(self, text: str) -> bool:
        return bool(await self.outbox.notify(self.outbox.coordinators(), text))


def courier(sender: Bot | Outbox, services: Services) -> OutboxCourier:
    """The courier of `sender`: the application's outbox, or one around a bare bot."""
    return OutboxCourier(Outbox.of(sender, services, services.policy.delivery))


async def sweep(
    sender: Bot | Outbox, services: Services, *, now: datetime | None = None
) -> SweepReport:
    """One sweep (`bot.features.sweep.sweep`) delivered by `sender`."""
    return await sweep_feature(courier(sender, services), services, now=now)


async def sweep_with_token(services: Services) -> SweepReport:
    """One sweep through a bot of its own (`duban remind`: the running bot is not asked)."""
    settings = services.settings
    assert settings.token is not None  # `duban remind` refuses to run without one
    delivery = services.policy.delivery
    bot = sending_bot(settings.token, settings.api_base_url, settings.file_base_url, delivery)
    async with bot:
        return await sweep(bot, services)
