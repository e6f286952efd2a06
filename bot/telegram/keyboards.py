"""Inline keyboards, and the callback-data grammar every button shares.

callback_data (≤ 64 bytes): "<action>:<task>[:<arg>]"
  upd:N      更新进度        ev:N   上传材料        ext:N  申请延期      done:N  标记完成
  rv:ok:ID / rv:no:ID        review a completion claim or extension request (ID = its record id)
  st:N:STATUS                pick a status inside the update dialogue
  skip:N                     跳过 the note of the update dialogue
  unb:USER_ID:UNIT_INDEX     解绑 a contact under /units
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.status import STATUS_LABELS
from bot.features.onboarding import BoundContact

MAX_BUTTONS = 100  # Telegram's limit per inline keyboard


def task_actions(task_id: int, *, with_done: bool = True) -> InlineKeyboardMarkup:
    """The buttons under a task card or a reminder."""
    row1 = [
        InlineKeyboardButton("更新进度", callback_data=f"upd:{task_id}"),
        InlineKeyboardButton("上传材料", callback_data=f"ev:{task_id}"),
    ]
    row2 = [InlineKeyboardButton("申请延期", callback_data=f"ext:{task_id}")]
    if with_done:
        row2.append(InlineKeyboardButton("标记完成", callback_data=f"done:{task_id}"))
    return InlineKeyboardMarkup([row1, row2])


def review_buttons(record_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("通过", callback_data=f"rv:ok:{record_id}"),
                InlineKeyboardButton("退回", callback_data=f"rv:no:{record_id}"),
            ]
        ]
    )


def status_choice(task_id: int) -> InlineKeyboardMarkup:
    """The four status buttons of the update dialogue (`st:N:STATUS`)."""
    buttons = [
        InlineKeyboardButton(label, callback_data=f"st:{task_id}:{key}")
        for key, label in STATUS_LABELS.items()
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def skip_button(task_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("跳过", callback_data=f"skip:{task_id}")]])


def unbind_buttons(bound: list[BoundContact]) -> InlineKeyboardMarkup | None:
    """A 解绑 button per bound contact under /units (as many as one keyboard holds)."""
    rows = [
        [
            InlineKeyboardButton(
                f"解绑 {c.name}（{c.unit}）", callback_data=f"unb:{c.user_id}:{c.unit_index}"
            )
        ]
        for c in bound[:MAX_BUTTONS]
    ]
    return InlineKeyboardMarkup(rows) if rows else None
