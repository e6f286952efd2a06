"""The evidence core: what is accepted, where it is kept, duplicates, hostile names."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.features import evidence
from bot.features.evidence import EvidenceError
from bot.services import Services
from tests.prepared import writer_services

UNIT = "区司法局"
T0 = datetime(2021, 6, 10, 10, 30, 5)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with writer_services(tmp_path, T0, coordinators=frozenset({1})) as svc:
        yield svc


def keep(
    services: Services,
    data: bytes,
    name: str = "方案.pdf",
    mime: str = "application/pdf",
    **seams: Any,
):
    vetted = evidence.vet(name, mime, len(data))
    temp = evidence.temp_path(services.settings.data_dir, 18, UNIT)
    temp.write_bytes(data)
    return evidence.keep_file(
        services.store,
        services.settings.data_dir,
        temp,
        vetted,
        task_id=18,
        unit=UNIT,
        at=services.clock.now(),
        uploader=42,
        uploader_name="张三",
        chat_id=42,
        message_id=7,
        **seams,
    )


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("方案.pdf", "application/pdf"),
        ("表.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("表.xlsx", "application/zip"),
        ("文.wps", "application/octet-stream"),
        ("清单.csv", "text/csv"),
        ("照片.HEIC", "image/heic"),
        ("材料.7z", "application/x-7z-compressed"),
        ("材料.tar.gz", "application/gzip"),
        ("说明.txt", None),
    ],
)
def test_accepted_kinds(name: str, mime: str | None) -> None:
    vetted = evidence.vet(name, mime, 1000)
    assert vetted.ext == name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("setup.exe", "application/x-msdownload"),
        ("setup.exe", "application/octet-stream"),
        ("方案.pdf.exe", "application/pdf"),
        ("run.sh", "application/x-sh"),
        ("run.bat", "text/plain"),
        ("a.js", "application/javascript"),
        ("page.html", "text/html"),
        ("noext", "application/pdf"),
        ("", None),
    ],
)
def test_refused_kinds(name: str, mime: str | None) -> None:
    with pytest.raises(EvidenceError) as err:
        evidence.vet(name, mime, 1000)
    assert err.value.code == "type"


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("方案.pdf", "application/x-msdownload", "PDF"),  # the declared type must fit the name
        ("image.png", "application/pdf", "图片"),
        ("方案.docx", "text/html; charset=utf-8", "办公文档"),
    ],
)
def test_a_declared_type_of_another_kind_is_a_mismatch(name: str, mime: str, kind: str) -> None:
    with pytest.raises(EvidenceError) as err:
        evidence.vet(name, mime, 1000)
    assert err.value.code == "mismatch"
    assert err.value.info == {"ext": name.rsplit(".")[-1], "mime": mime.split(";")[0], "kind": kind}


def test_size_limit_is_checked_on_the_declared_size() -> None:
    with pytest.raises(EvidenceError) as err:
        evidence.vet("big.pdf", "application/pdf", 25 * 1024 * 1024)
    assert err.value.code == "size"
    assert evidence.vet("ok.pdf", "application/pdf", evidence.MAX_BYTES).ext == "pdf"
    with pytest.raises(EvidenceError):
        evidence.vet_photo(25 * 1024 * 1024, T0)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "a/b.pdf",
        "..\\..\\win.pdf",
        "\x00.pdf",
        "x" * 300 + ".pdf",
        "<script>alert(1)</script>.pdf",
        "\u202egpj.exe.pdf",
        "/abs/path.pdf",
    ],
)
def test_hostile_names_never_reach_the_path(services: Services, name: str) -> None:
    saved = keep(services, b"%PDF-1.4 " + name.encode("utf-8", "replace"), name=name)
    root = evidence.evidence_root(services.settings.data_dir).resolve()
    path = (services.settings.data_dir / saved.record["path"]).resolve()
    assert path.is_relative_to(root)
    assert path.parent.parent.name == "18"
    assert path.name == f"20210610-103005-{saved.record['sha256'][:8]}.pdf"
    assert path.parent.name.isascii() and path.parent.name.isalnum()
    shown = saved.record["name"]
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown
    assert "\u202e" not in shown
    assert len(shown) <= evidence.DISPLAY_NAME_MAX


def test_record_holds_the_facts(services: Services) -> None:
    data = b"%PDF-1.4 plan"
    saved = keep(services, data)
    rec = saved.record
    assert not saved.duplicate and saved.count == 1
    assert rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["size"] == len(data) and rec["mime"] == "application/pdf"
    assert rec["name"] == "方案.pdf" and rec["uploader"] == 42 and rec["message"] == 7
    assert (services.settings.data_dir / rec["path"]).read_bytes() == data
    assert evidence.list_evidence(services.store, 18) == [rec]
    state = services.store.parts.state(18, UNIT)
    assert state["evidence_count"] == 1 and state["updated_by"] == 42
    assert services.store.history.events(task=18, kinds=["evidence"])


def test_same_file_twice_is_recognised(services: Services) -> None:
    first = keep(services, b"same bytes")
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]
    again = keep(services, b"same bytes", name="另一个名字.pdf")
    assert again.duplicate and again.record["id"] == first.record["id"] and again.count == 1
    folder = evidence.unit_dir(services.settings.data_dir, 18, UNIT)
    assert [p.name for p in folder.iterdir()] == [Path(first.record["path"]).name]
    other = keep(services, b"other bytes")
    assert not other.duplicate and other.count == 2


def test_no_temp_file_is_left(services: Services) -> None:
    keep(services, b"one")
    keep(services, b"one")
    with pytest.raises(EvidenceError):
        keep(services, b"MZ\x90\x00 pretending to be a pdf")
    folder = evidence.unit_dir(services.settings.data_dir, 18, UNIT)
    assert not [p for p in folder.iterdir() if p.name.startswith(evidence.TEMP_PREFIX)]
    assert len(evidence.list_evidence(services.store, 18, UNIT)) == 1


def test_empty_file_is_refused(services: Services) -> None:
    with pytest.raises(EvidenceError) as err:
        keep(services, b"")
    assert err.value.code == "empty"
    assert evidence.list_evidence(services.store, 18) == []


def test_atomic_write_uses_a_temp_in_the_same_directory(services: Services) -> None:
    seen: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: Path, dst: Path) -> None:
        # the record must not exist before the file is in place
        assert evidence.list_evidence(services.store, 18) == []
        seen.append((Path(src), Path(dst)))
        real_replace(src, dst)

    keep(services, b"atomic", replace=spy)
    (src, dst), *_ = seen
    assert src.parent == dst.parent and src.name.startswith(evidence.TEMP_PREFIX)


def test_list_by_unit(services: Services) -> None:
    keep(services, b"a")
    temp = evidence.temp_path(services.settings.data_dir, 18, "区市场监管局")
    temp.write_bytes(b"b")
    evidence.keep_file(
        services.store,
        services.settings.data_dir,
        temp,
        evidence.vet("b.docx", None, 1),
        task_id=18,
        unit="区市场监管局",
        at=T0,
        uploader=43,
        uploader_name="李四",
    )
    assert len(evidence.list_evidence(services.store, 18)) == 2
    assert [r["unit"] for r in evidence.list_evidence(services.store, 18, UNIT)] == [UNIT]
    assert evidence.unit_slug(UNIT) != evidence.unit_slug("区市场监管局")


def test_display_name_and_size() -> None:
    assert evidence.display_name("../../etc/passwd") == "passwd"
    assert evidence.display_name("\x00") == "文件"
    assert evidence.format_size(1536) == "1.5 KB"
    assert evidence.format_size(3 * 1024 * 1024) == "3.0 MB"


def test_partial_downloads_left_by_a_crash_are_removed(tmp_path: Path) -> None:
    from bot.features.evidence import remove_partial_downloads, temp_path

    leftover = temp_path(tmp_path, 18, "区司法局")
    leftover.write_bytes(b"half a file")
    kept = leftover.parent / "20210621-100000-abcdef12.pdf"
    kept.write_bytes(b"%PDF-1.4")
    assert remove_partial_downloads(tmp_path) == 1
    assert not leftover.exists() and kept.exists()
