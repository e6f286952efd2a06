"""A coordinator's plan file sent in chat: read it, show what was read and where it goes,
import on a choice.

The file is kept under a name the bot makes (`DUBAN_DATA_DIR/imports/<token><ext>`); the
sender's file name is kept only as data. A staged import is single-use, belongs to the
coordinator who sent it, and expires after a day. The preview says where the file goes (a new
plan, or a revision of one: `store.plan.placement`) and offers the other choices; when duban is
not sure, only a choice imports. What the preview offered is kept with the staged file: a press
after the plans changed meanwhile imports nothing and the preview is made again.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from bot.features.errors import CodedError
from bot.plan import Plan, load_plan
from bot.plan.digest import PlanDigest, digest_plan
from bot.plan.template import TemplateSpec
from bot.services import PlanError, Services
from bot.store import ImportResult
from bot.store.deliveries import LedgerKind
from bot.store.plan import ImportCounts, Placement
from bot.store.records import LedgerEntry
from bot.text.render import render_part

# What a plan arrives as; anything else a coordinator sends stays evidence (or is refused).
PLAN_EXTENSIONS = frozenset(
    {".docx", ".xlsx", ".xlsm", ".pdf", ".txt", ".md", ".csv", ".yaml", ".yml"}
    | {".doc", ".wps", ".et", ".xls"}  # old binary formats: read() explains what to send instead
)
MAX_BYTES = 20 * 1024 * 1024  # what a bot may download through the Bot API
EXPIRES = timedelta(days=1)
TEMPLATE_FILE = "督办导入模板.xlsx"  # the name the template is sent under in chat
MAX_CHOICES = 3  # choices offered besides 导入 / 取消: a few buttons on a phone

# Where a file goes: a new plan, or a revision of the plan in that slot.
Into = int | Literal["new"]


class PlanImportError(CodedError):
    """A staged import that cannot be carried out: code says why (missing, used, expired…)."""


@dataclass(frozen=True)
class Choice:
    """A button under the preview: import as a new plan, or as a revision of plan `code`."""

    into: Into
    code: str = ""


@dataclass(frozen=True)
class Offer:
    """Where the preview puts a file: `would` is what duban would do (in `line`); 导入 does
    `proposal`, None when duban is not sure (then only a choice imports); `choices` are the
    other buttons."""

    would: Into
    line: str
    proposal: Into | None
    choices: tuple[Choice, ...]

    @property
    def seen(self) -> str:
        """What the coordinator was shown: kept with the staged file to recheck on a press."""
        return "|".join([self.line, *(f"{c.into}:{c.code}" for c in self.choices)])

    def allows(self, into: Into) -> bool:
        return into == self.proposal or any(c.into == into for c in self.choices)


@dataclass(frozen=True)
class Staged:
    token: str
    file_name: str
    plan: Plan
    digest: PlanDigest
    offer: Offer | None = None  # None: the file cannot be imported


@dataclass(frozen=True)
class Imported:
    plan: Plan
    result: ImportResult
    counts: ImportCounts
    line: str  # where it went, worded as the preview words it


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
    return _read(
        services,
        token,
        path,
        file_name or path.name,
        status="staged",
        user=user_id,
        path=path.name,
        file_name=(file_name or "")[:200],
        at=services.clock.now().isoformat(timespec="seconds"),
    )


def _read(services: Services, token: str, kept: Path, name: str, **fields: object) -> Staged:
    """Read the staged file `kept`, and keep (with `fields`) whether it imports and what its
    preview offers."""
    plan = load_plan(kept)
    digest = digest_plan(plan, services.units.check_name)
    found = offer(services, plan) if digest.importable else None
    services.store.deliveries.put(
        LedgerKind.IMPORT,
        token,
        **fields,
        importable=digest.importable,
        into=found.proposal if found else None,
        seen=found.seen if found else "",
    )
    return Staged(token, name, plan, digest, found)


def offer(services: Services, plan: Plan) -> Offer:
    """Where `plan` goes (`store.plan.placement`), worded, and the choices a preview offers:
    as a new plan for a file that looks like a revision, a revision of each active plan file
    (a few) for one that looks new, both when duban is not sure."""
    store = services.store
    place = store.plan.placement(plan)
    target = place.target if place.revises else None
    would = Choice(target.slot, target.code) if target else Choice("new")
    line = placement_line(place, plan, store.plan.dry_run(plan, would.into))
    candidates = [would]
    if not place.sure:  # what duban would do first, then the other way
        candidates.append(Choice("new"))
        if place.target is not None:
            candidates.append(Choice(place.target.slot, place.target.code))
    if place.sure and target is not None:
        candidates.append(Choice("new"))
    else:
        files = [p for p in reversed(store.plans.active()) if p.kind == "plan"]  # newest first
        candidates += [Choice(p.slot, p.code) for p in files]
    choices = list(dict.fromkeys(candidates))
    if place.sure:
        choices.remove(would)  # that is 导入
    proposal = would.into if place.sure else None
    return Offer(would.into, line, proposal, tuple(choices[:MAX_CHOICES]))


def placement_line(
    placement: Placement | None, plan: Plan, result_or_counts: ImportResult | ImportCounts
) -> str:
    """Where a file goes or went, on one line: `新方案 B：《title》，25 项` or
    `修订方案 A：修改 1 项、归档 2 项`; when `placement` is not sure, what duban would do and
    why (an ImportResult says itself whether it made its plan)."""
    counts = result_or_counts
    if isinstance(counts, ImportResult):
        counts = _counted(counts)
    unsure = placement is not None and not placement.sure
    why = placement.why if placement is not None else ""
    return render_part(
        "plan_placement.html.j2", "placement", c=counts, title=plan.title, why=why, unsure=unsure
    )


def choice_label(choice: Choice) -> str:
    """A choice's button: 作为新方案, 修订方案 A."""
    return render_part("plan_placement.html.j2", "choice", c=choice)


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


def carry_out(
    services: Services, token: str, user_id: int, choice: Into | Literal["ok"] = "ok"
) -> Imported | Staged:
    """导入 (`"ok"`: what the preview proposed) or a choice: import the staged plan there,
    once. When the plans changed since the preview (what it would offer now differs from what
    was shown), nothing is imported: the staged file's new preview is returned to ask again."""
    entry, path = _claim(services, token, user_id)
    if not entry.get("importable"):
        raise PlanImportError("not_importable")
    into = _into(entry.get("into")) if choice == "ok" else choice
    staged = _read(services, token, path, entry.get("file_name") or path.name)
    if staged.offer is None:
        raise PlanImportError("not_importable")
    if into is None or staged.offer.seen != entry.get("seen") or not staged.offer.allows(into):
        return staged
    try:
        plan, result = services.import_plan(path, user_id, into=into)
    except PlanError:
        raise PlanImportError("not_importable") from None
    services.store.deliveries.put(
        LedgerKind.IMPORT, token, status="imported", done_at=services.clock.now().isoformat()
    )
    counts = _counted(result)
    return Imported(plan, result, counts, placement_line(None, plan, counts))


def _into(raw: object) -> Into | None:
    """What 导入 does, as kept with the staged file (None: nothing, or a file staged before)."""
    if raw == "new":
        return "new"
    return raw if isinstance(raw, int) else None


def _counted(result: ImportResult) -> ImportCounts:
    return ImportCounts(
        added=len(result.added),
        changed=len(result.changed),
        archived=len(result.archived),
        unchanged=len(result.unchanged),
        code=result.plan.code if result.plan else "",
        revises=not result.new,
    )


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
