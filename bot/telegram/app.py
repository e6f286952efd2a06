"""The Telegram Application: built once, with services in bot_data, menus, and one error handler."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
import sys
import traceback
from typing import Any, cast
from urllib.parse import urlsplit

from telegram import (
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

import handlers
import schedules
from bot.config import Settings
from bot.domain.clock import Clock
from bot.domain.dates import warm_up
from bot.domain.policy import PolicyError, policy_for
from bot.features.evidence import remove_partial_downloads
from bot.services import Services, open_services
from bot.store import StoreLocked
from bot.telegram.context import CONTEXT_TYPES, OUTBOX, SERVICES, DubanApp, DubanContext
from bot.telegram.intake import (
    IntakeQueue,
    IntakeRequest,
    intake_processor,
    requeue_pending,
)
from bot.telegram.menus import set_command_menus
from bot.telegram.outbox import CONNECTIONS, POOL_TIMEOUT, Outbox, rate_limiter
from bot.telegram.processor import PerChatProcessor
from bot.text.render import render
from bot.text.render import warm_up as warm_up_templates

log = logging.getLogger("duban.app")
HEAP_FROZEN = "heap_frozen"  # bot_data: start's objects are out of the collector's sight
NOTICE_QUIET_SECONDS = 300  # one notice per kind of error per five minutes is enough

# -- never log the token ------------------------------------------------------------------
_SECRETS: set[str] = set()
_base_factory = logging.getLogRecordFactory()
_factory_installed = False


def _redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "<token>")
    return text


class TokenRedactor(logging.Filter):
    """Masks the bot token in a record's message and traceback (httpx logs URLs with it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRETS:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        if any(secret in message for secret in _SECRETS):
            record.msg, record.args = _redact(message), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in _SECRETS):
                record.exc_text = _redact(text)
        return True


def install_redaction(token: str | None) -> None:
    """Redact `token` from every log record from now on, whichever logger or handler."""
    global _factory_installed
    if not token:
        return
    _SECRETS.add(token)
    redactor = TokenRedactor()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenRedactor) for f in handler.filters):
            handler.addFilter(redactor)
    if not _factory_installed:
        # Handlers added later (and propagation from any logger) still get redacted records.
        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = _base_factory(*args, **kwargs)
            redactor.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


# -- the application ------------------------------------------------------------------------
def _warm_up_dateparser(application: DubanApp) -> None:
    """dateparser's first call costs ~600 ms: pay it at start, not in someone's /extend."""
    try:
        warm_up()  # the very call /extend makes (same languages and settings)
    except Exception:  # warming up is an optimisation only
        log.debug("dateparser warm-up failed", exc_info=True)
    if application.bot_data.get(HEAP_FROZEN):  # its tables too are there for good
        gc.freeze()


def _freeze_what_start_built(application: DubanApp) -> None:
    """Move everything built at start (plan, directory, templates, libraries: ~100,000
    objects) out of the garbage collector's sight until shutdown. Each full collection used to
    walk them all: a 60 ms pause holding up every answer in flight."""
    gc.collect()
    gc.freeze()
    application.bot_data[HEAP_FROZEN] = True


def _thaw(application: DubanApp) -> None:
    """Give what start built back to the collector (another application may follow)."""
    if application.bot_data.pop(HEAP_FROZEN, None):
        gc.unfreeze()


def build_application(
    settings: Settings,
    services: Services | None = None,
    *,
    clock: Clock | None = None,
    application_class: type[DubanApp] = Application,
) -> DubanApp:
    """The Application for these settings; `services` (else opened in post_init) go in bot_data.

    `application_class` lets tests observe update processing (a subclass of Application).
    """
    install_redaction(settings.token)

    async def post_init(application: DubanApp) -> None:
        if SERVICES not in application.bot_data:
            application.bot_data[SERVICES] = open_services(settings, writer=True, clock=clock)
        opened: Services = application.bot_data[SERVICES]
        # The policy is read here: a malformed DUBAN_DATA_DIR/policy.yaml stops start-up.
        application.bot_data[OUTBOX] = Outbox(application.bot, opened, opened.policy.delivery)
        remove_partial_downloads(opened.settings.data_dir)
        await requeue_pending(application)  # fetched before the last stop, never handled
        asyncio.get_running_loop().run_in_executor(None, _warm_up_dateparser, application)
        await set_command_menus(application)
        schedules.schedule_all(application)
        warm_up_templates()
        # The holiday tables (the `holidays` package loads its countries lazily, ~250 ms):
        # at start, not in the first answer that counts working days.
        opened.calendar.is_workday(opened.clock.now().date())
        _freeze_what_start_built(application)

    async def post_shutdown(application: DubanApp) -> None:
        _thaw(application)
        application.bot_data.pop(OUTBOX, None)
        found = application.bot_data.pop(SERVICES, None)
        if found is not None:
            found.close()

    delivery = (services.policy if services is not None else policy_for(settings.data_dir)).delivery
    # Every update is kept in the store before Telegram may consider it confirmed (intake.py).
    # Chats are answered concurrently, each chat's updates in order (bot/telegram/processor).
    intake_parts = (IntakeRequest(connection_pool_size=1), IntakeQueue(), PerChatProcessor())
    # cast: the builder cannot carry the context type from context_types() to the job queue.
    application = cast(
        DubanApp,
        ApplicationBuilder()
        .application_class(application_class)
        .context_types(CONTEXT_TYPES)
        .get_updates_request(intake_parts[0])
        .update_queue(intake_parts[1])
        .concurrent_updates(intake_parts[2])
        .token(settings.token or "")
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(
            Defaults(
                tzinfo=settings.timezone,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(rate_limiter(delivery))  # paces every send
        .connection_pool_size(CONNECTIONS)
        .pool_timeout(POOL_TIMEOUT)
        # An 更新进度 dialogue in progress survives a restart (kept in the store's ledger).
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build(),
    )
    for part in intake_parts:
        part.attach(application)
    if services is not None:
        application.bot_data[SERVICES] = services
    handlers.register_all(application)
    application.add_error_handler(on_error)
    return application


async def on_error(update: object, context: DubanContext) -> None:
    """Log the traceback, tell the coordinators in one line; the user gets an apology only."""
    error = context.error
    if isinstance(error, NetworkError) and update is None:
        log.warning("network trouble talking to Telegram: %s", error)  # retried by the updater
        return
    update_id = update.update_id if isinstance(update, Update) else None
    # cast: PTB types a context's application with an unbound context type variable.
    processor = intake_processor(cast(DubanApp, context.application))
    if isinstance(update, Update) and processor is not None:
        if processor.failed(update) == "retry":  # tried again at the back of the queue
            log.warning(
                "update %s failed, will retry:\n%s",
                update_id,
                "".join(traceback.format_exception(error)) if error else "?",
            )
            return
    log.error(
        "error while handling update %s:\n%s",
        update_id,
        "".join(traceback.format_exception(error)) if error else "?",
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if (outbox := _outbox(context)) is not None:
                await outbox.answer(update.effective_chat.id, render("error.html.j2", who="user"))
        except TelegramError:
            pass  # the chat may be what failed
    if isinstance(update, Update) and update.callback_query is not None:
        try:
            await update.callback_query.answer()  # else the button spins until it times out
        except TelegramError:
            pass  # the failed handler had answered it already
    await _notify_coordinators(context, error, update_id)


async def _notify_coordinators(
    context: DubanContext, error: BaseException | None, update_id: int | None
) -> None:
    services: Services | None = context.application.bot_data.get(SERVICES)
    outbox = _outbox(context)
    if services is None or outbox is None:
        return
    kind = type(error).__name__ if error else "Error"
    now = services.clock.now()
    quiet = context.application.bot_data.setdefault("error_notices", {})
    last = quiet.get(kind)
    if last is not None and 0 <= (now - last).total_seconds() < NOTICE_QUIET_SECONDS:
        return
    quiet[kind] = now
    text = render("error.html.j2", who="coordinator", kind=kind, update_id=update_id)
    await outbox.notify(outbox.coordinators(), text)


def _outbox(context: DubanContext) -> Outbox | None:
    """The outbox, unless the error came before post_init made it (or after shutdown)."""
    found: Outbox | None = context.application.bot_data.get(OUTBOX)
    return found


# -- running ----------------------------------------------------------------------------------
def _listen_address(listen: str) -> tuple[str, int] | None:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host.strip("[]"), int(port)


def reload_policy(application: DubanApp) -> None:
    """Read DUBAN_DATA_DIR/policy.yaml again; a malformed file is logged and the policy in
    force stays. The pace of sends (`delivery.messages_per_second`) needs a restart."""
    services: Services | None = application.bot_data.get(SERVICES)
    if services is None:
        return
    try:
        policy = services.reload_policy()
    except PolicyError as exc:
        log.error("policy not reloaded, the one in force stays: %s", exc)
        return
    outbox: Outbox | None = application.bot_data.get(OUTBOX)
    if outbox is not None:
        outbox.policy = policy.delivery
    log.info("policy reloaded from %s", services.settings.data_dir)


def run_bot(settings: Settings, webhook: str | None = None, listen: str = "127.0.0.1:8443") -> int:
    """Run until SIGTERM/SIGINT: long polling, or a webhook server when `webhook` is a URL."""
    install_redaction(settings.token)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll is noise
    address = _listen_address(listen) if webhook else None
    if webhook and address is None:
        print(f"duban: --listen: expected HOST:PORT, got {listen!r}", file=sys.stderr)
        return 2
    try:
        services = open_services(settings, writer=True)
    except StoreLocked as exc:
        print(f"duban: {exc}", file=sys.stderr)
        return 3
    application = build_application(settings, services)
    if hasattr(signal, "SIGHUP"):  # `kill -HUP`: policy.yaml was edited
        signal.signal(signal.SIGHUP, lambda *_: reload_policy(application))
    if webhook and address is not None:
        application.run_webhook(
            listen=address[0],
            port=address[1],
            url_path=urlsplit(webhook).path.lstrip("/"),
            webhook_url=webhook,
            secret_token=secrets.token_urlsafe(32),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
