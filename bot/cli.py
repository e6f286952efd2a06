"""The `duban` command line (CONTRACT.md: run, sandbox, check, tasks, import, units, preview…)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings, make_clock
from bot.domain.contacts import CONTACT_ROLE_LABELS, contact_role
from bot.domain.planner import Reminder
from bot.domain.policy import PolicyError
from bot.domain.units import Directory
from bot.features.slips import SlipRefusal, issue_slip, slip_request
from bot.plan import Plan, check_loaded, describe_task, dump_plan, load_plan
from bot.plan.unit_draft import draft_directory
from bot.reports.due import planned, preview_reminders
from bot.reports.report import export_report
from bot.reports.slip import slip_file_name, write_slip
from bot.reports.summary import render_summary_text
from bot.services import PlanError, Services, open_services
from bot.store import StoreLocked
from bot.store.backup import BackupError, check_backup, make_backup, restore_backup
from bot.telegram.app import run_bot
from bot.telegram.sweep import remind_once
from bot.text.render import plain_text
from sandbox.main import run_sandbox

log = logging.getLogger("duban")


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {raw!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="duban", description="督办助手 — campaign plan follow-up bot")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--auto", action="store_true", help="start the sandbox when no token is set")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8443")

    sub.add_parser("sandbox", help="the bot against a local Bot API, with a web chat page")

    check = sub.add_parser("check", help="validate a task decomposition")
    check.add_argument("file", type=Path)
    check.add_argument("--show", action="store_true", help="also print every task as read")

    tasks = sub.add_parser("tasks", help="list the parsed tasks")
    tasks.add_argument("--plan", type=Path, help="parse this file instead of reading the store")
    shape = tasks.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true")
    shape.add_argument(
        "--yaml", action="store_true", help="the normalised plan as YAML, for export and hand edits"
    )

    imp = sub.add_parser("import", help="load or re-load a plan into the store")
    imp.add_argument("file", type=Path)

    units = sub.add_parser("units", help="the unit directory and bound contacts")
    units.add_argument("--json", action="store_true")
    units.add_argument(
        "--init", type=Path, metavar="PLAN", help="print a draft unit directory for PLAN"
    )

    preview = sub.add_parser("preview", help="what a scheduled job would send")
    psub = preview.add_subparsers(dest="what", required=True)
    pr = psub.add_parser("reminders")
    pr.add_argument("--date", type=_date, required=True)
    pr.add_argument("--json", action="store_true")
    ps = psub.add_parser("summary")
    ps.add_argument("--date", type=_date, required=True)

    exp = sub.add_parser("export", help="the progress report as Excel")
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--evidence-zip", type=Path)

    slip = sub.add_parser("slip", help="a printable 督办单 (Word) of a unit's open tasks")
    slip.add_argument("--unit", required=True, help="the unit (any spelling the directory knows)")
    slip.add_argument("--task", nargs="+", default=[], metavar="REF", help="only these tasks")
    slip.add_argument("--out", type=Path, help="default: 督办〔YYYY〕N号-UNIT.docx here")

    remind = sub.add_parser("remind", help="one reminder sweep now (for cron deployments)")
    remind.add_argument("--date", type=_date)

    backup = sub.add_parser("backup", help="one .tar.gz of the store and the evidence files")
    backup.add_argument("--to", type=Path, metavar="DIR", help="default: DUBAN_BACKUP_DIR")
    backup.add_argument("--check", type=Path, metavar="FILE", help="verify a backup, no restore")

    restore = sub.add_parser("restore", help="restore a backup into an empty DUBAN_DATA_DIR")
    restore.add_argument("file", type=Path)
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
    if args.command == "check":
        return cmd_check(args.file, settings, show=args.show)
    if args.command == "units" and args.init:
        return cmd_units_init(args.init)
    try:
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
    else:
        services = _open(settings)
        tasks = services.store.tasks()
        plan = Plan(tasks=tasks, year=services.store.meta("plan_year"))
        services.close()
    if args.yaml:
        sys.stdout.write(dump_plan(plan))
        return 0
    if args.json:
        json.dump([t.to_json() for t in tasks], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    for t in tasks:
        print(f"#{t.id:<3} [{t.category_no}] {t.title}")
        print(f"     时限: {t.deadline.text}  牵头: {'、'.join(t.leads)}")
        if t.supporters:
            print(f"     配合: {'、'.join(t.supporters)}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    # the file is the plan: an empty store does not get DUBAN_PLAN first
    services = _open(settings, writer=True, with_plan=False)
    try:
        _, result = services.import_plan(args.file)
    except PlanError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        services.close()
    print(
        f"imported {args.file}: added {len(result.added)}, changed {len(result.changed)}, "
        f"archived {len(result.archived)}, unchanged {len(result.unchanged)}"
    )
    return 0


def cmd_units(settings: Settings, args: argparse.Namespace) -> int:
    services = _open(settings)
    contacts = services.store.contacts()
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
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
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
                json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
                print()
            else:
                _print_reminders(items, planned(services, args.date, include_unreachable=True))
        else:
            print(render_summary_text(services, args.date))
    finally:
        services.close()
    return 0


def _print_reminders(items: list[dict[str, Any]], everything: list[Reminder]) -> None:
    for it in items:
        print(
            f"#{it['task']:<3} {it['unit']:<12} {it['role']:<10} {it['kind']:<10} "
            f"{it['due'] or '-':<10} -> {len(it['contacts'])} contact(s)"
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
        export_report(services, args.out, evidence_zip=args.evidence_zip)
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


def _open(settings: Settings, writer: bool = False, with_plan: bool = True) -> Services:
    """The services for one command; a bad DUBAN_PLAN raises PlanError, reported by main()."""
    return open_services(settings, writer=writer, with_plan=with_plan)


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
    "units": cmd_units,
    "preview": cmd_preview,
    "export": cmd_export,
    "remind": cmd_remind,
    "slip": cmd_slip,
}
