"""Which tasks feed the summary's campaign sections (`data/campaign.yaml`), for any plan.

The configured task numbers are the first plan's (the bundled plan they were written for,
whose keys are its numbers); any other plan's tasks join a section by their titles' keywords,
never by a number that happens to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import bot
from bot.domain.datafile import entries, read_yaml
from bot.plan.model import Task
from bot.store.plans import FIRST_SLOT

CAMPAIGN_PATH = bot.DATA / "campaign.yaml"


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    tasks: tuple[int, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    """A section as found in the loaded plan: its tasks (empty: the plan has none)."""

    key: str
    title: str
    tasks: tuple[int, ...]
    by_keyword: bool  # found by keywords in titles (another plan), not by configured numbers
    plans: tuple[int, ...] = ()  # the slots of the plans whose tasks these are


@lru_cache(maxsize=4)
def load_sections(path: Path = CAMPAIGN_PATH) -> tuple[SectionSpec, ...]:
    raw = read_yaml(path, "the campaign sections") or {}
    items = raw.get("sections") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: sections: expected a list")
    out = []
    for where, item in entries(items, path, "sections", ("key", "title")):
        tasks = item.get("tasks") or []
        words = item.get("keywords") or []
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in tasks):
            raise ValueError(f"{where}: tasks: expected task numbers")
        if not words or not all(isinstance(w, str) and w for w in words):
            raise ValueError(f"{where}: keywords: expected a list of words")
        out.append(SectionSpec(str(item["key"]), str(item["title"]), tuple(tasks), tuple(words)))
    return tuple(out)


def _matches(task: Task, words: Iterable[str]) -> bool:
    return any(w in task.title for w in words)


def resolve(spec: SectionSpec, tasks: Iterable[Task], *, numbered: bool = True) -> Section:
    """The section's tasks in this plan: the configured numbers if they are what they say
    (`numbered`: the plan they were configured for), else the tasks whose titles hold a
    keyword."""
    plan = {t.id: t for t in tasks}
    configured = tuple(
        n for n in spec.tasks if numbered and n in plan and _matches(plan[n], spec.keywords)
    )
    if configured:
        return Section(spec.key, spec.title, configured, by_keyword=False)
    found = tuple(sorted(n for n, t in plan.items() if _matches(t, spec.keywords)))
    return Section(spec.key, spec.title, found, by_keyword=True)


def sections_for(tasks: Iterable[Task]) -> dict[str, Section]:
    """Every configured section, resolved plan by plan against the plans' tasks: each plan's
    own tasks feed it, never another plan's same-numbered one."""
    by_plan: dict[int, list[Task]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan or FIRST_SLOT, []).append(task)
    out = {}
    for spec in load_sections():
        found = {
            slot: resolve(spec, plan_tasks, numbered=slot == FIRST_SLOT)
            for slot, plan_tasks in sorted(by_plan.items())
        }
        out[spec.key] = Section(
            spec.key,
            spec.title,
            tuple(key for s in found.values() for key in s.tasks),
            by_keyword=all(s.by_keyword for s in found.values()),
            plans=tuple(slot for slot, s in found.items() if s.tasks),
        )
    return out


__all__: list[Any] = ["Section", "SectionSpec", "load_sections", "resolve", "sections_for"]
