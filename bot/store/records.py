"""The shapes of the records the store holds, one TypedDict per table (and per record kind).

A `…Row` is a document as stored; a `…Record` (and `Event`) is one as read back, with its
document id under "id". They are plain dicts at run time: the store hands out what TinyDB
holds, so these types say what the writers put there, never convert anything. Fields a writer
may leave out are `NotRequired`; `upd` is the id of the Telegram update whose handling wrote
the record (Store.insert_once), absent for records written outside a handler.

Timestamps are ISO strings ("2021-06-03T09:30:00+08:00"), days ISO dates ("2021-06-03").
An actor is a Telegram user id, a word for the bot's own doing ("bot", "cli", "startup",
"sandbox"), or None.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from bot.plan.model import DeadlineKind

if TYPE_CHECKING:
    from typing_extensions import ReadOnly  # PEP 705; typing has it from Python 3.13

Actor = int | str | None


# -- the vocabularies of the records, each spelled here once ------------------------------
# Values are stored as these strings: a row read from disk holds a plain str, which equals
# (and hashes as) its member, so reading and writing compare alike.
class PartStatus(StrEnum):
    """How far a unit's part of a task is (a state row's `status`)."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    BLOCKED = "blocked"


# A unit's part in a task: 牵头 (lead) or 配合 (supporter).
Role = Literal["lead", "supporter"]
# What a contact is to their unit (bot.domain.contacts); absent from a row: liaison.
ContactRole = Literal["liaison", "leader"]
# What a plan is: a plan file as imported, or the office's standing list of items assigned in
# chat (交办事项); whether it is followed (active) or ended (closed: read, never chased).
PlanKind = Literal["plan", "assigned"]
PlanStatus = Literal["active", "closed"]
# Why a reminder is sent (bot.domain.planner; "manual": a coordinator's /remind).
ReminderKind = Literal[
    "upcoming",
    "due",
    "overdue",
    "monthly",
    "quarterly",
    "ongoing",
    "escalation",
    "escalation2",
    "leader",
    "manual",
    "milestone",
]
# The kinds of history event (EventRow.kind).
EventKind = Literal[
    # state events, written by Store.update_state with the StateChanges made
    "status",
    "note",
    "report",  # a periodic report, or a nil return
    "evidence",
    "snooze",
    "claim",
    "claim.approve",
    "claim.reject",
    "claim.withdraw",
    "part.closed",
    "extension.approve",
    "milestone.done",  # a milestone reported done (its mark in the lead's milestones_done)
    # recorded on their own
    "extension.request",
    "extension.reject",
    "milestone.added",  # a 时间节点 added, moved or removed in chat (store.plan.edit_milestone)
    "milestone.moved",
    "milestone.removed",
    "milestone.request",  # a lead's contact asks to move a milestone (a review record)
    "milestone.reject",
    "task.closed",
    "blocked.answer",
    "metric",
    "activity",
    "rectify",
    "reminder",
    "summary.posted",
    "plan.task_added",
    "plan.revision",
    "plan.task_archived",
    "plan.import",
    "plan.created",
    "plan.closed",
    "plan.reopened",
    "plan.renamed",
    "contact.bind",
    "contact.unbind",
    "contact.reachable",
    "invite.create",
    "slip.issue",
    "receipt",
]
# Why a contact cannot be written to ("contact.reachable" events turning false).
UnreachableCause = Literal["blocked", "deactivated", "not_started"]


# -- the plan: table "tasks" (doc id = task number) ---------------------------------------
class DeadlineRow(TypedDict):
    kind: DeadlineKind
    due: str | None  # once: the last day
    day: int | None  # monthly: the day of the month a report is due by
    text: str  # as the plan writes it
    action: str | None  # monthly/quarterly: what is to be done


class MilestoneRow(TypedDict):
    due: str  # YYYY-MM-DD
    text: str


class MilestoneMark(TypedDict):
    """A milestone reported done, on the lead unit's part (StateRow.milestones_done)."""

    due: str  # YYYY-MM-DD: with `text`, which milestone
    text: str
    at: str
    by: int | str | None


class TaskRow(TypedDict):
    """Task.to_record() plus the store-side facts (`revision`, `archived`, `closed`)."""

    id: int
    category_no: int
    category: str
    title: str
    text: str
    deadline: DeadlineRow
    leads: list[str]
    supporters: list[str]
    line: int
    milestones: NotRequired[list[MilestoneRow]]  # in date order; absent in records before them
    # the plan file's milestones when chat changed `milestones` (absent: they are the file's);
    # a re-import keeps the chat's list while the file's stays this (bot.store.plan)
    milestones_file: NotRequired[list[MilestoneRow] | None]
    remarks: NotRequired[str]  # 备注; absent in records before it
    revision: int
    # the key (doc id) is the task's identity across plans; absent in records from before
    # plans sat side by side: plan A's, keyed by their number
    no: NotRequired[int]  # its number in its plan
    plan: NotRequired[int]  # the slot of its plan (table "plans")
    archived: NotRequired[bool]  # a later plan no longer has the task
    closed: NotRequired[bool]  # a coordinator approved its completion (办结)


class PlanRow(TypedDict):
    """A plan beside the others (table "plans", doc id = the plan's slot, never reused)."""

    code: str  # A, B, … by default; renamable
    kind: PlanKind
    title: str
    year: int | None
    status: PlanStatus
    source: str  # the file it was imported from ("" for the assigned list)
    created_at: str
    imported_at: str | None  # the day it came into use: nothing due before it is chased
    closed_at: NotRequired[str | None]


class TaskMeta(TypedDict):
    """Store.task_meta(): the store-side facts of a task (None: never set, or no such task)."""

    archived: bool | None
    closed: bool | None
    revision: int | None


class FieldChange(TypedDict):
    old: Any  # a task field's value before a plan revision (JSON)
    new: Any


# -- per-unit state: table "states" ------------------------------------------------------
class _StateFields(TypedDict, total=False):
    """What a state event carries of the changes (StateChanges, but for its `status`)."""

    percent: int | None
    note: str | None
    reported: list[str]  # the periods (period_key) a periodic task's report was made for
    claim: str | None  # a completion claim: "pending" | "rejected" | None
    claim_reason: str  # why the coordinator refused the claim
    done_at: str | None  # when the part was completed (kept when later notes come)
    due_override: str | None  # an approved extension's day
    snoozed_until: str | None  # reminders paused until this day
    evidence_count: int
    last_evidence: str  # the display name of the latest evidence file
    last_caption: str | None  # what the sender wrote with it (the caption after `#N`)
    closed_by: str  # "coordinator": closed along with the lead's approved claim
    milestones_done: list[MilestoneMark] | None  # a lead's part: the milestones reported done


class StateChanges(_StateFields, total=False):
    """What Store.update_state may change in a state row (each change goes into its event)."""

    status: PartStatus


class _StateLater(TypedDict, total=False):
    """State fields a row gets only once something happened to the part."""

    claim_reason: str
    done_at: str | None
    evidence_count: int
    last_evidence: str
    last_caption: str | None
    closed_by: str
    removed: bool  # a revised plan took the unit off the task (history kept)
    updated_with: str | None  # the last progress was a campaign report ("activity", "rectify")
    milestones_done: list[MilestoneMark] | None  # absent/None on old rows: none done


class StateRow(_StateLater):
    """One unit's part of one task (its role, and how far it is); see StateChanges."""

    task: int
    unit: str
    role: Role
    status: PartStatus
    percent: int | None
    note: str | None
    updated_at: str | None  # the last progress the unit reported
    updated_by: Actor
    claim: str | None
    due_override: str | None
    snoozed_until: str | None
    reported: list[str]


class StateView(TypedDict, total=False):
    """A state row as the rules read it: a StateRow, or {} for a part not reported on yet.

    Read-only, so a StateRow is one; what the rules read goes through .get().
    """

    task: ReadOnly[int]
    unit: ReadOnly[str]
    role: ReadOnly[Role]
    status: ReadOnly[PartStatus]
    percent: ReadOnly[int | None]
    note: ReadOnly[str | None]
    updated_at: ReadOnly[str | None]
    updated_by: ReadOnly[Actor]
    claim: ReadOnly[str | None]
    due_override: ReadOnly[str | None]
    snoozed_until: ReadOnly[str | None]
    reported: ReadOnly[list[str]]
    done_at: ReadOnly[str | None]
    closed_by: ReadOnly[str]
    updated_with: ReadOnly[str | None]
    milestones_done: ReadOnly[list[MilestoneMark] | None]


# -- history: table "events" -------------------------------------------------------------
class EventDetails(TypedDict, total=False):
    """What a state event says beyond the changes (Store.update_state's `details`)."""

    on_behalf: bool  # a coordinator reported for the unit
    reason: str  # "part.closed": why; also "extension.request"/"extension.reject"
    # "evidence": the file kept (its record id under "evidence"), its size and hash; the
    # name and caption are the StateChanges last_evidence and last_caption
    file: int
    file_size: int
    sha256: str
    milestone: MilestoneRow  # "evidence" sent for a milestone just reported done


class EventFields(_StateFields, EventDetails, total=False):
    """The kind-specific fields of an event (see EventKind for the kinds).

    A state event carries the StateChanges made and its EventDetails; `note` is also a
    "blocked.answer"'s text.
    """

    status: PartStatus | str  # a state event's PartStatus; a "reminder"'s delivery outcome

    # extensions; also "milestone.request" (and "milestone.done": the milestone's day)
    due: str
    old_due: str | None
    # "milestone.*": the milestone before and after the change (None: added, removed)
    old: MilestoneRow | None
    new: MilestoneRow | None
    # "metric"
    key: str  # also "reminder": its ledger key
    value: float
    # "activity" (its record id under "activity") and "rectify" (under "record"): the
    # record's own fields, each list as its length
    activity: int
    form: str
    carrier: str
    day: str
    title: str  # also "plan.task_added"
    text: str  # "milestone.done", "milestone.request"/"milestone.reject": the milestone's text
    participants: int
    enterprises: int
    photos: int
    record: int
    field: str
    identified: int
    rectified: int
    cases: str
    evidence: int
    # "reminder"
    reminder_kind: ReminderKind
    role: str  # the reminder's Reminder.role: a Role, or "coordinator" (escalations)
    chat: int  # also "summary.posted"
    message_ids: list[int]
    # "summary.posted"
    week: str
    manual: bool
    # plan.*
    revision: int
    changes: dict[str, FieldChange]
    source: str | None
    added: list[int]
    changed: list[int]
    archived: list[int]
    plan: int  # plan.*: the plan's slot
    code: str  # plan.*: the plan's code (after a rename: the new one)
    old_code: str  # "plan.renamed": the code before
    # contact.*
    name: str
    invite: str | None  # the first characters of the invite code a contact bound with
    user_id: int
    reachable: bool
    cause: UnreachableCause  # "contact.reachable" turning false: why
    upd: int
    # "slip.issue": a 督办单 (its number, serial within the year, tasks and reply day);
    # "receipt": a 签收 of a task (or of a slip: `number`), `on_behalf` when on paper
    number: str
    serial: int
    year: int
    tasks: list[int]
    reply_by: str
    lines: list[str]  # what the slip lists, one line per task as printed


class EventRow(EventFields):
    """One entry of the history: who did what (EventKind) to which task and unit, when."""

    at: str
    actor: Actor
    task: int | None
    unit: str | None
    kind: EventKind


class Event(EventRow):
    """An event as Store.events() and Store.record() hand it out."""

    id: int


class ArchiveRow(TypedDict):
    """A closed plan's history moved out of the store (table "archives", doc id = the plan's
    slot) into its own journal, `plans/<slot>/` in the data directory (bot.store.history)."""

    tasks: list[int]  # the keys of the plan's tasks whose events are there
    events: int
    last: int  # the highest event id moved: new events are numbered above it
    first: Event | None  # the lowest-numbered event moved


# -- people: tables "contacts" and "invites" ---------------------------------------------
class ContactRow(TypedDict):
    """A Telegram user bound to a unit (one row per user and unit)."""

    user_id: int
    unit: str
    name: str
    username: str | None
    bound_at: str
    active: NotRequired[bool]  # False once unbound; read as True when absent
    reachable: NotRequired[bool]  # False after Telegram refused a message (403)
    role: NotRequired[ContactRole]  # absent: liaison


class InviteRow(TypedDict):
    code: str
    unit: str
    created_by: int
    created_at: str
    expires_at: str
    used_by: int | None
    used_at: str | None
    role: NotRequired[ContactRole]  # the role the invitee takes in the unit; absent: liaison


# -- intake: tables "intake", "parked", "updates_seen" -------------------------------------
class IntakeRow(TypedDict):
    """A fetched update kept until it is handled."""

    u: int  # the update id
    d: dict[str, Any]  # the update as the Bot API sent it (JSON)
    starts: int
    fails: int


class ParkedFacts(TypedDict, total=False):
    """Why an update was given up on: when, and the starts or failures it took."""

    at: str
    starts: int
    failures: int


class ParkedRow(ParkedFacts):
    u: int
    d: dict[str, Any] | None


class SeenRow(TypedDict):
    u: int  # a handled update id


# -- idempotence ledgers: table "ledger" -------------------------------------------------
class LedgerFields(TypedDict, total=False):
    """What a ledger entry says; which fields depends on the key's prefix (given here)."""

    status: str  # reminders, notices, "summary:", "import:"
    # a reminder sent (key: the reminder's ledger key and ">chat"), "nocontact:"
    sent_at: str
    chat: int | None  # also "summary:", "await:"
    message_ids: list[int]
    task: int | None  # also "await:"
    unit: str | None  # also "await:"
    units: list[str]  # "nocontact:": the units nobody can be told
    kind: ReminderKind
    attempts: int  # also "summary:"
    resent_after_timeout: bool
    reported: str  # when the coordinators were told the send stayed unconfirmed
    # "summary:<week>"
    claimed_at: str
    day: str
    late: bool
    failed_at: str
    # "import:<token>": a plan file staged for import
    user: int
    path: str  # also "backup:<day>"
    file_name: str
    at: str  # also "backup:<day>"
    importable: bool
    into: int | str | None  # what 导入 does: a plan's slot, "new", or None (a choice must)
    seen: str  # what the preview offered, to recheck on a press
    done_at: str
    # "await:<slot>:<user>": what the bot waits for from a user (bot.features.pending); a
    # wait ended has each field None, so `action` is read first
    action: str | None
    record: int | None
    until: str
    message: int | None
    # "gate:<chat>:<user>:<day>": the stranger was told once
    reason: str
    # "undo:<event id>": what a plain note's stated status/percent replaced, for its 撤销
    # (bot.features.updates; also user, task, unit)
    before: dict[str, Any]
    written: str
    claim: int | None
    undone: bool


class LedgerEntry(LedgerFields):
    key: str


# -- which bot message is about which task: table "messages" ------------------------------
class MessageRow(TypedDict):
    """A bot message concerns a task (and unit); kind "forget" drops what was known of it."""

    chat: int
    msg: int
    task: int | None
    unit: str | None
    kind: str  # "card", "digest", "review", …, or "forget"


MessageRef = tuple[int, str | None]  # (task, unit) a bot message is about


# -- feature tables ----------------------------------------------------------------------
class ReviewExtras(TypedDict, total=False):
    """The kind-specific fields of a review record."""

    note: str | None  # a claim: what the lead unit said
    due: str  # an extension: the day asked for; a milestone move: the new day
    old_due: str | None  # the deadline it would replace; a milestone move: the milestone's day
    reason: str  # why the unit asks
    text: str  # a milestone move: the milestone's text


class ReviewRow(ReviewExtras):
    """A completion claim or an extension request (table "reviews", bot.features.review)."""

    kind: str  # claim | extension | milestone (a contact's move of a milestone)
    task: int
    unit: str
    status: str  # pending | approved | rejected | withdrawn
    requested_by: int
    requested_by_name: str
    requested_at: str
    decided_by: int | None
    decided_by_name: str | None
    decided_at: str | None
    decision_reason: str | None
    upd: NotRequired[int]


class ReviewRecord(ReviewRow):
    id: int


class EvidenceRow(TypedDict):
    """A kept evidence file (table "evidence", bot.features.evidence)."""

    task: int
    unit: str
    name: str  # the sender's file name made safe to show
    path: str  # relative to the data directory
    size: int
    mime: str
    kind: str  # office | pdf | image | archive
    sha256: str
    file_unique_id: str | None
    uploader: int
    uploader_name: str
    at: str
    chat: int | None
    message: int | None
    caption: NotRequired[str | None]  # what the sender wrote with the file, after `#N`
    milestone: NotRequired[MilestoneRow | None]  # the milestone it proves (sent after its ✅)
    upd: NotRequired[int]


class EvidenceRecord(EvidenceRow):
    id: int


class MetricRow(TypedDict):
    """A recorded KPI value (table "metrics", bot.features.kpis)."""

    key: str
    value: float
    day: str
    at: str
    actor: Actor
    unit: str | None
    task: int
    upd: NotRequired[int]


class MetricRecord(MetricRow):
    id: int


class FileRef(TypedDict):
    """A photo or file sent during /activity or /rectify."""

    name: str
    file_id: str
    file_unique_id: str
    evidence: NotRequired[int]  # its evidence record, when the unit has a part in the task


class ActivityRow(TypedDict):
    """A 诚信建设万里行 activity (table "activities", bot.features.campaign)."""

    task: int
    unit: str | None
    actor: Actor
    at: str
    form: str
    carrier: str
    day: str  # the day it was held
    title: str
    participants: int
    enterprises: int
    photos: list[FileRef]
    upd: NotRequired[int]


class ActivityRecord(ActivityRow):
    id: int


class RectificationRow(TypedDict):
    """A 专项治理 report (table "rectifications", bot.features.campaign)."""

    task: int
    unit: str | None
    actor: Actor
    at: str
    field: str
    identified: int
    rectified: int
    cases: str
    evidence: list[FileRef]
    upd: NotRequired[int]


class RectificationRecord(RectificationRow):
    id: int
