"""Loading a task decomposition from whatever layout it comes in, and checking it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from bot import DATA
from bot.plan.deadline import parse_deadline
from bot.plan.delimited import parse_delimited
from bot.plan.digest import (
    PlanDigest,
    Suggest,
    describe_task,
    digest_plan,
    plan_doubts,
    unit_doubts,
    unknown_units,
)
from bot.plan.docx import read_docx
from bot.plan.excel import parse_workbook
from bot.plan.flat import parse_flat, parse_spaced
from bot.plan.lines import parse_lines
from bot.plan.model import Deadline, Plan, Problem, Task
from bot.plan.pdf import read_pdf
from bot.plan.sniff import convert_old, kind_of, old_format_message, temporary_dir
from bot.plan.table import has_table, parse_table
from bot.plan.title import plan_title
from bot.plan.unitlist import GROUP_PHRASES, normalize_unit, split_units
from bot.plan.yaml_io import dump_plan, load_yaml

__all__ = [
    "BUNDLED_PLAN",
    "Deadline",
    "Plan",
    "PlanDigest",
    "Problem",
    "Suggest",
    "Task",
    "check_loaded",
    "check_plan",
    "describe_task",
    "digest_plan",
    "dump_plan",
    "load_plan",
    "load_yaml",
    "normalize_unit",
    "parse_deadline",
    "parse_text",
    "plan_doubts",
    "split_units",
    "suggester",
]

BUNDLED_PLAN = DATA / "zhenhai-2021-credit-plan.txt"


_OFFICE_SUFFIXES = {".docx": "Word", ".xlsx": "Excel", ".xlsm": "Excel", ".pdf": "PDF"}
_YAML_START = re.compile(r"^(?:\s*#.*\n|\s*\n)*\s*(?:year|tasks)\s*:", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode(data: bytes) -> str | None:
    """The file's text in the encodings Chinese documents come in, or None if it is binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data:
            return None
        candidates = ["utf-8-sig", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
            return None  # decodable by accident: gb18030 accepts a lot of noise
        return text
    return None


def parse_text(text: str) -> Plan:
    """A plan from document text: a `|`, tab, CSV or one-cell-per-line table, YAML, or lines."""
    if not text.strip():
        return Plan(problems=[Problem(1, "文件为空")])
    if _YAML_START.match(text) and not has_table(text):
        return load_yaml(text)
    return titled(_parse_layout(text), text)


def _parse_layout(text: str) -> Plan:
    if has_table(text):
        return parse_table(text)
    for reader in (parse_delimited, parse_flat, parse_spaced):
        plan = reader(text)
        if plan is not None and plan.tasks:
            return plan
    return parse_lines(text)


def titled(plan: Plan, text: str) -> Plan:
    """`plan`, with the title its document states when the reader found none."""
    plan.title = plan.title or plan_title(text)
    return plan


def load_plan(path: Path) -> Plan:
    """The plan in `path`, whatever its layout; never raises, defects are in `plan.problems`."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            # a FIFO or a device would block the read or never end
            return Plan(problems=[Problem(0, "不是普通文件")], source=str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        return Plan(problems=[Problem(0, "文件不存在")], source=str(path))
    except IsADirectoryError:
        return Plan(problems=[Problem(0, "这是一个目录，不是文件")], source=str(path))
    except PermissionError:
        return Plan(problems=[Problem(0, "无法读取文件：没有读取权限")], source=str(path))
    except OSError as exc:
        return Plan(problems=[Problem(0, f"无法读取文件：{exc.strerror or exc}")], source=str(path))
    try:
        plan = _parse(path, data)
    except Exception as exc:  # a parser bug must still end as one line, never a traceback
        plan = Plan(problems=[Problem(1, f"无法解析文件（{exc.__class__.__name__}）：{exc}")])
    plan.source = str(path)
    if not plan.title:
        plan.title, plan.titled_by_name = path.stem, True
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _parse(path: Path, data: bytes) -> Plan:
    """Choose the layout by content; the extension only names what was expected."""
    if not data.strip():
        return Plan(problems=[Problem(1, "文件为空")])
    kind = kind_of(path, data)
    if kind == "ole":
        return _old_office(path)
    if kind == "docx":
        return read_docx(path, parse_text)
    if kind == "xlsx":
        return parse_workbook(path)
    if kind == "pdf":
        return read_pdf(path, parse_text)
    if kind == "zip":
        return Plan(
            problems=[
                Problem(0, "无法读取文件：这是 zip 压缩包，但不是 Word(.docx) 或 Excel(.xlsx) 文件")
            ]
        )
    text = _decode(data)
    suffix = path.suffix.lower()
    if suffix in (".doc", ".wps", ".et", ".xls") and text is None:
        return Plan(problems=[Problem(0, old_format_message(path))])
    if suffix in _OFFICE_SUFFIXES and text is None:
        return Plan(
            problems=[
                Problem(
                    0,
                    f"无法读取文件：扩展名是 {suffix}，但内容不是 {_OFFICE_SUFFIXES[suffix]} 文件"
                    "（可能已损坏，或是改了扩展名的其他文件）",
                )
            ]
        )
    if text is None:
        return Plan(problems=[Problem(0, "无法读取文件：不是文本文件，也不是 .xlsx 表格")])
    if suffix in (".yaml", ".yml"):
        return load_yaml(text)
    return parse_text(text)


def _old_office(path: Path) -> Plan:
    """An old binary .doc/.wps/.xls/.et: converted by LibreOffice if it is installed."""
    with temporary_dir() as workdir:
        converted = convert_old(path, Path(workdir))
        if converted is None:
            return Plan(problems=[Problem(0, old_format_message(path))])
        plan = _parse(converted, converted.read_bytes())
        plan.problems.append(
            Problem(0, f"“{path.name}”是旧版格式，已用 LibreOffice 转换后读取", severity="warning")
        )
        return plan


def suggester(known: Iterable[str]) -> Suggest:
    """A `suggest(name)` over the `known` names, by difflib similarity."""
    names = {normalize_unit(n): n for n in known}

    def suggest(name: str) -> str | None:
        key = normalize_unit(name)
        if key in names:
            return None
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
        return names[close[0]] if close else ""

    return suggest


def _bundled_suggester() -> Suggest:
    """Fallback when no unit directory is given: the units the bundled plan names."""
    plan = load_plan(BUNDLED_PLAN)
    known = {u for t in plan.tasks for u in (*t.leads, *t.supporters)}
    return suggester([*known, *GROUP_PHRASES])


def check_plan(path: Path, known_units: Suggest | None = None) -> list[Problem]:
    """Every problem of the plan in `path`, in line order: errors, and warnings for unknown units."""
    return check_loaded(load_plan(path), known_units)


def check_loaded(plan: Plan, known_units: Suggest | None = None) -> list[Problem]:
    """Every problem of a plan already read: its own, and warnings for unknown units."""
    suggest = known_units or _bundled_suggester()
    problems = list(plan.problems)
    for task in plan.tasks:
        for doubt in unit_doubts(task):
            problems.append(Problem(plan.line_of(task), f"任务 {task.id}：{doubt}", "warning"))
    for task, name, nearest in unknown_units(plan, suggest):
        message = f"未知单位“{name}”"
        if nearest:
            message += f"，最接近的已知单位是“{nearest}”"
        problems.append(Problem(plan.line_of(task), message, severity="warning"))
    problems.sort(key=lambda p: p.line)
    return problems
