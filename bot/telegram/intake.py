"""At-least-once intake: every update Telegram hands over is kept before it can be confirmed.

python-telegram-bot's Updater confirms a batch to Telegram by polling again with
`offset = last + 1` as soon as the batch is in its in-memory queue, before any update in it is
handled (Telegram applies offsets the same way); a webhook answers 200 once the update is in
that queue. A crash in between used to lose the batch. Here:

- `IntakeRequest` (the getUpdates request) writes each fetched batch into the store's intake
  table before the Updater sees it, and fsyncs it in a worker thread while the batch is being
  handled; the next getUpdates (the one that confirms the batch) waits for that fsync;
- `IntakeQueue` (the Application's update queue) does the same for an update arriving any other
  way (the webhook puts each one here before it answers 200);
- `IntakeProcessor` handles each update inside `store.origin(update_id)` (records it writes are
  tagged, so handling it again finds them instead of writing twice) and marks it handled in the
  record the gate consults; one that failed goes to the back of the queue, and after
  `MAX_FAILURES` it is parked (kept in `parked`, coordinators told, the contact apologised to);
  one whose handling never ended `MAX_STARTS` times (it took the process down) is parked too;
- `requeue_pending` puts what was kept but never handled back in the queue at start, in order.

The bookkeeping of handling (a start counted, an update marked handled) is written at once, so a
crash of the process loses none of it, and fsynced in the background: after a power cut an
update may be handled again, which the origin tagging makes harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import HTTPXRequest

from bot.services import Services
from bot.store import Store
from bot.telegram.context import SERVICES, DubanApp
from bot.telegram.fsync import durable, sync_soon

log = logging.getLogger("duban.intake")
MAX_FAILURES = 3  # an update whose handling raised this often is parked
MAX_STARTS = 5  # one whose handling never ended (the process died each time) too


def _services(application: DubanApp | None) -> Services | None:
    return application.bot_data.get(SERVICES) if application is not None else None


class _Attached:
    """Something that needs the Application (set once it is built)."""

    application: DubanApp | None = None

    def attach(self, application: DubanApp) -> None:
        self.application = application


class IntakeRequest(HTTPXRequest, _Attached):
    """The getUpdates request: the batch is kept in the store before the Updater gets it, and
    durable before the next getUpdates confirms it to Telegram."""

    def __init__(
        self, *args: Any, sync: Callable[[Store], None] = sync_soon, **kwargs: Any
    ) -> None:
        """HTTPXRequest's arguments; `sync` starts the fsync of a kept batch (tests hold it)."""
        super().__init__(*args, **kwargs)
        self._sync = sync

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        polling = url.endswith("/getUpdates")
        services = _services(self.application)
        if polling and services is not None:
            await durable(services.store)  # what the last batch fetched, before confirming it
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if polling and code == HTTPStatus.OK:
            try:
                result = json.loads(payload).get("result")
            except (ValueError, AttributeError):
                result = None  # PTB reports a malformed answer itself
            if isinstance(result, list) and result:
                if services is None:  # no store yet: nothing may be confirmed without one
                    raise RuntimeError("updates fetched before the store was open")
                with services.store.deferred():  # fsynced while the batch is handled
                    services.store.intake.take_in(u for u in result if isinstance(u, dict))
                self._sync(services.store)
        return code, payload


class IntakeQueue(asyncio.Queue[object], _Attached):
    """The update queue; an update not yet kept (a webhook's) is kept before it is queued."""

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            services = _services(self.application)
            if services is not None and not services.store.intake.kept(item.update_id):
                services.store.intake.take_in(
                    [item.to_dict()]
                )  # fsynced: a webhook answers 200 next
        await super().put(item)


class IntakeProcessor(BaseUpdateProcessor, _Attached):
    """One update at a time, each marked handled once processing is over."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.outcomes: dict[int, str] = {}  # update id → "retry" | "park" (set by on_error)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        services = _services(self.application)
        if not isinstance(update, Update) or services is None:
            await coroutine
            return
        store, uid = services.store, update.update_id
        if store.intake.update_handled(uid):
            await coroutine  # the gate drops it: a redelivery of something already applied
            return
        if not store.intake.kept(uid):
            store.intake.take_in([update.to_dict()])
        with store.deferred():
            starts = store.intake.intake_count(uid, "starts")
        if starts > MAX_STARTS:  # it takes the bot down with it: never try it again
            log.error("update %s parked: its handling never finished in %d tries", uid, starts - 1)
            if isinstance(coroutine, Coroutine):
                coroutine.close()
            at = services.clock.now().isoformat(timespec="seconds")
            store.intake.finish_update(uid, parked={"at": at, "starts": starts - 1})
            return
        with store.origin(uid, replay=starts > 1):
            await coroutine
        outcome = self.outcomes.pop(uid, None)
        if outcome == "retry":
            assert self.application is not None
            # To the back of the queue: whatever follows it is not held up.
            self.application.update_queue.put_nowait(update)
        elif outcome == "park":
            at = services.clock.now().isoformat(timespec="seconds")
            store.intake.finish_update(uid, parked={"at": at, "failures": MAX_FAILURES})
        else:
            with store.deferred():
                store.intake.finish_update(uid)
            sync_soon(store)

    def failed(self, update: Update) -> str:
        """Count a failure of handling `update`: "retry" it, or "park" it for good."""
        services = _services(self.application)
        if services is None or services.store.intake.intake_entry(update.update_id) is None:
            return "park"  # not one of ours (a direct process_update): report it now
        fails = services.store.intake.intake_count(update.update_id, "fails")
        outcome = "park" if fails >= MAX_FAILURES else "retry"
        self.outcomes[update.update_id] = outcome
        return outcome


async def requeue_pending(application: DubanApp) -> int:
    """Queue updates kept before a stop or crash and never handled, oldest first."""
    services = _services(application)
    if services is None:
        return 0
    pending = services.store.intake.intake_pending()
    for entry in pending:
        update = Update.de_json(entry["d"], application.bot)
        await application.update_queue.put(update)
    if pending:
        log.info(
            "re-queued %d update(s) fetched but not handled before the last stop", len(pending)
        )
    return len(pending)


def intake_processor(application: DubanApp) -> IntakeProcessor | None:
    processor = application.update_processor
    return processor if isinstance(processor, IntakeProcessor) else None
