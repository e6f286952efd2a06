"""The `duban` command line (CONTRACT.md: run, sandbox, check, tasks, import, units, preview…)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings, make_clock
from bot.domain.clock import FixedClock
from bot.domain.contacts import CONTACT_ROLE_LABELS, contact_role
from bot.domain.planner import Reminder
from bot.domain.policy import PolicyError, policy_for
from bot.domain.units import Directory
from bot.features import plan_import
from bot.features.slips import SlipRefusal, issue_slip, slip_request
from bot.features.sweep import planned
from bot.plan import Plan, check_loaded, describe_task, dump_plan, load_plan
from bot.plan.model import Task
from bot.plan.refs import naming, task_ref
from bot.plan.template import template_bytes
from bot.plan.unit_draft import draft_directory
from bot.reports.due import preview_reminders
from bot.reports.report import export_report
from bot.reports.slip import slip_file_name, write_slip
from bot.reports.summary import messages_of
from bot.services import Into, PlanError, Services, open_services
from bot.store import StoreLocked
from bot.store.backup import BackupError, check_backup, make_backup, restore_backup
from bot.store.plans import PlanError as PlanRefusal
from bot.store.plans import PlanInfo
from bot.telegram.app import run_bot
from bot.telegram.courier import sweep_with_token
from bot.text.render import plain_text
from sandbox.main import run_sandbox, sandbox_data

log = logging.getLogger("duban")
DEFAULT_TEMPLATE = "duban-template.xlsx"
# after a file no task could be read from: what the office can do instead (README: Command line)
TEMPLATE_HINT = (
    "duban: 未能从文件中读出任务（见上）。可用 duban template 生成导入模板（Excel），"
    "按模板填写后再检查、导入。"
)


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {raw!r}") from None


@dataclass(frozen=True)
class Help:
    """What a subcommand does, in Chinese and English as the README says it, and examples."""

    brief: str  # the line in `duban -h`'s list
    zh: str
    en: str
    examples: tuple[str, ...]

    @property
    def epilog(self) -> str:
        return "例如 / examples:\n" + "\n".join(f"  {e}" for e in self.examples)


HELP = {
    "run": Help(
        "运行机器人 / run the bot",
        "运行机器人（长轮询；或在 HTTPS 之后用 webhook）。同一数据目录只能运行一个。",
        "run the bot (long polling, or a webhook behind HTTPS); one per data directory",
        ("duban run", "duban run --webhook https://example.org/duban --listen 127.0.0.1:8443"),
    ),
    "sandbox": Help(
        "离线沙盒 / the offline sandbox with a web chat",
        "离线沙盒：本地 Bot API、真实的机器人和网页聊天（http://127.0.0.1:8088），不连 Telegram。",
        "the offline sandbox: a local Bot API, the real bot and a web chat; nothing reaches "
        "Telegram",
        ("duban sandbox", "DUBAN_CLOCK_START=2021-06-28T08:55 duban sandbox"),
    ),
    "check": Help(
        "检查分解表 / validate a task decomposition",
        "检查重点任务分解表：每个问题一行 FILE:LINE: message，有错误时退出码为 2。",
        "validate a task decomposition: one FILE:LINE: message per problem, exit 2 on errors",
        ("duban check plan.docx", "duban check plan.xlsx --show"),
    ),
    "tasks": Help(
        "列出任务 / list the parsed tasks",
        "列出读到的任务（默认来自数据库，在用的方案；--all 含已关闭的方案；--plan 读文件）。",
        "list the parsed tasks (from the store: the active plans', --all closed ones too; or "
        "--plan FILE)",
        ("duban tasks", "duban tasks --json", "duban tasks --yaml > plan.yaml"),
    ),
    "import": Help(
        "导入计划 / load or re-load a plan",
        "导入方案：与已有方案同名的文件是它的修订（历史记录保留，修改的字段记为计划修订），"
        "其他文件成为新方案；拿不准时不导入，用 --new 或 --plan CODE 指定。",
        "load a plan: a file titled like a plan the store has revises it (history kept), any "
        "other becomes a new plan; when unsure nothing is imported: say --new or --plan CODE",
        (
            "duban import plan.xlsx",
            "duban import 2022.docx --new",
            "duban import rev.docx --plan A",
        ),
    ),
    "plans": Help(
        "方案列表 / the plans, close and reopen",
        "列出方案（代号、类型、标题、年度、状态、任务数）；--close 关闭方案（不再提醒、催办，"
        "仍可查阅、导出），--reopen 重新启用，--rename 修改代号。",
        "the plans (code, kind, title, year, status, tasks); --close ends a plan (no more "
        "reminders or escalations; still readable and exportable), --reopen, --rename",
        ("duban plans", "duban plans --json", "duban plans --close A", "duban plans --rename B ZX"),
    ),
    "template": Help(
        "导入模板 / the import template (.xlsx)",
        "生成导入模板（Excel）：表头、单位下拉列表、填写说明和一行示例；按模板填写的计划能准确读回。",
        "write the import template (.xlsx): header row, unit dropdowns, instructions, an example "
        "row; a plan typed into it reads back exactly",
        ("duban template", "duban template --out 2022-plan.xlsx"),
    ),
    "units": Help(
        "单位与联系人 / the unit directory and bound contacts",
        "单位名录和已绑定的联系人；--init 为任意计划生成单位名录草稿。",
        "the unit directory and bound contacts; --init drafts a directory for any plan",
        ("duban units", "duban units --json", "duban units --init plan.docx > units.yaml"),
    ),
    "preview": Help(
        "预览提醒或周报 / what a scheduled job would send",
        "预览定时任务将发送的内容：某天的提醒，或某周的周报。",
        "what a scheduled job would send: a day's reminders, or the weekly summary",
        (
            "duban preview reminders --date 2021-06-11",
            "duban preview summary --date 2021-06-25",
        ),
    ),
    "reminders": Help(
        "预览某天的提醒 / a day's reminders",
        "某天提醒扫描会发送的提醒（按当前数据库）；--json 输出 JSON 数组。",
        "what the reminder sweep of that day sends, from the current store; --json: an array",
        (
            "duban preview reminders --date 2021-06-11",
            "duban preview reminders --date 2021-06-11 --json",
        ),
    ),
    "summary": Help(
        "预览周报 / the weekly summary",
        "某天的周报，如同发到协调群的样子。",
        "the weekly summary as it would be posted on that day",
        ("duban preview summary --date 2021-06-25",),
    ),
    "export": Help(
        "导出 Excel 报表 / the progress report as Excel",
        "导出进展报表（Excel：任务分解及进展、历史记录、佐证材料、诚信建设万里行、专项治理、"
        "量化指标、单位评分）；--plan 只导出一个方案；--evidence-zip 另存全部佐证材料文件。",
        "the progress report as Excel; --plan CODE: one plan only; --evidence-zip also zips "
        "every evidence file",
        (
            "duban export --out report.xlsx",
            "duban export --out 2021.xlsx --plan A",
            "duban export --out report.xlsx --evidence-zip evidence.zip",
        ),
    ),
    "slip": Help(
        "督办单 / a printable supervision notice (Word) for a unit",
        "为某单位生成可打印的督办单（Word）：编号 督办〔YYYY〕N号（每年连续、不重复）、未完成任务、签收栏；记入历史。",
        "a printable supervision notice (Word) of a unit's open tasks: a serial number per year, "
        "never reused, and a receipt block; recorded in the history",
        ("duban slip --unit 区商务局", "duban slip --unit 区商务局 --task 20 --out slip.docx"),
    ),
    "remind": Help(
        "立即提醒一次 / one reminder sweep now",
        "立即执行一次提醒扫描（用 cron 部署时）。",
        "one reminder sweep now (for cron deployments)",
        ("duban remind", "duban remind --date 2021-06-11"),
    ),
    "backup": Help(
        "备份 / back up the store and evidence",
        "备份：数据库和全部佐证材料打包成一个 .tar.gz（含 sha256 清单）；--check 校验备份。",
        "one .tar.gz of the store and the evidence files with a sha256 manifest; --check "
        "verifies one",
        ("duban backup", "duban backup --to /mnt/backups", "duban backup --check duban-x.tar.gz"),
    ),
    "restore": Help(
        "恢复备份 / restore a backup",
        "把备份恢复到空的 DUBAN_DATA_DIR，逐个校验哈希。",
        "restore a backup into an empty DUBAN_DATA_DIR, every hash verified",
        ("DUBAN_DATA_DIR=data/state duban restore duban-20210625-020000.tar.gz",),
    ),
}


def _sub(
    parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str
) -> argparse.ArgumentParser:
    """A subcommand with its one-line help, its description and examples (`duban NAME -h`)."""
    text = HELP[name]
    return parent.add_parser(
        name,
        help=text.brief,
        description=f"{text.zh}\n{text.en}",
        epilog=text.epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="duban",
        description="督办助手：督办工作方案的 Telegram 机器人 — a Telegram bot that follows a "
        "campaign plan up",
        epilog="`duban COMMAND -h`：每条命令的说明和示例 / each command's help and examples\n"
        "DUBAN_DATA_DIR 指向沙盒数据时，tasks、units、preview、export 用沙盒的时钟和协调人 /\n"
        "on the sandbox's data, tasks, units, preview and export use its clock and coordinators",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _sub(sub, "run")
    run.add_argument(
        "--auto", action="store_true", help="没有令牌时启动沙盒 / the sandbox when no token is set"
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="Telegram 推送更新的 HTTPS 地址 / public HTTPS URL Telegram posts updates to",
    )
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8443",
        help="webhook 监听地址 / where the webhook listens (default %(default)s)",
    )

    _sub(sub, "sandbox")

    check = _sub(sub, "check")
    check.add_argument(
        "file", type=Path, help="计划文件 / the plan: .docx .xlsx .pdf .txt .md .csv .yaml"
    )
    check.add_argument(
        "--show", action="store_true", help="逐条打印读到的任务 / also print every task as read"
    )

    tasks = _sub(sub, "tasks")
    tasks.add_argument(
        "--plan", type=Path, help="读这个文件而不是数据库 / parse this file instead of the store"
    )
    tasks.add_argument(
        "--all",
        action="store_true",
        help="也列出已关闭方案的任务 / closed plans' tasks too (default: the active plans')",
    )
    shape = tasks.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="JSON 数组 / a JSON array")
    shape.add_argument(
        "--yaml",
        action="store_true",
        help="规范化的计划（YAML，可手工编辑后导入）/ the normalised plan as YAML, for hand edits",
    )

    imp = _sub(sub, "import")
    imp.add_argument("file", type=Path, help="计划文件 / the plan file")
    where = imp.add_mutually_exclusive_group()
    where.add_argument("--new", action="store_true", help="新方案 / as a new plan")
    where.add_argument("--plan", metavar="CODE", help="修订方案 CODE / a revision of plan CODE")

    plans = _sub(sub, "plans")
    plans.add_argument("--json", action="store_true", help="JSON 数组 / a JSON array")
    change = plans.add_mutually_exclusive_group()
    change.add_argument(
        "--close", metavar="CODE", help="关闭方案：不再提醒、催办 / close a plan: no more chasing"
    )
    change.add_argument("--reopen", metavar="CODE", help="重新启用方案 / reopen a closed plan")
    change.add_argument(
        "--rename",
        nargs=2,
        metavar=("CODE", "NEW"),
        help="修改方案代号（1–4 个英文字母）/ give a plan another code (1-4 Latin letters)",
    )

    template = _sub(sub, "template")
    template.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_TEMPLATE),
        help=f"写到哪里（默认当前目录的 {DEFAULT_TEMPLATE}，已有的文件不会被覆盖）/ where to "
        f"write it (default: {DEFAULT_TEMPLATE} in the current directory; an existing file is "
        "never overwritten)",
    )

    units = _sub(sub, "units")
    units.add_argument("--json", action="store_true", help="JSON 输出 / as JSON")
    units.add_argument(
        "--init",
        type=Path,
        metavar="PLAN",
        help="为 PLAN 生成单位名录草稿 / print a draft unit directory for PLAN",
    )

    date_help = "日期 / the day (YYYY-MM-DD)"
    preview = _sub(sub, "preview")
    psub = preview.add_subparsers(dest="what", required=True, metavar="WHAT")
    pr = _sub(psub, "reminders")
    pr.add_argument("--date", type=_date, required=True, help=date_help)
    pr.add_argument("--json", action="store_true", help="JSON 数组 / a JSON array")
    ps = _sub(psub, "summary")
    ps.add_argument("--date", type=_date, required=True, help=date_help)

    exp = _sub(sub, "export")
    exp.add_argument("--out", type=Path, required=True, help="Excel 文件 / the .xlsx to write")
    exp.add_argument(
        "--plan",
        metavar="CODE",
        help="只导出这个方案（关闭的也可以）/ only this plan (a closed one too)",
    )
    exp.add_argument(
        "--evidence-zip", type=Path, help="佐证材料压缩包 / also write the evidence files as a zip"
    )

    slip = _sub(sub, "slip")
    slip.add_argument(
        "--unit",
        required=True,
        help="单位（名录中的任一写法）/ the unit (any spelling the directory knows)",
    )
    slip.add_argument(
        "--task", nargs="+", default=[], metavar="REF", help="只列这些任务 / only these tasks"
    )
    slip.add_argument(
        "--out",
        type=Path,
        help="输出文件（默认 督办〔YYYY〕N号-单位.docx）/ default: 督办〔YYYY〕N号-UNIT.docx here",
    )

    remind = _sub(sub, "remind")
    remind.add_argument(
        "--date", type=_date, help="扫描哪一天（默认今天）/ the day to sweep (default: today)"
    )

    backup = _sub(sub, "backup")
    backup.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="备份目录（默认 DUBAN_BACKUP_DIR）/ where to write (default: DUBAN_BACKUP_DIR)",
    )
    backup.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        help="只校验这个备份，不恢复 / verify a backup, no restore",
    )

    restore = _sub(sub, "restore")
    restore.add_argument("file", type=Path, help="备份文件 / the backup .tar.gz")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"duban: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "check":
            return cmd_check(args.file, settings, show=args.show)
        if args.command == "units" and args.init:
            return cmd_units_init(args.init)
        return COMMANDS[args.command](settings, args)
    except StoreLocked as exc:
        print(f"duban: {exc}", file=sys.stderr)
        return 3
    except PlanError as exc:  # DUBAN_PLAN loaded into an empty store by run, sandbox, remind
        print(f"duban: the plan {settings.plan} has errors:\n{exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:  # DUBAN_DATA_DIR/policy.yaml
        print(f"duban: reminder policy: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `duban preview … | head`: the reader left; say nothing more and exit quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def print_json(value: Any) -> int:
    """`--json`: the value on stdout, Chinese as is; exit 0."""
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_check(path: Path, settings: Settings, show: bool = False) -> int:
    """`duban check FILE`: exit 0, or 2 with one FILE:LINE: message per problem."""
    known = Directory.load(settings.units).check_name  # unknown units are judged by DUBAN_UNITS
    plan = load_plan(path)
    if show:
        for task in plan.tasks:
            print(describe_task(task))
    problems = check_loaded(plan, known)
    for problem in problems:
        print(problem.format(str(path)), file=sys.stderr)
    if not plan.tasks:
        print(TEMPLATE_HINT)  # stdout: stderr holds only the FILE:LINE: problems
    return 2 if any(p.severity == "error" for p in problems) else 0


def cmd_units_init(plan_path: Path) -> int:
    """`duban units --init PLAN`: a draft unit directory on stdout, problems on stderr."""
    plan = load_plan(plan_path)
    for problem in plan.errors:
        print(problem.format(str(plan_path)), file=sys.stderr)
    if not plan.tasks:
        return 2
    sys.stdout.write(draft_directory(plan))
    return 0


def cmd_tasks(settings: Settings, args: argparse.Namespace) -> int:
    if args.plan:
        plan = load_plan(args.plan)
        if plan.errors:
            for problem in plan.errors:
                print(problem.format(str(args.plan)), file=sys.stderr)
            return 2
        tasks = plan.tasks
        rows = [t.to_json() for t in tasks]
    else:
        services = _open(settings)
        try:
            tasks = services.store.plan.tasks(include_closed=args.all)
            # one plan's tasks keep its title: the YAML, edited, imports back as its revision
            slots = {services.store.plan.plan_of(t.id) for t in tasks}
            one = slots.pop() if len(slots) == 1 else None
            year = one.year if one else services.store.plan.year()
            plan = Plan(tasks=tasks, year=year, title=one.title if one else "")
            rows = [_stored_task(t) for t in tasks]
        finally:
            services.close()
    if args.yaml:
        sys.stdout.write(dump_plan(plan))
        return 0
    if args.json:
        return print_json(rows)
    for t, row in zip(tasks, rows, strict=True):
        print(f"{row.get('ref') or f'#{t.id}':<4} [{t.category_no}] {t.title}")
        print(f"     时限: {t.deadline.text}  牵头: {'、'.join(t.leads)}")
        if t.supporters:
            print(f"     配合: {'、'.join(t.supporters)}")
        for step in t.milestones:
            print(f"     节点: {step.due.isoformat()} {step.text}")
    return 0


def _stored_task(task: Task) -> dict[str, Any]:
    """A task of the store in the CONTRACT shape: `id` its number in its plan, and its plan's
    code and its ref."""
    code, _ = naming().numbers.get(task.id, ("", task.number))
    return {**task.to_json(), "id": task.number, "plan": code, "ref": task_ref(task.id)}


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """`duban import FILE [--new | --plan CODE]`: where the file goes, then what it changed."""
    # the file is the plan: an empty store does not get DUBAN_PLAN first
    services = _open(settings, writer=True, with_plan=False)
    try:
        return _import(services, args)
    finally:
        services.close()


def _import(services: Services, args: argparse.Namespace) -> int:
    try:
        plan, place = services.read_plan(args.file)
    except PlanError as exc:
        print(exc, file=sys.stderr)
        if not exc.tasks:
            print(TEMPLATE_HINT, file=sys.stderr)
        return 2
    into: Into = "new" if args.new else place.into
    if args.plan:
        target = services.store.plans.by_code(args.plan)
        refusal = _import_refusal(args.plan, target)
        if refusal or target is None:
            print(f"duban import: {refusal}", file=sys.stderr)
            return 2
        into = target.slot
    elif not args.new and not place.sure:
        would = services.store.plan.dry_run(plan, place.into)
        line = plain_text(plan_import.placement_line(None, plan, would))
        choose = "--plan CODE"
        if place.target is not None:
            choose = f"--plan {place.target.code}"
            if not place.target.active:
                choose += f"（先 duban plans --reopen {place.target.code}）"
        print(f"duban import: 拿不准这份文件是新方案还是修订：{place.why}。", file=sys.stderr)
        print(f"默认会导入为 {line}。", file=sys.stderr)
        print(
            f"没有导入。请指定：duban import {args.file} --new（新方案）或 {choose}（修订）。",
            file=sys.stderr,
        )
        return 2
    result = services.import_read(plan, actor="cli", into=into)
    print(plain_text(plan_import.placement_line(None, plan, result)))
    print(
        f"imported {args.file}: added {len(result.added)}, changed {len(result.changed)}, "
        f"archived {len(result.archived)}, unchanged {len(result.unchanged)}"
    )
    return 0


def _import_refusal(code: str, target: PlanInfo | None) -> str:
    """Why `--plan CODE` cannot take the file ("" when it can): a revision goes into a plan
    file that is followed; a closed plan is reopened first, so that nothing is revised unseen."""
    if target is None:
        return PLAN_REFUSALS["unknown"].format(code=code.strip().upper())
    if target.kind == "assigned":
        return f"方案 {target.code} 是交办事项清单，不能导入文件。"
    if not target.active:
        return (
            f"方案 {target.code} 已关闭，不能修订。先 duban plans --reopen {target.code}，"
            "或用 --new 导入为新方案。"
        )
    return ""


# A plan change refused (bot/store/plans.py PlanError.reason), one line each.
PLAN_REFUSALS = {
    "unknown": "没有方案 {code}（duban plans 列出全部方案）。",
    "assigned": "方案 {code} 是交办事项清单，一直在用，不能关闭。",
    "already_closed": "方案 {code} 已经关闭。",
    "already_active": "方案 {code} 没有关闭，不用重新启用。",
    "bad_code": "代号 {code} 不行：用 1–4 个英文字母，如 B、ZX。",
    "code_taken": "代号 {code} 已被另一个方案使用。",
}


def cmd_plans(settings: Settings, args: argparse.Namespace) -> int:
    """`duban plans [--json]`, `--close CODE`, `--reopen CODE`, `--rename CODE NEW`."""
    if args.close or args.reopen or args.rename:
        return _change_plan(settings, args)
    services = _open(settings)
    try:
        rows = [
            {
                "code": p.code,
                "kind": p.kind,
                "title": p.title,
                "year": p.year,
                "status": p.status,
                "tasks": len(services.store.plan.tasks(plan=p.slot)),
            }
            for p in services.store.plans.all()
        ]
    finally:
        services.close()
    if args.json:
        return print_json(rows)
    for r in rows:
        status = "在用" if r["status"] == "active" else "已关闭"
        print(f"{r['code']:<4} {r['year'] or '-':<5} {status:<4} {r['tasks']:>4} 项  {r['title']}")
    if not rows:
        print("no plans yet: duban import FILE")
    return 0


def _change_plan(settings: Settings, args: argparse.Namespace) -> int:
    services = _open(settings, writer=True)
    store, plans, at = services.store, services.store.plans, services.clock.now()
    try:
        if args.close:
            done = store.close_plan(args.close, at=at, actor="cli")
            print(f"方案 {done.code} 已关闭：不再提醒、催办，仍可查阅、导出。")
        elif args.reopen:
            done = store.reopen_plan(args.reopen, at=at, actor="cli")
            print(f"方案 {done.code} 已重新启用。")
        else:
            code, new = args.rename
            old = plans.by_code(code)
            done = plans.rename(code, new, at=at, actor="cli")
            print(f"方案 {old.code if old else code} 的代号改为 {done.code}。")
    except PlanRefusal as exc:
        line = PLAN_REFUSALS.get(exc.reason, "不能完成：{code}").format(code=exc.code)
        print(f"duban plans: {line}", file=sys.stderr)
        return 2
    finally:
        services.close()
    return 0


def cmd_template(settings: Settings, args: argparse.Namespace) -> int:
    """`duban template [--out FILE]`: the import template, with this office's units and groups."""
    out: Path = args.out
    if out.exists():
        print(f"duban: {out} exists; choose another --out or remove it", file=sys.stderr)
        return 2
    # with_plan=False: an empty store stays empty, so the filled-in template is its first plan
    services = _open(settings, with_plan=False)
    try:
        spec = plan_import.template_spec(services)
    finally:
        services.close()
    try:
        out.write_bytes(template_bytes(spec))
    except OSError as exc:
        print(f"duban: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {len(spec.units)} units, {len(spec.groups)} groups, year {spec.year}")
    return 0


def cmd_units(settings: Settings, args: argparse.Namespace) -> int:
    services = _open(settings)
    contacts = services.store.people.contacts()
    rows: list[dict[str, Any]] = []
    for unit in services.units.units:
        bound = [c for c in contacts if c["unit"] == unit.name]
        rows.append(
            {
                "name": unit.name,
                "full_name": unit.full_name,
                "kind": unit.kind,
                "aliases": list(unit.aliases),
                "contacts": [
                    {"user_id": c["user_id"], "name": c["name"], "role": contact_role(c)}
                    for c in bound
                ],
            }
        )
    services.close()
    if args.json:
        return print_json(rows)
    for r in rows:
        who = (
            "、".join(f"{c['name']}（{CONTACT_ROLE_LABELS[c['role']]}）" for c in r["contacts"])
            or "（未绑定联系人）"
        )
        print(f"{r['name']:<14}\t{r['full_name']}\t{r['kind']}\t{who}")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        if args.auto:
            return cmd_sandbox(settings, args)
        print("duban: configuration error: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    return run_bot(settings, webhook=args.webhook, listen=args.listen)


def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    return run_sandbox(settings)


def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    services = _open(settings)
    try:
        if args.what == "reminders":
            items = preview_reminders(services, args.date)
            if args.json:
                print_json(items)
            else:
                _print_reminders(items, planned(services, args.date, include_unreachable=True))
        else:
            print(messages_of(services, args.date).text)
    finally:
        services.close()
    return 0


def _print_reminders(items: list[dict[str, Any]], everything: list[Reminder]) -> None:
    names = naming()
    for it in items:
        ref = f"#{it['plan'] if names.coded(it['plan']) else ''}{it['task']}"
        print(
            f"{ref:<4} {it['unit']:<12} {it['role']:<10} {it['kind']:<10} "
            f"{it['due'] or '-':<10} -> {len(it['contacts'])} contact(s)"
            + (f" {it['text']}" if it.get("text") else "")
        )
    unreachable = [r for r in everything if not r.contacts and r.kind != "escalation"]
    # an escalation goes to the coordinators and the summary chat, not to the unit's contact
    unsent_escalations = [r for r in everything if not r.contacts and r.kind == "escalation"]
    if not items:
        print("nothing to send on this day")
    if unsent_escalations:
        print(
            f"not sent: {len(unsent_escalations)} escalation(s): neither DUBAN_COORDINATORS "
            "nor DUBAN_SUMMARY_CHAT_ID is set"
        )
    if unreachable:
        units = sorted({r.unit for r in unreachable})
        print(
            f"not sent: {len(unreachable)} reminder(s) for {len(units)} unit(s) without a bound "
            f"contact: {'、'.join(units[:12])}{' …' if len(units) > 12 else ''}"
        )


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    services = _open(settings)
    try:
        plan = None
        if args.plan:
            plan = services.store.plans.by_code(args.plan)
            if plan is None:
                print(
                    f"duban export: {PLAN_REFUSALS['unknown'].format(code=args.plan.upper())}",
                    file=sys.stderr,
                )
                return 2
        export_report(services, args.out, evidence_zip=args.evidence_zip, plan=plan)
    finally:
        services.close()
    print(f"wrote {args.out}")
    return 0


def cmd_slip(settings: Settings, args: argparse.Namespace) -> int:
    """`duban slip --unit UNIT [--task REF…] [--out FILE.docx]`: numbered, recorded, written."""
    unit, tasks = slip_request([args.unit])
    for ref in args.task:
        _, more = slip_request([ref])
        if not more:
            print(f"duban slip: not a task ref: {ref!r}", file=sys.stderr)
            return 2
        tasks += more
    services = _open(settings, writer=True)
    try:
        slip = issue_slip(services, unit, tasks, actor="cli")
    finally:
        services.close()
    if isinstance(slip, SlipRefusal):
        print(f"duban slip: {plain_text(slip.text)}", file=sys.stderr)
        return 2
    out = args.out or Path(slip_file_name(slip))
    write_slip(slip, out)
    print(f"wrote {out}: {slip.number}, {slip.unit}, {len(slip.lines)} task(s)")
    return 0


def cmd_remind(settings: Settings, args: argparse.Namespace) -> int:
    return remind_once(settings, args.date)


def remind_once(settings: Settings, day: date | None = None) -> int:
    """`duban remind [--date D]`: one sweep now (or at D's reminder time); the exit code."""
    if not settings.token:
        print("duban remind: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    try:
        policy_for(settings.data_dir)
    except PolicyError as exc:
        print(f"duban remind: {exc}", file=sys.stderr)
        return 2
    clock = None
    if day is not None:
        clock = FixedClock(datetime.combine(day, settings.reminder_time, tzinfo=settings.timezone))
    try:
        services = open_services(settings, writer=True, clock=clock)
    except StoreLocked as exc:
        print(f"duban remind: {exc} (the running bot sends reminders itself)", file=sys.stderr)
        return 1
    except PlanError as exc:
        print(f"duban remind: the plan has errors:\n{exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(sweep_with_token(services))
    finally:
        services.close()
    if report.skipped:
        print(f"reminders {report.day}: nothing to send ({report.skipped})")
    else:
        print(
            f"reminders {report.day}: {report.messages} message(s) sent, "
            f"{len(report.delivered)} reminder(s), {len(report.failed)} chat(s) not reached"
        )
    return 1 if report.failed else 0


def _open(settings: Settings, writer: bool = False, with_plan: bool = True) -> Services:
    """The services for one command; a bad DUBAN_PLAN raises PlanError, reported by main().

    A reader of the sandbox's data directory uses the sandbox's clock and coordinators: what
    it reports is what the sandbox's people see, not today's date and unknown ids.
    """
    clock = None
    if not writer and (found := sandbox_data(settings)) is not None:
        settings, clock = found
        when = f"clock {clock.now():%Y-%m-%d %H:%M}" if clock is not None else "configured clock"
        print(
            f"duban: {settings.data_dir} holds the sandbox's data: using its {when} and "
            f"coordinators {', '.join(map(str, sorted(settings.coordinators)))}",
            file=sys.stderr,
        )
    return open_services(settings, writer=writer, with_plan=with_plan, clock=clock)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """`duban backup [--to DIR]`, or `--check FILE`: exit 2 with one line naming the damage."""

    try:
        if args.check is not None:
            manifest = check_backup(args.check)
            print(f"{args.check}: ok, {len(manifest['files'])} files verified")
            return 0
        at = make_clock(settings).now()
        info = make_backup(settings.data_dir, args.to or settings.backups, at=at)
    except BackupError as exc:
        print(f"duban: {exc}", file=sys.stderr)
        return 2
    print(f"{info.path}: {info.files} files, {info.bytes} bytes")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """`duban restore FILE`: into an empty DUBAN_DATA_DIR, every hash verified."""

    try:
        manifest = restore_backup(args.file, settings.data_dir)
    except BackupError as exc:
        print(f"duban: {exc}", file=sys.stderr)
        return 2
    print(f"restored {len(manifest['files'])} files into {settings.data_dir}")
    return 0


COMMANDS = {
    "backup": cmd_backup,
    "restore": cmd_restore,
    "run": cmd_run,
    "sandbox": cmd_sandbox,
    "tasks": cmd_tasks,
    "import": cmd_import,
    "plans": cmd_plans,
    "template": cmd_template,
    "units": cmd_units,
    "preview": cmd_preview,
    "export": cmd_export,
    "remind": cmd_remind,
    "slip": cmd_slip,
}
