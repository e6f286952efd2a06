"""Backups: a consistent .tar.gz with a sha256 manifest; verified restore into an empty dir."""

from __future__ import annotations

import io
import json
import os
import tarfile
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.domain.policy import policy_for
from bot.store import Store
from bot.store.backup import (
    MANIFEST,
    BackupError,
    check_backup,
    make_backup,
    prune,
    restore_backup,
    snapshot_bytes,
)
from bot.store.journal import SNAPSHOT
from schedules.backup import backup_tick
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.harness import START
from tests.prepared import copy_seeded

EVIDENCE = {
    "evidence/18/u1/20210621-aaaa.pdf": b"%PDF-1.4 one",
    "evidence/18/u2/20210621-bbbb.jpg": b"\xff\xd8\xff jpeg bytes" * 100,
    "evidence/20/u1/20210622-cccc.xlsx": b"PK\x03\x04 sheet",
}


def _data_dir(root: Path, seeded: Path) -> Path:
    data_dir = copy_seeded(seeded, root)
    for name, data in EVIDENCE.items():
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_bytes(data)
    (data_dir / "evidence/18/u1/.partial.part").write_bytes(b"half a download")
    (data_dir / "duban.lock").unlink(missing_ok=True)
    return data_dir


def _tables(data_dir: Path) -> dict[str, Any]:
    store = Store(data_dir, read_only=True)
    try:
        return {name: dict(store.table(name)._read_table()) for name in store.db.tables()}
    finally:
        store.close()


def _files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "evidence"
    return {
        p.relative_to(data_dir).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def test_restore_gives_back_every_record_and_file(tmp_path: Path, seeded_data_dir: Path) -> None:
    data_dir = _data_dir(tmp_path, seeded_data_dir)
    store = Store(data_dir)  # the running bot: writes sit in the journal, not yet compacted
    store.people.bind_contact(2001, "区司法局", name="Alice", at=START)
    store.parts.update_state(18, "区司法局", at=START, actor=2001, status="doing", percent=40)
    store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="断电前")
    info = make_backup(data_dir, tmp_path / "out", at=START)  # another process: read-only
    store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="备份之后")
    store.close()

    assert info.path.name == "duban-20210621-100000.tar.gz"
    restored = tmp_path / "restored"
    manifest = restore_backup(info.path, restored)
    assert set(manifest["files"]) == {SNAPSHOT, *EVIDENCE}  # no partial download
    assert _files(restored) == EVIDENCE
    tables = _tables(restored)
    notes = [e["note"] for e in tables["events"].values() if e.get("kind") == "note"]
    assert notes == ["断电前"]  # the state when the backup was made, nothing after
    after = _tables(data_dir)
    after["events"] = {k: v for k, v in after["events"].items() if v.get("note") != "备份之后"}
    assert tables == after  # every record, exactly


def test_backup_of_the_running_store_is_taken_under_its_lock(
    tmp_path: Path, seeded_data_dir: Path
) -> None:
    data_dir = _data_dir(tmp_path, seeded_data_dir)
    store = Store(data_dir)
    store.history.record("note", at=START, actor=2001, task=18, unit="区司法局", note="在内存里")
    info = make_backup(data_dir, tmp_path / "out", at=START, snapshot=snapshot_bytes(store))
    expected = {name: dict(store.table(name)._read_table()) for name in store.db.tables()}
    store.close()
    restore_backup(info.path, tmp_path / "restored")
    assert _tables(tmp_path / "restored") == expected


def _rewrite(src: Path, dst: Path, change: Any) -> None:
    """Copy an archive member by member, letting `change(info, data)` alter or add members."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin:
            data = tin.extractfile(member).read()  # type: ignore[union-attr]
            for info, body in change(member, data):
                tout.addfile(info, io.BytesIO(body) if body is not None else None)


def _member(name: str, data: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info


@pytest.fixture
def archive(tmp_path: Path, seeded_data_dir: Path) -> Path:
    return make_backup(_data_dir(tmp_path, seeded_data_dir), tmp_path / "out", at=START).path


def test_a_damaged_file_is_named(archive: Path, tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "bad.tar.gz"
    target = "evidence/18/u2/20210621-bbbb.jpg"

    def flip(member: tarfile.TarInfo, data: bytes) -> Any:
        if member.name == target:
            data = data[:-1] + b"X"
        return [(member, data)]

    _rewrite(archive, bad, flip)
    with pytest.raises(BackupError, match=target):
        check_backup(bad)
    code, out, err = cli("backup", "--check", str(bad))
    assert code == 2 and err.count("\n") == 1 and target in err and "damaged" in err
    code, out, _ = cli("backup", "--check", str(archive))
    assert code == 0 and "ok" in out
    with pytest.raises(BackupError, match=target):
        restore_backup(bad, tmp_path / "never")
    assert not (tmp_path / "never" / SNAPSHOT).exists()  # nothing written from it


@pytest.mark.parametrize(
    "evil",
    [
        _member("../../escape.txt", b"x"),
        _member("/etc/duban", b"x"),
        _member("evidence/../../x", b"x"),
    ],
)
def test_unsafe_members_are_refused(archive: Path, tmp_path: Path, evil: tarfile.TarInfo) -> None:
    bad = tmp_path / "evil.tar.gz"

    def add(member: tarfile.TarInfo, data: bytes) -> Any:
        if member.name != MANIFEST:
            return [(member, data)]
        manifest = json.loads(data)
        manifest["files"][evil.name] = {"sha256": "0" * 64, "size": evil.size}
        body = json.dumps(manifest).encode()
        return [(evil, b"x"), (_member(MANIFEST, body), body)]

    _rewrite(archive, bad, add)
    with pytest.raises(BackupError, match="unsafe path"):
        restore_backup(bad, tmp_path / "restored")
    assert not (tmp_path / "escape.txt").exists()


def test_links_are_refused(archive: Path, tmp_path: Path) -> None:
    bad = tmp_path / "link.tar.gz"

    def add(member: tarfile.TarInfo, data: bytes) -> Any:
        out = [(member, data)]
        if member.name == SNAPSHOT:
            link = tarfile.TarInfo("evidence/18/u1/link")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            out.append((link, None))
        return out

    _rewrite(archive, bad, add)
    with pytest.raises(BackupError, match="not a plain file"):
        check_backup(bad)


def test_restore_only_into_an_empty_directory(archive: Path, tmp_path: Path, cli: Cli) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("mine")
    code, _, err = cli("restore", str(archive), DUBAN_DATA_DIR=str(full))
    assert code == 2 and "not empty" in err and err.count("\n") == 1
    assert (full / "something").read_text() == "mine"
    code, out, _ = cli("restore", str(archive), DUBAN_DATA_DIR=str(tmp_path / "fresh"))
    assert code == 0 and "restored" in out
    assert _files(tmp_path / "fresh") == EVIDENCE
    code, out, err = cli("backup", "--check", str(tmp_path / "nothing.tar.gz"))
    assert code == 2 and "no such file" in err


def test_cli_backup_goes_to_the_backup_dir(tmp_path: Path, seeded_data_dir: Path, cli: Cli) -> None:
    data_dir = _data_dir(tmp_path, seeded_data_dir)
    code, out, _ = cli(
        "backup", DUBAN_DATA_DIR=str(data_dir), DUBAN_BACKUP_DIR=str(tmp_path / "bk")
    )
    assert code == 0
    (made,) = (tmp_path / "bk").glob("duban-*.tar.gz")
    assert str(made) in out
    code, out, _ = cli("backup", "--to", str(tmp_path / "elsewhere"), DUBAN_DATA_DIR=str(data_dir))
    assert code == 0 and list((tmp_path / "elsewhere").glob("duban-*.tar.gz"))


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(20):
        path = tmp_path / f"duban-202106{day + 1:02d}-020000.tar.gz"
        path.write_bytes(b"x")
        stamp = (START + timedelta(days=day)).timestamp()
        os.utime(path, (stamp, stamp))
    removed = prune(tmp_path, 14)
    assert len(removed) == 6 and len(list(tmp_path.glob("*.tar.gz"))) == 14
    assert not (tmp_path / "duban-20210601-020000.tar.gz").exists()


async def test_the_bot_backs_up_once_a_day_and_catches_up(
    tmp_path: Path, seeded_data_dir: Path
) -> None:
    data_dir = _data_dir(tmp_path, seeded_data_dir)
    clock = FixedClock(datetime(2021, 6, 21, 1, 59, tzinfo=START.tzinfo))
    store = Store(data_dir, fsync=False)
    settings = Settings(data_dir=data_dir)
    services = SimpleNamespace(
        settings=settings, clock=clock, store=store, policy=policy_for(data_dir)
    )
    app = SimpleNamespace(bot_data={"services": services})
    assert await backup_tick(app) is None  # before 02:00
    clock.set(datetime(2021, 6, 21, 2, 0, tzinfo=START.tzinfo))
    made = await backup_tick(app)
    assert made is not None and Path(made).parent == data_dir / "backups"
    assert await backup_tick(app) is None  # once a day
    # Down all of the 22nd and until 15:00 on the 23rd: one catch-up backup, not two.
    clock.set(datetime(2021, 6, 23, 15, 0, tzinfo=START.tzinfo))
    assert await backup_tick(app) is not None
    assert await backup_tick(app) is None
    assert len(list((data_dir / "backups").glob("duban-*.tar.gz"))) == 2
    check_backup(Path(made))
    store.close()
