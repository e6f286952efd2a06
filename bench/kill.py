"""The kill drill: SIGKILL a real `duban run` at random moments inside bursts, restart, count.

Several contacts send bursts of updates and evidence files to the stand-in Bot API (loopback
only); at a random moment inside each burst the bot process is killed with SIGKILL, the store
is opened to prove it still opens, and the bot is started again. After the last restart every
message sent must be stored once and answered: `lost` counts messages with no record or no
answer, `doubled` messages recorded more than once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.domain.clock import SHANGHAI, FixedClock
from bot.features import evidence
from bot.services import open_services
from bot.store import Store
from sandbox.botapi import BotApiServer

TRIALS = 30
CONTACTS = 3
BURST = 4  # messages per contact per burst
STARTUP = 60.0  # seconds for a cold interpreter to import everything and poll
SETTLE = 90.0  # seconds the last process gets to work through everything left


@dataclass
class Sent:
    user: int
    kind: str  # "update" | "evidence"
    tag: str  # unique: the note, or the file name


@dataclass
class Result:
    trials: int = 0
    kills: int = 0
    sent: list[Sent] = field(default_factory=list)
    lost: list[Sent] = field(default_factory=list)
    unanswered: list[Sent] = field(default_factory=list)
    doubled: list[Sent] = field(default_factory=list)
    store_failures: int = 0

    def line(self) -> str:
        return (
            f"kill: trials={self.trials} kills={self.kills} sent={len(self.sent)} "
            f"lost={len(self.lost) + len(self.unanswered)} doubled={len(self.doubled)} "
            f"store_failures={self.store_failures}"
        )


def _seed(data_dir: Path, users: list[int]) -> list[tuple[int, int, str]]:
    """The plan loaded, one lead part bound per contact: (user, task, unit)."""
    start = FixedClock(datetime(2021, 6, 21, 10, 0, tzinfo=SHANGHAI))
    services = open_services(Settings(data_dir=data_dir), writer=True, clock=start)
    parts: list[tuple[int, int, str]] = []
    taken: set[str] = set()
    for state in services.store.parts.states():
        if state.get("role") != "lead" or state["unit"] in taken:
            continue
        if len(parts) == len(users):
            break
        user = users[len(parts)]
        services.store.people.bind_contact(
            user, state["unit"], name=f"联络员{user}", at=start.now()
        )
        parts.append((user, state["task"], state["unit"]))
        taken.add(state["unit"])
    services.close()
    (data_dir / "duban.lock").unlink(missing_ok=True)
    return parts


async def _start(api: BotApiServer, data_dir: Path, cwd: Path) -> asyncio.subprocess.Process:
    seen = len(api.calls("deleteWebhook"))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=api.child_env(data_dir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    # about to poll: the Updater deletes any webhook first
    await api.wait_until(lambda: len(api.calls("deleteWebhook")) > seen, timeout=STARTUP)
    return process


async def _burst(
    api: BotApiServer, parts: list[tuple[int, int, str]], n: int, rnd: random.Random, out: Result
) -> None:
    async def one_contact(user: int, task: int) -> None:
        for _ in range(n):
            tag = f"m{len(out.sent):05d}"
            if rnd.random() < 0.3:
                name = f"{tag}.pdf"
                out.sent.append(Sent(user, "evidence", name))
                data = b"%PDF-1.4 " + tag.encode() + os.urandom(16)
                await api.user_sends_document(user, data, name, caption=f"#{task} 佐证")
            else:
                out.sent.append(Sent(user, "update", tag))
                await api.user_sends_text(
                    user, f"/update {task} 进行中 {rnd.randint(0, 100)}% {tag}"
                )
            await asyncio.sleep(rnd.uniform(0, 0.05))

    await asyncio.gather(*(one_contact(user, task) for user, task, _ in parts))


def _store_opens(data_dir: Path) -> bool:
    try:
        Store(data_dir, read_only=True).close()
    except Exception:  # noqa: BLE001 - any failure to open is what this counts
        return False
    return True


def _records(data_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """How often each note and each evidence file name is recorded."""
    store = Store(data_dir, read_only=True)
    try:
        notes: dict[str, int] = {}
        for event in store.history.events(kinds=["status", "note"]):
            if note := event.get("note"):
                notes[note] = notes.get(note, 0) + 1
        files: dict[str, int] = {}
        for doc in evidence.records(store):
            files[doc["name"]] = files.get(doc["name"], 0) + 1
        return notes, files
    finally:
        store.close()


def _answered(api: BotApiServer, item: Sent) -> bool:
    return any(item.tag in (m.get("text") or "") for m in api.messages_to(item.user))


def _done(api: BotApiServer, data_dir: Path, sent: list[Sent]) -> bool:
    notes, files = _records(data_dir)
    for item in sent:
        found = notes if item.kind == "update" else files
        if item.tag not in found or not _answered(api, item):
            return False
    return True


async def drill(
    trials: int = TRIALS, contacts: int = CONTACTS, burst: int = BURST, seed: int = 12
) -> Result:
    """Run the drill in a fresh temporary directory; the counts."""
    rnd = random.Random(seed)
    result = Result()
    api = BotApiServer(token="123:KILL", bot_username="duban_bot")
    await api.start(host="127.0.0.1", port=0)
    tmp = Path(tempfile.mkdtemp(prefix="duban-kill-"))
    try:
        data_dir = tmp / "state"
        users = [3001 + i for i in range(contacts)]
        for user in users:
            api.add_user(user, f"联络员{user}")
        parts = _seed(data_dir, users)
        for _ in range(trials):
            process = await _start(api, data_dir, tmp)
            result.trials += 1
            sending = asyncio.create_task(_burst(api, parts, burst, rnd, result))
            await asyncio.sleep(rnd.uniform(0.05, 1.2))  # a random moment inside the burst
            process.send_signal(signal.SIGKILL)
            await process.wait()
            result.kills += process.returncode == -signal.SIGKILL
            await sending
            result.store_failures += not _store_opens(data_dir)
        process = await _start(api, data_dir, tmp)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SETTLE
            while loop.time() < deadline and not _done(api, data_dir, result.sent):
                await asyncio.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        result.store_failures += not _store_opens(data_dir)
        notes, files = _records(data_dir)
        for item in result.sent:
            count = (notes if item.kind == "update" else files).get(item.tag, 0)
            if count == 0:
                result.lost.append(item)
            elif not _answered(api, item):
                result.unanswered.append(item)
            if count > 1:
                result.doubled.append(item)
    finally:
        await api.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> str:
    # A killed bot drops its connections mid-request: the stand-in's server logs each one as
    # an error with a traceback, which is the drill working, not a failure.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    return asyncio.run(drill()).line()


if __name__ == "__main__":
    print(main())
