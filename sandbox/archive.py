"""The sandbox's chats across restarts: Telegram keeps a chat's history, so the sandbox does too.

Besides showing yesterday's messages again, this keeps the local Bot API's numbering going: the
bot remembers update ids it has handled and which message ids were about which task, so a
server that started counting from scratch would have its first updates dropped as repeats and
replies tied to old tasks.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.botapi import BotApiServer

log = logging.getLogger(__name__)

STATE = "chats.json"
FILES = "files"


class ChatArchive:
    """`save(server)` writes the chats (and the rehearsal clock); `load(server)` reads them back."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, server: BotApiServer) -> dict[str, Any]:
        """Put the saved chats into `server`; returns the saved extras (empty on a first run)."""
        path = self.directory / STATE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("sandbox chats not restored from %s: %s", path, exc)
            return {}
        server.import_state(state.get("server", {}), self._read_file)
        extras = state.get("extras")
        return extras if isinstance(extras, dict) else {}

    def save(self, server: BotApiServer, **extras: Any) -> None:
        """Write the chats, new files first, then the state by rename (a crash keeps the old)."""
        files = self.directory / FILES
        files.mkdir(parents=True, exist_ok=True)
        for file_id, stored in list(server.files.items()):
            target = files / file_id
            if not target.exists():
                _write(target, stored.data)
        body = json.dumps({"server": server.export_state(), "extras": extras}, ensure_ascii=False)
        _write(self.directory / STATE, body.encode())

    def _read_file(self, file_id: str) -> bytes | None:
        if not file_id.isalnum():
            return None
        try:
            return (self.directory / FILES / file_id).read_bytes()
        except OSError:
            return None


def saved_extras(directory: Path) -> dict[str, Any]:
    """The extras (the clock) a run saved in `directory`, without loading its chats."""
    try:
        state = json.loads((directory / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    extras = state.get("extras") if isinstance(state, dict) else None
    return extras if isinstance(extras, dict) else {}


def clock_extras(clock: Any) -> dict[str, Any]:
    """What to remember of the rehearsal clock."""
    return {"clock": clock.now().isoformat(timespec="seconds")}


def saved_clock(extras: dict[str, Any]) -> datetime | None:
    """The simulated instant the last run stopped at, if it was saved."""
    raw = extras.get("clock")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
