"""What the bot waits for from a user after a button (a file, a date and reason, a refusal reason).

Kept in the store's ledger, so a restart between the button and the answer loses nothing.
Two slots per user: "file" (evidence after 上传材料, may take several files until it expires)
and "text" (the next text message: an extension request or a refusal reason, used once).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.store import Store

SLOTS = ("file", "text")
FIELDS = ("action", "task", "unit", "record", "until", "chat", "message")
WAIT = timedelta(minutes=30)


def _key(slot: str, user_id: int) -> str:
    if slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}")
    return f"await:{slot}:{user_id}"


def expect(
    store: Store,
    user_id: int,
    slot: str,
    action: str,
    *,
    now: datetime,
    task: int | None = None,
    unit: str | None = None,
    record: int | None = None,
    chat: int | None = None,
    message: int | None = None,
    wait: timedelta = WAIT,
) -> None:
    """Wait for the user's next input in `slot`, replacing whatever was awaited there.

    `chat`/`message` name the bot message whose button started the wait.
    """
    until = (now + wait).isoformat(timespec="seconds")
    store.ledger_put(
        _key(slot, user_id),
        action=action,
        task=task,
        unit=unit,
        record=record,
        until=until,
        chat=chat,
        message=message,
    )


def expected(store: Store, user_id: int, slot: str, now: datetime) -> dict[str, Any] | None:
    """What is awaited from the user in `slot` (None when nothing, or when it expired)."""
    entry = store.ledger_get(_key(slot, user_id))
    if not entry or not entry.get("action"):
        return None
    if datetime.fromisoformat(entry["until"]) <= now:
        return None
    return {k: entry.get(k) for k in FIELDS}


def clear(store: Store, user_id: int, slot: str | None = None) -> bool:
    """Stop waiting (one slot, or both); True when something was awaited."""
    found = False
    for name in (slot,) if slot else SLOTS:
        entry = store.ledger_get(_key(name, user_id))
        if entry and entry.get("action"):
            found = True
            store.ledger_put(_key(name, user_id), **dict.fromkeys(FIELDS))
    return found
