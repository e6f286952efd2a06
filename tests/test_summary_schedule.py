"""The weekly summary goes out once per ISO week, after the slot, caught up, across restarts."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.services import Services
from bot.store import Store
from schedules import summary as schedule
from tests.prepared import at, make_services


class FakeBot:
    """Records what would be sent; can be told to fail."""

    def __init__(self) -> None:
        self.texts: list[tuple[int, str]] = []
        self.photos: list[int] = []
        self.fail = False

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if self.fail:
            from telegram.error import BadRequest

            raise BadRequest("Bad Request: something broke")
        self.texts.append((chat_id, text))
        return SimpleNamespace(chat_id=chat_id, message_id=len(self.texts), text=text)

    async def send_photo(self, chat_id: int, photo: bytes, **_: Any) -> Any:
        self.photos.append(chat_id)
        return SimpleNamespace(chat_id=chat_id, message_id=0)


async def quick_chart(*_: Any, **__: Any) -> bytes:
    return b"\x89PNG fake"


async def post(bot: FakeBot, services: Services) -> bool:
    """The weekly summary's post as the tick makes it, its chart a quick stand-in."""
    return await schedule.post_weekly_summary(bot, services, chart=quick_chart)  # type: ignore[arg-type]


def reopen(services: Services, now: str) -> Services:
    """A restart: the same data directory opened again, the clock at `now`."""
    services.store.close()
    services.store = Store(services.settings.data_dir, fsync=False)
    services.clock.set(at(now))  # type: ignore[attr-defined]
    return services


async def test_posts_once_after_the_slot(seeded_data_dir: Path, tmp_path: Path) -> None:
    services = make_services(seeded_data_dir, tmp_path, "2021-06-25 15:59")
    bot = FakeBot()
    assert not await post(bot, services)  # Friday 15:59: not yet
    services.clock.set(at("2021-06-25 16:00"))  # type: ignore[attr-defined]
    assert await post(bot, services)
    assert not await post(bot, services)
    assert bot.photos == [-100500]
    texts = "\n".join(t for _, t in bot.texts)
    assert all(chat == -100500 for chat, _ in bot.texts)
    assert "诚信建设万里行" in texts and "专项治理" in texts
    posted = len(bot.texts)
    # a restart in the same week posts nothing more
    reopen(services, "2021-06-26 09:00")
    assert not await post(bot, services)
    assert len(bot.texts) == posted
    assert services.store.deliveries.ledger_get("summary:2021-W25")["status"] == "sent"  # type: ignore[index]
    # the next week has its own slot
    services.clock.set(at("2021-07-02 16:01"))  # type: ignore[attr-defined]
    assert await post(bot, services)
    services.close()


async def test_catch_up_when_down_at_the_slot(seeded_data_dir: Path, tmp_path: Path) -> None:
    services = make_services(seeded_data_dir, tmp_path, "2021-06-26 11:00")  # Saturday
    bot = FakeBot()
    for _ in range(3):
        await post(bot, services)
    assert len(bot.photos) == 1
    entry = services.store.deliveries.ledger_get("summary:2021-W25")
    assert entry is not None and entry["late"] is True and entry["day"] == "2021-06-26"
    # Monday of the next week: the slot is Friday, nothing is due yet
    reopen(services, "2021-06-28 09:00")
    assert not await post(bot, services)
    assert len(bot.photos) == 1
    services.close()


async def test_failed_post_is_retried_later(seeded_data_dir: Path, tmp_path: Path) -> None:
    services = make_services(seeded_data_dir, tmp_path, "2021-06-25 16:00")
    bot = FakeBot()
    bot.fail = True
    assert not await post(bot, services)
    assert services.store.deliveries.ledger_get("summary:2021-W25")["status"] == "failed"  # type: ignore[index]
    bot.fail = False
    services.clock.set(at("2021-06-25 16:05"))  # type: ignore[attr-defined]
    assert not await post(bot, services)  # waits before retrying
    services.clock.set(at("2021-06-25 16:20"))  # type: ignore[attr-defined]
    assert await post(bot, services)
    services.close()


async def test_no_chat_configured_posts_nothing(seeded_data_dir: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    services = make_services(seeded_data_dir, tmp_path, "2021-06-25 17:00")
    services.settings = replace(services.settings, summary_chat_id=None)
    bot = FakeBot()
    assert not await post(bot, services)
    assert bot.texts == [] and services.store.deliveries.ledger_get("summary:2021-W25") is None
    services.close()


def test_slot_follows_the_setting(seeded_data_dir: Path, tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import time

    services = make_services(seeded_data_dir, tmp_path)
    settings = replace(services.settings, summary_weekday=0, summary_time=time(8, 30))
    assert schedule.slot_of_week(settings, at("2021-06-27 23:00")) == at("2021-06-21 08:30")
    assert schedule.due_week(settings, at("2021-06-21 08:29")) is None
    assert schedule.due_week(settings, at("2021-06-21 08:30")) == "2021-W25"
    services.close()


async def test_summary_tick_uses_the_application(seeded_data_dir: Path, tmp_path: Path) -> None:
    services = make_services(seeded_data_dir, tmp_path, "2021-06-25 16:00")
    bot = FakeBot()
    app = SimpleNamespace(bot=bot, bot_data={"services": services})
    await schedule.summary_tick(app, chart=quick_chart)
    await schedule.summary_tick(app, chart=quick_chart)
    assert len(bot.photos) == 1
    await schedule.summary_tick(SimpleNamespace(bot=bot, bot_data={}))  # before post_init
    services.close()
