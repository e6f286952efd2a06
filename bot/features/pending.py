"""What the bot waits for from each person: the one record of every unfinished input.

One mechanism, one timeout, kept in the store's journalled ledger (so it is on disk as soon as
the step is answered, and a restart or kill -9 between two steps loses nothing). Three slots
per user, each holding at most one wait:
- "dialogue": a step-by-step dialogue (更新进度, /activity, /rectify): its name, the step it is
  at, the chat it runs in and the answers so far (`draft`, JSON values only);
- "file": evidence after 上传材料 (it may take several files until it lapses);
- "text": the next text after a button (an extension request, a refusal reason, an answer to
  受阻), used once;
- "kept": something the person wrote that named no task (a note, a file), kept with the tasks
  it may be about until they press one (`draft["message"]`: the message as Telegram sent it,
  `draft["refs"]`: the (task, unit) pairs offered); lapsed ones are told (`lapse_kept`).

A dialogue finished, or a file kept for a `#N` caption, leaves what it was about in its slot
for another WAIT (`finish`, `recent`): a message right after that names no task is then
offered that task instead of being refused.

Every answered step renews the wait. After WAIT without one it lapses: it no longer takes
anything, and for a dialogue the person's next message within another WAIT is told it lapsed
(`lapsed`), so nothing they send is quietly taken for something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from bot.store import Store
from bot.store.deliveries import LedgerKind, ledger_key
from bot.store.records import FileRef, MilestoneRow
from bot.text.render import render

Slot = Literal["dialogue", "file", "text", "kept"]
SLOTS: tuple[Slot, ...] = ("dialogue", "file", "text", "kept")
WAIT = timedelta(minutes=30)


class Draft(TypedDict, total=False):
    """A wait's answers so far (JSON values: the ledger keeps them); each dialogue its keys."""

    # 更新进度 (handlers.updates)
    task: int
    unit: str  # also /activity and /rectify: the unit reported for
    status: str
    prompt: int  # the message whose 跳过 is spent when the dialogue ends
    # /activity and /rectify (bot.features.campaign_reports)
    files: list[FileRef]
    form: str
    carrier: str
    day: str  # ISO date: JSON has no dates
    title: str
    participants: int
    enterprises: int
    field: str
    identified: int
    rectified: int
    cases: str
    # a milestone moved after its 调整, evidence sent after its ✅ (handlers.milestones)
    milestone: MilestoneRow
    # /assign (handlers.assign)
    units: list[str]  # the units chosen, the first leads
    offered: list[str]  # what the step's buttons stand for (unit names, ISO dates)
    due: str  # ISO date
    text: str
    # kept input (handlers.common.keep_and_ask)
    message: dict[str, Any]  # the message as Telegram sent it
    refs: list[list[Any]]  # the (task, unit) pairs offered, as JSON lists


class Wait(TypedDict):
    """One awaited input, as the ledger keeps it."""

    action: str  # what the input is for: a dialogue's name, "evidence", "extend", "reject", …
    step: str | None  # a dialogue's current step
    task: int | None
    unit: str | None
    record: int | None  # the review record a refusal reason is for
    chat: int | None  # the chat the wait belongs to
    message: int | None  # the bot message whose button started it
    draft: Draft  # a dialogue's answers so far
    until: str  # ISO time at which it lapses


FIELDS = tuple(Wait.__annotations__)


def _key(slot: str, user_id: int) -> str:
    if slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}")
    return ledger_key(LedgerKind.AWAIT, slot, user_id)


def expect(
    store: Store,
    user_id: int,
    slot: Slot,
    action: str,
    *,
    now: datetime,
    step: str | None = None,
    task: int | None = None,
    unit: str | None = None,
    record: int | None = None,
    chat: int | None = None,
    message: int | None = None,
    draft: Draft | None = None,
) -> None:
    """Wait for the user's next input in `slot`, replacing whatever was awaited there."""
    wait: Wait = {
        "action": action,
        "step": step,
        "task": task,
        "unit": unit,
        "record": record,
        "chat": chat,
        "message": message,
        "draft": draft.copy() if draft else {},
        "until": (now + WAIT).isoformat(timespec="seconds"),
    }
    store.deliveries.ledger_put(_key(slot, user_id), **wait)


def _stored(store: Store, user_id: int, slot: Slot) -> Wait | None:
    entry = store.deliveries.ledger_get(_key(slot, user_id))
    if not entry or not entry.get("action"):
        return None
    wait = {k: entry.get(k) for k in FIELDS}
    wait["draft"] = wait["draft"] or {}
    return wait  # type: ignore[return-value]  # the fields expect() wrote


def expected(store: Store, user_id: int, slot: Slot, now: datetime) -> Wait | None:
    """What is awaited from the user in `slot` (None when nothing, or when it lapsed)."""
    wait = _stored(store, user_id, slot)
    if wait is None or datetime.fromisoformat(wait["until"]) <= now:
        return None
    return wait


def lapsed(store: Store, user_id: int, slot: Slot, now: datetime) -> Wait | None:
    """A wait that lapsed less than WAIT ago: the person may still think it is on."""
    wait = _stored(store, user_id, slot)
    if wait is None:
        return None
    until = datetime.fromisoformat(wait["until"])
    return wait if until <= now < until + WAIT else None


def clear(store: Store, user_id: int, *slots: Slot) -> bool:
    """Stop waiting in `slots` (every slot when none is named); True when something was awaited."""
    found = False
    for slot in slots or SLOTS:
        if _stored(store, user_id, slot) is not None:
            found = True
            store.deliveries.ledger_put(_key(slot, user_id), **dict.fromkeys(FIELDS))
    return found


def finish(
    store: Store, user_id: int, slot: Slot, *, now: datetime, task: int, unit: str | None
) -> None:
    """Nothing is awaited in `slot` any more, but for WAIT it remembers the task it was about
    (`recent`): a message right after that names no task is offered that one."""
    store.deliveries.ledger_put(
        _key(slot, user_id),
        **{
            **dict.fromkeys(FIELDS),
            "task": task,
            "unit": unit,
            "until": (now + WAIT).isoformat(timespec="seconds"),
        },
    )


def recent(store: Store, user_id: int, slot: Slot, now: datetime) -> tuple[int, str | None] | None:
    """The task (and unit) of what just finished in `slot` (`finish`), within WAIT; else None."""
    entry = store.deliveries.ledger_get(_key(slot, user_id))
    if not entry or entry.get("action") or entry.get("task") is None or not entry.get("until"):
        return None
    if datetime.fromisoformat(str(entry["until"])) <= now:
        return None
    return int(entry["task"] or 0), entry.get("unit")


def _lapsed_kept(store: Store, now: datetime) -> list[tuple[int, Wait]]:
    """Kept inputs whose wait lapsed, with their people (to be told, then cleared)."""
    out = []
    for entry in store.deliveries.entries(LedgerKind.AWAIT, "kept"):
        if entry.get("action") and datetime.fromisoformat(str(entry.get("until"))) <= now:
            user_id = int(entry["key"].rsplit(":", 1)[1])
            wait = _stored(store, user_id, "kept")
            if wait is not None:
                out.append((user_id, wait))
    return out


@dataclass(frozen=True)
class LapseNotice:
    """What a person whose kept input lapsed is told: in which chat, the question whose buttons
    go (its message id, if any), and the text."""

    chat: int
    question: int | None
    text: str


def lapse_kept(store: Store, now: datetime) -> list[LapseNotice]:
    """Clear every kept input whose wait lapsed (told once, even if telling fails) and say what
    each person is to be told: what they wrote was not recorded."""
    notices = []
    for user_id, wait in _lapsed_kept(store, now):
        clear(store, user_id, "kept")
        message = wait["draft"].get("message") or {}
        text = render(
            "kept.html.j2",
            step="lapsed",
            file=wait["action"] == "file",
            text=message.get("text") or "",
            name=(message.get("document") or {}).get("file_name"),
            tasks=[task for task, _ in wait["draft"].get("refs") or []] or ["编号"],
            minutes=int(WAIT.total_seconds() // 60),
        )
        notices.append(LapseNotice(wait["chat"] or user_id, wait["message"] or None, text))
    return notices
