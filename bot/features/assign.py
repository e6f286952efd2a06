"""交办事项: an item a coordinator assigns in chat, `/assign UNIT[、UNIT…] DATE text`.

A meeting's decision or a leader's instruction becomes a task of the office's standing list (the
plan of kind `assigned`, made on first use): the first unit leads, the others support, due once
on DATE as people write it (`7月15日前`, `下周五`, `月底前`, on the bot's clock), the whole text
kept and its first sentence the title. From then on it is a task like any other: reminded,
updated, reviewed, escalated and summarised. A bad request is refused with the reason and an
example, and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.dates import leading_date, parse_chinese_date
from bot.domain.units import Directory
from bot.plan.model import Task
from bot.store.records import PartStatus, Role
from bot.text.dialogues import assign as assign_text

if TYPE_CHECKING:
    from bot.services import Services

# Units are written `区商务局、区财政局`, `区商务局，区财政局` or with spaces between.
_SEPARATOR = re.compile(r"[、，,；;\s]+")
_SEPARATORS = "、，,；; \t\n\u3000"
# How a date begins (`7月`, `七月`, `下周`, `本月`, `明年`): such a word that is no date is an
# unreadable date, any other word means the date was left out.
_DATE_LIKE = re.compile(r"[\d０-９一二三四五六七八九十两本下这上今明后月年周星礼]")
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
TITLE_MAX = 30
TEXT_MAX = 1000
FAR = timedelta(days=3 * 366)  # a date further ahead is a typo (2202 for 2022)
BUTTON_UNITS = 6  # the units offered as buttons in the step-by-step dialogue


@dataclass(frozen=True)
class Assignment:
    """A valid request: the units (the first leads), the date and the text as written."""

    units: tuple[str, ...]
    due: date
    text: str

    @property
    def title(self) -> str:
        return item_title(self.text)


class AssignError(ValueError):
    """Why a request is refused: `code`, and what its explanation names."""

    def __init__(self, code: str, **info: Any) -> None:
        super().__init__(code)
        self.code = code
        self.info = info

    @property
    def text(self) -> str:
        """The answer to a command: the reason, nothing stored, an example."""
        return assign_text("refused", code=self.code, **self.info)

    @property
    def retry_text(self) -> str:
        """The answer to a step of the dialogue: the reason, and to send it again."""
        return assign_text("refused", code=self.code, retry=True, **self.info)


def item_title(text: str) -> str:
    """The item's title: its first sentence, cut at a comma or shortened when long."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    if len(first) <= TITLE_MAX:
        return first
    comma = max(first.rfind(c, 0, TITLE_MAX) for c in "，,")
    if comma >= TITLE_MAX // 3:
        return first[:comma]
    return first[: TITLE_MAX - 1] + "…"


def unit_of(word: str, directory: Directory) -> str | None:
    """The directory's name of a unit or group phrase (`各镇（街道）`) written as `word`."""
    return directory.canonical(word) if directory.expand(word) else None


def unknown_unit(word: str, directory: Directory) -> AssignError:
    return AssignError("unknown_unit", name=word, suggestion=directory.suggest(word))


def read_units(text: str, directory: Directory) -> tuple[list[str], str]:
    """The units `text` starts with (each once, in order) and the rest, from the first word
    that is no unit."""
    units: list[str] = []
    rest = text.strip(_SEPARATORS)
    while rest:
        word = _SEPARATOR.split(rest, maxsplit=1)[0]
        name = unit_of(word, directory)
        if name is None:
            break
        if name not in units:
            units.append(name)
        rest = rest[len(word) :].lstrip(_SEPARATORS)
    return units, rest


def units_named(text: str, directory: Directory) -> list[str]:
    """Every unit a typed list names (the dialogue's first step); raises AssignError."""
    units, rest = read_units(text, directory)
    if rest:
        raise unknown_unit(_SEPARATOR.split(rest, maxsplit=1)[0], directory)
    if not units:
        raise AssignError("no_units")
    return units


def check_due(due: date, today: date) -> date:
    """A deadline from today on, and not years ahead; raises AssignError."""
    if due < today:
        raise AssignError("past", due=due, today=today)
    if due > today + FAR:
        raise AssignError("far", due=due)
    return due


def date_typed(text: str, today: date) -> date:
    """The date a person typed alone (the dialogue's date step); raises AssignError."""
    due = parse_chinese_date(text.strip(), today, prefer_future=True) if text.strip() else None
    if due is None:
        raise AssignError("bad_date", word=text.strip()[:20])
    return check_due(due, today)


def check_text(text: str) -> str:
    text = text.strip().lstrip("：:，,、")
    if not text:
        raise AssignError("no_text")
    if len(text) > TEXT_MAX:
        raise AssignError("too_long", limit=TEXT_MAX)
    return text


def parse(text: str, today: date, directory: Directory) -> Assignment:
    """`UNIT[、UNIT…] DATE text` read; raises AssignError (nothing is stored then)."""
    units, rest = read_units(text, directory)
    if not units and not rest:
        raise AssignError("usage")
    found = leading_date(rest, today) if rest else None
    if not units:
        word = _SEPARATOR.split(rest, maxsplit=1)[0]
        raise AssignError("no_units") if found else unknown_unit(word, directory)
    if found is None:
        word = _SEPARATOR.split(rest, maxsplit=1)[0]
        if word and directory.suggest(word):
            raise unknown_unit(word, directory)
        if word and _DATE_LIKE.match(word):
            raise AssignError("bad_date", word=word[:20])
        raise AssignError("no_date")
    due, after = found
    return Assignment(tuple(units), check_due(due, today), check_text(after))


def assign(services: Services, item: Assignment, actor: int | str) -> Task:
    """Store the item as the next task of the assigned list, with a part for each unit."""
    store, directory = services.store, services.units
    with store.batch():
        return store.plan.assign(
            leads=item.units[:1],
            supporters=item.units[1:],
            due=item.due,
            # the date itself, not the words (`下周五` means another day next week)
            due_text=f"{item.due.year}年{item.due.month}月{item.due.day}日",
            title=item.title,
            text=item.text,
            at=services.clock.now(),
            actor=actor,
            responsible=lambda task: [(u.name, role) for u, role in directory.responsible(task)],
        )


def offered_units(services: Services) -> list[str]:
    """The units offered as buttons: those of recent assigned items first, then the units
    with the most open parts among those someone can be told."""
    store = services.store
    assigned = store.plans.assigned()
    recent: list[str] = []
    if assigned is not None:
        for task in reversed(store.plan.tasks(plan=assigned.slot)):
            recent += [*task.leads, *task.supporters]
    reachable = {c["unit"] for c in store.people.contacts() if c.get("reachable", True)}
    open_parts: dict[str, int] = {}
    for state in store.parts.states():
        if state["unit"] in reachable and state.get("status") != PartStatus.DONE:
            open_parts[state["unit"]] = open_parts.get(state["unit"], 0) + 1
    busiest = sorted(open_parts, key=lambda u: (-open_parts[u], u))
    office = services.units.coordinator.name
    return [u for u in dict.fromkeys([*recent, *busiest]) if u != office][:BUTTON_UNITS]


def offered_dates(today: date) -> list[tuple[str, date]]:
    """The dates offered as buttons: 本周五, 下周五, 月底 (those not past)."""
    friday = today + timedelta(days=4 - today.weekday())
    month_end = parse_chinese_date("月底", today) or today
    options = [("本周五", friday), ("下周五", friday + timedelta(days=7)), ("月底", month_end)]
    return [(word, day) for word, day in options if day >= today]


def roles_of(units: Sequence[str]) -> list[tuple[str, Role]]:
    """(unit, role) as the item names them: the first leads."""
    return [(u, "lead" if i == 0 else "supporter") for i, u in enumerate(units)]


def confirm_text(units: Iterable[str], due: date, text: str) -> str:
    """The card the step-by-step dialogue asks to confirm."""
    return assign_text("confirm", units=roles_of(list(units)), due=due, text=text)


def assigned_text(task: Task) -> str:
    """The first part of the answer: the item's ref, its units and date."""
    return assign_text(
        "assigned",
        task=task.id,
        units=roles_of([*task.leads, *task.supporters]),
        due=task.deadline.due,
        title=task.title,
    )
