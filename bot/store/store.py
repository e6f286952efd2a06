"""The unit of work over one data directory: its lock, its journal, and its repositories.

One process owns a data directory (an flock'd lock file); read-only commands open it without
the lock and see every acknowledged write. Each aggregate has its repository, the one module
that reads and writes its tables (README, "Architecture"): `store.plan`, `store.parts`,
`store.history`, `store.people`, `store.deliveries`, `store.intake`, `store.office`, and the
features' `store.evidence`, `store.reviews`, `store.metrics`, `store.campaign`. Every change of
state appends an event to the history (who, unit, task, when, what). Callers that read, await,
then write must hold `store.lock` (an asyncio.Lock) around the whole sequence.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.plan import load_plan, refs
from bot.store.backup import make_backup, snapshot_bytes
from bot.store.campaign import Campaign
from bot.store.deliveries import Deliveries
from bot.store.evidence import EvidenceFiles
from bot.store.history import ARCHIVE_DIR, History
from bot.store.intake import Intake
from bot.store.journal import JournalDB, JournalStorage, JournalTable
from bot.store.metrics import Metrics
from bot.store.office import Office
from bot.store.parts import Parts
from bot.store.people import People
from bot.store.plan import ImportResult, PlanTasks, Responsible
from bot.store.plans import PlanInfo, Plans
from bot.store.repository import Repository, Sources
from bot.store.reviews import Reviews

__all__ = ["ImportResult", "Origin", "Responsible", "Store", "StoreLocked"]

T = TypeVar("T")

LOCK_FILE = "duban.lock"


# Records a handler inserts carry the id of the update being handled ("upd"), so that handling
# the same update again after a crash or a failure finds what the first attempt wrote.
_ORIGIN: ContextVar[Origin | None] = ContextVar("duban_origin", default=None)
# Tables of the intake itself, and records keyed by their own identity (re-inserting is harmless).
UNTRACKED_TABLES = frozenset({"intake", "updates_seen", "parked", "ledger", "messages", "meta"})


@dataclass
class Origin:
    """The update whose handling is writing now; `replay` when an earlier attempt may have."""

    update_id: int
    replay: bool = False
    earlier: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    used: Counter[tuple[str, Any, Any, Any]] = field(default_factory=Counter)


def _signature(table: str, doc: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    return table, doc.get("kind"), doc.get("task"), doc.get("unit")


def _legacy_title(source: object) -> str:
    """The title of the plan a store from before plans was loaded from, if its file is there."""
    path = Path(str(source)) if source else None
    if path is None or not path.is_file():
        return ""
    return load_plan(path).title


class StoreLocked(RuntimeError):
    """Another `duban run` holds this data directory."""


class Store:
    """The TinyDB database in one data directory, one journal under every repository."""

    def __init__(
        self,
        data_dir: Path,
        *,
        read_only: bool = False,
        fsync: bool = True,
        datasync: Callable[[int], None] = os.fdatasync,
        backups: Path | None = None,
    ) -> None:
        """`backups`: where a backup goes before an upgrade rewrites the store (default:
        the data directory's `backups`)."""
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        self._lock_fh: Any = None
        if not read_only:
            self._acquire_lock()
        self.db = JournalDB(
            self.dir, storage=JournalStorage, read_only=read_only, fsync=fsync, datasync=datasync
        )
        self.lock = asyncio.Lock()
        self._derived: dict[str, tuple[Hashable, Any]] = {}  # see derived()
        # the repositories, each over its own tables (a repository may ask the ones before it)
        self.office = Office(self)
        self.history = History(self, archives=self.dir / ARCHIVE_DIR, fsync=fsync)
        self.parts = Parts(self, self.history)
        self.plans = Plans(self, self.history, self.office)
        self.plan = PlanTasks(self, self.history, self.parts, self.office, self.plans)
        self.people = People(self, self.history, self.office)
        self.deliveries = Deliveries(self)
        self.intake = Intake(self)
        self.evidence = EvidenceFiles(self)
        self.reviews = Reviews(self)
        self.metrics = Metrics(self)
        self.campaign = Campaign(self)
        self._upgrade(backups if backups is not None else self.dir / "backups")
        self._settle_history()
        refs.use(self.plan.naming)

    def _upgrade(self, backups: Path) -> None:
        """Bring a store written by an earlier release to today's shape, nothing lost: one
        holding a single plan gets its plan record, as plan A (a backup is taken first)."""
        has_tasks = self.plan.has_plan()
        if not has_tasks or len(self.plans.all()):
            return
        title = _legacy_title(self.office.meta("plan_source"))
        at = datetime.now().astimezone()
        if self.read_only:
            self.plans.legacy(has_tasks=has_tasks, title=title, at=at)
            return
        make_backup(self.dir, backups, at=at, snapshot=snapshot_bytes(self))
        with self.batch():
            self.plans.migrate(has_tasks=has_tasks, title=title, at=at)

    # -- closing a plan --------------------------------------------------------------------------
    def close_plan(self, code: str, *, at: datetime, actor: int | str | None) -> PlanInfo:
        """Close plan `code` (`plans.close`, refusals included) and move its tasks' history out
        of the store into the plan's own journal, so it no longer weighs on the active plans;
        every task's whole history stays readable (`history.events(task=…)`)."""
        plan = self.plans.close(code, at=at, actor=actor)
        self.history.archive(plan.slot, self._task_keys(plan.slot))
        return plan

    def reopen_plan(self, code: str, *, at: datetime, actor: int | str | None) -> PlanInfo:
        """Reopen plan `code` (`plans.reopen`) and bring its history back into the store."""
        plan = self.plans.reopen(code, at=at, actor=actor)
        self.history.restore(plan.slot)
        return plan

    def _task_keys(self, slot: int) -> list[int]:
        return [t.id for t in self.plan.tasks(plan=slot, include_archived=True)]

    def _settle_history(self) -> None:
        """Finish a move of a plan's history that was cut short (kill -9), or never made (a
        plan closed or reopened through `plans` alone): a closed plan's history is in its
        archive, an active plan's in the store."""
        if self.read_only:
            return
        archived = self.history.archived()
        for plan in self.plans.all():
            if not plan.active:
                keys = self._task_keys(plan.slot)
                if self.history.needs_archive(plan.slot, keys):
                    self.history.archive(plan.slot, keys)
            elif plan.slot in archived:
                self.history.restore(plan.slot)

    def repositories(self) -> list[Repository]:
        """Every repository of this store (each owns its `tables`)."""
        return [r for r in vars(self).values() if isinstance(r, Repository)]

    # -- lifecycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path | str, *, read_only: bool = False) -> Store:
        return cls(Path(data_dir), read_only=read_only)

    def _acquire_lock(self) -> None:
        self._lock_fh = (self.dir / LOCK_FILE).open("a+")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.seek(0)
            holder = self._lock_fh.read().strip() or "?"
            self._lock_fh.close()
            self._lock_fh = None
            raise StoreLocked(
                f"data directory {self.dir} is in use by another duban process (pid {holder})"
            ) from None
        self._lock_fh.seek(0)
        self._lock_fh.truncate()
        self._lock_fh.write(str(os.getpid()))
        self._lock_fh.flush()

    def close(self) -> None:
        self.db.close()
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def table(self, name: str) -> JournalTable:
        """A TinyDB table of this store: for the repositories (and tests), no one else."""
        return self.db.table(name)  # type: ignore[return-value]

    @property
    def _storage(self) -> JournalStorage:
        return self.db.storage  # type: ignore[return-value]

    def batch(self) -> AbstractContextManager[None]:
        """Several writes made durable by one fsync at the end (no awaits inside)."""
        return self._storage.one_sync()

    def deferred(self) -> AbstractContextManager[None]:
        """Writes kept at once (a crash of the process loses none) but fsynced by the next
        `sync()`: bookkeeping that may wait a moment for power-cut durability (no awaits)."""
        return self._storage.deferred()

    def sync(self) -> None:
        """Make every write so far durable (callable from a worker thread)."""
        self._storage.sync()

    def unsynced(self) -> bool:
        """Whether a deferred write is not yet durable."""
        return self._storage.unsynced()

    def version(self, *sources: Repository | str) -> tuple[tuple[int, int], ...]:
        """The change counters of the repositories' tables (or of tables named inside
        bot/store): a value derived from them is current while this is."""
        names = [n for s in sources for n in ((s,) if isinstance(s, str) else s.tables)]
        return tuple(self._storage.version(name) for name in names)

    def derived(self, name: str, sources: Sources, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, remembered while the `sources` (repositories) are unchanged and `key`
        is the same: for a view read far more often than the records behind it change (the
        /status overview). The value is shared: callers must not change it."""
        full = (self.version(*sources), key)
        hit = self._derived.get(name)
        if hit is not None and hit[0] == full:
            return cast(T, hit[1])
        value = compute()
        self._derived[name] = (full, value)
        return value

    # -- applying an update once --------------------------------------------------------------
    @contextmanager
    def origin(self, update_id: int, *, replay: bool) -> Iterator[Origin]:
        """Writes inside come from handling update `update_id` (per asyncio task).

        With `replay` (an earlier attempt may have written), the n-th record of a kind about a
        task and unit that the earlier attempt already wrote is found instead of written again.
        """
        found = Origin(update_id, replay)
        if replay:
            for name in self.db.tables():
                if name in UNTRACKED_TABLES:
                    continue
                for doc_id, doc in self.table(name).raw_docs():
                    if doc.get("upd") == update_id:
                        found.earlier.setdefault(name, []).append((doc_id, doc))
        token = _ORIGIN.set(found)
        try:
            yield found
        finally:
            _ORIGIN.reset(token)

    def insert_once(self, table: str, doc: Mapping[str, Any]) -> int:
        """Insert a record made while handling an update: once, however often it is handled.

        The record (a dict: a row TypedDict) gains the update's id under "upd" in place.
        """
        return self.insert_once_found(table, doc)[0]

    def insert_once_found(self, table: str, doc: Mapping[str, Any]) -> tuple[int, bool]:
        """`insert_once`, and whether the record is new (False: an earlier attempt's)."""
        origin = _ORIGIN.get()
        if origin is None or table in UNTRACKED_TABLES:
            return self.table(table).insert(doc), True
        assert isinstance(doc, dict)  # every row TypedDict is one
        doc["upd"] = origin.update_id
        if origin.replay:
            signature = _signature(table, doc)
            nth = origin.used[signature]
            origin.used[signature] += 1
            same = [
                i for i, d in origin.earlier.get(table, ()) if _signature(table, d) == signature
            ]
            if nth < len(same) and self.table(table).contains(doc_id=same[nth]):
                return same[nth], False
        return self.table(table).insert(doc), True
