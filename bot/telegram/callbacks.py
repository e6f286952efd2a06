"""Callback data as types: each button kind packs to a short string and unpacks from it.

`UpdateTask(task=18).pack()` is `"upd:18"`; `parse("upd:18")` is `UpdateTask(task=18)`. Data no
kind recognises (empty, too long, a stale grammar, hand-made) parses to `None`, so it is refused
in one place. Handlers match with `CallbackQueryHandler(fn, pattern=matches(UpdateTask))` and read
the typed button with `button_of(update, UpdateTask)`: nothing splits strings by hand.

Telegram limits callback data to 64 bytes; every kind here stays far below it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar, Literal, TypeVar, cast

from telegram import Update

from bot.store.records import PartStatus

MAX_BYTES = 64
_INT = re.compile(r"-?\d{1,19}")
_WORD = re.compile(r"[A-Za-z0-9_]{1,32}")
_SLOT = re.compile(r"s[1-9]\d{0,5}")


@dataclass(frozen=True)
class Callback:
    """A button kind: `prefix` then its fields in order, joined by ':'."""

    prefix: ClassVar[str]
    # A button that only changes what a message shows (a page, a card): a refusal of it is a
    # toast, never an alert, since nothing was lost by pressing it.
    navigation: ClassVar[bool] = False

    def pack(self) -> str:
        parts = [self.prefix, *(str(getattr(self, f.name)) for f in fields(self))]
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, parts: list[str]) -> Callback | None:
        """The button from the parts after the prefix, or None when they do not fit."""
        own = fields(cls)
        if len(parts) != len(own):
            return None
        values: list[object] = []
        for f, raw in zip(own, parts, strict=True):
            if f.type in ("int", int):
                if not _INT.fullmatch(raw):
                    return None
                values.append(int(raw))
            else:
                if not _WORD.fullmatch(raw):
                    return None
                values.append(raw)
        button = cls(*values)
        return button if button.valid() else None

    def valid(self) -> bool:
        return True


Parser = Callable[[list[str]], "Callback | None"]
_PARSERS: dict[str, Parser] = {}
C = TypeVar("C", bound=Callback)


def kind(cls: type[C]) -> type[C]:
    """Register a button kind under its prefix (each prefix once)."""
    _register(cls.prefix, cls.unpack)
    return cls


def _register(prefix: str, parser: Parser) -> None:
    if prefix in _PARSERS:
        raise ValueError(f"callback prefix {prefix!r} registered twice")
    _PARSERS[prefix] = parser


def parse(data: object) -> Callback | None:
    """The typed button for `data`, or None for anything no kind recognises."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, *parts = data.split(":")
    parser = _PARSERS.get(prefix)
    return parser(parts) if parser else None


def matches(*classes: type[Callback]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern that takes the data of these kinds only."""
    return lambda data: isinstance(parse(data), classes)


def button_of(update: Update, cls: type[C]) -> C:
    """The pressed button of kind `cls` (the handler's pattern already matched it)."""
    query = update.callback_query
    button = parse(query.data if query else None)
    if not isinstance(button, cls):
        raise ValueError(f"not a {cls.__name__} button")
    return button


# --- the buttons ------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskButton(Callback):
    """A button acting on one task (its card's actions)."""

    task: int


@kind
@dataclass(frozen=True)
class UpdateTask(TaskButton):
    """更新进度: open the update dialogue for a task."""

    prefix: ClassVar[str] = "upd"


@kind
@dataclass(frozen=True)
class UploadEvidence(TaskButton):
    """上传材料: the next file is evidence for a task."""

    prefix: ClassVar[str] = "ev"


@kind
@dataclass(frozen=True)
class ExtendTask(TaskButton):
    """申请延期: ask for a later deadline."""

    prefix: ClassVar[str] = "ext"


@kind
@dataclass(frozen=True)
class MarkDone(TaskButton):
    """标记完成: report the part done (a lead's claim goes to review)."""

    prefix: ClassVar[str] = "done"


@kind
@dataclass(frozen=True)
class Milestones(TaskButton):
    """时间节点: the task's milestones, each with its buttons (bot.features.milestones)."""

    prefix: ClassVar[str] = "ms"


MILESTONE_ACTIONS = ("ok", "mv", "rm", "rmy", "add")  # ✅ done, 调整, 删除, 确认删除, 新增


@kind
@dataclass(frozen=True)
class MilestoneAction(Callback):
    """A button on one milestone: `msa:mv:18:2:20210630` is 调整 of #18's milestone 2 (0-based,
    in date order), which falls on 2021-06-30; the day guards against a list changed since
    (`add` has index and day 0)."""

    prefix: ClassVar[str] = "msa"
    action: str
    task: int
    index: int
    day: int

    def valid(self) -> bool:
        if self.action == "add":
            return self.task > 0 and self.index == 0 and self.day == 0
        return (
            self.action in MILESTONE_ACTIONS
            and self.task > 0
            and self.index >= 0
            and 19000101 <= self.day <= 99991231
        )


@kind
@dataclass(frozen=True)
class PickStatus(Callback):
    """A status button inside the update dialogue."""

    prefix: ClassVar[str] = "st"
    task: int
    status: str

    def valid(self) -> bool:
        return self.status in set(PartStatus)


@kind
@dataclass(frozen=True)
class SkipNote(TaskButton):
    """跳过 the note step of the update dialogue."""

    prefix: ClassVar[str] = "skip"


APPROVALS = ("ok", "okc", "okk")  # the kinds of 通过 (ok: no supporters' parts are open)


@kind
@dataclass(frozen=True)
class UndoStated(Callback):
    """撤销 under the confirmation of a plain note that stated a status or percentage: `mark`
    is the newest event of the part it recorded (bot.features.updates.undo_stated)."""

    prefix: ClassVar[str] = "undo"
    mark: int

    def valid(self) -> bool:
        return self.mark > 0


@kind
@dataclass(frozen=True)
class FileKept(Callback):
    """`#N` under something a person wrote that named no task (kept, bot.features.pending):
    file it on task N; task 0 is 取消."""

    prefix: ClassVar[str] = "kp"
    task: int

    def valid(self) -> bool:
        return self.task >= 0


@kind
@dataclass(frozen=True)
class Review(Callback):
    """通过 / 退回 a completion claim or an extension request (its record id).

    A lead's claim with supporters' parts still open has two 通过: `okc` closes those parts
    with it, `okk` keeps them open (the task then is 牵头已完成，配合未完, not 已办结).
    """

    prefix: ClassVar[str] = "rv"
    verdict: str
    record: int

    def valid(self) -> bool:
        return self.verdict in ("no", *APPROVALS)


@kind
@dataclass(frozen=True)
class ConfirmReview(Review):
    """The second tap of a 通过 on a claim without evidence: the same verdict, confirmed."""

    prefix: ClassVar[str] = "rvy"

    def valid(self) -> bool:
        return self.verdict in APPROVALS


@kind
@dataclass(frozen=True)
class AnswerBlocked(Callback):
    """答复单位 under a 受阻 alert: the coordinator's next text goes to the unit's contacts."""

    prefix: ClassVar[str] = "blk"
    task: int
    unit_index: int

    def valid(self) -> bool:
        return self.unit_index >= 0


@kind
@dataclass(frozen=True)
class Unbind(Callback):
    """解绑 a contact from a unit under /units."""

    prefix: ClassVar[str] = "unb"
    user: int
    unit_index: int

    def valid(self) -> bool:
        return self.unit_index >= 0


@kind
@dataclass(frozen=True)
class ConfirmUnbind(Callback):
    """Under the question a 解绑 button asks: `ok` unbinds, `new` unbinds and makes an invite
    for the same unit and role (更换), `no` cancels."""

    prefix: ClassVar[str] = "unbc"
    verdict: str
    user: int
    unit_index: int

    def valid(self) -> bool:
        return self.verdict in ("ok", "new", "no") and self.unit_index >= 0


@kind
@dataclass(frozen=True)
class SignFor(Callback):
    """签收 #18 under the first message that tells a unit (its directory index) of a task."""

    prefix: ClassVar[str] = "sgn"
    task: int
    unit_index: int

    def valid(self) -> bool:
        return self.task > 0 and self.unit_index >= 0


@kind
@dataclass(frozen=True)
class SignSlip(Callback):
    """签收 under a 督办单 sent to a unit's contacts: `sgs:2021:3` is 督办〔2021〕3号."""

    prefix: ClassVar[str] = "sgs"
    year: int
    serial: int

    def valid(self) -> bool:
        return 2000 <= self.year <= 9999 and self.serial > 0


@kind
@dataclass(frozen=True)
class MakeSlip(Callback):
    """生成督办单 for a unit nobody can be told (under the note of units without contacts)."""

    prefix: ClassVar[str] = "slip"
    unit_index: int

    def valid(self) -> bool:
        return self.unit_index >= 0


@dataclass(frozen=True)
class Page(Callback):
    """◀ ▶ between the pages of a view (`view` names it: `st` the /status overview, `g3` its
    third group, `g3_2` the third group of plan slot 2, `ov`, `t18`, `u12`), and the
    overview's group buttons."""

    prefix: ClassVar[str] = "pg"
    navigation: ClassVar[bool] = True
    view: str
    page: int

    def valid(self) -> bool:
        return self.page >= 0


@dataclass(frozen=True)
class Noop(Callback):
    """A label-only button (the page counter): pressing it does nothing."""

    prefix: ClassVar[str] = "pg"
    navigation: ClassVar[bool] = True

    def pack(self) -> str:
        return "pg:noop"


_register("pg", lambda parts: Noop() if parts == ["noop"] else Page.unpack(parts))

DIALOGUES = ("act", "rf", "asg")  # /activity, /rectify and /assign


@dataclass(frozen=True)
class Choice(Callback):
    """An option of a dialogue step: `act:f:0` is option 0 of /activity's step `f`."""

    prefix: ClassVar[str] = "dlg"
    dialogue: str
    step: str
    option: int

    def pack(self) -> str:
        return f"{self.dialogue}:{self.step}:{self.option}"


@dataclass(frozen=True)
class Finish(Callback):
    """完成 of a dialogue's file step: `act:done`."""

    prefix: ClassVar[str] = "dlg"
    dialogue: str

    def pack(self) -> str:
        return f"{self.dialogue}:done"


def _dialogue_parser(dialogue: str) -> Parser:
    def parser(parts: list[str]) -> Callback | None:
        if parts == ["done"]:
            return Finish(dialogue)
        button = Choice.unpack([dialogue, *parts])
        return button if isinstance(button, Choice) and button.option >= 0 else None

    return parser


for _dialogue in DIALOGUES:
    _register(_dialogue, _dialogue_parser(_dialogue))


def choices(dialogue: str, step: str) -> Callable[[object], bool]:
    """A pattern for the options of one step of one dialogue."""

    def match(data: object) -> bool:
        button = parse(data)
        return isinstance(button, Choice) and (button.dialogue, button.step) == (dialogue, step)

    return match


def finish_of(dialogue: str) -> Callable[[object], bool]:
    """A pattern for the 完成 button of one dialogue."""
    return lambda data: parse(data) == Finish(dialogue)


# --- the /mytasks list and its cards (one message, edited in place) ---------------------


@kind
@dataclass(frozen=True)
class OpenCard(Callback):
    """`#18` under the list or a digest: the message becomes task 18's card; ↩ goes back to
    list page `page`."""

    prefix: ClassVar[str] = "card"
    navigation: ClassVar[bool] = True
    task: int
    page: int

    def valid(self) -> bool:
        return self.task > 0 and self.page >= 0


@kind
@dataclass(frozen=True)
class TaskListPage(Callback):
    """◀ ▶ of the /mytasks list, and ↩ from a card: the message shows list page `page`."""

    prefix: ClassVar[str] = "tl"
    navigation: ClassVar[bool] = True
    page: int

    def valid(self) -> bool:
        return self.page >= 0


@kind
@dataclass(frozen=True)
class MoreTasks(Callback):
    """更多… under a digest with more than 8 tasks: the /mytasks list as a new message."""

    prefix: ClassVar[str] = "more"
    navigation: ClassVar[bool] = True


# --- the coordinator's /status pages and their task cards (one message, edited in place) --

# The paged views with `#N` buttons: /overdue, /status UNIT and a group of the /status overview.
LIST_VIEW = re.compile(r"ov|u\d{1,6}|g\d{1,4}(?:_\d{1,4})?")


@kind
@dataclass(frozen=True)
class StatusCard(Callback):
    """`#18` under a /status UNIT or /overdue page: the message becomes task 18's coordinator
    card (its page `card_page` of units); ↩ goes back to page `page` of view `view`.

    `StatusCard(18, "u12", 0, 0).pack()` is `"sc:18:u12:0:0"`.
    """

    prefix: ClassVar[str] = "sc"
    navigation: ClassVar[bool] = True
    task: int
    view: str
    page: int
    card_page: int = 0

    def valid(self) -> bool:
        return (
            self.task > 0
            and self.page >= 0
            and self.card_page >= 0
            and LIST_VIEW.fullmatch(self.view) is not None
        )


@kind
@dataclass(frozen=True)
class PlanImport(Callback):
    """导入 / 取消 under a plan file a coordinator sent (`token` names the staged file), or a
    choice of where it goes: `new` (作为新方案) or `s<slot>` (修订方案 of the plan in that slot)."""

    prefix: ClassVar[str] = "imp"
    verdict: str
    token: str

    @classmethod
    def choice(cls, into: int | str, token: str) -> PlanImport:
        return cls("new" if into == "new" else f"s{into}", token)

    @property
    def into(self) -> int | Literal["ok", "no", "new"]:
        """ "ok" (what the preview proposed), "no", "new", or the chosen plan's slot."""
        if self.verdict.startswith("s"):
            return int(self.verdict[1:])
        return cast(Literal["ok", "no", "new"], self.verdict)

    def valid(self) -> bool:
        return self.verdict in ("ok", "no", "new") or _SLOT.fullmatch(self.verdict) is not None


@kind
@dataclass(frozen=True)
class PlanAction(Callback):
    """关闭 X / 重开 X under /plans, and 确认关闭 / 取消 under the question before closing
    (`slot`: the plan's, which a rename does not change)."""

    prefix: ClassVar[str] = "pln"
    action: str
    slot: int

    def valid(self) -> bool:
        return self.action in ("close", "confirm", "keep", "reopen") and self.slot > 0


@kind
@dataclass(frozen=True)
class PlanTemplate(Callback):
    """模板 under a plan file's preview or refusal: the import template as an Excel file."""

    prefix: ClassVar[str] = "tpl"
