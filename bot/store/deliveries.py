"""What the bot sent and to what end (tables "ledger" and "messages").

The ledger is one key-value table: a key is a `LedgerKind` and its parts joined by ":"
(`ledger_key`), and a reminder sent is its reminder's key (made by bot.domain.planner) and
">chat". An entry there makes a send, a post or a one-time notice idempotent. The message
references say which task (and unit) each bot message is about, so replies to it count.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any, cast

from bot.store.records import LedgerEntry, MessageRef, MessageRow
from bot.store.repository import Repository, UnitOfWork

LEDGER = "ledger"
MESSAGES = "messages"


class LedgerKind(StrEnum):
    """The ledger's key prefixes: what an entry is about (LedgerFields lists their fields)."""

    REMINDER = "rem"  # a reminder sent: "rem:<task>:<unit>:…>chat" (bot.domain.planner)
    ESCALATION = "esc"  # "esc:", "esc2:", "escl:" …>chat: the escalation tiers (planner)
    MANUAL = "manual"  # a coordinator's 催办: "manual:<task>:<unit>:<stamp>>chat"
    NO_CONTACT = "nocontact"  # "nocontact:<week>": coordinators told who cannot be reached
    LEADER_NOTE = "leadernote"  # "leadernote:<week>>chat": the leaders' weekly note
    SIGN = "sign"  # "sign:<task>:<unit>": a 签收 chased once
    SIGN_CHASE = "signchase"  # "signchase:<day>": the day's 签收 chase ran
    SUMMARY = "summary"  # "summary:<week>": the weekly summary's posting
    IMPORT = "import"  # "import:<token>": a plan file staged for import
    AWAIT = "await"  # "await:<slot>:<user>": what the bot waits for from a user
    UNDO = "undo"  # "undo:<event id>": what a plain note's status replaced, for its 撤销
    GATE = "gate"  # "gate:<chat>:<user>:<day>": a stranger told once
    BACKUP = "backup"  # "backup:<day>": the day's backup


def ledger_key(kind: LedgerKind, *parts: object) -> str:
    """The ledger key of an entry of `kind` about `parts` ("undo:42", "await:kept:7")."""
    return ":".join((kind.value, *(str(part) for part in parts)))


class Deliveries(Repository):
    """The send ledger and the message references."""

    tables = (LEDGER, MESSAGES)

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._ledger_ids: dict[str, int] = {}
        self._refs: dict[tuple[int, int], list[MessageRef]] = {}
        for doc_id, doc in self._table(LEDGER).raw_docs():
            self._ledger_ids[doc["key"]] = doc_id
        for _, doc in self._table(MESSAGES).raw_docs():
            if doc.get("kind") == "forget":  # the message was edited to be about other tasks
                self._refs.pop((doc["chat"], doc["msg"]), None)
                continue
            self._refs.setdefault((doc["chat"], doc["msg"]), []).append(
                (doc["task"], doc.get("unit"))
            )

    # -- the ledger, by kind ----------------------------------------------------------------
    def get(self, kind: LedgerKind, *parts: object) -> LedgerEntry | None:
        """The entry of `kind` about `parts`, if there is one."""
        return self.ledger_get(ledger_key(kind, *parts))

    def put(self, kind: LedgerKind, *parts: object, **fields: Any) -> None:
        """Create or update the entry of `kind` about `parts`."""
        self.ledger_put(ledger_key(kind, *parts), **fields)

    def entries(self, kind: LedgerKind, *parts: object) -> Iterator[LedgerEntry]:
        """Every entry of `kind` (about `parts` and more: `entries(AWAIT, "kept")`)."""
        return self.ledger(ledger_key(kind, *parts) + ":")

    # -- the ledger, by key -----------------------------------------------------------------
    def ledger_get(self, key: str) -> LedgerEntry | None:
        doc_id = self._ledger_ids.get(key)
        doc = self._table(LEDGER).get(doc_id=doc_id) if doc_id is not None else None
        return cast(LedgerEntry, dict(doc)) if doc is not None else None

    def ledger_put(self, key: str, **fields: Any) -> None:
        """Create or update a ledger entry (reminders sent, summaries posted, …).

        The fields are the key's owner's to choose (JSON values; LedgerFields lists them).
        """
        doc_id = self._ledger_ids.get(key)
        if doc_id is not None:
            self._table(LEDGER).update(fields, doc_ids=[doc_id])
        else:
            self._ledger_ids[key] = self._table(LEDGER).insert({"key": key, **fields})

    def ledger(self, prefix: str = "") -> Iterator[LedgerEntry]:
        for _, doc in self._table(LEDGER).raw_docs():
            if doc["key"].startswith(prefix):
                yield cast(LedgerEntry, dict(doc))

    # -- which bot message is about which task ----------------------------------------------
    def remember_message(
        self,
        chat_id: int,
        message_id: int,
        *,
        task: int,
        unit: str | None = None,
        kind: str = "card",
    ) -> None:
        """Remember that a bot message concerns task (and unit), so replies to it count.

        A message about several tasks (a morning digest) is remembered once per task.
        """
        refs = self._refs.setdefault((chat_id, message_id), [])
        if (task, unit) in refs:
            return
        row: MessageRow = {
            "chat": chat_id,
            "msg": message_id,
            "task": task,
            "unit": unit,
            "kind": kind,
        }
        self._table(MESSAGES).insert(row)
        refs.append((task, unit))

    def forget_message(self, chat_id: int, message_id: int) -> None:
        """Forget what a bot message is about (it was edited: a list became a card, or back).

        Appends a marker rather than removing rows, so the table stays append-only.
        """
        if self._refs.pop((chat_id, message_id), None) is None:
            return
        row: MessageRow = {
            "chat": chat_id,
            "msg": message_id,
            "task": None,
            "unit": None,
            "kind": "forget",
        }
        self._table(MESSAGES).insert(row)

    def message_refs(self, chat_id: int, message_id: int) -> list[MessageRef]:
        """Every (task, unit) a bot message is about; [] for a message the bot does not know."""
        return list(self._refs.get((chat_id, message_id), ()))

    def message_ref(
        self, chat_id: int, message_id: int, task: int | None = None
    ) -> MessageRef | None:
        """The (task, unit) a bot message is about: the one for `task` when given, otherwise
        the message's only task (None when it covers several and the caller must ask)."""
        refs = self._refs.get((chat_id, message_id), [])
        if task is not None:
            return next((ref for ref in refs if ref[0] == task), None)
        return refs[0] if len({t for t, _ in refs}) == 1 else None
