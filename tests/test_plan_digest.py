"""The chat preview's digest of a plan, and the draft unit directory of `duban units --init`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.domain.units import Directory
from bot.plan import BUNDLED_PLAN, digest_plan, load_plan, parse_text, suggester
from bot.plan.unit_draft import PLACEHOLDER, draft_directory, guess_kind
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)

SEED = load_plan(BUNDLED_PLAN)


def test_digest_of_the_seed() -> None:
    known = {u for t in SEED.tasks for u in (*t.leads, *t.supporters)} - {"区总工会"}
    digest = digest_plan(SEED, suggester(known))
    assert digest.tasks == 25 and digest.year == 2021 and digest.importable
    assert digest.groups[0] == ("健全信用制度体系", 5) and len(digest.groups) == 9
    assert sum(n for _, n in digest.groups) == 25
    assert digest.deadlines == {"once": 21, "monthly": 1, "ongoing": 3}
    assert (digest.first_due, digest.last_due) == (date(2021, 5, 31), date(2021, 12, 31))
    assert [name for name, _ in digest.unknown_units] == ["区总工会"]
    assert digest.problems == ()


def test_digest_lists_problems_as_lines() -> None:
    plan = parse_text(
        "2021年\n1.甲。（区发改局牵头，按上级要求）\n2.乙。（区财政局配合，年底前）\n"
    )
    digest = digest_plan(plan, lambda name: None)
    assert digest.errors == 1 and not digest.importable
    assert digest.problems[0] == "行 3：任务 2 缺少牵头单位"
    assert digest.problems[1].startswith("行 2：任务 1 的时限要求无法识别")
    assert digest.deadlines == {"once": 1, "unreadable": 1}


def test_kinds_are_guessed_from_names() -> None:
    assert guess_kind("区发改局") == "department"
    assert guess_kind("区大数据中心") == "department"
    assert guess_kind("区委编办") == "department"
    assert guess_kind("澥浦镇") == "town"
    assert guess_kind("招宝山街道") == "town"
    assert guess_kind("区法院") == "court"
    assert guess_kind("区检察院") == "court"
    assert guess_kind("区总工会") == "mass_org"
    assert guess_kind("团区委") == "mass_org"
    assert guess_kind("镇海经济开发区") == "park"


def test_the_draft_loads_as_a_directory_with_every_name() -> None:
    text = draft_directory(SEED)
    directory = Directory.from_mapping(yaml.safe_load(text), source="draft")
    assert directory.coordinator.name == "区发改局"  # the unit leading most tasks
    for task in SEED.tasks:
        for name in (*task.leads, *task.supporters):
            assert directory.canonical(name) is not None, name
    assert directory.is_group("区级有关部门") and directory.is_group("各镇(街道)")
    assert directory.expand("区级有关部门") == []  # `members: []` until the office fills it in
    assert PLACEHOLDER not in text
    assert "members: []" in text and "请填写成员单位" in text


def test_units_init_then_check_warns_only_of_real_unknowns(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "2023年工作要点\n一、优化服务\n"
        "1.推行一网通办。（县政务服务中心牵头，县发改局、各乡镇（街道）配合，6月底前）\n"
        "2.压缩审批时限。（县行政审批局负责，县直有关部门配合，年底前）\n",
        encoding="utf-8",
    )
    code, out, err = cli("units", "--init", str(plan))
    assert code == 0 and err == ""
    draft = tmp_path / "units.yaml"
    draft.write_text(out, encoding="utf-8")
    assert cli("check", str(plan), DUBAN_UNITS=str(draft)) == (0, "", "")
    revised = tmp_path / "revised.txt"
    revised.write_text(
        plan.read_text(encoding="utf-8").replace("县行政审批局负责", "县审批局负责"),
        encoding="utf-8",
    )
    code, _, err = cli("check", str(revised), DUBAN_UNITS=str(draft))
    assert code == 0
    assert err.splitlines() == [
        f"{revised}:4: warning: 未知单位“县审批局”，最接近的已知单位是“县行政审批局”"
    ]


def test_units_init_of_a_file_without_tasks(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    code, out, err = cli("units", "--init", str(empty))
    assert code == 2 and out == "" and "文件为空" in err
