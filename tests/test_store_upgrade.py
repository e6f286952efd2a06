"""A data directory written by the previous release (0230038) opens in this one with nothing lost.

`tests/samples/store-0230038/` was written by that release's own code (`make_store.py` there, run
with that tree on the path): the bundled plan, the sandbox's demo (contacts, updates, reviews, an
activity, KPI values, a rectification), a contact later marked unreachable, an invite, a ledger
entry and an evidence file.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.domain.contacts import contact_role
from bot.features.onboarding import units_overview
from bot.reports.cards import card
from bot.reports.report import export_report
from bot.services import open_services

OLD = Path(__file__).parent / "samples" / "store-0230038"
NOW = datetime(2021, 6, 29, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _old_tables() -> dict[str, dict[str, dict]]:
    return json.loads((OLD / "duban.json").read_text(encoding="utf-8"))["tables"]


def test_a_store_of_the_previous_release_opens_with_every_record_and_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    shutil.copytree(OLD, data_dir, ignore=shutil.ignore_patterns("make_store.py"))
    services = open_services(
        Settings(data_dir=data_dir, coordinators=frozenset({1001}), summary_chat_id=-100500),
        writer=True,
        clock=FixedClock(NOW),
    )
    try:
        store = services.store
        # every record of every table is still there, every field as it was written
        for name, docs in _old_tables().items():
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
