"""/evidence N: a task's files by unit, as far as the asker may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features import evidence
from bot.features.access import Actor, Grant, authorize
from bot.store.records import EvidenceRow
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services


def usage() -> str:
    return render("evidence_list.html.j2", usage=True)


def _row(rec: EvidenceRow) -> dict[str, str]:
    return {
        "name": rec["name"],
        "size": evidence.format_size(rec["size"]),
        "uploader": rec.get("uploader_name") or "",
        "at": rec["at"],
        "caption": rec.get("caption") or "",
    }


def listing(services: Services, actor: Actor, task_id: int) -> str:
    """Coordinators see every unit with files; a contact sees its own units' parts, even empty."""
    task = services.store.plan.task(task_id)
    with_part = [s["unit"] for s in services.store.parts.states(task=task_id)]
    units = with_part if actor.is_coordinator else [u for u in actor.units if u in with_part]
    if task is None or not units:
        refusal = authorize(actor, services, task_id)
        if not isinstance(refusal, Grant):
            return refusal.text
    groups = []
    for unit in units:
        files = evidence.list_evidence(services.store, task_id, unit)
        if files or not actor.is_coordinator:
            groups.append({"unit": unit, "files": [_row(f) for f in files]})
    title = task.title if task else ""
    return render("evidence_list.html.j2", usage=False, task_id=task_id, title=title, groups=groups)
