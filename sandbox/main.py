"""`duban sandbox`: the local Bot API, the real bot against it, and the web chat, in one process.

The chats and the rehearsal clock are kept in `<data dir>/sandbox-chats` between runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.domain.clock import RehearsalClock
from bot.features.sweep import planned
from bot.services import open_services
from bot.telegram.app import build_application
from sandbox import demo
from sandbox.archive import ChatArchive, clock_extras, saved_clock, saved_extras
from sandbox.botapi import BotApiServer, Event
from sandbox.flood import FloodLimits
from sandbox.web import create_app
from schedules import tick

log = logging.getLogger(__name__)

TOKEN = "123456:SANDBOX"
BOT_USERNAME = "duban_sandbox_bot"
BOT_NAME = "督办助手"
DEFAULT_DATA_DIR = Path("data/state")
SANDBOX_DATA_DIR = DEFAULT_DATA_DIR / "sandbox"
ARCHIVE_DIR = "sandbox-chats"  # inside the data dir
HOST = "127.0.0.1"
SAVE_DELAY = 2.0  # seconds: chats are saved this long after a change (and on stop)
LOOKAHEAD_DAYS = 366  # how far 下次提醒 looks for a morning with reminders
SAVED_KINDS = frozenset({"message", "edit", "delete", "chat", "block"})


def sandbox_settings(settings: Settings, server: BotApiServer | None = None) -> Settings:
    """The settings the sandboxed bot runs with: the fake token, the local API, the demo roles."""
    changes: dict[str, Any] = {"token": TOKEN}
    if server is not None:
        changes["api_base_url"] = server.base_url
        changes["file_base_url"] = server.base_file_url
    # A real deployment's data stays untouched unless DUBAN_DATA_DIR points elsewhere.
    if settings.data_dir == DEFAULT_DATA_DIR:
        changes["data_dir"] = SANDBOX_DATA_DIR
    if not settings.coordinators:
        changes["coordinators"] = frozenset({demo.COORDINATOR_ID})
    if settings.summary_chat_id is None:
        changes["summary_chat_id"] = demo.GROUP_ID
    return replace(settings, **changes)


def sandbox_data(settings: Settings) -> tuple[Settings, RehearsalClock | None] | None:
    """For a command run on the sandbox's data directory (the one holding its chats): the
    settings and clock the sandbox runs with, so `duban export` and `duban preview` see its
    coordinators and group, and its simulated time (where it last stopped) instead of today.
    DUBAN_CLOCK_START, DUBAN_COORDINATORS and DUBAN_SUMMARY_CHAT_ID still win. None for any
    other directory."""
    chats = settings.data_dir / ARCHIVE_DIR
    if not chats.is_dir():
        return None
    played = sandbox_settings(settings)
    settings = replace(
        settings, coordinators=played.coordinators, summary_chat_id=played.summary_chat_id
    )
    saved = saved_clock(saved_extras(chats))
    if settings.clock_start is not None or saved is None:
        return settings, None  # the configured clock
    return settings, RehearsalClock(saved, 1.0, tz=settings.timezone)


def make_rehearsal_clock(settings: Settings) -> RehearsalClock:
    """Always a rehearsal clock, so the page can move it: from DUBAN_CLOCK_START or now.

    Without DUBAN_CLOCK_START, `Sandbox.start` then moves it: to where the last run stopped,
    or on a first run into the plan's own weeks (`demo.start_instant`).
    """
    start = settings.clock_start or datetime.now(settings.timezone)
    return RehearsalClock(start, settings.clock_speed, tz=settings.timezone)


class Sandbox:
    """The running sandbox; `start()` then `stop()` (tests drive it in-process)."""

    def __init__(
        self,
        settings: Settings,
        *,
        web_port: int | None = None,
        clock: Any = None,
        flood_limits: bool = True,
        seed: bool = True,
    ) -> None:
        self.base_settings = settings
        self.web_port = settings.sandbox_port if web_port is None else web_port
        # Without DUBAN_CLOCK_START the clock resumes where the last run left it.
        self.clock_given = clock is not None or settings.clock_start is not None
        self.clock = clock or make_rehearsal_clock(settings)
        self.server = BotApiServer(
            token=TOKEN,
            bot_username=BOT_USERNAME,
            bot_name=BOT_NAME,
            flood_limits=FloodLimits(enabled=flood_limits),
            clock=self.clock,
        )
        self.seed = seed
        self.settings: Settings = sandbox_settings(settings)
        self.services: Any = None
        self.application: Any = None
        self.seeded: list[str] = []
        self.archive: ChatArchive | None = None
        self._web: web.AppRunner | None = None
        self._unsubscribe: Any = None
        self._save_later: asyncio.TimerHandle | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.web_port}/"

    async def start(self) -> None:
        """Start the API server, seed the demo if needed, start the bot, then the web chat."""
        await self.server.start(host=HOST, port=0)
        try:
            self.settings = sandbox_settings(self.base_settings, self.server)
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            archive = ChatArchive(self.settings.data_dir / ARCHIVE_DIR)
            extras = archive.load(self.server)
            if not self.clock_given:
                self._set_start(saved_clock(extras))
            self.services = open_services(self.settings, writer=True, clock=self.clock)
            self.archive = archive  # this run holds the data dir: it saves the chats
            if self.seed and demo.needs_demo(self.services):
                self.seeded = demo.seed_demo(self.services)
            self.server.continue_update_ids_after(self.services.store.intake.last_handled_update())
            demo.name_coordinators(self.services)
            demo.register_people(self.server, self.services)
            self._extra_groups()
            await self._start_bot()
            await self._start_web()
            self._unsubscribe = self.server.subscribe(self._changed)
        except BaseException:
            await self.stop()
            raise

    def _set_start(self, saved: datetime | None) -> None:
        """Resume the last run's simulated time; a first run starts in the plan's own weeks."""
        if saved is None:
            saved = demo.start_instant(self.base_settings, self.clock.now())
        self.clock.set(saved)

    def _changed(self, event: Event) -> None:
        """Save the chats a little after they change, once for a burst of changes."""
        if event.kind in SAVED_KINDS:
            self._save_soon()

    def _save_soon(self) -> None:
        if self._save_later is not None:
            return
        loop = asyncio.get_running_loop()
        self._save_later = loop.call_later(SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write the chats and the clock to the data dir now."""
        if self._save_later is not None:
            self._save_later.cancel()
            self._save_later = None
        if self.archive is None:
            return
        try:
            self.archive.save(self.server, **clock_extras(self.clock))
        except OSError:
            log.exception("sandbox chats not saved")

    def _extra_groups(self) -> None:
        """A summary chat set by the user is a group on the local server too."""
        chat_id = self.settings.summary_chat_id
        if chat_id is not None and chat_id < 0 and chat_id not in self.server.chats:
            members = [p["user_id"] for p in demo.people(self.services)]
            self.server.add_group(chat_id, "督办汇总群", members=members, admins=members[:1])

    async def _start_bot(self) -> None:
        app = build_application(self.settings, self.services, clock=self.clock)
        self.application = app
        # What Application.run_polling does, without owning the event loop.
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await app.start()

    async def _start_web(self) -> None:
        web_app = create_app(
            self.server,
            people=lambda: demo.people(self.services),
            clock=self.clock,
            on_clock_change=self.clock_changed,
            next_reminders=self.next_reminders,
            schedule={
                "reminder": self.settings.reminder_time.strftime("%H:%M"),
                "summary_weekday": self.settings.summary_weekday,
                "summary_time": self.settings.summary_time.strftime("%H:%M"),
            },
        )
        self._web = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
        await self._web.setup()
        site = web.TCPSite(self._web, HOST, self.web_port)
        await site.start()
        self.web_port = int(self._web.addresses[0][1])

    def next_reminders(self, now: datetime) -> tuple[datetime, int] | None:
        """A minute before the sweep of the next morning after today that has reminders to send,
        and how many it sends; None when nothing falls due within a year."""
        settings, services = self.settings, self.services
        if services is None:
            return None
        day = now.date()
        for _ in range(LOOKAHEAD_DAYS):
            day += timedelta(days=1)
            if services.calendar.is_workday(day) and (items := planned(services, day)):
                sweep = datetime.combine(day, settings.reminder_time, tzinfo=settings.timezone)
                return sweep - timedelta(minutes=1), len(items)
        return None

    def clock_changed(self) -> None:
        """Re-time the bot's tick job now: a jump shows its reminders at once, a new speed applies;
        save the clock soon, for commands run on the sandbox's data (`sandbox_data`)."""
        if self.application is None:
            return
        tick.schedule(self.application)
        self._save_soon()

    async def stop(self) -> None:
        """Stop the web chat, the bot and the API server, then save; safe to call twice."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._web is not None:
            runner, self._web = self._web, None
            with contextlib.suppress(Exception):
                await runner.cleanup()
        app, self.application = self.application, None
        if app is not None:
            await _stop_application(app)
        elif self.services is not None:
            self.services.close()
        self.services = None
        await self.server.stop()
        if self.archive is not None:
            self.save()
            self.archive = None


async def _stop_application(app: Any) -> None:
    """What run_polling does on the way out: updater, application, hooks; each step alone."""
    steps = []
    if app.updater is not None and app.updater.running:
        steps.append(app.updater.stop)
    if app.running:
        steps.append(app.stop)
    for step in steps:
        try:
            await step()
        except Exception:
            log.exception("stopping the bot")
    if app.post_stop is not None:
        with contextlib.suppress(Exception):
            await app.post_stop(app)
    try:
        await app.shutdown()
    except Exception:
        log.exception("shutting the bot down")
    if app.post_shutdown is not None:
        try:
            await app.post_shutdown(app)
        except Exception:
            log.exception("post_shutdown")


async def serve(settings: Settings) -> int:
    """Run until Ctrl-C or SIGTERM."""
    # One line per long poll, or per tick of the rehearsal clock, would bury what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    sandbox = Sandbox(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await sandbox.start()
    except OSError as exc:
        print(
            f"duban: the sandbox could not listen on {HOST}:{sandbox.web_port}: {exc.strerror} "
            "(set DUBAN_SANDBOX_PORT to another port)",
            file=sys.stderr,
        )
        return 2
    for line in sandbox.seeded:
        log.info("demo: %s", line)
    print(f"督办助手沙盒已启动：{sandbox.url}", flush=True)
    print(f"数据目录：{sandbox.settings.data_dir}；按 Ctrl-C 停止。", flush=True)
    try:
        await stop.wait()
    finally:
        print("正在停止沙盒…", flush=True)
        await sandbox.stop()
    return 0


def run_sandbox(settings: Settings) -> int:
    """`duban sandbox` (and `make run` without a token)."""
    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130
