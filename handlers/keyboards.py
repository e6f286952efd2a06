"""Inline keyboards, and the callback-data grammar every button shares.

callback_data (≤ 64 bytes): "<action>:<task>[:<arg>]"
  upd:N      更新进度        ev:N   上传材料        ext:N  申请延期      done:N  标记完成
  rv:ok:ID / rv:no:ID        review a completion claim or extension request (ID = its record id)
  st:N:STATUS                pick a status inside the update dialogue
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


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


def parse_callback(data: str) -> tuple[str, list[str]]:
    """ "upd:18" → ("upd", ["18"])."""
    action, _, rest = data.partition(":")
    return action, rest.split(":") if rest else []
