"""Evidence files (佐证材料): which files are accepted, where they are kept, and their records.

A file is vetted on its declared name, MIME type and size before anything is downloaded,
downloaded into a temp file inside its final directory, then hashed, fsynced and renamed into
place under a name the bot makes; only then is it recorded. Nothing from the sender's file
name ever becomes part of a path.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.features.errors import CodedError
from bot.plan.refs import REF_IN_TEXT, Ref, find_ref
from bot.store import Store
from bot.store.journal import fsync_dir
from bot.store.records import EventDetails, EvidenceRecord, EvidenceRow, MilestoneRow

MAX_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
DISPLAY_NAME_MAX = 80
TEMP_PREFIX = ".part-"

KIND_LABELS = {"office": "办公文档", "pdf": "PDF", "image": "图片", "archive": "压缩包"}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "office": (
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "odt",
        "ods",
        "odp",
        "txt",
        "csv",
        "rtf",
    ),
    "pdf": ("pdf",),
    "image": ("jpg", "jpeg", "png", "gif", "webp", "bmp", "heic", "tif", "tiff"),
    "archive": ("zip", "rar", "7z", "tar", "gz", "tgz"),
}
KIND_OF_EXT = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}

# Clients send these when they do not know a file's type; the extension then decides.
GENERIC_MIME = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
)
_ZIP_MIME = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
_MIME_EXACT: dict[str, frozenset[str]] = {
    "office": frozenset(
        {
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.ms-office",
            "application/vnd.ms-works",
            "application/rtf",
            "application/x-rtf",
            "application/csv",
            "application/vnd.wps-office",
            "application/kswps",
            "application/kset",
            "application/ksdps",
            "application/wps-office.doc",
            "application/wps-office.docx",
            "application/wps-office.xls",
            "application/wps-office.xlsx",
            "application/wps-office.ppt",
            "application/wps-office.pptx",
            "application/wps-office.wps",
            "application/wps-office.et",
            "application/wps-office.dps",
            "application/x-cfb",
            "text/plain",
            "text/csv",
            "text/rtf",
            "text/comma-separated-values",
            "text/x-csv",
        }
    )
    | _ZIP_MIME,  # OOXML and ODF files are zip containers and some clients say so
    "pdf": frozenset({"application/pdf", "application/x-pdf", "application/acrobat"}),
    "image": frozenset(),  # any image/* type
    "archive": _ZIP_MIME
    | frozenset(
        {
            "application/x-rar-compressed",
            "application/vnd.rar",
            "application/x-rar",
            "application/x-7z-compressed",
            "application/x-tar",
            "application/x-gtar",
            "application/gzip",
            "application/x-gzip",
            "application/x-compressed-tar",
            "application/x-compressed",
        }
    ),
}
_MIME_PREFIXES: dict[str, tuple[str, ...]] = {
    "office": (
        "application/vnd.openxmlformats-officedocument.",
        "application/vnd.oasis.opendocument.",
        "application/vnd.ms-",
    ),
    "pdf": (),
    "image": ("image/",),
    "archive": (),
}
# Executable headers (PE, ELF, Mach-O): refused whatever the name says.
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
CAPTION_MAX = 1024  # Telegram's own caption limit
_UNSAFE_DISPLAY = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069/\\]")


def task_in_caption(caption: str | None) -> Ref | None:
    """`#18 承诺制工作方案` → the ref #18 (`#B18`: plan B's), naming the task a file is for."""
    found = find_ref(caption)
    return found[0] if found else None


class EvidenceError(CodedError, ValueError):
    """A file that cannot be taken: `code` is "type", "mismatch" (an accepted extension but a
    declared MIME type of another kind; info: ext, mime), "size", "empty" or "content"."""


@dataclass(frozen=True)
class Vetted:
    """A file that passed the checks made before downloading it."""

    ext: str
    kind: str
    display_name: str
    mime_type: str
    declared_size: int | None


@dataclass(frozen=True)
class Saved:
    """The outcome of keeping a file: its record, whether it was a duplicate, the file count."""

    record: EvidenceRecord
    duplicate: bool
    count: int


def accepted_kinds() -> list[tuple[str, list[str]]]:
    """(label, extensions) per accepted kind, for the refusal message."""
    return [(KIND_LABELS[kind], list(exts)) for kind, exts in EXTENSIONS.items()]


def extension_of(file_name: str | None) -> str:
    """The lowercased extension of a file name ("" when it has none)."""
    base = re.split(r"[/\\]", (file_name or "").replace("\x00", ""))[-1].strip().rstrip(".")
    if "." not in base:
        return ""
    return base.rsplit(".", 1)[1].strip().lower()


def _mime_fits(kind: str, mime: str) -> bool:
    if mime in GENERIC_MIME or mime in _MIME_EXACT[kind]:
        return True
    return any(mime.startswith(prefix) for prefix in _MIME_PREFIXES[kind])


def display_name(file_name: str | None, fallback: str = "文件") -> str:
    """The sender's file name made safe to show: no path, no control or bidi characters, short."""
    name = unicodedata.normalize("NFC", file_name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_DISPLAY.sub("", name).strip().strip(".").strip() or fallback
    if len(name) > DISPLAY_NAME_MAX:
        ext = extension_of(name)
        keep = DISPLAY_NAME_MAX - len(ext) - 2
        name = f"{name[:keep]}…" + (f".{ext}" if ext and len(ext) <= 10 else "")
    return name


def caption_text(caption: str | None) -> str | None:
    """What a sender wrote with a file, without the `#N` naming its task; None when nothing.

    `#18 告知承诺制度文件（修订版）` → `告知承诺制度文件（修订版）`.
    """
    text = REF_IN_TEXT.sub("", unicodedata.normalize("NFC", caption or ""), count=1)
    text = " ".join(text.split())
    return text[:CAPTION_MAX] or None


def vet(file_name: str | None, mime_type: str | None, file_size: int | None) -> Vetted:
    """Check a file's declared name, type and size before download; raises EvidenceError."""
    ext = extension_of(file_name)
    kind = KIND_OF_EXT.get(ext)
    mime = (mime_type or "").strip().lower().split(";")[0]
    if kind is None:
        raise EvidenceError("type", ext or mime)
    if not _mime_fits(kind, mime):
        # The name says one kind, the sending app declared another (a renamed program, or an
        # app that mislabels): the extension is fine, the mismatch is why it is refused.
        raise EvidenceError("mismatch", mime, ext=ext, mime=mime[:60], kind=KIND_LABELS[kind])
    if file_size is not None and file_size > MAX_BYTES:
        raise EvidenceError("size", str(file_size))
    if file_size == 0:
        raise EvidenceError("empty")
    return Vetted(ext, kind, display_name(file_name), mime or "application/octet-stream", file_size)


def vet_photo(file_size: int | None, taken_at: datetime) -> Vetted:
    """A Telegram photo has no name: it is a JPEG the bot names after the time it came."""
    if file_size is not None and file_size > MAX_BYTES:
        raise EvidenceError("size", str(file_size))
    name = f"照片-{taken_at:%Y%m%d-%H%M%S}.jpg"
    return Vetted("jpg", "image", name, "image/jpeg", file_size)


def unit_slug(unit: str) -> str:
    """A short ASCII directory name for a unit (a hash: unit names are Chinese)."""
    return "u" + hashlib.sha256(unit.encode("utf-8")).hexdigest()[:10]


def evidence_root(data_dir: Path) -> Path:
    return Path(data_dir) / "evidence"


def unit_dir(data_dir: Path, task_id: int, unit: str) -> Path:
    """DUBAN_DATA_DIR/evidence/<task>/<unit-slug>, created if missing."""
    path = evidence_root(data_dir) / str(int(task_id)) / unit_slug(unit)
    path.mkdir(parents=True, exist_ok=True)
    return path


def remove_partial_downloads(data_dir: Path) -> int:
    """Delete temp files a crash left behind mid-download (never recorded, so never acked)."""
    removed = 0
    for leftover in evidence_root(data_dir).glob(f"*/*/{TEMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def temp_path(data_dir: Path, task_id: int, unit: str) -> Path:
    """A fresh temp file in the final directory (so the rename stays on one filesystem)."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=unit_dir(data_dir, task_id, unit))
    os.close(fd)
    return Path(name)


def find_duplicate(
    store: Store,
    task_id: int,
    unit: str,
    *,
    sha256: str | None = None,
    file_unique_id: str | None = None,
) -> EvidenceRecord | None:
    """An earlier record of the same file for this task and unit."""
    for record in store.evidence.records(task_id, unit):
        if (sha256 and record["sha256"] == sha256) or (
            file_unique_id and record.get("file_unique_id") == file_unique_id
        ):
            return record
    return None


def records(store: Store) -> list[EvidenceRecord]:
    """Every evidence record, in the order kept."""
    return store.evidence.records()


def list_evidence(store: Store, task_id: int, unit: str | None = None) -> list[EvidenceRecord]:
    """The evidence records of a task (of one unit when given), oldest first."""
    out = store.evidence.records(task_id, unit)
    return sorted(out, key=lambda r: (r["at"], r["id"]))


def count_evidence(store: Store, task_id: int, unit: str) -> int:
    return len(store.evidence.records(task_id, unit))


def _hash_and_sync(path: Path) -> tuple[str, int, bytes]:
    """sha256, size and first bytes of a file, flushed to disk."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb+") as fh:
        while chunk := fh.read(1 << 20):
            if not head:
                head = chunk[:8]
            digest.update(chunk)
            size += len(chunk)
        os.fsync(fh.fileno())
    return digest.hexdigest(), size, head


def final_name(at: datetime, sha256: str, ext: str) -> str:
    """<YYYYMMDD-HHMMSS>-<sha8>.<ext>: made by the bot, the extension from the accepted list."""
    if ext not in KIND_OF_EXT:
        raise EvidenceError("type", ext)
    return f"{at:%Y%m%d-%H%M%S}-{sha256[:8]}.{ext}"


def keep_file(
    store: Store,
    data_dir: Path,
    temp: Path,
    vetted: Vetted,
    *,
    task_id: int,
    unit: str,
    at: datetime,
    uploader: int,
    uploader_name: str,
    chat_id: int | None = None,
    message_id: int | None = None,
    file_unique_id: str | None = None,
    caption: str | None = None,
    milestone: MilestoneRow | None = None,
    replace: Callable[[Path, Path], object] = os.replace,
) -> Saved:
    """Move a downloaded temp file into place and record it (or recognise it as a duplicate).

    The temp file is gone afterwards either way. Runs without awaiting, so no other update can
    interleave between the duplicate check and the record. `replace` (the atomic rename) is for
    tests.
    """
    root = evidence_root(data_dir).resolve()
    try:
        sha, size, head = _hash_and_sync(temp)
        if size == 0:
            raise EvidenceError("empty")
        if size > MAX_BYTES:
            raise EvidenceError("size", str(size))
        if head.startswith(_EXECUTABLE_MAGIC):
            raise EvidenceError("content", "executable")
        earlier = find_duplicate(store, task_id, unit, sha256=sha)
        if earlier is not None:
            return Saved(earlier, True, count_evidence(store, task_id, unit))
        folder = unit_dir(data_dir, task_id, unit)
        target = folder / final_name(at, sha, vetted.ext)
        n = 1
        while target.exists():  # same second and same 8 hex digits, yet another file
            n += 1
            target = folder / final_name(at, sha, vetted.ext).replace(".", f"-{n}.", 1)
        if not target.resolve().is_relative_to(root):  # belt and braces: names are ours
            raise EvidenceError("type", "path")
        replace(temp, target)
        fsync_dir(folder)
    finally:
        temp.unlink(missing_ok=True)
    record: EvidenceRow = {
        "task": task_id,
        "unit": unit,
        "name": vetted.display_name,
        "path": target.relative_to(Path(data_dir)).as_posix(),
        "size": size,
        "mime": vetted.mime_type,
        "kind": vetted.kind,
        "sha256": sha,
        "file_unique_id": file_unique_id,
        "uploader": uploader,
        "uploader_name": uploader_name,
        "at": at.isoformat(timespec="seconds"),
        "chat": chat_id,
        "message": message_id,
        "caption": caption,
    }
    details: EventDetails = {"file": 0, "file_size": size, "sha256": sha}
    if milestone is not None:  # the file proves a milestone just reported done
        record["milestone"] = milestone
        details["milestone"] = milestone
    doc_id = store.evidence.add(record)
    details["file"] = doc_id
    count = count_evidence(store, task_id, unit)
    # The history names the file itself (name, size, hash, caption), not just that one came.
    store.parts.update_state(
        task_id,
        unit,
        at=at,
        actor=uploader,
        event="evidence",
        details=details,
        evidence_count=count,
        last_evidence=vetted.display_name,
        last_caption=caption,
    )
    return Saved({"id": doc_id, **record}, False, count)


def discard(temp: Path) -> None:
    """Remove a temp file after a failed download."""
    temp.unlink(missing_ok=True)


def format_size(size: int) -> str:
    """1536 → "1.5 KB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
