"""Applying a unit's progress update: parse what was typed, validate, change the state once."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from bot.domain.status import NIL_RETURN_WORDS, STATUS_LABELS, parse_status, period_key
from bot.features import review
from bot.features.access import Actor, Grant, Refusal, authorize
from bot.features.refs import names, typed
from bot.plan.model import Task
from bot.plan.refs import REF, TASK_NO_DIGITS, Ref
from bot.store.deliveries import LedgerKind
from bot.store.records import (
    EventKind,
    PartStatus,
    ReviewRecord,
    Role,
    StateChanges,
    StateRow,
    StateView,
)
from bot.text.render import render

if TYPE_CHECKING:
    from bot.domain.units import Directory
    from bot.services import Services

NOTE_LIMIT = 2000
PERIODIC = ("monthly", "quarterly")
_TOKEN = re.compile(r"\S+")
_PERCENT = re.compile(r"^(\d{1,4})\s*[%％]$")
# Anything else written as a percentage (`1e309%`, `nan%`, `60.5%`, `-5%`) is refused, not noted.
_PERCENT_SHAPED = re.compile(
    r"^[-+－−]?(?:[\d.,，]+(?:e[-+]?\d*)?|nan|inf(?:inity)?)\s*[%％]$", re.IGNORECASE
)
_DECIMAL_PERCENT = re.compile(r"^(\d{1,3}\.\d+)\s*[%％]$")
_GLUED = re.compile(r"^(\D+?)(\d{1,4}[%％])$")  # "进行中60%"
_LEADING_TASK = re.compile(r"^\s*[#＃]\s*([A-Za-z]{1,4})?\s*(\d+)\s*")
_LEADING_PERCENT = re.compile(r"^\s*(\d{1,4})\s*[%％]")
_NEGATIVE_PERCENT = re.compile(r"^[-－−]\d+(?:\.\d+)?[%％]$")
# What a plain note (`#18 …`, a reply) states besides its words; see parse_note.
_BREAK = r"[\s,，。.;；:：!！、]"
_STATED_STATUS = re.compile(rf"^({'|'.join(STATUS_LABELS.values())})(?=$|{_BREAK}|\d)")
_STATED_PERCENT = re.compile(
    rf"^(?:(?:进度|完成度|完成)\s*[:：为]?\s*)?(\d{{1,3}}(?:\.\d+)?\s*[%％])(?=$|{_BREAK})"
)
_BREAKS = re.compile(rf"^{_BREAK}+")


def update_refusal(reason: str, **info: Any) -> Refusal:
    """An update that cannot be recorded, with the text saying what would work."""
    return Refusal(reason, render("update_error.html.j2", reason=reason, limit=NOTE_LIMIT, **info))


@dataclass(frozen=True)
class UpdateForm:
    """What `/update …` asked for, before authorization: `task_id` is the number as typed
    (with its plan's `code`, if one was typed) until the ref is resolved to the task's key."""

    task_id: int
    unit: str | None = None
    status: PartStatus | None = None
    percent: int | None = None
    note: str | None = None
    nil_return: bool = False
    code: str | None = None

    @property
    def ref(self) -> Ref:
        return Ref(self.code, self.task_id)


@dataclass(frozen=True)
class Outcome:
    """What was recorded, for the reply (and the coordinators' notice of a claim)."""

    task: Task
    unit: str
    role: Role
    status: PartStatus | None  # the status recorded (None: unchanged)
    percent: int | None
    note: str | None
    on_behalf: bool
    nil_return: bool = False
    period: str | None = None
    claim: ReviewRecord | None = None  # the pending completion claim this update opened
    claim_problem: str | None = None  # why 已完成 did not open a claim ("pending", "closed", …)
    undo: int | None = None  # a plain note's stated status/percent: the mark its 撤销 reverts

    @property
    def text(self) -> str:
        return render("update_recorded.html.j2", o=self)


def parse_task_ref(raw: str | None) -> Ref:
    """`18`, `#18`, `B18` or `#b18` → the ref; Refusal otherwise."""
    if raw is None or not raw.strip():
        raise update_refusal("missing_task")
    m = REF.match(raw.strip())
    if not m:
        raise update_refusal("bad_task", word=raw.strip()[:30])
    code = m[1].upper() if m[1] else None
    if len(m[2]) > TASK_NO_DIGITS:  # longer than any plan's numbers: refused as written
        raise update_refusal("unknown_task", task_id=f"{code or ''}{m[2]}")
    return Ref(code, int(m[2]))


def parse_percent(raw: str) -> int | None:
    """`60%` / `60％` / `60.5%` → 60; None if it is no percentage; Refusal if it is written
    as one but is no finite number from 0 to 100 (`101%`, `-5%`, `1e309%`, `nan%`)."""
    m = _PERCENT.match(raw)
    if not m:
        if (d := _DECIMAL_PERCENT.match(raw)) and float(d[1]) <= 100:
            return int(float(d[1]) + 0.5)
        if _PERCENT_SHAPED.match(raw.strip()):
            raise update_refusal("bad_percent", word=raw.strip()[:30])
        return None
    value = int(m[1])
    if value > 100:
        raise update_refusal("bad_percent", word=raw)
    return value


def check_note(note: str | None) -> str | None:
    """The note as written (trimmed), None when empty; Refusal when over the limit."""
    text = (note or "").strip()
    if len(text) > NOTE_LIMIT:
        raise update_refusal("note_too_long", length=len(text))
    return text or None


def parse_update_command(text: str, directory: Directory) -> UpdateForm:
    """Parse the arguments of `/update N [UNIT] STATUS [P%] [note]` (or `/update N 本月无`)."""
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        raise update_refusal("missing_task")
    ref = parse_task_ref(tokens[0][0])
    task_id = typed(ref)  # refusals name it as typed
    i, unit = 1, None
    if i < len(tokens) and _word_kind(tokens[i][0]) is None and directory.get(tokens[i][0]):
        unit = directory.canonical(tokens[i][0])
        i += 1
    if i >= len(tokens):
        raise update_refusal("missing_status", task_id=task_id)
    word, percent = tokens[i][0], None
    if _NEGATIVE_PERCENT.match(word):
        raise update_refusal("bad_percent", word=word[:30])
    if (percent := parse_percent(word)) is not None:
        # `/update 18 60%` (progress only) or `/update 18 60% 进行中` (the other order)
        i += 1
        kind = _word_kind(tokens[i][0]) if i < len(tokens) else None
        if kind == "nil":
            kind = None
        i += kind is not None
        note = check_note(text[tokens[i].start() :] if i < len(tokens) else None)
        return UpdateForm(ref.no, unit, kind, percent, note, code=ref.code)
    if _word_kind(word) is None and (glued := _GLUED.match(word)):
        word, percent = glued[1], parse_percent(glued[2])
    kind = _word_kind(word)
    if kind is None:
        raise update_refusal("unknown_status", task_id=task_id, word=word[:30])
    i += 1
    if i < len(tokens) and _NEGATIVE_PERCENT.match(tokens[i][0]):
        raise update_refusal("bad_percent", word=tokens[i][0][:30])
    if percent is None and i < len(tokens) and (value := parse_percent(tokens[i][0])) is not None:
        percent, i = value, i + 1
    note = check_note(text[tokens[i].start() :] if i < len(tokens) else None)
    if kind == "nil":
        return UpdateForm(ref.no, unit, None, percent, note, nil_return=True, code=ref.code)
    return UpdateForm(ref.no, unit, kind, percent, note, code=ref.code)


def parse_detail(text: str) -> tuple[int | None, str | None]:
    """The dialogue's free text: an optional leading percentage, then the note."""
    percent = None
    if text.strip().isdecimal() and len(text.strip()) <= 3:  # a bare "60" answers "how far?"
        return parse_percent(text.strip() + "%"), None
    if m := _LEADING_PERCENT.match(text):
        percent = parse_percent(m[0].strip())
        text = text[m.end() :]
    return percent, check_note(text)


def _word_kind(word: str) -> PartStatus | Literal["nil"] | None:
    if word in NIL_RETURN_WORDS:
        return "nil"
    return parse_status(word)


def apply_update(
    services: Services,
    actor: Actor,
    grant: Grant,
    *,
    status: PartStatus | None = None,
    percent: int | None = None,
    note: str | None = None,
    nil_return: bool = False,
) -> Outcome:
    """Validate, then record the update in one state change; a lead's 已完成 opens a claim.

    A status update or nil return of a monthly/quarterly task counts as reported for the
    current period. Raises Refusal (nothing stored) when the update cannot be recorded.
    """
    store = services.store
    task = store.plan.task(grant.task_id)
    state = store.parts.state(grant.task_id, grant.unit)
    if task is None or state is None:
        raise update_refusal("unknown_task", task_id=grant.task_id)
    note = check_note(note)
    if status is None and percent is None and note is None and not nil_return:
        raise update_refusal("empty", task_id=task.id)
    if nil_return and task.deadline.kind not in PERIODIC:
        raise update_refusal("nil_not_periodic", task_id=task.id)
    if status is None and percent and state["status"] == PartStatus.TODO:
        # `/update 18 60%`: progress on work not started means it has started
        status = PartStatus.DOING
    wants_claim = (
        status == PartStatus.DONE and state["role"] == "lead" and state["status"] != PartStatus.DONE
    )
    claim_problem = _claim_problem(services, task.id, grant.unit) if wants_claim else None
    if status == PartStatus.DONE and not wants_claim and percent is None:
        percent = 100
    period = period_key(task, services.clock.now().date()) if (status or nil_return) else None
    changes: StateChanges = {}
    if status is not None and not wants_claim:
        changes["status"] = status
    if percent is not None:
        changes["percent"] = percent
    if note is not None:
        changes["note"] = note
    if (reported := _reported(state, period)) is not None:
        changes["reported"] = reported
    if changes or nil_return:
        store.parts.update_state(
            task.id,
            grant.unit,
            at=services.clock.now(),
            actor=actor.user_id,
            event=_event_kind(changes, nil_return),
            details={"on_behalf": grant.on_behalf},
            **changes,
        )
    if status == PartStatus.DONE and state["role"] != "lead":
        review.close_if_complete(services, task.id, actor.user_id)  # the last open part
    claim = None
    if wants_claim and claim_problem is None:
        claim = _open_claim(services, task.id, grant.unit, actor, note)
    elif status in set(PartStatus) - {PartStatus.DONE} and state.get("claim") == "pending":
        review.withdraw_claim(services, task.id, grant.unit, actor)
    return Outcome(
        task=task,
        unit=grant.unit,
        role=state["role"],
        status=status,
        percent=percent,
        note=note,
        on_behalf=grant.on_behalf,
        nil_return=nil_return,
        period=period,
        claim=claim,
        claim_problem=claim_problem,
    )


def _reported(state: StateRow, period: str | None) -> list[str] | None:
    """The state's reported periods with `period` added; None when nothing changes."""
    done = list(state.get("reported") or [])
    return [*done, period] if period and period not in done else None


def _event_kind(changes: StateChanges, nil_return: bool) -> EventKind:
    if nil_return:
        return "report"
    if "status" in changes or "percent" in changes:
        return "status"
    return "note" if "note" in changes else "report"


def _claim_problem(services: Services, task_id: int, unit: str) -> str | None:
    """Why a completion claim cannot be opened now (None: it can)."""
    if services.store.plan.task_meta(task_id).get("closed"):
        return "closed"
    if review.open_request(services.store, "claim", task_id, unit) is not None:
        return "pending"
    return None


def _open_claim(
    services: Services, task_id: int, unit: str, actor: Actor, note: str | None
) -> ReviewRecord | None:
    try:
        return review.create_claim(services, task_id, unit, actor, note=note)
    except review.ReviewError:
        return None  # checked just before; a race with a decision leaves the update recorded


def claim_notice(outcome: Outcome, actor: Actor) -> str:
    """The coordinators' notice of a new completion claim."""
    return render("claim_notice.html.j2", o=outcome, actor=actor)


def submit(
    services: Services,
    actor: Actor,
    task_id: int,
    unit: str | None = None,
    *,
    status: PartStatus | None = None,
    percent: int | None = None,
    note: str | None = None,
    nil_return: bool = False,
) -> Outcome | Refusal:
    """Authorize, then apply: the Outcome, or the Refusal saying why nothing was recorded."""
    grant = authorize(actor, services, task_id, unit)
    if isinstance(grant, Refusal):
        return grant
    try:
        return apply_update(
            services, actor, grant, status=status, percent=percent, note=note, nil_return=nil_return
        )
    except Refusal as exc:
        return exc


def submit_form(services: Services, actor: Actor, form: UpdateForm) -> Outcome | Refusal:
    return submit(
        services,
        actor,
        form.task_id,
        form.unit,
        status=form.status,
        percent=form.percent,
        note=form.note,
        nil_return=form.nil_return,
    )


@dataclass(frozen=True)
class NoteForm:
    """A plain note as written, and the status and percentage it states (None: states none)."""

    written: str
    status: PartStatus | None = None
    percent: int | None = None
    note: str | None = None  # the words after what it states

    @property
    def stated(self) -> bool:
        return self.status is not None or self.percent is not None


def parse_note(text: str) -> NoteForm:
    """What a plain note (`#18 …` after its number, a reply) states, read conservatively.

    A status is stated by a leading status word (未启动 进行中 已完成 受阻) standing alone: followed
    by a space, a punctuation mark, a percentage or the end (`已完成初稿` is a note about a
    draft). A percentage is stated when it leads, bare or after 进度 / 完成 / 完成度 (`进度80%`,
    `完成80%`, `进行中 60%`) and stands alone: `完成了80%的企业走访` says how far one piece of work
    went, not the part, and stays a note. `已完成80%` states 80%, not 已完成. Refusal for a
    stated percentage over 100.
    """
    written = text.strip()
    rest, status, percent = written, None, None
    if m := _STATED_STATUS.match(rest):
        status, rest = parse_status(m[1]), _BREAKS.sub("", rest[m.end() :])
    if m := _STATED_PERCENT.match(rest):
        percent, rest = parse_percent(m[1]), _BREAKS.sub("", rest[m.end() :])
    elif status is not None and rest[:1].isdigit():
        return NoteForm(written, note=check_note(written))  # 进行中3家: no percentage after all
    if status == PartStatus.DONE and percent is not None and percent < 100:
        status = None  # 已完成80%: how far, not finished
    if status is None and percent is None:
        return NoteForm(written, note=check_note(written))
    return NoteForm(written, status, percent, check_note(rest))


def submit_note(
    services: Services, actor: Actor, task_id: int, unit: str | None, text: str
) -> Outcome | Refusal:
    """A plain note on a part: recorded as written, and when it states a status or percentage
    (parse_note) that too, as /update would, with a mark for its 撤销 (undo_stated)."""
    grant = authorize(actor, services, task_id, unit)
    if isinstance(grant, Refusal):
        return grant
    try:
        form = parse_note(text)
        if not form.stated:
            return apply_update(services, actor, grant, note=form.written)
        store = services.store
        before: StateView = store.parts.state(grant.task_id, grant.unit) or {}
        outcome = apply_update(
            services, actor, grant, status=form.status, percent=form.percent, note=form.note
        )
    except Refusal as exc:
        return exc
    mark = _newest_event(services, grant.task_id, grant.unit)
    store.deliveries.put(
        LedgerKind.UNDO,
        mark,
        user=actor.user_id,
        task=grant.task_id,
        unit=grant.unit,
        before={
            "status": before.get("status"),
            "percent": before.get("percent"),
            "reported": list(before.get("reported") or []),
        },
        claim=outcome.claim["id"] if outcome.claim else None,
        written=form.written,
    )
    return replace(outcome, undo=mark)


def _newest_event(services: Services, task_id: int, unit: str) -> int:
    """The id of the newest event on a part that is about the work (not a reminder sent)."""
    found = services.store.history.events(
        task=task_id, unit=unit, where=lambda e: e["kind"] != "reminder", last=1
    )
    return int(found[0]["id"]) if found else 0


@dataclass(frozen=True)
class Undone:
    """What 撤销 did: `result` "ok", "newer" (something happened since), "gone" (already
    undone, or unknown) or "not_yours"; the part's task and unit when known."""

    result: str
    task: int | None = None
    unit: str | None = None
    status: PartStatus | None = None
    percent: int | None = None
    written: str | None = None

    @property
    def text(self) -> str:
        return render("update_undone.html.j2", u=self)


def undo_stated(services: Services, actor: Actor, mark: int) -> Undone:
    """撤销 under a plain note's confirmation: the status and percentage it stated are put back
    as they were and its words stay as a note — only while nothing newer happened to the part."""
    store = services.store
    entry = store.deliveries.get(LedgerKind.UNDO, mark)
    if not entry or entry.get("task") is None or entry.get("undone"):
        return Undone("gone")
    task_id, unit, was = int(entry.get("task") or 0), str(entry.get("unit")), entry["before"]
    if entry.get("user") != actor.user_id:
        return Undone("not_yours", task_id, unit)
    if _newest_event(services, task_id, unit) != mark:
        return Undone("newer", task_id, unit)
    state = store.parts.state(task_id, unit)
    if state is None:
        return Undone("gone", task_id, unit)
    if entry.get("claim") is not None:
        review.withdraw_claim(services, task_id, unit, actor)
    changes: StateChanges = {"note": entry.get("written") or None}
    if was.get("status") is not None and state["status"] != was["status"]:
        changes["status"] = was["status"]
    if state.get("percent") != was.get("percent"):
        changes["percent"] = was.get("percent")
    if list(state.get("reported") or []) != list(was.get("reported") or []):
        changes["reported"] = list(was.get("reported") or [])
    store.parts.update_state(
        task_id,
        unit,
        at=services.clock.now(),
        actor=actor.user_id,
        details={"reason": "undo"},
        **changes,
    )
    store.deliveries.put(LedgerKind.UNDO, mark, undone=True)
    after = store.parts.state(task_id, unit) or state
    return Undone("ok", task_id, unit, after["status"], after.get("percent"), entry.get("written"))


def reply_target(
    refs: list[tuple[int, str | None]], text: str
) -> tuple[int, str | None, str] | Refusal | None:
    """Which task a text reply to a bot message is about: (task, unit, note), why not, or
    None when the message covers several tasks (a digest) and the reply names none: the
    person is then asked which (the text is kept meanwhile)."""
    tasks = list(dict.fromkeys(task for task, _ in refs))
    if m := _LEADING_TASK.match(text):
        code = m[1].upper() if m[1] else None
        if len(m[2]) > TASK_NO_DIGITS:
            return update_refusal("unknown_task", task_id=f"{code or ''}{m[2]}")
        ref = Ref(code, int(m[2]))
        named = [task for task in tasks if names(ref, task)]
        if not named:
            return update_refusal("not_in_message", task_id=typed(ref), tasks=tasks)
        if len(named) > 1:  # `#3` under a message about #A3 and #B3: asked which
            return None
        return named[0], unit_of(refs, named[0]), text[m.end() :]
    if len(tasks) != 1:
        return None
    return tasks[0], unit_of(refs, tasks[0]), text


def unit_of(refs: list[tuple[int, str | None]], task_id: int) -> str | None:
    """The unit a message names for a task, or None when it names none or several (the
    actor's own unit then, or they are asked which: `authorize`)."""
    units = {u for t, u in refs if t == task_id}
    return units.pop() if len(units) == 1 else None
