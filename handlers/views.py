"""Coordinator views in chat: /status [N|UNIT], /overdue, /summary [preview], /export."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.reports import report, views
from bot.reports.chart import chart_safely
from bot.reports.summary import messages_of
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.telegram.publish import post_summary
from bot.text.render import render
from handlers.common import Context, actor_of, reply, today

log = logging.getLogger(__name__)
_TASK_ARG = re.compile(r"^[#＃]?\s*(\d+)$")


def _note(what: str, **ctx: object) -> str:
    return render("views_note.html.j2", what=what, **ctx)


def pager(view: str, page: views.Page) -> InlineKeyboardMarkup | None:
    """◀ / ▶ buttons for a multi-page view (`view` is `ov`, `tN` or `uN`)."""
    if page.pages <= 1:
        return None
    row = []
    if page.page > 0:
        row.append(
            InlineKeyboardButton("◀ 上一页", callback_data=cb.Page(view, page.page - 1).pack())
        )
    row.append(
        InlineKeyboardButton(f"{page.page + 1}/{page.pages}", callback_data=cb.Noop().pack())
    )
    if page.page < page.pages - 1:
        row.append(
            InlineKeyboardButton("下一页 ▶", callback_data=cb.Page(view, page.page + 1).pack())
        )
    return InlineKeyboardMarkup([row])


async def _coordinator(update: Update, context: Context) -> bool:
    """True for a coordinator; anyone else gets a short refusal (the gate normally stops them)."""
    if actor_of(update, context).is_coordinator:
        return True
    if update.callback_query is not None:
        await update.callback_query.answer(_note("coordinator_only"), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(_note("coordinator_only"))
    return False


def unit_index(services: Services, name: str) -> int | None:
    """A unit's position in the directory: short enough for callback data."""
    return next((i for i, u in enumerate(services.units.units) if u.name == name), None)


def render_view(
    services: Services, view: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of page `page` of a paged view (`ov`, `t<N>`, `u<index>`)."""
    day = services.clock.now().date()
    if view == "ov":
        result = views.overdue_view(services, day, page)
    elif view.startswith("t"):
        found = views.task_view(services, int(view[1:]), day, page)
        if found is None:
            return _note("expired"), None
        result = found
    else:
        index = int(view[1:])
        if index >= len(services.units.units):
            return _note("expired"), None
        result = views.unit_view(services, services.units.units[index].name, day, page)
    return result.text, pager(view, result)


async def status_command(update: Update, context: Context) -> None:
    """/status: the overview; /status N: one task; /status UNIT: one unit."""
    if not await _coordinator(update, context):
        return
    services = context.services
    arg = " ".join(context.args or []).strip()
    if not arg:
        await reply(update, context, views.overview(services, today(context)))
        return
    if m := _TASK_ARG.match(arg):
        task_id = int(m[1]) if len(m[1]) <= 18 else 0  # echoed as written, never cut
        if services.store.task(task_id) is None:
            await reply(
                update, context, _note("no_task", arg=m[1], count=len(services.store.tasks()))
            )
            return
        text, markup = render_view(services, f"t{task_id}", 0)
        await reply(update, context, text, markup)
        return
    unit = services.units.get(arg)
    index = unit_index(services, unit.name) if unit else None
    if unit is None and services.units.is_group(arg):
        members = [u.name for u in services.units.expand(arg)]
        await reply(update, context, _note("group", arg=arg, members=members))
        return
    if unit is None or index is None:
        await reply(
            update, context, _note("unknown", arg=arg, suggestion=services.units.suggest(arg) or "")
        )
        return
    text, markup = render_view(services, f"u{index}", 0)
    await reply(update, context, text, markup)


async def overdue_command(update: Update, context: Context) -> None:
    """/overdue: overdue work by lead unit, paged."""
    if not await _coordinator(update, context):
        return
    text, markup = render_view(context.services, "ov", 0)
    await reply(update, context, text, markup)


async def page_button(update: Update, context: Context) -> None:
    """◀/▶ under a paged view: the message shows the other page."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    if not await _coordinator(update, context):
        return
    button = cb.button_of(update, cb.Page)
    text, markup = render_view(context.services, button.view, button.page)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" after a double press
        log.debug("page edit skipped: %s", exc)


async def noop_button(update: Update, context: Context) -> None:
    """The page counter button does nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def summary_command(update: Update, context: Context) -> None:
    """/summary: post the weekly summary now; /summary preview: show it only to me."""
    if not await _coordinator(update, context):
        return
    services = context.services
    user = update.effective_user
    args = context.args or []
    preview = bool(args) and args[0].lower() in ("preview", "预览")
    if args and not preview:  # a typo must not post to the whole group
        await reply(update, context, _note("summary_usage"))
        return
    if preview and user is not None:
        try:
            await context.outbox.send(user.id, _note("summary_preview"))
        except Forbidden:  # asked in a group by a coordinator who never opened a private chat
            await reply(update, context, _note("preview_needs_private"))
            return
        data, texts = messages_of(services, today(context))
        for text in texts:
            await context.outbox.send(user.id, text)
        png = await chart_safely(services, today(context), data)
        if png is not None:
            try:
                await context.outbox.photo(user.id, png)
            except TelegramError as exc:
                log.warning("preview chart not sent: %s", exc)
        return
    chat_id = services.settings.summary_chat_id
    if chat_id is None:
        await reply(update, context, _note("no_summary_chat"))
        return
    ok = await post_summary(context.outbox, services, chat_id, today(context))
    if ok:
        services.store.record(
            "summary.posted",
            at=services.clock.now(),
            actor=user.id if user else None,
            chat=chat_id,
            manual=True,
        )
    await reply(update, context, _note("summary_posted" if ok else "summary_failed"))


async def export_command(update: Update, context: Context) -> None:
    """/export: the Excel progress report as a document."""
    if not await _coordinator(update, context):
        return
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    day = today(context)
    # Read the store here on the loop's thread; only the file writing goes to a worker thread.
    data = report.collect(services, day)
    with tempfile.TemporaryDirectory(prefix="duban-export-") as tmp:
        out = Path(tmp) / f"督办进度表-{day.isoformat()}.xlsx"
        try:
            await asyncio.to_thread(report.write_report, data, out)
        except Exception:  # noqa: BLE001 - tell the coordinator instead of failing silently
            log.exception("export failed")
            await reply(update, context, _note("export_failed"))
            return
        with out.open("rb") as fh:
            await context.outbox.document(
                chat.id, fh.read(), out.name, caption=_note("export_caption", today=day)
            )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("status", status_command))
    application.add_handler(CommandHandler("overdue", overdue_command))
    application.add_handler(CommandHandler("summary", summary_command))
    application.add_handler(CommandHandler("export", export_command))
    application.add_handler(CallbackQueryHandler(page_button, pattern=cb.matches(cb.Page)))
    application.add_handler(CallbackQueryHandler(noop_button, pattern=cb.matches(cb.Noop)))
