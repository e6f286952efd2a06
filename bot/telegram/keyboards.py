"""Inline keyboards; their callback data comes from `bot.telegram.callbacks`."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.status import STATUS_LABELS
from bot.features.onboarding import BoundContact
from bot.telegram import callbacks as cb

MAX_BUTTONS = 100  # Telegram's limit per inline keyboard


def task_actions(task_id: int, *, with_done: bool = True) -> InlineKeyboardMarkup:
    """The buttons under a task card or a reminder."""
    row1 = [
        InlineKeyboardButton("更新进度", callback_data=cb.UpdateTask(task_id).pack()),
        InlineKeyboardButton("上传材料", callback_data=cb.UploadEvidence(task_id).pack()),
    ]
    row2 = [InlineKeyboardButton("申请延期", callback_data=cb.ExtendTask(task_id).pack())]
    if with_done:
        row2.append(InlineKeyboardButton("标记完成", callback_data=cb.MarkDone(task_id).pack()))
    return InlineKeyboardMarkup([row1, row2])


def review_buttons(record_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("通过", callback_data=cb.Review("ok", record_id).pack()),
                InlineKeyboardButton("退回", callback_data=cb.Review("no", record_id).pack()),
            ]
        ]
    )


def status_choice(task_id: int) -> InlineKeyboardMarkup:
    """The four status buttons of the update dialogue."""
    buttons = [
        InlineKeyboardButton(label, callback_data=cb.PickStatus(task_id, key).pack())
        for key, label in STATUS_LABELS.items()
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def skip_button(task_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("跳过", callback_data=cb.SkipNote(task_id).pack())]]
    )


def unbind_buttons(bound: list[BoundContact]) -> InlineKeyboardMarkup | None:
    """A 解绑 button per bound contact under /units (as many as one keyboard holds)."""
    rows = [
        [
            InlineKeyboardButton(
                f"解绑 {c.name}（{c.unit}）",
                callback_data=cb.Unbind(c.user_id, c.unit_index).pack(),
            )
        ]
        for c in bound[:MAX_BUTTONS]
    ]
    return InlineKeyboardMarkup(rows) if rows else None
