"""What a file is, by its content: Word, Excel, PDF, an old binary office file, or text.

A .docx and an .xlsx are both zip files; the parts inside tell them apart. The extension is
only a hint: an image renamed .docx is still an image.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

Kind = Literal["docx", "xlsx", "pdf", "ole", "zip", "text"]

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, .et, .xls
_PDF = b"%PDF"
OLD_SUFFIXES = {".doc": "docx", ".wps": "docx", ".xls": "xlsx", ".et": "xlsx", ".dps": "docx"}


def kind_of(path: Path, data: bytes) -> Kind:
    """The file's format, from its first bytes and, for zips, the parts it holds."""
    if data.startswith(_PDF) or (b"%PDF-" in data[:1024] and path.suffix.lower() == ".pdf"):
        return "pdf"
    if data.startswith(_OLE):
        return "ole"
    if data.startswith(_ZIP):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            # a damaged zip: trust the extension, so the message names the right kind of file
            suffix = path.suffix.lower()
            return (
                "docx" if suffix == ".docx" else "xlsx" if suffix in (".xlsx", ".xlsm") else "zip"
            )
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    return "text"


def old_format_message(path: Path) -> str:
    """The message for an old binary office file."""
    suffix = path.suffix.lower()
    target = ".xlsx" if OLD_SUFFIXES.get(suffix) == "xlsx" else ".docx"
    return (
        f"“{path.name}”是旧版 Office/WPS 二进制格式（.doc/.wps/.xls/.et），无法直接读取；"
        f"请在 Word、WPS 或 Excel 中另存为 {target}（或 .xlsx 表格）后再试"
    )


def convert_old(path: Path, workdir: Path) -> Path | None:
    """The file converted to .docx/.xlsx by LibreOffice when `soffice` is on PATH, else None."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    target = OLD_SUFFIXES.get(path.suffix.lower(), "docx")
    try:
        subprocess.run(
            [soffice, "--headless", "--convert-to", target, "--outdir", str(workdir), str(path)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = workdir / f"{path.stem}.{target}"
    return out if out.is_file() else None


def temporary_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="duban-convert-")
