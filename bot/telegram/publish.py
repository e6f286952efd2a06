"""Posting the weekly summary to a chat: its text through the outbox, then its chart."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from telegram import Bot

from bot.features.summary_posts import Publish
from bot.reports.chart import chart_safely
from bot.reports.summary import messages_of
from bot.services import Services
from bot.telegram.outbox import Outbox

log = logging.getLogger(__name__)

CHART_CAPTION = "本周进度图"
# Draws the chart of (services, day, the summary's data); None when it could not be drawn.
Chart = Callable[[Services, date, Mapping[str, Any]], Awaitable[bytes | None]]


async def post_summary(
    outbox: Outbox, services: Services, chat_id: int, day: date, *, chart: Chart = chart_safely
) -> bool:
    """Send the summary of `day` to a chat: the headline, the sections (≤ 3 messages in all),
    then the chart (drawn by `chart`); True if the headline went out."""
    data, texts = messages_of(services, day)
    outcome = await outbox.deliver(chat_id, texts[0], kind="summary")
    if not outcome.messages:
        return False
    for text in texts[1:]:
        more = await outbox.deliver(chat_id, text, kind="summary")
        if not more.messages:
            log.warning("a summary section could not be sent to %s", chat_id)
    png = await chart(services, day, data)
    if png is not None:
        try:
            await outbox.photo(chat_id, png, caption=CHART_CAPTION)
        except Exception:  # noqa: BLE001 - the text is out; a lost chart is only logged
            log.warning("summary chart could not be sent", exc_info=True)
    return True


def publisher(sender: Bot | Outbox, services: Services, *, chart: Chart = chart_safely) -> Publish:
    """`post_summary` through `sender`: an outbox, or one made around a bare bot to post."""

    async def publish(chat_id: int, day: date) -> bool:
        outbox = Outbox.of(sender, services, services.policy.delivery)
        return await post_summary(outbox, services, chat_id, day, chart=chart)

    return publish
