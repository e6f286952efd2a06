"""Backups: one `.tar.gz` of the store and the evidence files, with a sha256 manifest.

The store part is a consistent snapshot: the tables as one whole state (`duban.json`, seq
included, no journal), taken from a store open in this process under its storage lock, or
from a read-only open, which reads snapshot + journal up to the last whole entry and retries
when a compaction replaces the snapshot meanwhile. Evidence files are moved into place before
their record is written, so every file the snapshot names exists when the directory is walked
afterwards. A closed plan's history (`plans/<slot>/`, bot/store/history.py) is written whole
before the store records it and is never removed, so the files the snapshot's record names are
there too. `restore` writes only into an empty data directory and only what the manifest
names, verified; members that are links, absolute or leave the directory are refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from bot.store.history import ARCHIVE_DIR
from bot.store.journal import JOURNAL, SNAPSHOT, JournalStorage, fsync_dir

MANIFEST = "manifest.json"
FORMAT = "duban-backup/1"
EVIDENCE = "evidence"
PREFIX = "duban-"
SUFFIX = ".tar.gz"
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup that cannot be made, read or restored; the message says why, in one line."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    files: int
    bytes: int


def _sha256_file(fh: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class _Stored(Protocol):
    """A store (bot.store.store.Store, which opens this module to back up before upgrading)."""

    @property
    def db(self) -> Any: ...


def snapshot_bytes(store: _Stored | JournalStorage) -> bytes:
    """The store's whole state as a snapshot file's bytes (consistent: under its lock)."""
    storage: JournalStorage = store if isinstance(store, JournalStorage) else store.db.storage
    with storage._lock:  # noqa: SLF001  # no write can interleave with the dump
        text = json.dumps(
            {"seq": storage._seq, "tables": storage.read()},  # noqa: SLF001
            ensure_ascii=False,
            separators=(",", ":"),
        )
    return text.encode("utf-8")


def _evidence_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    root = data_dir / EVIDENCE
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue  # partial downloads (.part) and anything not a plain file
            yield path.relative_to(data_dir).as_posix(), path


def _archive_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """The closed plans' journals: `plans/<slot>/duban.json` (and a journal not yet emptied)."""
    root = data_dir / ARCHIVE_DIR
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.name.isdigit() and p.is_dir()):
        for name in (SNAPSHOT, JOURNAL):
            path = folder / name
            if path.is_file() and not path.is_symlink() and path.stat().st_size:
                yield path.relative_to(data_dir).as_posix(), path


def backup_name(at: datetime) -> str:
    return f"{PREFIX}{at.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"


def make_backup(
    data_dir: Path, dest_dir: Path, *, at: datetime, snapshot: bytes | None = None
) -> BackupInfo:
    """Write one backup of `data_dir` into `dest_dir` (atomically: temp file, then rename).

    `snapshot`: the store's state taken by `snapshot_bytes` (the running bot takes it on its
    event loop, then writes the archive in a thread); else the store is opened read-only.
    """
    data_dir, dest_dir = Path(data_dir), Path(dest_dir)
    if snapshot is None:
        if not (data_dir / SNAPSHOT).exists() and not any(data_dir.glob("duban.*")):
            raise BackupError(f"no duban store in {data_dir}")
        reader = JournalStorage(data_dir, read_only=True)
        try:
            snapshot = snapshot_bytes(reader)
        finally:
            reader.close()
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / backup_name(at)
    n = 1
    while target.exists():
        n += 1
        target = dest_dir / backup_name(at).replace(SUFFIX, f"-{n}{SUFFIX}")
    tmp = dest_dir / f".{target.name}.tmp"
    files: dict[str, dict[str, Any]] = {
        SNAPSHOT: {"sha256": hashlib.sha256(snapshot).hexdigest(), "size": len(snapshot)}
    }
    total = len(snapshot)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            _add_bytes(tar, SNAPSHOT, snapshot, at)
            for name, path in (*_archive_files(data_dir), *_evidence_files(data_dir)):
                # one open file: the bytes hashed are the bytes archived, even when a closed
                # plan's journal is replaced by a new one meanwhile
                with path.open("rb") as fh:
                    sha, size = _sha256_file(fh)
                    fh.seek(0)
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = (
                        size,
                        int(os.fstat(fh.fileno()).st_mtime),
                        0o644,
                    )
                    tar.addfile(info, fh)
                files[name] = {"sha256": sha, "size": size}
                total += size
            manifest = {"format": FORMAT, "created": at.isoformat(), "files": files}
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode(), at)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(dest_dir)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupInfo(target, len(files), total)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, at: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(at.timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))


def prune(dest_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups in `dest_dir`; the removed ones."""
    found = sorted(
        (p for p in Path(dest_dir).glob(f"{PREFIX}*{SUFFIX}") if p.is_file()),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    removed = found[: max(0, len(found) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# -- reading ------------------------------------------------------------------------------
def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return (
        bool(name)
        and not pure.is_absolute()
        and ".." not in pure.parts
        and "\\" not in name
        and pure.parts[0] in (SNAPSHOT, MANIFEST, EVIDENCE, ARCHIVE_DIR)
        and (len(pure.parts) == 1) == (pure.parts[0] not in (EVIDENCE, ARCHIVE_DIR))
        and (
            pure.parts[0] != ARCHIVE_DIR
            or (
                len(pure.parts) == 3
                and pure.parts[1].isdigit()
                and pure.parts[2] in (SNAPSHOT, JOURNAL)
            )
        )
    )


def _members(path: Path) -> Iterator[tuple[tarfile.TarInfo, bytes | None, tarfile.TarFile]]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                yield member, None, tar
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{path}: not a readable .tar.gz ({exc})") from None


def check_backup(path: Path) -> dict[str, Any]:
    """Verify every member against the manifest; the manifest, or BackupError naming what."""
    manifest, seen = _read_manifest(path), set()
    files: dict[str, Any] = manifest["files"]
    for member, _, tar in _members(path):
        _check_member(path, member)
        if member.name == MANIFEST:
            continue
        expected = files.get(member.name)
        if expected is None:
            raise BackupError(f"{path}: {member.name}: not in the manifest")
        if member.name in seen:
            raise BackupError(f"{path}: {member.name}: twice in the archive")
        digest = _digest(tar, member, path)
        if digest != (expected["sha256"], expected["size"]):
            raise BackupError(f"{path}: {member.name}: damaged (sha256 does not match)")
        seen.add(member.name)
    missing = sorted(set(files) - seen)
    if missing:
        raise BackupError(f"{path}: {missing[0]}: missing from the archive")
    return manifest


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    if not member.isfile():
        raise BackupError(f"{path}: {member.name}: not a plain file (links are refused)")
    if not _safe_name(member.name):
        raise BackupError(f"{path}: {member.name}: unsafe path")


def _digest(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> tuple[str, int]:
    fh = tar.extractfile(member)
    if fh is None:
        raise BackupError(f"{path}: {member.name}: unreadable")
    try:
        return _sha256_file(fh)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{path}: {member.name}: damaged ({exc})") from None


def _read_manifest(path: Path) -> dict[str, Any]:
    if not Path(path).is_file():
        raise BackupError(f"{path}: no such file")
    for member, _, tar in _members(path):
        if member.name != MANIFEST:
            continue
        _check_member(path, member)
        fh = tar.extractfile(member)
        try:
            manifest = json.loads(fh.read() if fh else b"")
        except (ValueError, OSError, tarfile.TarError, EOFError):
            raise BackupError(f"{path}: {MANIFEST}: damaged") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: {MANIFEST}: not a duban backup")
        if not isinstance(manifest.get("files"), dict) or SNAPSHOT not in manifest["files"]:
            raise BackupError(f"{path}: {MANIFEST}: lists no store")
        return manifest
    raise BackupError(f"{path}: no {MANIFEST}: not a duban backup")


def restore_backup(path: Path, data_dir: Path) -> dict[str, Any]:
    """Restore into an empty `data_dir`, every member verified first; the manifest."""
    data_dir = Path(data_dir)
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} is not empty: restore only into an empty data directory")
    manifest = check_backup(path)  # nothing is written from a damaged archive
    files = manifest["files"]
    data_dir.mkdir(parents=True, exist_ok=True)
    root = data_dir.resolve()
    for member, _, tar in _members(path):
        _check_member(path, member)
        if member.name == MANIFEST:
            continue
        target = (data_dir / member.name).resolve()
        if not target.is_relative_to(root):
            raise BackupError(f"{path}: {member.name}: unsafe path")
        target.parent.mkdir(parents=True, exist_ok=True)
        fh = tar.extractfile(member)
        assert fh is not None  # checked above
        digest = hashlib.sha256()
        with open(target, "xb") as out:  # never over an existing file
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != files[member.name]["sha256"]:
            raise BackupError(f"{path}: {member.name}: damaged (sha256 does not match)")
    for folder in {data_dir, *(p.parent for p in data_dir.rglob("*") if p.is_file())}:
        fsync_dir(folder)
    JournalStorage(data_dir, read_only=True).close()  # it opens
    return manifest
