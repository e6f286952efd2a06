"""Data directories written by earlier releases open in this one with nothing lost.

Each `tests/samples/store-<release>/` was written by that release's own code (`make_store.py`
there, run with that tree on the path): the bundled plan, the sandbox's demo (contacts, updates,
reviews, an activity, KPI values, a rectification), a contact later marked unreachable, an
invite, a ledger entry and an evidence file; ae84b4a's (the last release before plans sat side
by side) also its daily backup. Both open as plan A, after a backup.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.domain.contacts import contact_role
from bot.features.onboarding import units_overview
from bot.plan.refs import task_ref
from bot.reports.cards import card
from bot.reports.report import export_report
from bot.services import open_services
from bot.store import Store
from bot.store.backup import check_backup

SAMPLES = Path(__file__).parent / "samples"
RELEASES = ["0230038", "ae84b4a"]
NOW = datetime(2021, 6, 29, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _old_tables(old: Path) -> dict[str, dict[str, dict]]:
    return json.loads((old / "duban.json").read_text(encoding="utf-8"))["tables"]


def _copy(release: str, tmp_path: Path) -> tuple[Path, Path]:
    old = SAMPLES / f"store-{release}"
    data_dir = tmp_path / "state"
    shutil.copytree(old, data_dir, ignore=shutil.ignore_patterns("make_store.py"))
    return old, data_dir


def _files(data_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(data_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("release", RELEASES)
def test_a_store_of_the_previous_release_opens_with_every_record_and_file(
    tmp_path: Path, release: str
) -> None:
    sample, data_dir = _copy(release, tmp_path)
    services = open_services(
        Settings(data_dir=data_dir, coordinators=frozenset({1001}), summary_chat_id=-100500),
        writer=True,
        clock=FixedClock(NOW),
    )
    try:
        store = services.store
        # every record of every table is still there, every field as it was written
        for name, docs in _old_tables(sample).items():
            now = dict(store.table(name).raw_docs())
            for doc_id, old in docs.items():
                kept = now.get(int(doc_id))
                assert kept is not None, (name, doc_id)
                assert {k: kept.get(k) for k in old} == old, (name, doc_id)

        # and the release reads them: the plan, roles, the part, the file, the export
        assert len(store.plan.tasks()) == 25
        assert {contact_role(c) for c in store.people.contacts()} == {"liaison"}
        text, _ = units_overview(services)
        assert "Alice" in text
        part = store.parts.state(18, "区司法局")
        assert part is not None and part["percent"] == 60
        shown = card(services, store.plan.task(18), part, date(2021, 6, 29))
        assert shown.state["note"] == "已起草制度文件"

        out = export_report(services, tmp_path / "report.xlsx")
        book = openpyxl.load_workbook(out, read_only=True)
        files = [row for row in book["佐证材料"].iter_rows(values_only=True) if row and row[0]]
        assert any("告知承诺制度.pdf" in str(cell) for row in files for cell in row)
        assert any(p.is_file() for p in (data_dir / "evidence").rglob("*"))
    finally:
        services.close()


@pytest.mark.parametrize("release", RELEASES)
def test_it_opens_as_plan_a_after_a_backup_and_migrates_once(tmp_path: Path, release: str) -> None:
    sample, data_dir = _copy(release, tmp_path)
    backups = data_dir / "backups"
    earlier = sorted(p.name for p in backups.glob("*.tar.gz")) if backups.is_dir() else []

    store = Store(data_dir)
    # plan A, slot 1, holding every task under its old number: refs read as before
    [plan] = store.plans.all()
    assert (plan.slot, plan.code, plan.kind, plan.active, plan.year) == (1, "A", "plan", True, 2021)
    tasks = store.plan.tasks()
    assert [t.id for t in tasks] == list(range(1, 26)) and {t.plan for t in tasks} <= {0, 1}
    assert store.plan.plan_of(18) == plan and store.plan.find(None, 18) == [18]
    assert task_ref(18) == "#18" and store.plan.find("A", 18) == [18]
    assert store.plan.imported_at() == datetime.fromisoformat("2021-06-28T10:00:00+08:00")
    # every part, note, file, contact, KPI and ledger entry is read as before
    part = store.parts.state(18, "区司法局")
    assert part is not None and (part["status"], part["percent"]) == ("doing", 60)
    notes = [e.get("note") for e in store.history.events(task=18)]
    assert "已起草制度文件" in notes
    [kept] = [r for r in store.evidence.records(18, "区司法局") if r["name"] == "告知承诺制度.pdf"]
    assert hashlib.sha256((data_dir / kept["path"]).read_bytes()).hexdigest() == kept["sha256"]
    assert {c["unit"] for c in store.people.contacts()} >= {"区司法局"}
    assert len(store.metrics.records()) == len(_old_tables(sample)["metrics"])
    assert store.deliveries.ledger_get("remind:2021-06-28:18:区司法局") is not None
    # the backup taken before the plans record was written: the old state, verified
    new = [p for p in sorted(backups.glob("*.tar.gz")) if p.name not in earlier]
    assert len(new) == 1 and check_backup(new[0])
    with tarfile.open(new[0]) as tar:
        member = tar.extractfile("duban.json")
        assert member is not None
        assert json.loads(member.read())["tables"] == _old_tables(sample)
    for name in earlier:  # the backups the old release made stay, whole
        assert check_backup(backups / name)
    store.close()

    # a second open finds plan A recorded: no second migration, no second backup
    again = Store(data_dir)
    assert again.plans.all() == [plan]
    assert len(list(backups.glob("*.tar.gz"))) == len(earlier) + 1
    assert not again.history.events(kinds=["plan.created"])
    again.close()


@pytest.mark.parametrize("release", RELEASES)
def test_a_read_only_open_of_the_old_store_writes_nothing(tmp_path: Path, release: str) -> None:
    _, data_dir = _copy(release, tmp_path)
    before = _files(data_dir)
    reader = Store(data_dir, read_only=True)
    [plan] = reader.plans.all()
    assert (plan.code, plan.slot) == ("A", 1)
    assert len(reader.plan.tasks()) == 25 and task_ref(18) == "#18"
    part = reader.parts.state(18, "区司法局")
    assert part is not None and part["percent"] == 60
    reader.close()
    assert _files(data_dir) == before
