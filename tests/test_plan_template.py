"""The import template: what it holds, and a plan typed into it reading back exactly."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from tinydb.operations import delete

from bot.domain.units import Directory
from bot.plan import BUNDLED_PLAN, check_loaded, dump_plan, load_plan, load_yaml, parse_text
from bot.plan.model import Milestone, Plan, Task
from bot.plan.template import (
    EXAMPLE,
    HEADERS,
    HELP_SHEET,
    SHEET,
    TemplateSpec,
    read_template,
    template_bytes,
)
from bot.store import Store
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.plan_writers import fill_template

SEED = load_plan(BUNDLED_PLAN)
DIRECTORY = Directory.load()
NAMES = (*(u.name for u in DIRECTORY.units), *DIRECTORY.groups)
GROUPS = tuple(dict.fromkeys(t.category for t in SEED.tasks))
SPEC = TemplateSpec(units=NAMES, groups=GROUPS, year=2021)


def facts(task: Task) -> tuple[object, ...]:
    return (
        task.id,
        task.category_no,
        task.category,
        task.title,
        task.text,
        task.deadline,
        task.leads,
        task.supporters,
        task.milestones,
        task.remarks,
    )


def typed(*cells: object) -> bytes:
    """The template with one row typed under the example (row 6), as a person would."""
    book = load_workbook(io.BytesIO(template_bytes(SPEC)))
    for col, value in enumerate(cells, start=1):
        book[SHEET].cell(6, col, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(tmp_path: Path, data: bytes, name: str = "plan.xlsx") -> Plan:
    path = tmp_path / name
    path.write_bytes(data)
    return load_plan(path)


def test_the_seed_typed_into_the_template_reads_back_25_of_25(tmp_path: Path) -> None:
    assert len(SEED.tasks) == 25 and not SEED.errors
    plan = read(tmp_path, fill_template(template_bytes(SPEC), SEED.tasks))
    assert plan.year == 2021 and not plan.problems
    assert [facts(t) for t in plan.tasks] == [facts(t) for t in SEED.tasks]


def test_milestones_and_remarks_read_back(tmp_path: Path) -> None:
    steps = (Milestone(date(2021, 3, 31), "出台实施方案"), Milestone(date(2021, 5, 20), "中期评估"))
    tasks = [
        SEED.tasks[0],
        replace(SEED.tasks[1], milestones=steps, remarks="与市里口径一致"),
        SEED.tasks[2],
    ]
    plan = read(tmp_path, fill_template(template_bytes(SPEC), tasks))
    assert not plan.problems
    assert [facts(t) for t in plan.tasks] == [facts(t) for t in tasks]
    assert plan.tasks[1].to_json()["milestones"] == [
        {"due": "2021-03-31", "text": "出台实施方案"},
        {"due": "2021-05-20", "text": "中期评估"},
    ]


def test_milestone_forms_and_years(tmp_path: Path) -> None:
    """A step without a year takes the previous step's, the first the plan's; order by date."""
    data = typed(
        1,
        "健全信用制度体系",
        "完善制度。",
        "2022年6月底前",
        "9月底前 完成初稿\n2022-02-15 报送方案\n5月上旬：组织评审\n2021.12.31 启动",
        "区发改局",
    )
    (task,) = read(tmp_path, data).tasks
    assert [(m.due, m.text) for m in task.milestones] == [
        (date(2021, 9, 30), "完成初稿"),
        (date(2021, 12, 31), "启动"),
        (date(2022, 2, 15), "报送方案"),
        (date(2022, 5, 10), "组织评审"),
    ]


@pytest.mark.parametrize("step", ["近期 完成初稿", "6月初 召开会议", "2021-06-30", "按上级要求"])
def test_a_step_that_cannot_be_dated_is_a_check_problem(tmp_path: Path, step: str) -> None:
    data = typed(1, "某组", "完善制度。", "2021年6月底前", f"3月底前 起草\n{step}", "区发改局")
    plan = read(tmp_path, data)
    (problem,) = check_loaded(plan, DIRECTORY.check_name)
    assert problem.severity == "error" and problem.line == 6
    assert "任务 1 的时间节点第 2 条" in problem.message and step in problem.message


def test_no_deadline_but_milestones_is_due_at_the_last(tmp_path: Path) -> None:
    data = typed(1, "某组", "完善制度。", None, "3月底前 起草\n8月20日 印发", "区发改局")
    (task,) = read(tmp_path, data).tasks
    assert task.deadline.due == date(2021, 8, 20)


def test_the_example_row_is_never_imported(tmp_path: Path) -> None:
    empty = read(tmp_path, template_bytes(SPEC), "empty.xlsx")
    assert not empty.tasks and empty.errors  # the example alone is no plan
    sheet = load_workbook(io.BytesIO(template_bytes(SPEC)))[SHEET]
    example = [
        [str(c.value or "") for c in row] for row in sheet.iter_rows() if row[0].value == EXAMPLE
    ]
    assert len(example) == 1 and example[0][2]  # one example, filled in
    one = read(tmp_path, fill_template(template_bytes(SPEC), SEED.tasks[:1]), "one.xlsx")
    assert [t.id for t in one.tasks] == [1] and not one.problems
    assert all(t.text != example[0][2] for t in one.tasks)


def test_an_example_row_is_skipped_in_any_table() -> None:
    text = (
        "2021年度工作任务分解表\n"
        "序号 | 具体措施 | 时限要求 | 牵头单位\n"
        "示例 | 这是填写示例。 | 2021年6月底前 | 区发改局\n"
        "1 | 完善制度。 | 2021年9月底前 | 区财政局\n"
    )
    plan = parse_text(text)
    assert [(t.id, t.title) for t in plan.tasks] == [(1, "完善制度")] and not plan.errors


def _validation_names(book: object, sheet: object, header: str) -> list[str]:
    """The names the dropdown on `header`'s column offers (its list, read from the range)."""
    col = "ABCDEFGH"[HEADERS.index(header)]
    (rule,) = [
        dv
        for dv in sheet.data_validations.dataValidation  # type: ignore[attr-defined]
        if any(str(r).startswith(f"{col}5:") for r in dv.sqref.ranges)
    ]
    assert rule.type == "list" and not rule.showErrorMessage  # several names may be typed
    where, _, cells = rule.formula1.partition("!")
    target = book[where.strip("'")]  # type: ignore[index]
    return [c.value for row in target[cells.replace("$", "")] for c in row]


def test_dropdowns_list_the_directory_and_the_groups() -> None:
    book = load_workbook(io.BytesIO(template_bytes(SPEC)))
    sheet = book[SHEET]
    assert _validation_names(book, sheet, "牵头单位") == list(NAMES)
    assert _validation_names(book, sheet, "配合单位") == list(NAMES)
    assert _validation_names(book, sheet, "类别") == list(GROUPS)
    assert "区发改局" in NAMES and "各镇(街道)" in NAMES  # units and group phrases both


def test_the_template_says_its_year_and_how_to_fill_it() -> None:
    book = load_workbook(io.BytesIO(template_bytes(replace(SPEC, year=2023))))
    sheet = book[SHEET]
    assert sheet["A2"].value == "年度" and sheet["B2"].value == 2023
    assert [c.value for c in sheet[4]] == list(HEADERS)
    help_rows = [[c.value for c in row] for row in book[HELP_SHEET].iter_rows()]
    explained = {row[0] for row in help_rows}
    assert set(HEADERS) <= explained  # every column explained
    text = "\n".join(str(v) for row in help_rows for v in row if v)
    for phrase in ("、", "2023-06-30", "6月底前", "每行一个节点", EXAMPLE, "duban import"):
        assert phrase in text


def test_task_records_round_trip_and_old_records_load() -> None:
    steps = (Milestone(date(2021, 9, 30), "评估"), Milestone(date(2021, 3, 31), "起草"))
    task = replace(SEED.tasks[0], milestones=steps, remarks="备注")
    again = Task.from_record(task.to_record())
    assert again.milestones == tuple(sorted(steps)) and again.remarks == "备注"
    assert [m["due"] for m in task.to_json()["milestones"]] == ["2021-03-31", "2021-09-30"]
    old = task.to_record()
    del old["milestones"], old["remarks"]  # a record stored before either existed
    loaded = Task.from_record(old)
    assert loaded.milestones == () and loaded.remarks == ""
    assert loaded.to_json()["milestones"] == []


def test_an_old_store_reimported_has_no_revisions(tmp_path: Path) -> None:
    """Records from before milestones and remarks: the same plan again changes nothing."""
    store = Store(tmp_path / "state")
    at = datetime(2021, 6, 21, 9, 0)
    store.plan.import_plan(SEED, at=at)
    for field in ("milestones", "remarks"):  # as a store written before either existed
        store.table("tasks").update(delete(field))
    assert all("milestones" not in d for _, d in store.table("tasks").raw_docs())
    result = store.plan.import_plan(SEED, at=at)
    assert len(result.unchanged) == 25 and not result.changed
    assert store.plan.task(1).milestones == ()
    store.close()


def test_cli_template_then_check_and_import(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("template")
    assert code == 0 and "duban-template.xlsx" in out
    written = tmp_path / "duban-template.xlsx"
    code, _, err = cli("template")
    assert code == 2 and "exists" in err  # a filled-in template is never overwritten
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(written.read_bytes(), SEED.tasks, year=2021))
    code, out, err = cli("check", str(filled))
    assert code == 0 and err == "" and "duban template" not in out
    code, out, _ = cli("import", str(filled))
    assert code == 0 and "added 25" in out


def test_cli_points_at_the_template_when_a_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("会议纪要：下周再议。\n", encoding="utf-8")
    code, out, err = cli("check", str(junk))
    assert code == 2 and err.startswith(f"{junk}:") and "duban template" in out
    code, _, err = cli("import", str(junk))
    assert code == 2 and f"{junk}:" in err and "duban template" in err


def test_milestones_and_remarks_survive_the_yaml_round_trip() -> None:
    steps = (Milestone(date(2021, 3, 31), "起草"), Milestone(date(2021, 5, 20), "印发"))
    tasks = [replace(SEED.tasks[0], milestones=steps, remarks="口径"), *SEED.tasks[1:]]
    again = load_yaml(dump_plan(Plan(tasks=tasks, year=2021)))
    assert not again.problems
    assert [facts(t) for t in again.tasks] == [facts(t) for t in tasks]
    broken = dump_plan(Plan(tasks=tasks[:1], year=2021)).replace("2021-03-31", "近期")
    assert "milestones" in load_yaml(broken).errors[0].message


def test_a_year_that_is_no_year_is_a_problem_on_its_row(tmp_path: Path) -> None:
    book = load_workbook(io.BytesIO(fill_template(template_bytes(SPEC), SEED.tasks[:2])))
    book[SHEET]["B2"] = "今年"
    out = io.BytesIO()
    book.save(out)
    plan = read(tmp_path, out.getvalue())
    assert [(p.line, p.severity) for p in plan.errors][:1] == [(2, "error")]
    assert "年度" in plan.errors[0].message


def test_check_show_and_tasks_list_the_milestones(cli: Cli, tmp_path: Path) -> None:
    steps = (Milestone(date(2021, 4, 30), "起草指南"),)
    tasks = [replace(SEED.tasks[0], milestones=steps), *SEED.tasks[1:3]]
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(template_bytes(SPEC), tasks))
    code, out, _ = cli("check", "--show", str(filled))
    assert code == 0 and "节点：2021-04-30 起草指南" in out.splitlines()[0]
    code, out, _ = cli("tasks", "--plan", str(filled))
    assert code == 0 and "节点: 2021-04-30 起草指南" in out
    code, out, _ = cli("tasks", "--plan", str(filled), "--json")
    assert json.loads(out)[0]["milestones"] == [{"due": "2021-04-30", "text": "起草指南"}]


def test_a_rearranged_template_still_reads_its_milestones(tmp_path: Path) -> None:
    """The office deleted 备注, swapped the unit columns and added one of its own."""
    steps = (Milestone(date(2021, 4, 30), "起草指南"),)
    tasks = [replace(SEED.tasks[0], milestones=steps), *SEED.tasks[1:5]]
    book = load_workbook(io.BytesIO(fill_template(template_bytes(SPEC), tasks)))
    sheet = book[SHEET]
    sheet.delete_cols(HEADERS.index("备注") + 1)
    lead, support = HEADERS.index("牵头单位") + 1, HEADERS.index("配合单位") + 1
    for row in range(4, 11):
        a, b = sheet.cell(row, lead).value, sheet.cell(row, support).value
        sheet.cell(row, lead).value, sheet.cell(row, support).value = b, a
    sheet.cell(4, 9, "责任人")
    sheet.cell(6, 9, "张三")
    out = io.BytesIO()
    book.save(out)
    plan = read(tmp_path, out.getvalue())
    assert not plan.problems
    assert [facts(t) for t in plan.tasks] == [facts(t) for t in tasks]


def test_a_plain_table_with_the_same_words_is_left_to_the_general_reader(tmp_path: Path) -> None:
    """Without the template's 方案名称 / 年度 and its exact header, 时间节点 is not read here."""
    tasks = [replace(SEED.tasks[0], milestones=(Milestone(date(2021, 4, 30), "起草"),))]
    tasks += SEED.tasks[1:3]
    typed = load_workbook(io.BytesIO(fill_template(template_bytes(SPEC), tasks)))[SHEET]
    rows = [[c for c in r[:7]] for r in typed.iter_rows(min_row=4, max_row=8, values_only=True)]
    assert rows[0] == list(HEADERS[:7])  # the header without 备注
    plain = Workbook()
    sheet = plain.active
    assert sheet is not None
    sheet.append(["2021年度重点任务分解表"])
    for row in rows:
        sheet.append(row)
    assert (
        read_template([[str(c or "") for c in r] for r in sheet.iter_rows(values_only=True)])
        is None
    )
    path = tmp_path / "plain.xlsx"
    plain.save(path)
    plan = load_plan(path)
    assert [t.title for t in plan.tasks] == [t.title for t in SEED.tasks[:3]]  # no 示例
    assert all(t.milestones == () for t in plan.tasks)
