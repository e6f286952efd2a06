"""The sandbox's chats saved in the data dir and read back on the next start."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.clock import SHANGHAI, FixedClock
from sandbox.archive import STATE, ChatArchive, clock_extras, saved_clock
from sandbox.botapi import BotApiServer

ALICE = 2001
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03" + b"\x00" * 16


async def test_chats_files_and_clock_come_back(tmp_path: Path) -> None:
    server = BotApiServer()
    server.add_user(ALICE, "李科长", started=True)
    server.add_group(-100500, "协调群", members=[ALICE], admins=[ALICE])
    await server.user_sends_text(ALICE, "/mytasks")
    photo = await server.user_sends_photo(ALICE, PNG, caption="#18 现场")
    clock = FixedClock(datetime(2021, 6, 25, 16, 1, tzinfo=SHANGHAI))
    ChatArchive(tmp_path).save(server, **clock_extras(clock))
    ChatArchive(tmp_path).save(server, **clock_extras(clock))  # again: files are kept once

    again = BotApiServer()
    extras = ChatArchive(tmp_path).load(again)
    assert saved_clock(extras) == clock.now()
    assert again.history(ALICE) == server.history(ALICE)
    assert again.chats[-100500].members == {ALICE}
    assert again.file_bytes(photo["photo"][-1]["file_id"]) == PNG
    assert again.users[ALICE]["first_name"] == "李科长" and ALICE in again.started


def test_a_first_run_has_nothing_to_load(tmp_path: Path) -> None:
    server = BotApiServer()
    assert ChatArchive(tmp_path / "none").load(server) == {}
    assert server.chats == {} and saved_clock({}) is None


def test_a_damaged_archive_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / STATE).write_text("{not json", encoding="utf-8")
    server = BotApiServer()
    with caplog.at_level(logging.WARNING):
        assert ChatArchive(tmp_path).load(server) == {}
    assert "not restored" in caplog.text and server.chats == {}
    assert saved_clock({"clock": "someday"}) is None
