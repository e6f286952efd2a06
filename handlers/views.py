"""Coordinator views in chat: /status [N|UNIT], /overdue, /summary [preview], /export."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path

from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.features import summary_posts
from bot.features.refs import lookup_text
from bot.reports import report, views
from bot.reports.chart import chart_safely
from bot.reports.summary import messages_of
from bot.services import Services
from bot.telegram import callbacks as cb
from bot.telegram.context import DubanApp, DubanContext
from bot.telegram.keyboards import overview_buttons, status_card_buttons, view_buttons
from bot.telegram.outbox import About
from bot.telegram.publish import publisher
from bot.text.render import render
from handlers.common import (
    REF_COMMANDS,
    actor_of,
    coordinator_message,
    plain_text,
    reply,
    task_named,
    today,
)

log = logging.getLogger(__name__)


def _note(what: str, **ctx: object) -> str:
    return render("views_note.html.j2", what=what, **ctx)


async def _coordinator(update: Update, context: DubanContext) -> bool:
    """True for a coordinator; anyone else gets a short refusal (the gate normally stops them).

    A pressed button is refused with a toast: view buttons only change what a message shows."""
    refusal = _note("coordinator_only")
    if update.callback_query is None:
        return await coordinator_message(update, context, refusal) is not None
    if actor_of(update, context).is_coordinator:
        return True
    await update.callback_query.answer(refusal)
    return False


def unit_index(services: Services, name: str) -> int | None:
    """A unit's position in the directory: short enough for callback data."""
    return next((i for i, u in enumerate(services.units.units) if u.name == name), None)


_VIEW = re.compile(r"(ov)|t(\d{1,18})|u(\d{1,6})|(st)|g(\d{1,4})(?:_(\d{1,4}))?")


def _view_page(services: Services, view: str, page: int) -> views.Page | None:
    """Page `page` of a paged view (`ov`, `t<N>`, `u<index>`, `st`, `g<N>`, `g<N>_<plan>`);
    None when it no longer exists."""
    day = services.clock.now().date()
    m = _VIEW.fullmatch(view)
    if m is None:
        return None
    if m[1]:
        return views.overdue_view(services, day, page)
    if m[4]:
        return views.overview_page(services, day)
    if m[5]:
        return views.group_view(services, int(m[5]), day, page, int(m[6] or 0))
    if m[2]:
        return views.task_view(services, int(m[2]), day, page)
    index = int(m[3])
    if index >= len(services.units.units):
        return None
    return views.unit_view(services, services.units.units[index].name, day, page)


def render_view(
    services: Services, view: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None, list[About]]:
    """The text, buttons and tasks of page `page` of a paged view (`ov`, `t<N>`, `u<index>`):
    a list view has a `#N` button per task on the page."""
    found = _view_page(services, view, page)
    if found is None:
        return _note("expired"), None, []
    if found.groups:  # the same buttons while the plan's groups are the same
        groups = found.groups
        markup = services.store.derived(
            "overview_buttons", (), groups, lambda: overview_buttons(groups)
        )
    else:
        markup = view_buttons(view, found.page, found.pages, found.tasks)
    return found.text, markup, list(found.about)


async def status_command(update: Update, context: DubanContext) -> None:
    """/status: the overview; /status N: one task; /status UNIT: one unit."""
    if not await _coordinator(update, context):
        return
    services = context.services
    arg = " ".join(context.args or []).strip()
    if not arg:
        await _show(update, context, "st")
        return
    if (found := lookup_text(services.store, arg)) is not None:
        count = len(services.store.plan.tasks())
        unknown = _note("no_task", arg=found.typed, count=count)  # echoed as written, never cut
        if (task_id := await task_named(update, context, found, unknown=unknown)) is not None:
            await _show(update, context, f"t{task_id}")
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
    await _show(update, context, f"u{index}")


async def _show(update: Update, context: DubanContext, view: str) -> None:
    """The first page of a view as a new message, remembered with the task(s) it lists."""
    text, markup, about = render_view(context.services, view, 0)
    await reply(update, context, text, markup, about=about, kind="view")


async def overdue_command(update: Update, context: DubanContext) -> None:
    """/overdue: overdue work by lead unit, paged."""
    if not await _coordinator(update, context):
        return
    await _show(update, context, "ov")


async def _edit_pressed(
    update: Update,
    context: DubanContext,
    text: str,
    markup: InlineKeyboardMarkup | None,
    about: list[About],
    kind: str,
) -> None:
    """Show other content in the message whose button was pressed; a message that can no
    longer be edited (gone, inaccessible) gets a short toast instead."""
    query = update.callback_query
    assert query is not None
    message = query.message
    edited = message is not None and await context.outbox.edit(
        message.chat.id, message.message_id, text, markup, about=about, kind=kind
    )
    await query.answer(None if edited else plain_text(_note("expired")))


async def page_button(update: Update, context: DubanContext) -> None:
    """◀/▶ under a paged view, or ↩ under a card opened from it: the message shows that page."""
    if not await _coordinator(update, context):
        return
    button = cb.button_of(update, cb.Page)
    text, markup, about = render_view(context.services, button.view, button.page)
    await _edit_pressed(update, context, text, markup, about, "view")


async def card_button(update: Update, context: DubanContext) -> None:
    """`#N` under a /status UNIT or /overdue page: the message becomes task N's card, with
    ↩ back to that page (and ◀ ▶ over the task's units when they take several pages)."""
    if not await _coordinator(update, context):
        return
    query, button = update.callback_query, cb.button_of(update, cb.StatusCard)
    assert query is not None
    found = views.task_view(context.services, button.task, today(context), button.card_page)
    if found is None:  # the task left the plan since the page was drawn
        await query.answer(plain_text(_note("task_gone", task=button.task)))
        return
    markup = status_card_buttons(button, found.page, found.pages)
    await _edit_pressed(update, context, found.text, markup, list(found.about), "card")


async def noop_button(update: Update, context: DubanContext) -> None:
    """The page counter button does nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def summary_command(update: Update, context: DubanContext) -> None:
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
            await context.outbox.answer(user.id, _note("summary_preview"))
        except Forbidden:  # asked in a group by a coordinator who never opened a private chat
            await reply(update, context, _note("preview_needs_private"))
            return
        data, texts = messages_of(services, today(context))
        for text in texts:
            await context.outbox.answer(user.id, text)
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
    publish = publisher(context.outbox, services)
    actor = user.id if user else None
    ok = await summary_posts.post_now(
        services, publish, chat=chat_id, day=today(context), actor=actor
    )
    await reply(update, context, _note("summary_posted" if ok else "summary_failed"))


async def export_command(update: Update, context: DubanContext) -> None:
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


def register(application: DubanApp) -> None:
    REF_COMMANDS["status"] = status_command
    application.add_handler(CommandHandler("status", status_command))
    application.add_handler(CommandHandler("overdue", overdue_command))
    application.add_handler(CommandHandler("summary", summary_command))
    application.add_handler(CommandHandler("export", export_command))
    application.add_handler(CallbackQueryHandler(page_button, pattern=cb.matches(cb.Page)))
    application.add_handler(CallbackQueryHandler(card_button, pattern=cb.matches(cb.StatusCard)))
    application.add_handler(CallbackQueryHandler(noop_button, pattern=cb.matches(cb.Noop)))
