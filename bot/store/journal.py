"""TinyDB storage that survives kill -9: in-memory tables, an fsynced journal, compaction.

TinyDB's stock JSONStorage rewrites (and re-reads) the whole file on every call and truncates
last, so a kill mid-write can leave an unreadable file, and cost grows with history. Here each
change appends one JSON line of only the touched documents and fsyncs it before returning; the
snapshot is rewritten by temp file + fsync + os.replace + directory fsync, and only at open and
close (or when the journal grows large), so a write costs the same at 1k and at 100k records.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

SNAPSHOT = "duban.json"
JOURNAL = "duban.journal"
COMPACT_BYTES = 64 * 1024 * 1024


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in the directory durable (fsync the directory itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at `path` now (os.replace puts a new inode there)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


class JournalStorage(Storage):
    """A TinyDB Storage holding tables in memory, made durable by an append-only journal."""

    def __init__(
        self,
        directory: str | Path,
        read_only: bool = False,
        fsync: bool = True,
        datasync: Callable[[int], None] = os.fdatasync,  # tests count the syncs
    ) -> None:
        self.dir = Path(directory)
        self.read_only = read_only
        self.fsync = fsync
        self.datasync = datasync
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._journal: Any = None
        self._journal_bytes = 0
        self._unsynced: int | None = None  # inside one_sync(): writes not yet fdatasynced
        self._synced = 0  # the last sequence number known durable
        self._generation = 0  # loads and whole-database writes: every table changed
        self._versions: Counter[str] = Counter()  # changes per table since the last load
        self._load()

    # -- loading ---------------------------------------------------------------------------
    def _load(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.read_only:
            for leftover in self.dir.glob(f".{SNAPSHOT}.*.tmp"):
                leftover.unlink(missing_ok=True)
        snap = self.dir / SNAPSHOT
        # A reader racing the writer's compaction may pair the old snapshot with the emptied
        # journal; the snapshot being replaced meanwhile says so, and a second read is whole.
        for _ in range(10):
            before = _identity(snap)
            self._read(snap)
            if not self.read_only or _identity(snap) == before:
                break
        if not self.read_only:
            self._journal = (self.dir / JOURNAL).open("ab")

    def _read(self, snap: Path) -> None:
        self._tables, self._seq = {}, 0
        self._generation += 1
        if snap.exists():
            raw = json.loads(snap.read_text(encoding="utf-8") or "{}")
            self._tables = raw.get("tables", {})
            self._seq = int(raw.get("seq", 0))
        good_end = 0
        jpath = self.dir / JOURNAL
        if jpath.exists():
            with jpath.open("rb") as fh:
                for line in fh:
                    if not line.endswith(b"\n"):
                        break  # torn tail of a write that was never acknowledged
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        break
                    good_end += len(line)
                    if entry["s"] > self._seq:
                        self._apply(entry)
                        self._seq = entry["s"]
            if not self.read_only and good_end < jpath.stat().st_size:
                with jpath.open("r+b") as fh:
                    fh.truncate(good_end)
                    os.fsync(fh.fileno())
        self._journal_bytes = good_end
        self._synced = self._seq

    def _apply(self, entry: dict[str, Any]) -> None:
        if "db" in entry:
            self._tables = entry["db"]
            return
        table = self._tables.setdefault(entry["t"], {})
        for doc_id, doc in entry["c"].items():
            if doc is None:
                table.pop(doc_id, None)
            else:
                table[doc_id] = doc

    # -- Storage interface -----------------------------------------------------------------
    def read(self) -> dict[str, dict[str, Any]]:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Whole-database writes (drop_table and the like): rare, journalled whole."""
        self._tables = data
        self._generation += 1
        self._append({"db": data})

    def commit(self, table: str, changes: Mapping[str, Any]) -> None:
        """Journal the changed documents of one table (None = removed) durably."""
        self._versions[table] += 1
        self._append({"t": table, "c": dict(changes)})

    def _append(self, entry: dict[str, Any]) -> None:
        if self.read_only:
            raise PermissionError("store opened read-only")
        with self._lock:
            self._seq += 1
            entry["s"] = self._seq
            line = (_dumps(entry) + "\n").encode("utf-8")
            self._journal.write(line)
            self._journal.flush()
            if self._unsynced is not None:
                self._unsynced += 1
            elif self.fsync:
                self.datasync(self._journal.fileno())
                self._synced = self._seq
            self._journal_bytes += len(line)
        if self._journal_bytes > COMPACT_BYTES:
            self.compact()

    @contextmanager
    def one_sync(self) -> Iterator[None]:
        """Writes inside are journalled as usual but made durable by one fdatasync at the end.

        For many records that stand or fall together (a reminder sweep records several per
        message sent): a crash loses at most the batch, never part of an entry. No awaits inside.
        """
        with self._lock:
            outermost = self._unsynced is None
            try:
                with self._batch():
                    yield
            finally:
                if outermost:
                    self.sync()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Writes inside are journalled and flushed, so a crash of the process loses none, but
        made durable against a power cut only by the next `sync()` (or any synced write after
        them), not before returning: for bookkeeping that may wait a moment. No awaits inside."""
        with self._batch():
            yield

    @contextmanager
    def _batch(self) -> Iterator[None]:
        with self._lock:
            if self._unsynced is not None:  # nested: the outermost batch decides
                yield
                return
            self._unsynced = 0
            try:
                yield
            finally:
                self._unsynced = None

    def unsynced(self) -> bool:
        """Whether some write is not yet durable (a `deferred()` one)."""
        return self.fsync and self._journal is not None and self._synced < self._seq

    def sync(self) -> None:
        """Make every write so far durable. Safe from another thread: the journal stays open
        for writes meanwhile (its descriptor is duplicated, so a compaction cannot close it)."""
        with self._lock:
            target = self._seq
            if not self.fsync or self._journal is None or self._synced >= target:
                return
            fd = os.dup(self._journal.fileno())
        try:
            self.datasync(fd)
        finally:
            os.close(fd)
        with self._lock:
            self._synced = max(self._synced, target)

    def version(self, table: str) -> tuple[int, int]:
        """How often `table` changed since the last load: equal versions, equal contents."""
        return self._generation, self._versions[table]

    def compact(self) -> None:
        """Write a snapshot atomically, then empty the journal."""
        if self.read_only:
            return
        with self._lock:
            snap = self.dir / SNAPSHOT
            tmp = self.dir / f".{SNAPSHOT}.{os.getpid()}.tmp"
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(_dumps({"seq": self._seq, "tables": self._tables}))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, snap)
            fsync_dir(self.dir)
            # A crash here is harmless: replay skips journal entries the snapshot holds.
            self._journal.close()
            jpath = self.dir / JOURNAL
            with jpath.open("wb") as fh:
                os.fsync(fh.fileno())
            self._journal = jpath.open("ab")
            self._journal_bytes = 0
            self._synced = self._seq

    def close(self) -> None:
        if self._journal is not None:
            self.compact()
            self._journal.close()
            self._journal = None


class _TrackingView(MutableMapping[int, Any]):
    """The raw table seen with int ids, remembering every document an updater touched."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.touched: set[str] = set()

    def __getitem__(self, key: int) -> Any:
        doc = self.raw[str(key)]
        self.touched.add(str(key))  # updaters mutate documents in place after reading them
        return doc

    def __setitem__(self, key: int, value: Any) -> None:
        self.raw[str(key)] = value
        self.touched.add(str(key))

    def __delitem__(self, key: int) -> None:
        del self.raw[str(key)]
        self.touched.add(str(key))

    def __contains__(self, key: object) -> bool:
        return str(key) in self.raw

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in list(self.raw))

    def __len__(self) -> int:
        return len(self.raw)

    def changes(self) -> dict[str, Any]:
        return {k: self.raw.get(k) for k in self.touched}


class JournalTable(Table):
    """A TinyDB table whose writes cost O(changed documents), not O(table)."""

    _id_floor = 0

    def keep_ids_above(self, floor: int) -> None:
        """Number new documents above `floor`: ids once given to documents kept elsewhere now
        (a closed plan's history) are never given again."""
        self._id_floor = max(self._id_floor, floor)
        self._next_id = None

    def _get_next_id(self) -> int:
        next_id = int(super()._get_next_id())  # type: ignore[no-untyped-call]
        if next_id <= self._id_floor:
            next_id = self._id_floor + 1
            self._next_id = next_id + 1  # type: ignore[assignment]  # tinydb: int | None
        return next_id

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage = self._storage
        tables = storage.read()
        assert tables is not None  # JournalStorage always holds a dict
        raw = tables.setdefault(self.name, {})
        view = _TrackingView(raw)
        updater(view)  # type: ignore[arg-type]
        if view.touched:
            storage.commit(self.name, view.changes())  # type: ignore[attr-defined]
        self.clear_cache()

    def raw_docs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every document as stored, without copies: for fast scans in the store layer."""
        for key, doc in self._read_table().items():
            yield int(key), doc  # type: ignore[misc]


class JournalDB(TinyDB):
    table_class = JournalTable


def read_table(directory: Path, name: str) -> dict[str, Any]:
    """Table `name` of the journal in `directory` as it stands (read-only; {} if none)."""
    if not directory.is_dir():
        return {}
    return JournalStorage(directory, read_only=True).read().get(name, {})


def add_documents(
    directory: Path, name: str, docs: Mapping[int, Mapping[str, Any]], *, fsync: bool = True
) -> dict[int, Any]:
    """Add to table `name` of the journal in `directory` the `docs` it lacks, under their ids,
    in one entry, then write its snapshot whole (temp file, fsync, rename); every document
    the table holds now. A new directory is made durable in its parent."""
    fresh = not directory.exists()
    db = JournalDB(directory, storage=JournalStorage, fsync=fsync)
    try:
        table = cast(JournalTable, db.table(name))
        have = {doc_id for doc_id, _ in table.raw_docs()}
        table.insert_multiple(
            Document(dict(doc), doc_id=i) for i, doc in sorted(docs.items()) if i not in have
        )
        return dict(table.raw_docs())
    finally:
        db.close()
        if fresh and fsync:
            fsync_dir(directory.parent)
