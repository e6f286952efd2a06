"""The import template (导入模板): an .xlsx the office types a plan into, and its reading back.

The template is one task per row under a fixed header (序号, 类别, 工作措施, 完成时限, 时间节点,
牵头单位, 配合单位, 备注), with the plan's name and year above it, dropdowns of the unit
directory's names and of the groups, a 填写说明 sheet, and one example row (序号 `示例`) that
no reader imports. A sheet with that header is read here, field by field; everything else a
workbook holds goes to the general reader.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.plan.build import RawTask, build_tasks, heading, plan_end, plan_year, raw_from_cells
from bot.plan.deadline import parse_deadline
from bot.plan.model import Milestone, Plan, Problem, Task
from bot.plan.numerals import CN_NUMBER

SHEET = "任务分解表"
HELP_SHEET = "填写说明"
LISTS_SHEET = "选项"  # hidden: the dropdowns' lists
TITLE_LABEL = "方案名称"
YEAR_LABEL = "年度"
# (field, header) in column order; the header is what identifies a sheet as the template
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "序号"),
    ("group", "类别"),
    ("measure", "工作措施"),
    ("deadline", "完成时限"),
    ("milestones", "时间节点"),
    ("leads", "牵头单位"),
    ("supporters", "配合单位"),
    ("remarks", "备注"),
)
HEADERS = tuple(header for _, header in COLUMNS)
_FIELD_OF = {header: field for field, header in COLUMNS}
EXAMPLE = "示例"
# A row whose 序号 says it is an example (`示例`, `例`, `填写示例`) is never a task, in any layout.
_EXAMPLE_MARK = re.compile(r"^\s*(?:填写)?[示样范]?例\s*[:：]?\s*$")
HEADER_SEARCH_ROWS = 30
TASK_ROWS = 500  # rows prepared with dropdowns below the example
_SPACE = re.compile(r"\s+")

_NUM = rf"(?:\d{{1,2}}|{CN_NUMBER})"
# A milestone line: its date first, then what is done by then (`2021-06-30 出台方案`,
# `6月底前 完成初稿`, `2022年3月15日前：验收`). `6月初` names no day: refused, never guessed.
_STEP = re.compile(
    rf"^(?P<when>\d{{4}}\s*[-/.]\s*\d{{1,2}}(?:\s*[-/.]\s*\d{{1,2}})?(?!\d)"
    rf"|(?:\d{{4}}\s*年\s*)?(?:{_NUM}\s*月份?\s*(?:{_NUM}\s*[日号]|底|末|上旬|中旬|下旬)?"
    rf"|年底|年末|上半年|下半年|第?[一二三四1-4]季度(?:末|底)?))"
    rf"(?![初中\d])\s*(?:之前|以前|前)?\s*[：:，,、。.]?\s*(?P<text>.*)$"
)
_HAS_YEAR = re.compile(r"^\d{4}")


def is_example(number_cell: str) -> bool:
    """Whether a row's 序号 marks it as a filling example (`示例`), which is never imported."""
    return bool(_EXAMPLE_MARK.match(number_cell or ""))


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSpec:
    """What a template is made for: the directory's names, the groups, the plan's year."""

    units: tuple[str, ...]
    groups: tuple[str, ...]
    year: int
    title: str = ""


def _example(spec: TemplateSpec) -> list[object]:
    return [
        EXAMPLE,
        spec.groups[0] if spec.groups else "健全制度体系",
        "完善工作制度。制定年度实施方案，健全信息采集、报送和公开制度。",
        f"{spec.year}年12月底前",
        f"{spec.year}-06-30 出台实施方案\n9月底前 完成中期评估",
        spec.units[0] if spec.units else "",
        "、".join(spec.units[1:3]),
        "本行是填写示例，导入时自动忽略，可删除",
    ]


def _help(spec: TemplateSpec) -> tuple[tuple[str, str, str], ...]:
    """(column, how to fill it, an example) for the 填写说明 sheet."""
    y = spec.year
    return (
        ("序号", "任务编号，填数字 1、2、3……，不可重复。序号写“示例”的行不会导入。", "1"),
        (
            "类别",
            "任务所属的类别（重点任务），可从下拉列表选，也可直接填写；同一类别的任务写同一"
            "名称，留空则沿用上一行的类别。",
            spec.groups[0] if spec.groups else "",
        ),
        ("工作措施", "任务的具体内容，第一句作为任务标题。", "完善工作制度。制定……"),
        (
            "完成时限",
            f"写法：{y}-06-30、{y}年6月30日、6月底前、三季度、年底前、每月8日前报送……、"
            "持续推进。没写年份的按“年度”一栏的年份。",
            f"{y}年6月底前",
        ),
        (
            "时间节点",
            f"可不填。每行一个节点：日期在前、内容在后，如“{y}-06-30 出台方案”或"
            "“6月底前 完成初稿”；单元格内换行按 Alt+Enter。没写年份的节点沿用上一个节点的"
            "年份，第一个节点按“年度”一栏的年份。时间节点都应早于完成时限。",
            f"{y}-06-30 出台方案\n9月底前 完成评估",
        ),
        (
            "牵头单位",
            "可从下拉列表选，也可直接输入；多个单位用“、”分隔，均为牵头单位，按主次排列。",
            "、".join(spec.units[:2]),
        ),
        (
            "配合单位",
            "可不填；可从下拉列表选，也可直接输入；多个单位用“、”分隔。",
            "、".join(spec.units[2:4]),
        ),
        ("备注", "可不填，导入后随任务保存。", ""),
    )


_NOTES = (
    "每行填写一项任务；表头（第 4 行）和上方的方案名称、年度请勿删除或改名。",
    "单位名称请用下拉列表里的写法（单元格可直接输入，多个单位用“、”分隔）。",
    "填好后保存为 .xlsx：由督办人员在 Telegram 私聊中把文件发给督办助手，确认后点“导入”；"
    "或在服务器上运行 duban check 文件名 检查、duban import 文件名 导入。",
    "再次导入同一方案时，按序号合并：已有进度和记录保留，改动记为方案修订。",
)


def template_bytes(spec: TemplateSpec) -> bytes:
    """The template workbook as .xlsx bytes."""
    from openpyxl import Workbook  # imported late: only the template and spreadsheets need it
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([TITLE_LABEL, spec.title or f"{spec.year}年度重点任务分解表"])
    sheet.append([YEAR_LABEL, spec.year])
    sheet.append(["说明", "每行一项任务，填写方法见“填写说明”工作表；序号为“示例”的行不会导入。"])
    sheet.merge_cells(start_row=1, start_column=2, end_row=1, end_column=len(HEADERS))
    sheet.merge_cells(start_row=3, start_column=2, end_row=3, end_column=len(HEADERS))
    for row in (1, 2, 3):
        sheet.cell(row, 1).font = bold
    sheet.cell(1, 2).font = Font(bold=True, size=14)
    header_row = 4
    sheet.append(list(HEADERS))
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col in range(1, len(HEADERS) + 1):
        cell = sheet.cell(header_row, col)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.append(_example(spec))
    grey = Font(italic=True, color="808080")
    for col in range(1, len(HEADERS) + 1):
        cell = sheet.cell(header_row + 1, col)
        cell.font, cell.alignment = grey, wrap
    last = header_row + 1 + TASK_ROWS
    for row in range(header_row + 2, last + 1):
        for col in range(1, len(HEADERS) + 1):
            sheet.cell(row, col).alignment = wrap
    for col, width in enumerate((8, 18, 50, 16, 30, 22, 30, 16), start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)

    lists = book.create_sheet(LISTS_SHEET)
    for i, name in enumerate(spec.units, start=1):
        lists.cell(i, 1, name)
    for i, name in enumerate(spec.groups, start=1):
        lists.cell(i, 2, name)
    lists.sheet_state = "hidden"

    def column_of(field: str) -> str:
        return str(get_column_letter(1 + [f for f, _ in COLUMNS].index(field)))

    def dropdown(source_col: str, count: int, field: str, title: str, prompt: str) -> None:
        if not count:
            return
        # not strict: a cell may hold several names joined with 、, or a name not listed
        rule = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${source_col}$1:${source_col}${count}",
            allow_blank=True,
            showErrorMessage=False,
            showInputMessage=True,
            promptTitle=title,
            prompt=prompt,
        )
        target = column_of(field)
        rule.add(f"{target}{header_row + 1}:{target}{last}")
        sheet.add_data_validation(rule)

    unit_prompt = "从列表选，或直接输入；多个单位用“、”分隔"
    dropdown("A", len(spec.units), "leads", "牵头单位", unit_prompt + "，第一个为主要牵头单位")
    dropdown("A", len(spec.units), "supporters", "配合单位", unit_prompt)
    dropdown("B", len(spec.groups), "group", "类别", "从列表选，或直接输入新的类别")
    year_rule = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100")
    year_rule.error, year_rule.errorTitle = "请填写四位年份，如 2021", "年度"
    year_rule.add("B2")
    sheet.add_data_validation(year_rule)

    help_sheet = book.create_sheet(HELP_SHEET, 1)
    help_sheet.append(["导入模板填写说明"])
    help_sheet.cell(1, 1).font = Font(bold=True, size=14)
    help_sheet.append([])
    help_sheet.append(["栏目", "填写要求", "示例"])
    for col in (1, 2, 3):
        help_sheet.cell(3, col).font, help_sheet.cell(3, col).fill = bold, fill
    for name, how, example in _help(spec):
        help_sheet.append([name, how, example])
    help_sheet.append([])
    help_sheet.append(["注意事项"])
    help_sheet.cell(help_sheet.max_row, 1).font = bold
    for n, note in enumerate(_NOTES, start=1):
        help_sheet.append([f"{n}.", note])
    for row in help_sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = wrap
    for col, width in ((1, 12), (2, 70), (3, 30)):
        help_sheet.column_dimensions[get_column_letter(col)].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- reading ---------------------------------------------------------------------------------


def _clean(cell: str) -> str:
    return _SPACE.sub("", cell or "")


def _header(rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, int]] | None:
    """(row index, column by field) of the template's header: its eight columns in order, or,
    under the template's 方案名称 / 年度, its columns as the office rearranged them (a column
    deleted, moved or added: the added one is not read)."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_clean(c) for c in row]
        known = [(name, col) for col, name in enumerate(names) if name in _FIELD_OF]
        columns = {_FIELD_OF[name]: col for name, col in known}
        if len(columns) < len(known) or not {"measure", "leads"} <= columns.keys():
            continue  # a header named twice, or without what a task needs
        if tuple(n for n in names if n) == HEADERS or any(
            _labelled(rows[:index], label)[0] for label in (TITLE_LABEL, YEAR_LABEL)
        ):
            return index, columns
    return None


def _labelled(rows: Sequence[Sequence[str]], label: str) -> tuple[int, str]:
    """(line, value) of the cell next to `label` (方案名称, 年度) above the header."""
    for index, row in enumerate(rows):
        if row and _clean(row[0]) == label:
            return index + 1, next((c.strip() for c in row[1:] if c.strip()), "")
    return 0, ""


def read_template(rows: Sequence[Sequence[str]]) -> Plan | None:
    """The plan typed into the template's sheet (cell texts, merged cells filled), or None when
    the sheet is not the template. Row numbers are the problems' lines."""
    found = _header(rows)
    if found is None:
        return None
    start, columns = found
    problems: list[Problem] = []
    _, title = _labelled(rows[:start], TITLE_LABEL)
    year_line, year_cell = _labelled(rows[:start], YEAR_LABEL)
    year: int | None = None
    if year_cell:
        if re.fullmatch(r"\d{4}", year_cell) and 2000 <= int(year_cell) <= 2100:
            year = int(year_cell)
        else:
            problems.append(Problem(year_line, f"“年度”应为四位年份：“{year_cell}”"))
    raws: list[RawTask] = []
    extras: dict[int, tuple[str, str]] = {}  # line -> (milestones cell, remarks)
    groups: dict[str, int] = {}
    group = (0, "")
    for index in range(start + 1, len(rows)):
        row = rows[index]
        cells = {f: row[c] if c < len(row) else "" for f, c in columns.items()}
        cells.update((f, "") for f, _ in COLUMNS if f not in cells)
        if not any(c.strip() for c in cells.values()) or is_example(cells["number"]):
            continue
        line = index + 1
        if name := cells["group"].strip():
            numbered = heading(name)  # `一、…` keeps its number; other names count in order
            group = numbered or (groups.setdefault(name, len(groups) + 1), name)
        raw = raw_from_cells(
            line,
            cells["number"],
            cells["measure"],
            cells["deadline"],
            cells["leads"],
            cells["supporters"],
            group,
            source=" | ".join(c for c in row if c),
        )
        raws.append(raw)
        extras[line] = (cells["milestones"], cells["remarks"].strip())
    if year is None:
        year = plan_year(title, (r.deadline for r in raws))
    steps = {raw.line: _milestones(extras[raw.line][0], year, raw, problems) for raw in raws}
    for raw in raws:
        if not raw.deadline and steps[raw.line]:
            last = steps[raw.line][-1].due  # the deadline is the last step
            raw.deadline = f"{last.year}年{last.month}月{last.day}日"
    tasks = build_tasks(raws, year, problems, plan_end(title, year))
    tasks = [_with_extras(t, steps[t.line], extras[t.line][1], problems) for t in tasks]
    if not raws:
        problems.append(Problem(start + 1, "模板中没有填写任何任务（示例行不会导入）"))
    return Plan(tasks=tasks, problems=problems, year=year, title=title)


def _milestones(
    cell: str, year: int | None, raw: RawTask, problems: list[Problem]
) -> tuple[Milestone, ...]:
    """One milestone per line of the cell; a year left out is the previous step's."""
    found: list[Milestone] = []
    current = year
    for n, step in enumerate((s.strip() for s in cell.splitlines() if s.strip()), start=1):
        m = _STEP.match(step)
        when = m.group("when") if m else ""
        text = m.group("text").strip() if m else ""
        deadline = parse_deadline(when, current) if m else None
        if deadline is None or deadline.due is None or not text:
            why = (
                "缺少内容" if deadline is not None and deadline.due and not text else "日期无法识别"
            )
            if m and deadline is None and not _HAS_YEAR.match(when) and current is None:
                why = "缺少年份"
            task = f"任务 {raw.number} 的" if raw.number is not None else ""
            problems.append(
                Problem(
                    raw.line,
                    f"{task}时间节点第 {n} 条{why}：“{step}”"
                    "（每行一条，写成“2021-06-30 内容”或“6月底前 内容”）",
                )
            )
            continue
        current = deadline.due.year
        found.append(Milestone(deadline.due, text))
    return tuple(sorted(found))


def _with_extras(
    task: Task, steps: tuple[Milestone, ...], remarks: str, problems: list[Problem]
) -> Task:
    due = task.deadline.due
    for step in steps:
        if due is not None and step.due > due:
            problems.append(
                Problem(
                    task.line,
                    f"任务 {task.id} 的时间节点“{step.due.isoformat()} {step.text}”"
                    f"晚于完成时限（{due.isoformat()}）",
                    severity="warning",
                )
            )
    return replace(task, milestones=steps or task.milestones, remarks=remarks)
