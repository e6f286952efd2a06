"""The one outbox: every message the bot sends leaves through `Outbox`.

It splits long texts at Telegram's limit, remembers which task(s) each message is about (so a
reply to it can be resolved), and, for bulk sends (reminders, escalations, summaries), owns the
retry and timeout policy and 403 handling below. Answers to a person raise TelegramError as PTB
would, so the error handler apologises; notices to third parties are logged and never raised.

Delivery of one text to one chat, so that nothing is lost and nothing is sent twice:

Policy, error by error (numbers in `data/policy.yaml`, section `delivery`):
- 429 RetryAfter: wait the retry_after Telegram names, then try again (the AIORateLimiter,
  `rate_limiter()`, already paces and retries; this covers what it gives up on). One 429
  pauses every send, so the limiter paces a little under Telegram's 30 messages/s.
- NetworkError and 5xx: retried with exponential backoff, at most `max_attempts` tries.
- 403 Forbidden (blocked, or never started the bot) and 400 "chat not found": the contact is
  marked unreachable (`store.people.set_reachable`) and the coordinators are told once, on the change.
  Nothing is retried; the planner skips unreachable contacts until they unblock the bot or
  write to it again (handlers/reminders.py marks them reachable).
- TimedOut: the request may have reached Telegram, so a blind retry can duplicate the message.
  We resend at most `resend_after_timeout` times (default once). A reminder or escalation is
  not resent at once: the sweep records it "uncertain" and resends it on a later tick of the
  same day (`retry_uncertain_after_minutes`), marking the ledger `resent_after_timeout: true`;
  if that resend times out too it is "unconfirmed" and goes into the coordinators' next
  morning notice (未能确认送达). So a contact sees a reminder at most twice, and none is lost
  silently (docs/reminders.md).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.domain.policy import DeliveryPolicy
from bot.services import Services
from bot.store.records import UnreachableCause
from bot.telegram.fsync import sync_soon
from bot.telegram.pacing import pacer_for
from bot.text.render import render, split_message

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
Markup = InlineKeyboardMarkup | None  # the buttons under a message (under its last part)
# Of a group's 20 messages a minute, what an acknowledgement leaves for answers and summaries.
GROUP_ACK_RESERVE = 10
_sleep: Sleep = asyncio.sleep  # the default; tests give Outbox(sleep=) a fake


@dataclass
class Delivery:
    """What happened to one text: status sent | forbidden | failed | uncertain."""

    status: str
    messages: list[Message] = field(default_factory=list)
    resent_after_timeout: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


# Bot API requests in flight at once (PTB's default allows 256). Sends leave paced at under
# 30 a second, so a few connections carry them; each idle connection in the pool is polled on
# every request (httpcore checks whether it has expired), which cost duban more CPU than its
# own handling once bursts had opened a dozen or more. A request waits for a free connection
# rather than fail after PTB's default second (it has not been sent, so it cannot duplicate).
CONNECTIONS = 8
POOL_TIMEOUT = 60.0


def rate_limiter(policy: DeliveryPolicy | None = None) -> AIORateLimiter:
    """The AIORateLimiter duban uses: the policy's pace overall (a little under Telegram's
    30 msg/s), Telegram's 20/min per group, and `limiter_retries` retries of a 429."""
    policy = policy or DeliveryPolicy()
    return AIORateLimiter(
        overall_max_rate=policy.messages_per_second, max_retries=policy.limiter_retries
    )


def sending_bot(
    token: str, base_url: str, base_file_url: str, policy: DeliveryPolicy | None = None
) -> ExtBot[Any]:
    """An ExtBot outside the application (one-off sweeps, benchmarks), paced by rate_limiter."""
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        rate_limiter=rate_limiter(policy),
        request=HTTPXRequest(connection_pool_size=CONNECTIONS, pool_timeout=POOL_TIMEOUT),
    )


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_part(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_markup: Markup,
    policy: DeliveryPolicy,
    sleep: Sleep,
    outcome: Delivery,
) -> Message | None:
    backoff = policy.backoff_seconds
    resends = policy.resend_after_timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            async with pacer_for(bot).slot(chat_id, bulk=True):  # answers to people go first
                return await bot.send_message(
                    chat_id, text, parse_mode="HTML", reply_markup=reply_markup
                )
        except RetryAfter as exc:
            wait = _retry_seconds(exc)
            log.info("429 for chat %s: waiting %.0f s", chat_id, wait)
            if attempt >= policy.max_attempts:
                outcome.status, outcome.error = "failed", str(exc)
                return None
            await sleep(wait)
        except TimedOut as exc:
            if resends <= 0:
                outcome.status, outcome.error = "uncertain", str(exc)
                return None
            resends -= 1
            outcome.resent_after_timeout = True
            log.warning("send to %s timed out; resending once (may duplicate)", chat_id)
        except Forbidden as exc:
            outcome.status, outcome.error = "forbidden", str(exc)
            return None
        except BadRequest as exc:
            reason = "forbidden" if "chat not found" in str(exc).lower() else "failed"
            outcome.status, outcome.error = reason, str(exc)
            return None
        except NetworkError as exc:  # includes 5xx answers
            if attempt >= policy.max_attempts:
                outcome.status, outcome.error = "failed", str(exc)
                return None
            log.info("send to %s failed (%s); retry in %.1f s", chat_id, exc, backoff)
            await sleep(backoff)
            backoff = min(backoff * 2, policy.max_backoff_seconds)


async def send_text(
    bot: Bot,
    services: Services,
    chat_id: int,
    text: str,
    reply_markup: Markup = None,
    *,
    policy: DeliveryPolicy | None = None,
    notify: bool = True,
    sleep: Sleep | None = None,
) -> Delivery:
    """Send `text` (split at Telegram's limit; buttons on the last part) and say what happened."""
    policy = policy or DeliveryPolicy()
    sleep = sleep or _sleep
    outcome = Delivery("sent")
    parts = split_message(text)
    for i, part in enumerate(parts):
        markup = reply_markup if i == len(parts) - 1 else None
        message = await _send_part(bot, chat_id, part, markup, policy, sleep, outcome)
        if message is None:
            break
        outcome.messages.append(message)
    if outcome.messages and outcome.status != "sent":
        # Part of a long text arrived: count it as sent rather than send it all again.
        log.warning("chat %s got %d of %d parts", chat_id, len(outcome.messages), len(parts))
        outcome.status = "sent"
    if outcome.status == "forbidden":
        await mark_unreachable(bot, services, chat_id, outcome.error or "", notify=notify)
    elif outcome.status != "sent":
        log.warning("could not send to %s: %s (%s)", chat_id, outcome.status, outcome.error)
    return outcome


async def mark_unreachable(
    bot: Bot, services: Services, chat_id: int, reason: str, *, notify: bool = True
) -> None:
    """Mark a contact unreachable (with why, from Telegram's refusal) and, the first time, tell
    the coordinators who it is."""
    store = services.store
    now = services.clock.now()
    cause = unreachable_cause(reason)
    # No await between the check and the write, so this needs no lock (callers may hold it).
    changed = store.people.set_reachable(chat_id, False, at=now, cause=cause)
    bound = [c for c in store.people.contacts() if c["user_id"] == chat_id]
    if not (changed and notify and bound):
        return
    text = render("unreachable.html.j2", contacts=bound, cause=cause)
    for coordinator in sorted(services.settings.coordinators):
        if coordinator != chat_id:
            await send_text(bot, services, coordinator, text, notify=False)


def unreachable_cause(refusal: str) -> UnreachableCause:
    """Why Telegram refused a message (403): "Forbidden: bot was blocked by the user", "…: user
    is deactivated", else the person never opened the chat with the bot."""
    text = refusal.lower()
    if "blocked" in text:
        return "blocked"
    if "deactivated" in text:
        return "deactivated"
    return "not_started"


About = tuple[int, str | None]  # (task, unit) a message concerns; unit None: the whole task


class Outbox:
    """Every message the bot sends: answers, notices, bulk deliveries, photos, documents."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        policy: DeliveryPolicy | None = None,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        self.bot = bot
        self.services = services
        self.policy = policy or DeliveryPolicy()
        self._sleep = sleep
        pacer_for(bot).pace_overall(self.policy.messages_per_second)

    @classmethod
    def of(cls, sender: Bot | Outbox, services: Services, policy: DeliveryPolicy) -> Outbox:
        """`sender` if it is an outbox already, else one around a bare bot (a one-off sweep)."""
        return sender if isinstance(sender, Outbox) else cls(sender, services, policy)

    async def answer(
        self,
        to: Message | int,
        text: str,
        markup: Markup = None,
        *,
        about: Iterable[About] = (),
        kind: str = "reply",
    ) -> list[Message]:
        """An answer to a person, split at Telegram's limit with the buttons under the last
        part; a failure raises (the error handler then apologises). `to` is the message it
        answers (in a group it is quoted, as PTB's `reply_text` does, so the group sees whom
        it answers) or a chat id (the person's private chat)."""
        if isinstance(to, int):
            return await self._parts(to, text, markup, None, about, kind)
        quote = to.message_id if to.chat.type != "private" else None
        return await self._parts(to.chat_id, text, markup, quote, about, kind)

    async def _parts(
        self,
        chat_id: int,
        text: str,
        markup: Markup,
        quote: int | None,
        about: Iterable[About],
        kind: str,
    ) -> list[Message]:
        parts = split_message(text)
        sent = []
        for i, part in enumerate(parts):
            async with pacer_for(self.bot).slot(chat_id):  # ahead of bulk sends, 1/s per chat
                sent.append(
                    await self.bot.send_message(
                        chat_id,
                        part,
                        reply_markup=markup if i == len(parts) - 1 else None,
                        reply_parameters=(
                            ReplyParameters(quote, allow_sending_without_reply=True)
                            if quote is not None and i == 0
                            else None
                        ),
                    )
                )
        self.remember(sent, about, kind)
        return sent

    async def notify(
        self,
        to: int | Iterable[int],
        text: str,
        markup: Markup = None,
        *,
        about: Iterable[About] = (),
        kind: str = "notice",
    ) -> list[Message]:
        """A notice to someone who did not ask (a unit, the coordinators): one chat, or each
        of several in turn. A failure is logged, and one unreachable chat does not stop the
        others."""
        about = list(about)
        sent: list[Message] = []
        for chat_id in [to] if isinstance(to, int) else to:
            try:
                sent += await self.answer(chat_id, text, markup, about=about, kind=kind)
            except TelegramError as exc:
                log.warning("could not reach %s: %s", chat_id, exc)
        return sent

    def coordinators(self, exclude: Iterable[int] = ()) -> list[int]:
        """The coordinators' private chats (sorted), less `exclude`: whom `notify` tells."""
        return sorted(self.services.settings.coordinators - set(exclude))

    async def deliver(
        self,
        chat_id: int,
        text: str,
        markup: Markup = None,
        *,
        about: Iterable[About] = (),
        kind: str = "reminder",
        notify: bool = True,
        resend: bool = True,
    ) -> Delivery:
        """A bulk send (reminder, escalation, summary) under the delivery policy above.

        With `resend=False` a timeout is not resent at once: the caller (the reminder sweep)
        resends on a later tick, from its ledger.
        """
        policy = self.policy if resend else replace(self.policy, resend_after_timeout=0)
        outcome = await send_text(
            self.bot,
            self.services,
            chat_id,
            text,
            markup,
            policy=policy,
            notify=notify,
            sleep=self._sleep,
        )
        self.remember(outcome.messages, about, kind)
        return outcome

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: Markup = None,
        *,
        about: Iterable[About] = (),
        kind: str = "card",
    ) -> bool:
        """Show other content in a message the bot sent (a list page becomes a card, or back);
        what the message is about is replaced. False when Telegram refused the edit (the
        message is gone or can no longer be edited); a double press, which leaves the message
        as it already is ("not modified"), counts as done."""
        text = split_message(text)[0]
        try:
            async with pacer_for(self.bot).slot(chat_id):
                await self.bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
        except BadRequest as exc:
            log.debug("edit of %s/%s skipped: %s", chat_id, message_id, exc)
            return "not modified" in str(exc).lower()
        store = self.services.store
        refs = list(dict.fromkeys(about))
        if len({task for task, _ in refs}) > 1:
            kind = "digest"
        with store.deferred():  # see `remember`
            store.deliveries.forget_message(chat_id, message_id)
            for task, unit in refs:
                store.deliveries.remember_message(
                    chat_id, message_id, task=task, unit=unit, kind=kind
                )
        sync_soon(store)
        return True

    async def drop_keyboard(self, chat_id: int, message_id: int) -> None:
        """Remove the buttons under a message once they are used (a later press would be stale).

        Best effort: a message without buttons, or one too old to edit, stays as it is."""
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        except TelegramError as exc:
            log.debug("keyboard of %s/%s kept: %s", chat_id, message_id, exc)

    async def acknowledge(
        self, message: Message, text: str, markup: Markup = None, about: Iterable[About] = ()
    ) -> list[Message]:
        """A short answer to `message` in its group while the group's pace has room for it
        with GROUP_ACK_RESERVE messages to spare; else a 👌 reaction on it (no message), so
        forty notes in a minute never queue forty replies ahead of the group's real traffic."""
        if pacer_for(self.bot).has_room(message.chat_id, reserve=GROUP_ACK_RESERVE):
            return await self.answer(message, text, markup, about=about, kind="confirmation")
        try:
            await self.bot.set_message_reaction(message.chat_id, message.message_id, "👌")
        except TelegramError as exc:
            log.debug("reaction on %s/%s failed: %s", message.chat_id, message.message_id, exc)
        return []

    async def photo(self, chat_id: int, photo: bytes, caption: str | None = None) -> Message:
        return await self.bot.send_photo(chat_id, photo, caption=caption)

    async def document(
        self,
        chat_id: int,
        data: bytes | InputFile,
        filename: str,
        caption: str | None = None,
        markup: Markup = None,
    ) -> Message:
        return await self.bot.send_document(
            chat_id, data, filename=filename, caption=caption, reply_markup=markup
        )

    def remember(self, messages: list[Message], about: Iterable[About], kind: str) -> None:
        """Which task(s) each message is about, kept at once and fsynced in a worker thread:
        an fdatasync here held up every answer in flight for a millisecond or more, and these
        references only help read a later reply (the next poll makes them durable anyway)."""
        refs = list(dict.fromkeys(about))
        if not refs or not messages:
            return
        if len({task for task, _ in refs}) > 1 and kind not in ("digest", "escalation"):
            kind = "digest"
        store = self.services.store
        with store.deferred():
            for message in messages:
                for task, unit in refs:
                    store.deliveries.remember_message(
                        message.chat_id, message.message_id, task=task, unit=unit, kind=kind
                    )
        sync_soon(store)
