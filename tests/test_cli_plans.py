"""Plans on the command line: import beside or into a plan, list, close, reopen, rename, the
JSON with plans and refs, per-plan export, and closed or newly imported plans never chased for
what is not theirs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.config import load_settings
from bot.services import open_services
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "zhenhai-2021-credit-plan.txt"
SEED_TITLE = "镇海区2021年度社会信用体系建设工作要点暨社会信用体系示范城市创建实施方案"
SPECIAL_TITLE = "镇海区2021年失信问题专项治理方案"
SPECIAL = f"""{SPECIAL_TITLE}
重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |
一、专项治理 | 1.开展失信问题专项治理。 | 每月8日前报送治理进展 | 区发改局 | |
2.建立专项治理台账。 | 2021年9月 | 区商务局 | |
3.开展专项治理回头看。 | 2021年11月 | 区市场监管局 | |
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def plans(cli: Cli) -> list[dict[str, Any]]:
    code, out, err = cli("plans", "--json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def tasks(cli: Cli, *args: str) -> list[dict[str, Any]]:
    code, out, err = cli("tasks", "--json", *args)
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def bind(unit: str, user: int = 4242) -> None:
    """A contact for `unit`, bound in the store the cli fixture's DUBAN_DATA_DIR names."""
    services = open_services(load_settings(), writer=True)
    try:
        services.store.people.bind_contact(user, unit, name="王五", at=services.clock.now())
    finally:
        services.close()


def test_a_new_plan_goes_beside_the_first_and_says_so(cli: Cli, tmp_path: Path) -> None:
    assert cli("tasks")[0] == 0  # the bundled plan, as plan A
    code, out, err = cli("import", str(write(tmp_path, "special.txt", SPECIAL)))
    assert code == 0, err
    assert out.splitlines()[0] == f"新方案 B：《{SPECIAL_TITLE}》，3 项"
    assert plans(cli) == [
        {"code": "A", "kind": "plan", "title": SEED_TITLE, "year": 2021, "status": "active"}
        | {"tasks": 25},
        {"code": "B", "kind": "plan", "title": SPECIAL_TITLE, "year": 2021, "status": "active"}
        | {"tasks": 3},
    ]
    listed = tasks(cli)
    assert len(listed) == 28
    t18 = next(t for t in listed if t["plan"] == "A" and t["id"] == 18)
    assert t18["ref"] == "#A18" and t18["title"] == "全面推行信用承诺制"
    special = [t for t in listed if t["plan"] == "B"]
    assert [(t["id"], t["ref"]) for t in special] == [(1, "#B1"), (2, "#B2"), (3, "#B3")]
    code, out, _ = cli("tasks")
    assert "#B2  [1] 建立专项治理台账" in out and "#A18 [6] 全面推行信用承诺制" in out


def test_a_revision_says_what_it_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("tasks")[0] == 0
    text = SEED.read_text(encoding="utf-8").replace("| 2021年5月 |", "| 2021年7月 |")
    code, out, err = cli("import", str(write(tmp_path, "revised.txt", text)))
    assert code == 0, err
    assert out.splitlines()[0] == "修订方案 A：修改 1 项"
    assert "changed 1" in out
    code, out, _ = cli("import", str(write(tmp_path, "again.txt", text)))
    assert out.splitlines()[0] == "修订方案 A：没有变化"
    special = write(tmp_path, "special.txt", SPECIAL)
    assert cli("import", str(special))[0] == 0
    fewer = SPECIAL.replace("3.开展专项治理回头看。 | 2021年11月 | 区市场监管局 | |\n", "")
    fewer += "4.总结专项治理经验。 | 2021年12月 | 区发改局 | |\n"
    code, out, err = cli("import", str(write(tmp_path, "special-2.txt", fewer)))
    assert code == 0, err
    assert out.splitlines()[0] == "修订方案 B：新增 1 项、归档 1 项"
    assert [t["ref"] for t in tasks(cli) if t["plan"] == "B"] == ["#B1", "#B2", "#B4"]
    assert len([t for t in tasks(cli) if t["plan"] == "A"]) == 25  # plan A untouched


def test_a_file_neither_clearly_new_nor_a_revision_waits_for_a_choice(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("tasks")[0] == 0
    retitled = SEED.read_text(encoding="utf-8").replace(
        SEED_TITLE, "镇海区2021年度信用建设重点任务"
    )
    for old, new in (
        ("1.完善信用制度建设", "1.完善信用制度体系"),
        ("2.建立失信约束制度自查自纠机制", "2.开展失信约束措施清理"),
        ("3.健全公共信用信息异议和修复工作机制", "3.健全信用修复工作机制"),
    ):
        retitled = retitled.replace(old, new)
    path = write(tmp_path, "retitled.txt", retitled)
    code, out, err = cli("import", str(path))
    assert code == 2 and out == ""
    assert "标题与方案 A" in err and "88% 的任务与它相同" in err  # why
    assert "默认会导入为 修订方案 A：修改 3 项" in err  # what duban would do
    assert "没有导入" in err and "--new" in err and "--plan A" in err  # how to choose
    assert [p["code"] for p in plans(cli)] == ["A"]
    code, out, err = cli("import", str(path), "--plan", "a")
    assert code == 0, err
    assert out.splitlines()[0] == "修订方案 A：修改 3 项"
    assert plans(cli)[0]["title"] == "镇海区2021年度信用建设重点任务"  # retitled by its revision
    copy = write(tmp_path, "copy.txt", retitled.replace("信用建设重点任务", "信用建设重点任务清单"))
    code, out, err = cli("import", str(copy), "--new")
    assert code == 0, err
    assert out.splitlines()[0] == "新方案 B：《镇海区2021年度信用建设重点任务清单》，25 项"


def test_importing_into_an_unknown_or_closed_plan_is_refused(cli: Cli, tmp_path: Path) -> None:
    assert cli("tasks")[0] == 0
    revised = write(tmp_path, "revised.txt", SEED.read_text(encoding="utf-8"))
    code, out, err = cli("import", str(revised), "--plan", "Z")
    assert (code, out) == (2, "") and err.strip() == (
        "duban import: 没有方案 Z（duban plans 列出全部方案）。"
    )
    assert cli("plans", "--close", "A")[0] == 0
    code, out, err = cli("import", str(revised), "--plan", "A")
    assert code == 2 and "方案 A 已关闭" in err and "duban plans --reopen A" in err
    assert err.count("\n") == 1
    code, _, err = cli("import", str(revised))  # same title as the closed plan: unsure
    assert code == 2 and "同名方案 A 已关闭" in err and "没有导入" in err
    assert "--plan A（先 duban plans --reopen A）" in err
    assert [(p["code"], p["status"]) for p in plans(cli)] == [("A", "closed")]


def test_plans_close_reopen_rename_and_their_refusals(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(write(tmp_path, "special.txt", SPECIAL)))[0] == 0  # plan A
    assert cli("import", str(SEED))[0] == 0  # plan B
    assert cli("plans", "--close", "b") == (
        0,
        "方案 B 已关闭：不再提醒、催办，仍可查阅、导出。\n",
        "",
    )
    assert [p["status"] for p in plans(cli)] == ["active", "closed"]
    code, out, _ = cli("plans")
    assert out.splitlines()[1].split() == ["B", "2021", "已关闭", "25", "项", SEED_TITLE]
    refusals = [
        (("--close", "B"), "方案 B 已经关闭。"),
        (("--close", "Q"), "没有方案 Q（duban plans 列出全部方案）。"),
        (("--reopen", "A"), "方案 A 没有关闭，不用重新启用。"),
        (("--rename", "A", "B"), "代号 B 已被另一个方案使用。"),
        (("--rename", "A", "2022"), "代号 2022 不行：用 1–4 个英文字母，如 B、ZX。"),
        (("--rename", "Q", "ZX"), "没有方案 Q（duban plans 列出全部方案）。"),
    ]
    for args, line in refusals:
        assert cli("plans", *args) == (2, "", f"duban plans: {line}\n"), args
    assert cli("plans", "--reopen", "B") == (0, "方案 B 已重新启用。\n", "")
    assert cli("plans", "--rename", "A", "zx") == (0, "方案 A 的代号改为 ZX。\n", "")
    assert [(p["code"], p["status"]) for p in plans(cli)] == [("ZX", "active"), ("B", "active")]
    assert [t["ref"] for t in tasks(cli) if t["plan"] == "ZX"] == ["#ZX1", "#ZX2", "#ZX3"]
    services = open_services(load_settings(), writer=True)
    try:
        services.store.plans.create(
            kind="assigned", title="", year=None, source="", at=services.clock.now(), actor="test"
        )
    finally:
        services.close()
    assert plans(cli)[-1] == {
        "code": "A",
        "kind": "assigned",
        "title": "交办事项",
        "year": None,
        "status": "active",
        "tasks": 0,
    }
    assert cli("plans", "--close", "A") == (
        2,
        "",
        "duban plans: 方案 A 是交办事项清单，一直在用，不能关闭。\n",
    )


def test_tasks_lists_the_active_plans_and_closed_ones_with_all(cli: Cli, tmp_path: Path) -> None:
    assert cli("tasks")[0] == 0
    assert cli("import", str(write(tmp_path, "special.txt", SPECIAL)))[0] == 0
    assert cli("plans", "--close", "A")[0] == 0
    # one active plan: its refs are plain again; the closed plan's keep their code
    assert [(t["plan"], t["id"], t["ref"]) for t in tasks(cli)] == [
        ("B", 1, "#1"),
        ("B", 2, "#2"),
        ("B", 3, "#3"),
    ]
    everything = tasks(cli, "--all")
    assert len(everything) == 28 and everything[17]["ref"] == "#A18"
    code, out, err = cli("tasks", "--plan", str(SEED), "--json")  # a file: no plan, no ref
    assert code == 0 and "plan" not in json.loads(out)[0] and "ref" not in json.loads(out)[0]


def _preview(cli: Cli, day: str) -> list[dict[str, Any]]:
    code, out, err = cli("preview", "reminders", "--date", day, "--json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def test_preview_reminders_name_the_plan_and_leave_closed_plans_out(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("tasks", DUBAN_CLOCK_START="2021-05-06T09:00")[0] == 0
    assert cli("import", str(write(tmp_path, "special.txt", SPECIAL)))[0] == 0
    bind("区商务局")
    due = [r for r in _preview(cli, "2021-05-31") if r["kind"] == "due"]
    assert [(r["task"], r["plan"], r["unit"]) for r in due] == [(20, "A", "区商务局")]
    code, out, _ = cli("preview", "reminders", "--date", "2021-05-31")
    assert "#A20 区商务局" in out
    special = [r for r in _preview(cli, "2021-09-30") if r["kind"] == "due"]
    assert [(r["plan"], r["task"], r["unit"]) for r in special] == [("B", 2, "区商务局")]
    assert cli("plans", "--close", "A")[0] == 0
    assert [r for r in _preview(cli, "2021-05-31") if r["plan"] == "A"] == []
    assert [r for r in _preview(cli, "2021-06-01") if r["plan"] == "A"] == []  # nor overdue
    assert cli("plans", "--reopen", "A")[0] == 0
    assert (20, "A") in [(r["task"], r["plan"]) for r in _preview(cli, "2021-05-31")]


def test_a_plan_imported_mid_year_owes_nothing_due_before_its_import(
    cli: Cli, tmp_path: Path
) -> None:
    """Plan A came in May, plan B on 20 July; both ask 区发改局 for a report by the 8th of
    each month. July's is overdue for A; for B it fell due before B existed."""
    assert cli("tasks", DUBAN_CLOCK_START="2021-05-06T09:00")[0] == 0
    special = write(tmp_path, "special.txt", SPECIAL)
    assert cli("import", str(special), DUBAN_CLOCK_START="2021-07-20T10:00")[0] == 0
    bind("区发改局")
    days = [date(2021, 7, 21) + timedelta(days=n) for n in range(10)]
    chased = [
        (r["plan"], r["task"])
        for day in days
        for r in _preview(cli, day.isoformat())
        if r["kind"] == "overdue" and r["unit"] == "区发改局"
    ]
    assert ("A", 1) in chased and ("B", 1) not in chased
    # August's report is owed by both
    august = [(r["plan"], r["task"], r["kind"]) for r in _preview(cli, "2021-08-09")]
    assert ("A", 1, "monthly") in august or ("A", 1, "overdue") in august
    assert {(p, t) for p, t, _ in august if t == 1} == {("A", 1), ("B", 1)}


def _sheet(path: Path, title: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(path, read_only=True)[title].iter_rows(values_only=True))


def test_export_names_the_plan_on_every_row_and_exports_one_plan(cli: Cli, tmp_path: Path) -> None:
    assert cli("tasks")[0] == 0
    special = write(tmp_path, "special.txt", SPECIAL)
    assert cli("import", str(special))[0] == 0
    fewer = SPECIAL.replace("3.开展专项治理回头看。 | 2021年11月 | 区市场监管局 | |\n", "")
    assert cli("import", str(write(tmp_path, "special-2.txt", fewer)))[0] == 0
    assert cli("export", "--out", "all.xlsx")[0] == 0
    rows = _sheet(tmp_path / "all.xlsx", "任务分解及进展")
    assert rows[0][-1] == "方案"
    assert {r[-1] for r in rows[1:]} == {"A", "B"}
    assert [r[1] for r in rows[1:] if r[-1] == "B"] == [
        "1.开展失信问题专项治理。",
        "2.建立专项治理台账。",
    ]
    history = _sheet(tmp_path / "all.xlsx", "历史记录")
    (archived,) = [r for r in history if r[1] == "归档任务"]
    assert "撤销任务" not in {r[1] for r in history}
    assert archived[2] == "#B3"  # the revision's archived task is plan B's, not #3 of plan A
    imports = [r[8] for r in history if r[1] == "导入计划"]
    assert any("（方案 B）：新增 0 项，修改 0 项，归档 1 项" in text for text in imports)

    assert cli("export", "--out", "b.xlsx", "--plan", "b")[0] == 0
    rows = _sheet(tmp_path / "b.xlsx", "任务分解及进展")
    assert {r[-1] for r in rows[1:]} == {"B"}
    history = _sheet(tmp_path / "b.xlsx", "历史记录")
    assert {r[2] for r in history[1:]} <= {"#B1", "#B2", "#B3", "—"}

    assert cli("plans", "--close", "A")[0] == 0
    assert cli("export", "--out", "now.xlsx")[0] == 0
    assert {r[-1] for r in _sheet(tmp_path / "now.xlsx", "任务分解及进展")[1:]} == {"B"}
    assert cli("export", "--out", "a.xlsx", "--plan", "A")[0] == 0  # a closed plan: exportable
    rows = _sheet(tmp_path / "a.xlsx", "任务分解及进展")
    assert {r[-1] for r in rows[1:]} == {"A"}
    assert len({r[1] for r in rows[1:] if r[1]}) == 25
    code, _, err = cli("export", "--out", "z.xlsx", "--plan", "Z")
    assert code == 2 and "没有方案 Z" in err and not (tmp_path / "z.xlsx").exists()


def test_json_shapes_when_one_plan_only(cli: Cli) -> None:
    """A store with one plan reads as before plans: refs `#18`, plan "A"."""
    listed = tasks(cli)
    assert [t["id"] for t in listed] == list(range(1, 26))
    assert listed[17]["ref"] == "#18" and {t["plan"] for t in listed} == {"A"}
