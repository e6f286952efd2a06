"""At-least-once intake: kept before confirmed, re-queued after a stop, applied once, parked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from bot.store import Store
from bot.telegram import intake
from bot.telegram.context import SERVICES
from tests.harness import COORDINATOR, START, ChatEnv


def _message_update(update_id: int, user_id: int, text: str, message_id: int) -> dict[str, Any]:
    command = text.split()[0]
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(START.timestamp()),
            "chat": {"id": user_id, "type": "private", "first_name": "Alice"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Alice"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]
            if command.startswith("/")
            else [],
        },
    }


def test_kept_updates_survive_reopen_in_order_until_finished(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.intake.take_in([{"update_id": 7}, {"update_id": 5}, {"update_id": 7}]) == 2
    store.close()
    store = Store(tmp_path)
    assert [e["u"] for e in store.intake.intake_pending()] == [5, 7]
    store.intake.finish_update(5)
    assert store.intake.update_handled(5) and not store.intake.update_handled(7)
    assert (
        store.intake.take_in([{"update_id": 5}]) == 0
    )  # redelivered after being handled: not kept
    store.close()
    store = Store(tmp_path)
    assert [e["u"] for e in store.intake.intake_pending()] == [7]
    store.close()


def test_handling_an_update_again_finds_its_records_instead_of_writing_twice(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path, fsync=False)
    store.intake.take_in([{"update_id": 1}])
    with store.origin(1, replay=False):
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="a")
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="b")
        store.insert_once("reviews", {"kind": "claim", "task": 18, "unit": "区司法局"})
    # Killed here; the update is handled again: the same writes, and one more.
    with store.origin(1, replay=True):
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="a")
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="b")
        store.insert_once("reviews", {"kind": "claim", "task": 18, "unit": "区司法局"})
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="c")
    # Another update writing the same kind of record is not confused with it.
    with store.origin(2, replay=True):
        store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="d")
    notes = [e["note"] for e in store.history.events(task=18, kinds=["note"])]
    assert notes == ["a", "b", "c", "d"]
    assert len(store.table("reviews")) == 1
    store.close()


async def test_updates_kept_but_not_handled_are_handled_after_restart(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/help")  # the chat exists
    await env.stop()
    # Fetched (and so confirmed to Telegram) just before a crash, never handled.
    store = Store(env.data_dir)
    store.intake.take_in(
        [
            _message_update(880001, 2001, "/update 18 进行中 30% 第一条", 9001),
            _message_update(880002, 2001, "/update 18 进行中 40% 第二条", 9002),
        ]
    )
    store.close()
    await env.start()
    await env.api.wait_until(
        lambda: len([m for m in env.inbox(2001) if "已记录" in m.get("text", "")]) >= 2,
        timeout=10,
    )
    notes = [e.get("note") for e in env.store.history.events(task=18, unit="区司法局")]
    assert notes[-2:] == ["第一条", "第二条"]  # in the order they were sent
    await env.api.wait_until(lambda: not env.store.intake.intake_pending(), timeout=10)
    assert env.store.intake.update_handled(880001) and env.store.intake.update_handled(880002)


async def test_a_failure_is_retried_and_applied_once(env: ChatEnv) -> None:
    import handlers.tasks

    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")

    env.fail_handler(handlers.tasks.task, flaky)
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    replies = await alice.say("/task 18")
    assert calls["n"] == 2
    assert [m["text"][:4] for m in replies] == ["#18 "]  # no apology: the retry answered
    assert not any("RuntimeError" in m.get("text", "") for m in env.inbox(COORDINATOR))


async def test_an_update_failing_three_times_is_parked_and_blocks_nothing(env: ChatEnv) -> None:
    import handlers.tasks

    calls = {"n": 0}

    def broken() -> None:
        calls["n"] += 1
        raise RuntimeError("boom")

    env.fail_handler(handlers.tasks.task, broken)
    await env.coordinator.say("/start")
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    replies = await alice.say("/task 18")
    assert calls["n"] == 3
    assert len(replies) == 1 and "出了问题" in replies[0]["text"]  # one apology
    notices = [m for m in env.inbox(COORDINATOR) if "RuntimeError" in m.get("text", "")]
    assert len(notices) == 1
    (parked,) = env.store.intake.parked()
    assert parked["d"]["message"]["text"] == "/task 18" and parked["failures"] == 3
    assert env.store.intake.intake_pending() == []
    (reply,) = await alice.say("/update 18 进行中 20%")  # the queue moves on
    assert "已记录" in reply["text"]
    await env.restart()  # a parked update is not tried again
    assert calls["n"] == 3


async def test_an_update_put_in_the_queue_is_kept_before_it_is_queued(env: ChatEnv) -> None:
    """The webhook answers 200 once its update is in the queue: by then it is in the store."""
    from telegram import Update

    assert env.app is not None
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/help")
    update = Update.de_json(_message_update(770001, 2001, "/task 18", 9101), env.app.bot)
    await env.app.update_queue.put(update)
    assert env.store.intake.intake_entry(770001) is not None  # nothing has been handled yet
    await env.app.update_queue.join()
    assert env.store.intake.update_handled(770001) and env.store.intake.intake_entry(770001) is None


async def test_an_update_that_never_finishes_is_parked_after_five_starts(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/help")
    await env.stop()
    store = Store(env.data_dir)
    store.intake.take_in([_message_update(660001, 2001, "/update 18 进行中 77% 毒丸", 9201)])
    for _ in range(5):  # five processes died handling it
        store.intake.intake_count(660001, "starts")
    store.close()
    await env.start()
    await env.api.wait_until(lambda: not env.store.intake.intake_pending(), timeout=10)
    (parked,) = env.store.intake.parked()
    assert parked["u"] == 660001 and parked["starts"] == 5
    assert env.store.parts.state(18, "区司法局")["percent"] != 77  # type: ignore[index]


async def test_a_fetched_batch_is_fsynced_before_the_poll_that_confirms_it(
    tmp_path: Path,
) -> None:
    """The batch is kept before the Updater sees it and fsynced off the answer's path, but
    always before the next getUpdates (whose offset tells Telegram to forget the batch)."""
    syncs: list[int] = []
    store = Store(tmp_path, datasync=lambda fd: (syncs.append(fd), os.fdatasync(fd))[1])  # fsync
    durable_at_poll: list[bool] = []
    batches = [[_message_update(7, 5001, "/mytasks", 1)], []]

    def poll(request: httpx.Request) -> httpx.Response:
        durable_at_poll.append(not store.unsynced())
        return httpx.Response(200, content=json.dumps({"ok": True, "result": batches.pop(0)}))

    request = intake.IntakeRequest(
        sync=lambda store: None,  # only the poll may sync
        httpx_kwargs={"transport": httpx.MockTransport(poll)},  # Telegram's answers
    )
    request.attach(SimpleNamespace(bot_data={SERVICES: SimpleNamespace(store=store)}))  # type: ignore[arg-type]
    await request.do_request("http://127.0.0.1:1/botT/getUpdates", "POST")
    assert store.intake.kept(7) and store.unsynced() and not syncs  # kept at once, not yet fsynced
    await request.do_request("http://127.0.0.1:1/botT/getUpdates", "POST")
    assert durable_at_poll == [True, True] and syncs
    store.close()
