"""A coordinator's plan file sent in chat: read it, show what was read, import on 导入.

The file is kept under a name the bot makes (`DUBAN_DATA_DIR/imports/<token><ext>`); the
sender's file name is kept only as data. A staged import is single-use, belongs to the
coordinator who sent it, and expires after a day; 导入 merges exactly as `duban import` does.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.features.errors import CodedError
from bot.plan import Plan, load_plan
from bot.plan.digest import PlanDigest, digest_plan
from bot.plan.template import TemplateSpec
from bot.services import Into, PlanError, Services
from bot.store import ImportResult
from bot.store.deliveries import LedgerKind
from bot.store.records import LedgerEntry
from bot.text.render import render

# What a plan arrives as; anything else a coordinator sends stays evidence (or is refused).
PLAN_EXTENSIONS = frozenset(
    {".docx", ".xlsx", ".xlsm", ".pdf", ".txt", ".md", ".csv", ".yaml", ".yml"}
    | {".doc", ".wps", ".et", ".xls"}  # old binary formats: read() explains what to send instead
)
MAX_BYTES = 20 * 1024 * 1024  # what a bot may download through the Bot API
EXPIRES = timedelta(days=1)
TEMPLATE_FILE = "督办导入模板.xlsx"  # the name the template is sent under in chat


class PlanImportError(CodedError):
    """A staged import that cannot be carried out: code says why (missing, used, expired…)."""


@dataclass(frozen=True)
class Staged:
    token: str
    file_name: str
    plan: Plan
    digest: PlanDigest


def is_plan_file(file_name: str | None) -> bool:
    return Path(file_name or "").suffix.lower() in PLAN_EXTENSIONS


def imports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "imports"


def stage(services: Services, user_id: int, file_name: str | None, data: bytes) -> Staged:
    """Keep the file, read it, and remember it for this coordinator's 导入 / 取消."""
    token = secrets.token_hex(6)
    suffix = Path(file_name or "").suffix.lower()
    folder = imports_dir(services.settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{token}{suffix if suffix in PLAN_EXTENSIONS else ''}"
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    plan = load_plan(path)
    digest = digest_plan(plan, services.units.check_name)
    services.store.deliveries.put(
        LedgerKind.IMPORT,
        token,
        status="staged",
        user=user_id,
        path=path.name,
        file_name=(file_name or "")[:200],
        at=services.clock.now().isoformat(timespec="seconds"),
        importable=digest.importable,
    )
    return Staged(token, file_name or path.name, plan, digest)


def _claim(services: Services, token: str, user_id: int) -> tuple[LedgerEntry, Path]:
    entry = services.store.deliveries.get(LedgerKind.IMPORT, token)
    if entry is None:
        raise PlanImportError("missing")
    if entry.get("status") != "staged":
        raise PlanImportError(str(entry.get("status")))  # imported / cancelled
    if entry.get("user") != user_id:
        raise PlanImportError("not_yours")
    if services.clock.now() - datetime.fromisoformat(entry["at"]) > EXPIRES:
        raise PlanImportError("expired")
    return entry, imports_dir(services.settings.data_dir) / entry["path"]


def carry_out(services: Services, token: str, user_id: int) -> tuple[Plan, ImportResult]:
    """导入: merge the staged plan into the store, as `duban import` does; once."""
    entry, path = _claim(services, token, user_id)
    if not entry.get("importable"):
        raise PlanImportError("not_importable")
    try:
        plan, result = services.import_plan(path, actor=user_id)
    except PlanError:
        raise PlanImportError("not_importable") from None
    services.store.deliveries.put(
        LedgerKind.IMPORT, token, status="imported", done_at=services.clock.now().isoformat()
    )
    return plan, result


def cancel(services: Services, token: str, user_id: int) -> None:
    """取消: forget the staged file."""
    _, path = _claim(services, token, user_id)
    services.store.deliveries.put(LedgerKind.IMPORT, token, status="cancelled")
    path.unlink(missing_ok=True)


def template_spec(services: Services) -> TemplateSpec:
    """The import template for this office: its unit directory, the groups of the plan it
    follows, this year on the bot's clock (`duban template` and the chat's 模板 button)."""
    directory = services.units
    names = (*(unit.name for unit in directory.units), *directory.groups)
    groups = dict.fromkeys(t.category for t in services.store.plan.tasks() if t.category)
    return TemplateSpec(units=names, groups=tuple(groups), year=services.clock.now().year)


def planned(services: Services, plan: Plan, into: Into = "auto") -> ImportResult:
    """What importing `plan` would do (`into` as `Services.import_plan` takes it), by task
    number, writing nothing."""
    return services.store.plan.preview(
        plan, services.store.plan.placement(plan).into if into == "auto" else into
    )


def placement_line(result: ImportResult) -> str:
    """Where a plan goes, in one line: `新方案 B：《…》，25 项` or `修订方案 A：修改 1 项、归档
    2 项`; of what an import would do (`planned`) or did. The chat and `duban import` say it."""
    return render("plan_placement.html.j2", r=result)
