"""Who is speaking, and whether they may change a unit's part of a task: the one authorization rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.features.refs import closed_text
from bot.store.deliveries import LedgerKind
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services

# Commands anyone who is bound (or a coordinator) may use; strangers get only /start and /help.
CONTACT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("mytasks", "我的任务"),
    ("task", "查看任务详情：/task 编号"),
    ("update", "报送进度：/update 编号 状态 [百分比] [说明]"),
    ("evidence", "查看佐证材料：/evidence 编号"),
    ("extend", "申请延期：/extend 编号 日期 理由"),
    ("milestone", "时间节点：/milestone 编号 [日期 内容]"),
    ("snooze", "暂停提醒：/snooze 编号 时长"),
    ("activity", "报送活动"),
    ("rectify", "报送整改"),
    ("metric", "报送指标：/metric 指标 数值"),
    ("help", "使用帮助"),
    ("cancel", "取消当前操作"),
)
COORDINATOR_EXTRA: tuple[tuple[str, str], ...] = (
    ("status", "进度总览：/status [编号|单位]"),
    ("overdue", "逾期清单"),
    ("remind", "催办：/remind 编号|单位"),
    ("review", "待审核事项"),
    ("invite", "邀请联系人：/invite 单位 [联络员|分管领导]"),
    ("units", "单位与联系人"),
    ("summary", "周报：/summary [preview]"),
    ("export", "导出进度表"),
    ("slip", "督办单：/slip 单位"),
    ("assign", "交办事项：/assign 单位 日期 内容"),
    ("plans", "方案：/plans（关闭、重开、改代号）"),
)
COORDINATOR_ONLY = frozenset(name for name, _ in COORDINATOR_EXTRA)
STRANGER_COMMANDS = frozenset({"start", "help"})
# review, unbinding (and its confirmation), 答复单位 (受阻), plan import and its template, 生成督办单,
# the /assign dialogue's, closing and reopening plans
COORDINATOR_ONLY_BUTTONS = frozenset(
    {"rv", "unb", "unbc", "blk", "imp", "tpl", "slip", "asg", "pln"}
)
# Buttons a contact may press in a group: 撤销 under the acknowledgement of their `#N …` there.
GROUP_BUTTONS = frozenset({"undo"})


class TelegramUser(Protocol):
    id: int

    @property
    def full_name(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """The person behind an update, with what they are to the bot."""

    user_id: int
    name: str
    is_coordinator: bool
    units: tuple[str, ...]

    @property
    def is_contact(self) -> bool:
        return bool(self.units)

    @property
    def is_stranger(self) -> bool:
        return not self.is_coordinator and not self.units

    @property
    def role(self) -> str:
        """ "coordinator", "contact" or "stranger" (templates choose their wording by it)."""
        if self.is_coordinator:
            return "coordinator"
        return "contact" if self.units else "stranger"


@dataclass(frozen=True)
class Grant:
    """Permission to change `unit`'s part of `task_id`; on_behalf when a coordinator acts for it."""

    task_id: int
    unit: str
    on_behalf: bool = False


@dataclass(eq=False)
class Refusal(ValueError):
    """Why not, with the units the actor could name instead (if any): `text` says what would
    work, and nothing was stored. The update path's one failure: returned where a use case
    answers (`authorize`, `updates.submit`), raised where a parser or a check stops
    (`updates.parse_update_command`, `updates.apply_update`)."""

    reason: str  # unknown_task | unknown_unit | no_part | not_your_unit | which_unit | not_responsible | stranger | closed_plan
    text: str
    choices: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.reason


def resolve_actor(services: Services, user: TelegramUser) -> Actor:
    """The actor for a Telegram user: coordinator flag and the units they are bound to."""
    units = tuple(dict.fromkeys(services.store.people.units_of(user.id)))
    return Actor(
        user_id=user.id,
        name=user.full_name or str(user.id),
        is_coordinator=services.is_coordinator(user.id),
        units=units,
    )


def remember_coordinator_name(services: Services, actor: Actor, full_name: str) -> None:
    """The views and the export name coordinators; only Telegram knows what they are called."""
    if actor.is_coordinator and full_name:
        services.store.people.remember_coordinator(actor.user_id, full_name)


def explain_once_today(services: Services, chat_id: int, user_id: int, reason: str) -> bool:
    """Whether a stranger in a group gets the gate's explanation: once per person per day
    (True the first time today, and recorded then)."""
    told = (chat_id, user_id, services.clock.now().date().isoformat())
    if services.store.deliveries.get(LedgerKind.GATE, *told) is not None:
        return False
    services.store.deliveries.put(LedgerKind.GATE, *told, reason=reason)
    return True


def command_allowed(actor: Actor, command: str) -> bool:
    """Whether the actor may use /command at all (finer checks are `authorize`'s)."""
    if command in STRANGER_COMMANDS:
        return True
    if actor.is_stranger:
        return False
    return actor.is_coordinator or command not in COORDINATOR_ONLY


def admission(
    actor: Actor,
    *,
    in_group: bool,
    command: str | None = None,
    button: str | None = None,
    addressed: bool = False,
    mentions_task: bool = False,
) -> str | None:
    """Whether an update may reach the handlers: None, or why not.

    "stranger" (explain, record nothing), "use_private" (a contact speaking in a group),
    "coordinator_only", or "ignore" (say nothing). `addressed`: a message meant for the bot
    (every private message; in groups a command or a reply to the bot). `mentions_task`: a
    text starting with `#N`, which a bound contact may write in a group too.
    """
    addressed = addressed or command is not None or button is not None
    if in_group and actor.is_contact and command is None:
        if mentions_task or button in GROUP_BUTTONS:
            return None  # `#24 …` in the group: recorded, acknowledged there
    if in_group and not actor.is_coordinator:
        return "use_private" if addressed else "ignore"
    if actor.is_stranger:
        if command in STRANGER_COMMANDS:
            return None
        return "stranger" if addressed else "ignore"
    if command is not None and not command_allowed(actor, command):
        return "coordinator_only"
    if button in COORDINATOR_ONLY_BUTTONS and not actor.is_coordinator:
        return "coordinator_only"
    return None


def authorize(
    actor: Actor, services: Services, task_id: int, unit: str | None = None
) -> Grant | Refusal:
    """Whether the actor may change a unit's part of a task, and which unit that is.

    Only a unit's bound contacts and coordinators may; a contact of several units with a part
    must name one; a coordinator acts for any unit with a part (recorded as on_behalf). Nobody
    may change a task of a closed plan (it stays readable).
    """
    store = services.store
    task = store.plan.task(task_id)
    if task is None:
        return _refuse("unknown_task", task_id=task_id)
    if actor.is_stranger:
        return _refuse("stranger", task_id=task_id)
    if (closed := closed_text(store, task_id)) is not None:  # read, never changed
        return Refusal("closed_plan", closed)
    with_part = [s["unit"] for s in store.parts.states(task=task_id)]
    if unit is not None:
        name = services.units.canonical(unit) or unit
        if services.units.get(name) is None:
            return _refuse("unknown_unit", task_id=task_id, unit=unit)
        if name not in with_part:
            return _refuse("no_part", task_id=task_id, unit=name, choices=tuple(with_part))
        if name in actor.units:
            return Grant(task_id, name, on_behalf=False)
        if actor.is_coordinator:
            return Grant(task_id, name, on_behalf=True)
        return _refuse("not_your_unit", task_id=task_id, unit=name)
    mine = [u for u in actor.units if u in with_part]
    if len(mine) == 1:
        return Grant(task_id, mine[0])
    if len(mine) > 1:
        return _refuse("which_unit", task_id=task_id, choices=tuple(mine))
    if actor.is_coordinator:
        return _refuse("which_unit", task_id=task_id, choices=tuple(with_part))
    return _refuse("not_responsible", task_id=task_id, choices=actor.units)


def _refuse(reason: str, *, task_id: int, unit: str = "", choices: tuple[str, ...] = ()) -> Refusal:
    text = render(
        "access_refused.html.j2", reason=reason, task_id=task_id, unit=unit, choices=choices
    )
    return Refusal(reason, text, choices)
