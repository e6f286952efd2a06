"""Inline keyboards; their callback data comes from `bot.telegram.callbacks`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.contacts import CONTACT_ROLE_LABELS
from bot.domain.status import STATUS_LABELS
from bot.features.onboarding import BoundContact
from bot.plan.model import Milestone
from bot.plan.refs import task_ref
from bot.telegram import callbacks as cb

MAX_BUTTONS = 100  # Telegram's limit per inline keyboard
GROUP_LABEL = 10  # characters of a group button: two fit side by side on a phone


def task_actions(
    task_id: int, *, with_done: bool = True, next_milestone: tuple[int, Milestone] | None = None
) -> InlineKeyboardMarkup:
    """The buttons under a task card or a reminder: then 时间节点, and ✅ for the next open
    milestone (its index among the task's, and itself) when there is one."""
    row1 = [
        InlineKeyboardButton("更新进度", callback_data=cb.UpdateTask(task_id).pack()),
        InlineKeyboardButton("上传材料", callback_data=cb.UploadEvidence(task_id).pack()),
    ]
    row2 = [InlineKeyboardButton("申请延期", callback_data=cb.ExtendTask(task_id).pack())]
    if with_done:
        row2.append(InlineKeyboardButton("标记完成", callback_data=cb.MarkDone(task_id).pack()))
    row3 = [InlineKeyboardButton("时间节点", callback_data=cb.Milestones(task_id).pack())]
    if next_milestone is not None:
        row3.append(_milestone_button("ok", task_id, *next_milestone))
    return InlineKeyboardMarkup([row1, row2, row3])


MILESTONE_LABELS = {"ok": "✅ 完成节点", "mv": "调整", "rm": "删除", "rmy": "确认删除"}


def _milestone_button(
    action: str, task_id: int, index: int, milestone: Milestone, *, dated: bool = False
) -> InlineKeyboardButton:
    """A button on one milestone, its day in the label for ✅ (and when `dated`)."""
    day = milestone.due
    label = MILESTONE_LABELS[action]
    if action == "ok" or dated:
        label += f" {day.month}月{day.day}日"
    data = cb.MilestoneAction(action, task_id, index, int(f"{day:%Y%m%d}")).pack()
    return InlineKeyboardButton(label, callback_data=data)


def milestone_buttons(
    task_id: int, milestones: Sequence[Milestone], done: Collection[Milestone], *, edit: bool
) -> InlineKeyboardMarkup:
    """Under a task's milestones, one row each: ✅ while it is open, then 调整 (while open) and
    删除 for those who may edit; then 新增节点."""
    rows = []
    for index, milestone in enumerate(milestones):
        finished = milestone in done
        row = [] if finished else [_milestone_button("ok", task_id, index, milestone)]
        if edit:
            actions = ["rm"] if finished else ["mv", "rm"]
            row += [
                _milestone_button(a, task_id, index, milestone, dated=finished) for a in actions
            ]
        if row:
            rows.append(row)
    if edit:
        add = cb.MilestoneAction("add", task_id, 0, 0).pack()
        rows.append([InlineKeyboardButton("新增节点", callback_data=add)])
    return InlineKeyboardMarkup(rows)


def confirm_remove_button(task_id: int, index: int, milestone: Milestone) -> InlineKeyboardMarkup:
    """确认删除 under the question a 删除 asks."""
    button = _milestone_button("rmy", task_id, index, milestone, dated=True)
    return InlineKeyboardMarkup([[button]])


OK_LABELS = {"ok": "通过", "okc": "通过并办结配合部分", "okk": "通过，配合部分继续"}


def review_buttons(
    record_id: int, *, open_supporters: int = 0, can_close: bool = False
) -> InlineKeyboardMarkup:
    """通过 / 退回. With supporters' parts open: 通过，配合部分继续, and 通过并办结配合部分 only
    when it can be done (`can_close`: no other lead's part is open)."""
    if not open_supporters:
        verdicts = ["ok"]
    else:
        verdicts = ["okc", "okk"] if can_close else ["okk"]
    oks = [
        InlineKeyboardButton(OK_LABELS[v], callback_data=cb.Review(v, record_id).pack())
        for v in verdicts
    ]
    refuse = InlineKeyboardButton("退回", callback_data=cb.Review("no", record_id).pack())
    if verdicts == ["ok"]:
        return InlineKeyboardMarkup([[*oks, refuse]])
    return InlineKeyboardMarkup([[ok] for ok in oks] + [[refuse]])


def confirm_review_buttons(verdict: str, record_id: int) -> InlineKeyboardMarkup:
    """The second tap before approving a claim without evidence: 确认… / 退回."""
    confirm = cb.ConfirmReview(verdict, record_id).pack()
    refuse = cb.Review("no", record_id).pack()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"确认{OK_LABELS[verdict]}（无佐证材料）", callback_data=confirm
                )
            ],
            [InlineKeyboardButton("退回", callback_data=refuse)],
        ]
    )


def answer_blocked_button(task_id: int, unit_index: int) -> InlineKeyboardMarkup:
    """答复单位 under a 受阻 alert."""
    data = cb.AnswerBlocked(task_id, unit_index).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton("答复单位", callback_data=data)]])


def status_choice(task_id: int) -> InlineKeyboardMarkup:
    """The four status buttons of the update dialogue."""
    buttons = [
        InlineKeyboardButton(label, callback_data=cb.PickStatus(task_id, key).pack())
        for key, label in STATUS_LABELS.items()
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def undo_button(mark: int) -> InlineKeyboardMarkup:
    """撤销 under a plain note's confirmation when the note stated a status or percentage."""
    data = cb.UndoStated(mark).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton("撤销", callback_data=data)]])


def kept_choice(tasks: Sequence[int], likely: int | None = None) -> InlineKeyboardMarkup:
    """Under kept input: 是 #N (the likely task) or a `#N` per task (4 a row), then 取消."""
    rows: list[list[InlineKeyboardButton]] = []
    if likely is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    f"是 {task_ref(likely)}", callback_data=cb.FileKept(likely).pack()
                )
            ]
        )
    others = [t for t in dict.fromkeys(tasks) if t != likely][: MAX_BUTTONS - 2]
    buttons = [
        InlineKeyboardButton(task_ref(t), callback_data=cb.FileKept(t).pack()) for t in others
    ]
    rows += [
        buttons[i : i + TASK_BUTTONS_PER_ROW] for i in range(0, len(buttons), TASK_BUTTONS_PER_ROW)
    ]
    rows.append([InlineKeyboardButton("取消", callback_data=cb.FileKept(0).pack())])
    return InlineKeyboardMarkup(rows)


def plan_choice(choices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Which plan a bare number meant: a button a row per task (`#B18 《…》`), then 取消; a
    press files what was kept on that task (as under kept input)."""
    rows = [
        [InlineKeyboardButton(label, callback_data=cb.FileKept(task).pack())]
        for task, label in choices[: MAX_BUTTONS - 1]
    ]
    rows.append([InlineKeyboardButton("取消", callback_data=cb.FileKept(0).pack())])
    return InlineKeyboardMarkup(rows)


def skip_button(task_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("跳过", callback_data=cb.SkipNote(task_id).pack())]]
    )


def unbind_buttons(bound: list[BoundContact]) -> InlineKeyboardMarkup | None:
    """A 解绑/更换 button per bound contact under /units (as many as one keyboard holds)."""
    rows = [
        [
            InlineKeyboardButton(
                f"解绑/更换 {c.name}（{c.unit}·{CONTACT_ROLE_LABELS[c.role]}）",
                callback_data=cb.Unbind(c.user_id, c.unit_index).pack(),
            )
        ]
        for c in bound[:MAX_BUTTONS]
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def confirm_unbind_buttons(user_id: int, unit_index: int) -> InlineKeyboardMarkup:
    """确认解绑 / 解绑并邀请新人 / 取消 under the question a 解绑 button asks."""

    def button(label: str, verdict: str) -> InlineKeyboardButton:
        data = cb.ConfirmUnbind(verdict, user_id, unit_index).pack()
        return InlineKeyboardButton(label, callback_data=data)

    return InlineKeyboardMarkup(
        [[button("确认解绑", "ok"), button("解绑并邀请新人", "new")], [button("取消", "no")]]
    )


def slip_buttons(units: Sequence[tuple[str, int]]) -> InlineKeyboardMarkup | None:
    """生成督办单 per unit (name, directory index), two a row: for units nobody can be told."""
    buttons = [
        InlineKeyboardButton(f"生成督办单 {name}", callback_data=cb.MakeSlip(index).pack())
        for name, index in units[:MAX_BUTTONS]
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows) if rows else None


def sign_slip_button(year: int, serial: int) -> InlineKeyboardMarkup:
    """签收 under a 督办单 sent to the unit."""
    data = cb.SignSlip(year, serial).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton("签收督办单", callback_data=data)]])


RECEIPT_BUTTONS = 8


def with_receipt_buttons(
    markup: InlineKeyboardMarkup | None, parts: Sequence[tuple[int, int]]
) -> InlineKeyboardMarkup | None:
    """`markup` with a 签收 #N button per (task, unit index) below it (at most 8, 4 a row)."""
    buttons = [
        InlineKeyboardButton(f"签收 {task_ref(task)}", callback_data=cb.SignFor(task, index).pack())
        for task, index in list(dict.fromkeys(parts))[:RECEIPT_BUTTONS]
    ]
    if not buttons:
        return markup
    rows = [list(r) for r in markup.inline_keyboard] if markup is not None else []
    rows += [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return InlineKeyboardMarkup(rows)


TASK_BUTTONS_PER_ROW = 4
DIGEST_BUTTONS = 8


def task_list_buttons(tasks: Sequence[int], page: int, pages: int) -> InlineKeyboardMarkup | None:
    """`#N` per task on a /mytasks page (4 a row), then ◀ n/N ▶ when there are more pages."""
    buttons = [
        InlineKeyboardButton(task_ref(t), callback_data=cb.OpenCard(t, page).pack()) for t in tasks
    ]
    rows = [
        buttons[i : i + TASK_BUTTONS_PER_ROW] for i in range(0, len(buttons), TASK_BUTTONS_PER_ROW)
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton("◀", callback_data=cb.TaskListPage(page - 1).pack()))
        nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=cb.Noop().pack()))
        if page < pages - 1:
            nav.append(InlineKeyboardButton("▶", callback_data=cb.TaskListPage(page + 1).pack()))
        rows.append(nav)
    return InlineKeyboardMarkup(rows) if rows else None


def task_card_buttons(
    task_id: int,
    page: int | None,
    *,
    actions: bool = True,
    with_done: bool = True,
    next_milestone: tuple[int, Milestone] | None = None,
) -> InlineKeyboardMarkup | None:
    """A card's actions, and ↩ back to list page `page` when it was opened from the list."""
    rows: list[list[InlineKeyboardButton]] = []
    if actions:
        markup = task_actions(task_id, with_done=with_done, next_milestone=next_milestone)
        rows = [list(r) for r in markup.inline_keyboard]
    if page is not None:
        rows.append(
            [InlineKeyboardButton("↩ 返回列表", callback_data=cb.TaskListPage(page).pack())]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def digest_buttons(tasks: Sequence[int]) -> InlineKeyboardMarkup | None:
    """One `#N` per task of a morning digest (at most 8), then 更多… for the whole list."""
    tasks = list(dict.fromkeys(tasks))
    shown = tasks[:DIGEST_BUTTONS]
    buttons = [
        InlineKeyboardButton(task_ref(t), callback_data=cb.OpenCard(t, 0).pack()) for t in shown
    ]
    rows = [
        buttons[i : i + TASK_BUTTONS_PER_ROW] for i in range(0, len(buttons), TASK_BUTTONS_PER_ROW)
    ]
    if len(tasks) > DIGEST_BUTTONS:
        rows.append([InlineKeyboardButton("更多…", callback_data=cb.MoreTasks().pack())])
    return InlineKeyboardMarkup(rows) if rows else None


# -- the coordinator's paged views (/status N, /status UNIT, /overdue) and their cards ---------
VIEW_BUTTONS_PER_ROW = 8  # Telegram's most per row; a `#N` label is short enough for it


def _balanced(buttons: list[InlineKeyboardButton], most: int) -> list[list[InlineKeyboardButton]]:
    """Rows of at most `most` buttons, as even as they go (9 make 5 + 4, not 8 + 1)."""
    if not buttons:
        return []
    count = -(-len(buttons) // most)
    size = -(-len(buttons) // count)
    return [buttons[i : i + size] for i in range(0, len(buttons), size)]


def _pages_row(page: int, pages: int, data: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀ 上一页 n/N 下一页 ▶, `data(p)` being the callback data that shows page p."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀ 上一页", callback_data=data(page - 1)))
    row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=cb.Noop().pack()))
    if page < pages - 1:
        row.append(InlineKeyboardButton("下一页 ▶", callback_data=data(page + 1)))
    return row


def view_buttons(
    view: str, page: int, pages: int, tasks: Sequence[int] = ()
) -> InlineKeyboardMarkup | None:
    """A `#N` per task on a page of a view (rows of at most 8), then ◀ n/N ▶ between pages.

    `view` is `ov`, `tN` or `uN` (bot.telegram.callbacks.Page); task buttons are only for the
    list views (`ov`, `uN`), whose `#N` opens task N's card in the same message."""
    shown = [] if cb.LIST_VIEW.fullmatch(view) is None else list(dict.fromkeys(tasks))
    buttons = [
        InlineKeyboardButton(task_ref(t), callback_data=cb.StatusCard(t, view, page).pack())
        for t in shown[: MAX_BUTTONS - 3]
    ]
    rows = _balanced(buttons, VIEW_BUTTONS_PER_ROW)
    if pages > 1:
        rows.append(_pages_row(page, pages, lambda p: cb.Page(view, p).pack()))
    if view.startswith("g"):  # a group of the /status overview
        rows.append([InlineKeyboardButton("↩ 返回总览", callback_data=cb.Page("st", 0).pack())])
    return InlineKeyboardMarkup(rows) if rows else None


def overview_buttons(groups: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """Under the /status overview: a button per group (`三、规范构建…`; `B·一、…` beside other
    plans), two a row, each showing that group's tasks (view `g3`, `g1_2`) in the same
    message."""
    buttons = [
        InlineKeyboardButton(_short(label, GROUP_LABEL), callback_data=cb.Page(view, 0).pack())
        for view, label in groups[: MAX_BUTTONS - 1]
    ]
    rows = _balanced(buttons, 2)
    return InlineKeyboardMarkup(rows) if rows else None


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def status_card_buttons(
    button: cb.StatusCard, card_page: int, card_pages: int
) -> InlineKeyboardMarkup:
    """Under a coordinator's task card opened from a view: ◀ ▶ over the task's units when they
    take several pages, and ↩ back to the page of the view it was opened from."""
    rows = []
    if card_pages > 1:
        rows.append(
            _pages_row(card_page, card_pages, lambda p: replace(button, card_page=p).pack())
        )
    back = cb.Page(button.view, button.page).pack()
    rows.append([InlineKeyboardButton("↩ 返回列表", callback_data=back)])
    return InlineKeyboardMarkup(rows)
