"""The chat fixture: the real Application against the Bot API stand-in, driven like a conversation.

    async def test_update(env):
        alice = env.person(2001, "Alice")
        env.bind(alice, "区司法局")
        replies = await alice.say("/update 18 进行中 60%")
        assert "60%" in replies[-1]["text"]

Every call that sends something waits until the bot has finished processing that very update
(the Application reports it), so tests never sleep. Replies are the bot's messages to that chat
sent since; messages to other chats (coordinators' notices) are in `env.inbox(chat_id)`.

It builds on tests/prepared.py (the seeded store and its services). `BotEnv` is the same family
without the Application: a bare bot and an outbox against the stand-in, for the reminder sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import Settings, load_settings
from bot.domain.clock import SHANGHAI, FixedClock
from bot.services import Services, open_services
from bot.store import Store
from bot.telegram.app import build_application
from bot.telegram.context import DubanApp
from bot.telegram.intake import intake_processor
from bot.telegram.outbox import Outbox
from sandbox.botapi import BotApiServer
from tests.prepared import COORDINATOR, START, SUMMARY_CHAT, copy_seeded, services_on

__all__ = ["COORDINATOR", "START", "SUMMARY_CHAT"]  # the chat tests import them from here

WAIT = 10.0  # seconds: only reached when the bot never answers (a failing test)

Message = dict[str, Any]


def _key(update: object) -> Hashable | None:
    """What identifies an update to the test that caused it."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        return ("q", update.callback_query.id)
    message = update.effective_message
    if message is not None:
        return ("m", message.chat_id, message.message_id)
    return ("u", update.update_id)


class TrackedApplication(DubanApp):
    """An Application that reports each update it has finished processing."""

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            tracker: Tracker | None = getattr(self, "tracker", None)
            processor = intake_processor(self)
            retry = (
                processor is not None
                and isinstance(update, Update)
                and processor.outcomes.get(update.update_id) == "retry"
            )
            if tracker is not None and not retry:  # a failed update is tried again first
                await tracker.done(update)


class Tracker:
    """Which updates the bot has finished with; tests wait on it instead of sleeping."""

    def __init__(self) -> None:
        self.finished: set[Hashable] = set()
        self.cond = asyncio.Condition()

    async def done(self, update: object) -> None:
        key = _key(update)
        async with self.cond:
            if key is not None:
                self.finished.add(key)
            self.cond.notify_all()

    async def wait(self, key: Hashable, timeout: float = WAIT) -> None:
        async with self.cond:
            async with asyncio.timeout(timeout):
                await self.cond.wait_for(lambda: key in self.finished)


class Person:
    """A Telegram user talking to the bot through the stand-in."""

    def __init__(self, env: ChatEnv, user_id: int, name: str, username: str | None) -> None:
        self.env = env
        self.id = user_id
        self.name = name
        self.username = username
        self.answer: dict[str, Any] | None = None  # the bot's answer to the last button press

    def __repr__(self) -> str:
        return f"Person({self.id}, {self.name!r})"

    async def say(
        self, text: str, chat_id: int | None = None, reply_to: Message | None = None
    ) -> list[Message]:
        """Send text (privately unless chat_id names a group); the bot's replies in that chat."""
        chat = chat_id if chat_id is not None else self.id
        return await self.env._exchange(
            chat, lambda: self.env.api.user_sends_text(self.id, text, chat_id, reply_to)
        )

    async def reply(self, message: Message, text: str) -> list[Message]:
        """Reply to one of the bot's messages."""
        return await self.say(text, chat_id=message["chat"]["id"], reply_to=message)

    async def press(self, message: Message, callback_data: str) -> list[Message]:
        """Press an inline button of a bot message; `self.answer` holds the callback answer."""
        chat = message["chat"]["id"]
        api = self.env.api
        before = self.env._last_id(chat)
        query_id = await api.user_presses_button(self.id, message, callback_data, chat_id=chat)
        await self.env.tracker.wait(("q", query_id))
        self.answer = api.callback_answers.get(query_id)
        return [m for m in api.messages_to(chat) if m["message_id"] > before]

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        caption: str | None = None,
        reply_to: Message | None = None,
        mime_type: str | None = None,
        chat_id: int | None = None,
        declared_size: int | None = None,
    ) -> list[Message]:
        """Send a file; the bot's replies."""
        chat = chat_id if chat_id is not None else self.id
        return await self.env._exchange(
            chat,
            lambda: self.env.api.user_sends_document(
                self.id, data, file_name, mime_type, caption, reply_to, chat_id, declared_size
            ),
        )

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        reply_to: Message | None = None,
        chat_id: int | None = None,
    ) -> list[Message]:
        chat = chat_id if chat_id is not None else self.id
        return await self.env._exchange(
            chat, lambda: self.env.api.user_sends_photo(self.id, data, caption, reply_to, chat_id)
        )

    async def send_media(
        self, kind: str, media: dict[str, Any], caption: str | None = None
    ) -> list[Message]:
        """Send another kind of message privately (`video`, `voice`, `sticker`…); the replies."""
        content: dict[str, Any] = {kind: media, **({"caption": caption} if caption else {})}
        api = self.env.api
        return await self.env._exchange(
            self.id,
            lambda: api._user_message(self.id, None, None, content),  # noqa: SLF001
        )

    def inbox(self) -> list[Message]:
        """Everything the bot has sent to this person privately, oldest first."""
        return self.env.inbox(self.id)


class ChatEnv:
    """The running bot, the stand-in, the store and the clock of one test."""

    def __init__(
        self,
        api: BotApiServer,
        data_dir: Path,
        clock: FixedClock,
        *,
        bot_data: Mapping[str, Any] | None = None,
        **env: str,
    ) -> None:
        self.api = api
        self.data_dir = data_dir
        self.clock = clock
        self.extra_env = env
        self.bot_data = dict(bot_data or {})  # put in the Application's bot_data at each start
        self.tracker = Tracker()
        self.app: DubanApp | None = None
        self.services: Services | None = None
        self.people: dict[int, Person] = {}

    @property
    def settings(self) -> Settings:
        return load_settings(
            env={
                "TELEGRAM_BOT_TOKEN": self.api.token,
                "TELEGRAM_API_BASE_URL": self.api.base_url,
                "TELEGRAM_FILE_BASE_URL": self.api.base_file_url,
                "DUBAN_DATA_DIR": str(self.data_dir),
                "DUBAN_COORDINATORS": str(COORDINATOR),
                "DUBAN_SUMMARY_CHAT_ID": str(SUMMARY_CHAT),
                **self.extra_env,
            },
            dotenv=None,
        )

    @property
    def store(self) -> Store:
        assert self.services is not None, "bot not running"
        return self.services.store

    async def start(self) -> None:
        """Open the store and run the Application (polling the stand-in)."""
        settings = self.settings
        self.services = services_on(settings, self.clock)
        app = build_application(
            settings, self.services, clock=self.clock, application_class=TrackedApplication
        )
        app.tracker = self.tracker  # type: ignore[attr-defined]
        app.bot_data.update(self.bot_data)
        # Pacing runs on virtual time here: its rules apply, nobody waits for real.
        from bot.telegram.pacing import pacer_for

        pacer, virtual = pacer_for(app.bot), [0.0]

        async def virtual_sleep(seconds: float) -> None:
            virtual[0] += seconds
            await asyncio.sleep(0)

        pacer.clock, pacer.sleep = (lambda: virtual[0]), virtual_sleep
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        self.app = app

    async def stop(self) -> None:
        """Stop the Application cleanly (post_shutdown closes the store)."""
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        self.services = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def fail_handler(self, callback: Callable[..., Any], fault: Callable[[], object]) -> None:
        """The running bot calls `fault()` before each run of the handler `callback`: a test
        makes that handler fail on purpose by raising there (the Application's own handlers,
        no module patched)."""
        assert self.app is not None, "bot not running"
        found = [h for group in self.app.handlers.values() for h in group if h.callback == callback]
        assert found, f"no handler runs {callback.__qualname__}"

        async def faulty(update: object, context: Any) -> Any:
            fault()
            return await callback(update, context)

        for handler in found:
            handler.callback = faulty

    # -- people ------------------------------------------------------------------------------
    def person(self, user_id: int, name: str, username: str | None = None) -> Person:
        """A Telegram user known to the stand-in (created on first use)."""
        if user_id not in self.people:
            self.api.add_user(user_id, name, username=username)
            self.people[user_id] = Person(self, user_id, name, username)
        return self.people[user_id]

    @property
    def coordinator(self) -> Person:
        return self.person(COORDINATOR, "督办员")

    def invite(self, unit: str) -> str:
        """An invite code for a unit, as /invite makes it."""
        return self.store.people.create_invite(unit, at=self.clock.now(), actor=COORDINATOR)

    def bind(self, person: Person, unit: str) -> None:
        """Bind a person to a unit directly (as a redeemed invite does)."""
        self.store.people.bind_contact(person.id, unit, name=person.name, at=self.clock.now())

    def contact(self, unit: str = "区司法局", user_id: int = 2001, name: str = "Alice") -> Person:
        """A person bound to `unit` (by default Alice of 区司法局, a lead of #18)."""
        person = self.person(user_id, name)
        self.bind(person, unit)
        return person

    def group(self, chat_id: int, title: str, members: list[Person]) -> None:
        self.api.add_group(chat_id, title, members=[p.id for p in members])

    def inbox(self, chat_id: int) -> list[Message]:
        return self.api.messages_to(chat_id)

    # -- plumbing ------------------------------------------------------------------------------
    def _last_id(self, chat_id: int) -> int:
        sent = self.api.history(chat_id)
        return sent[-1]["message_id"] if sent else 0

    async def _exchange(self, chat_id: int, send: Any) -> list[Message]:
        msg = await send()
        key = ("m", msg["chat"]["id"], msg["message_id"])
        delivered = any(
            (u.get("message") or {}).get("message_id") == msg["message_id"]
            and u["message"]["chat"]["id"] == msg["chat"]["id"]
            for u in self.api.pending_updates()
        )
        if not delivered and key not in self.tracker.finished:
            return []  # privacy mode: the bot never sees plain group chatter
        await self.tracker.wait(key)
        return [m for m in self.api.messages_to(chat_id) if m["message_id"] > msg["message_id"]]


@pytest.fixture
async def env(
    botapi: BotApiServer, seeded_data_dir: Path, tmp_path: Path
) -> AsyncIterator[ChatEnv]:
    """The bot running against the stand-in: coordinator 1001, summary chat -100500."""
    async with running_env(botapi, seeded_data_dir, tmp_path) as chat_env:
        yield chat_env


@pytest.fixture
async def two_plans_env(
    botapi: BotApiServer, two_plans_data_dir: Path, tmp_path: Path
) -> AsyncIterator[ChatEnv]:
    """`env` on the seeded store with a second active plan B beside A (tests/prepared.py
    `two_plans_data_dir`): tasks are named `#A18`, `#B3`."""
    async with running_env(botapi, two_plans_data_dir, tmp_path) as chat_env:
        yield chat_env


@asynccontextmanager
async def running_env(
    botapi: BotApiServer, seeded_data_dir: Path, tmp_path: Path, **env: str
) -> AsyncIterator[ChatEnv]:
    """The bot on a copy of the seeded store (tmp_path/state) at START, running against the
    stand-in with `env` over its settings; stopped afterwards."""
    chat_env = ChatEnv(botapi, copy_seeded(seeded_data_dir, tmp_path), FixedClock(START), **env)
    await chat_env.start()
    try:
        yield chat_env
    finally:
        await chat_env.stop()


class BotEnv:
    """The writer's services and a bare bot against the stand-in, without the Application: what
    the reminder sweep gets from a tick. The outbox waits on virtual time (`waits`)."""

    def __init__(
        self, botapi: BotApiServer, services: Services, bot: ExtBot[Any], clock: FixedClock
    ) -> None:
        self.botapi = botapi
        self.services = services
        self.bot = bot
        self.clock = clock
        self.settings = services.settings
        self.waits: list[float] = []  # what the outbox would have slept, in seconds

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def outbox(self) -> Outbox:
        """An outbox around the bot, as a one-off sweep makes it (with the default delivery
        policy: the data directory has no policy.yaml), that never really waits."""
        return Outbox(self.bot, self.services, sleep=self._sleep)

    def at(self, day: date, hour: int = 9, minute: int = 0) -> None:
        self.clock.set(datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI))

    def texts(self, chat: int) -> list[str]:
        return [m.get("text", "") for m in self.botapi.messages_to(chat)]

    def reopen(self, **options: Any) -> None:
        """A restart: the store is closed and opened again from disk (with `options` for the
        Store, e.g. `datasync=`)."""
        self.services.close()
        self.services = services_on(self.settings, self.clock, fsync=True, **options)


@asynccontextmanager
async def bot_env(
    botapi: BotApiServer, tmp_path: Path, now: datetime, **settings: Any
) -> AsyncIterator[BotEnv]:
    """A BotEnv on a new store (the bundled plan, loaded at `now`) in tmp_path/state, with
    `settings` over the defaults; closed afterwards."""
    config = Settings(
        token=botapi.token,
        api_base_url=botapi.base_url,
        file_base_url=botapi.base_file_url,
        data_dir=tmp_path / "state",
        **settings,
    )
    clock = FixedClock(now)
    request = HTTPXRequest(read_timeout=1.0, write_timeout=1.0, connect_timeout=1.0)
    bot: ExtBot[Any] = ExtBot(
        botapi.token, base_url=botapi.base_url, base_file_url=botapi.base_file_url, request=request
    )
    env = BotEnv(botapi, open_services(config, writer=True, clock=clock), bot, clock)
    try:
        async with bot:
            yield env
    finally:
        env.services.close()


def redeliver(api: BotApiServer, update: dict[str, Any]) -> None:
    """Queue an already-delivered update again, as Telegram does after a bot crashes.

    The stand-in has no public knob for this yet, so it appends to its pending list.
    """
    api._updates.append(update)  # noqa: SLF001
    api._notify_soon()  # noqa: SLF001


def current(env: ChatEnv, message: Message) -> Message:
    """A bot message as it stands now (after edits)."""
    chat = message["chat"]["id"]
    return next(m for m in env.inbox(chat) if m["message_id"] == message["message_id"])


def button_data(message: Message) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def open_card(person: Person, task_id: int, listing: Message | None = None) -> Message:
    """/mytasks, then the `#N` button (paging with ▶ as needed): the list message, now the card."""
    env = person.env
    if listing is None:
        (listing,) = await person.say("/mytasks")
    for _ in range(20):
        wanted = next((d for d in button_data(listing) if d.startswith(f"card:{task_id}:")), None)
        if wanted is not None:
            await person.press(listing, wanted)
            return current(env, listing)
        rows = (listing.get("reply_markup") or {}).get("inline_keyboard", [])
        forward = [b["callback_data"] for row in rows for b in row if b["text"] == "▶"]
        if not forward:
            break
        await person.press(listing, forward[0])
        listing = current(env, listing)
    raise AssertionError(f"no #{task_id} button in /mytasks")
