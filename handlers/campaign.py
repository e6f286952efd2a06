"""/activity (诚信建设万里行, #24), /rectify (专项治理, #11 and #25) and /metric KEY VALUE.

The two dialogues are ConversationHandlers registered before the evidence handler, so photos
and files sent during a dialogue belong to it and not to a task's evidence by caption.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import campaign, evidence, kpis
from bot.access import Actor
from bot.dates import parse_chinese_date
from bot.plan.numerals import parse_number
from bot.render import render
from bot.services import Services
from handlers.common import actor_of, services_of, today

log = logging.getLogger(__name__)

(
    A_UNIT,
    A_FORM,
    A_CARRIER,
    A_DATE,
    A_TITLE,
    A_PEOPLE,
    A_FIRMS,
    A_PHOTOS,
    R_UNIT,
    R_FIELD,
    R_FOUND,
    R_FIXED,
    R_CASES,
    R_FILES,
) = range(14)
TITLE_LIMIT = 200
CASES_LIMIT = 3000
DONE_WORDS = ("完成", "跳过", "无", "没有", "好了", "done")
NIL_WORDS = ("无", "没有", "暂无", "-", "—")
TEXT = filters.TEXT & ~filters.COMMAND
FILES = filters.PHOTO | filters.Document.ALL
Context = ContextTypes.DEFAULT_TYPE


def _t(what: str, **ctx: Any) -> str:
    return render("campaign.html.j2", what=what, **ctx)


def _buttons(prefix: str, labels: list[str], per_row: int = 2) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=f"{prefix}:{i}") for i, label in enumerate(labels)
    ]
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def _done_button(prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("完成", callback_data=f"{prefix}:done")]])


def parse_count(text: str) -> int | None:
    """ "120", "120人", "一百二十" → 120; None when it is not a count."""
    cleaned = re.sub(r"[\s,，]|人次|人|家|个|场", "", text or "")
    if cleaned.isdigit():
        return int(cleaned)
    value = parse_number(cleaned) if cleaned else None
    return value if isinstance(value, int) and value >= 0 else None


async def _answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the dialogue's chat (after acknowledging a pressed button)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if update.effective_chat is not None:
        await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


def _draft(context: Context) -> dict[str, Any]:
    return context.user_data.setdefault("campaign", {})  # type: ignore[union-attr]


async def _begin(update: Update, context: Context, kind: str) -> int | None:
    """Start a dialogue: pick the unit, or ask for it. Returns the next state (None: refused)."""
    actor = actor_of(update, context)
    if context.user_data is not None:
        context.user_data["campaign"] = {"kind": kind, "files": []}
    if actor.is_stranger:
        await _answer(update, _t("no_unit"))
        return None
    if len(actor.units) == 1:
        _draft(context)["unit"] = actor.units[0]
        return await _first_step(update, context)
    if actor.units:
        await _answer(update, _t("ask_unit"), _buttons(f"{kind}:u", list(actor.units), 1))
    else:
        await _answer(update, _t("ask_unit", typed=True))
    return A_UNIT if kind == "act" else R_UNIT


async def _first_step(update: Update, context: Context) -> int:
    draft = _draft(context)
    if draft["kind"] == "act":
        await _answer(
            update, _t("act_start", unit=draft["unit"]), _buttons("act:f", list(campaign.FORMS), 3)
        )
        return A_FORM
    labels = [f"#{campaign.field_task(f)} {f}" for f in campaign.FIELDS]
    await _answer(update, _t("rf_start", unit=draft["unit"]), _buttons("rf:f", labels, 1))
    return R_FIELD


async def unit_button(update: Update, context: Context) -> int:
    """The unit picked for a contact of several units."""
    query = update.callback_query
    assert query is not None and query.data is not None
    actor = actor_of(update, context)
    index = int(query.data.rsplit(":", 1)[1])
    if index >= len(actor.units):
        await query.answer()
        return ConversationHandler.END
    _draft(context)["unit"] = actor.units[index]
    return await _first_step(update, context)


async def unit_text(update: Update, context: Context) -> int:
    """A coordinator types the unit reported for."""
    services = services_of(context)
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    unit = services.units.get(text)
    if unit is None:
        await _answer(update, _t("bad_unit", text=text, suggestion=services.units.suggest(text)))
        return A_UNIT if _draft(context)["kind"] == "act" else R_UNIT
    _draft(context)["unit"] = unit.name
    return await _first_step(update, context)


# -- /activity ----------------------------------------------------------------------------
async def activity_command(update: Update, context: Context) -> int:
    """/activity: report a 诚信建设万里行 activity step by step."""
    state = await _begin(update, context, "act")
    return ConversationHandler.END if state is None else state


async def form_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    form = campaign.FORMS[int(query.data.rsplit(":", 1)[1]) % len(campaign.FORMS)]
    _draft(context)["form"] = form
    await _answer(
        update, _t("act_carrier", form=form), _buttons("act:c", list(campaign.CARRIERS), 3)
    )
    return A_CARRIER


async def carrier_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    carrier = campaign.CARRIERS[int(query.data.rsplit(":", 1)[1]) % len(campaign.CARRIERS)]
    _draft(context)["carrier"] = carrier
    await _answer(update, _t("act_date", carrier=carrier))
    return A_DATE


async def date_text(update: Update, context: Context) -> int:
    day_now = today(context)
    day = parse_chinese_date(update.effective_message.text or "", day_now)  # type: ignore[union-attr]
    if day is None:
        await _answer(update, _t("bad_date"))
        return A_DATE
    if day > day_now:
        await _answer(update, _t("future_date", day=day))
        return A_DATE
    _draft(context)["day"] = day
    await _answer(update, _t("act_title", day=day))
    return A_TITLE


async def title_text(update: Update, context: Context) -> int:
    title = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    if not title or len(title) > TITLE_LIMIT:
        await _answer(update, _t("bad_title", limit=TITLE_LIMIT))
        return A_TITLE
    _draft(context)["title"] = title
    await _answer(update, _t("act_people"))
    return A_PEOPLE


async def people_text(update: Update, context: Context) -> int:
    count = parse_count(update.effective_message.text or "")  # type: ignore[union-attr]
    if count is None:
        await _answer(update, _t("bad_number"))
        return A_PEOPLE
    _draft(context)["participants"] = count
    await _answer(update, _t("act_firms"))
    return A_FIRMS


async def firms_text(update: Update, context: Context) -> int:
    count = parse_count(update.effective_message.text or "")  # type: ignore[union-attr]
    if count is None:
        await _answer(update, _t("bad_number"))
        return A_FIRMS
    _draft(context)["enterprises"] = count
    await _answer(update, _t("act_photos"), _done_button("act"))
    return A_PHOTOS


async def activity_file(update: Update, context: Context) -> int:
    """A photo (or file) of the activity, kept like evidence of #24."""
    await _keep_file(update, context, campaign.ACTIVITY_TASK, "act")
    return A_PHOTOS


async def activity_done(update: Update, context: Context) -> int:
    """完成: store the activity and say what was recorded."""
    services = services_of(context)
    actor = actor_of(update, context)
    draft = _draft(context)
    record = campaign.add_activity(
        services.store,
        unit=draft["unit"],
        actor=actor.user_id,
        at=services.clock.now(),
        form=draft["form"],
        carrier=draft["carrier"],
        day=draft["day"],
        title=draft["title"],
        participants=draft["participants"],
        enterprises=draft["enterprises"],
        photos=draft["files"],
    )
    await _answer(
        update,
        _t(
            "act_saved",
            day=draft["day"],
            unit=draft["unit"],
            form=record["form"],
            carrier=record["carrier"],
            title=record["title"],
            participants=record["participants"],
            firms=record["enterprises"],
            photos=len(record["photos"]),
        ),
    )
    _clear(context)
    return ConversationHandler.END


# -- /rectify -----------------------------------------------------------------------------
async def rectify_command(update: Update, context: Context) -> int:
    """/rectify: report 专项治理 figures for one field step by step."""
    state = await _begin(update, context, "rf")
    return ConversationHandler.END if state is None else state


async def field_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    name = campaign.FIELDS[int(query.data.rsplit(":", 1)[1]) % len(campaign.FIELDS)]
    _draft(context)["field"] = name
    await _answer(update, _t("rf_found", field=name, task=campaign.field_task(name)))
    return R_FOUND


async def found_text(update: Update, context: Context) -> int:
    count = parse_count(update.effective_message.text or "")  # type: ignore[union-attr]
    if count is None:
        await _answer(update, _t("bad_number"))
        return R_FOUND
    _draft(context)["identified"] = count
    await _answer(update, _t("rf_fixed"))
    return R_FIXED


async def fixed_text(update: Update, context: Context) -> int:
    count = parse_count(update.effective_message.text or "")  # type: ignore[union-attr]
    if count is None:
        await _answer(update, _t("bad_number"))
        return R_FIXED
    _draft(context)["rectified"] = count
    await _answer(update, _t("rf_cases"))
    return R_CASES


async def cases_text(update: Update, context: Context) -> int:
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    _draft(context)["cases"] = "" if text in NIL_WORDS else text[:CASES_LIMIT]
    await _answer(update, _t("rf_evidence"), _done_button("rf"))
    return R_FILES


async def rectify_file(update: Update, context: Context) -> int:
    draft = _draft(context)
    await _keep_file(update, context, campaign.field_task(draft["field"]), "rf")
    return R_FILES


async def rectify_done(update: Update, context: Context) -> int:
    services = services_of(context)
    draft = _draft(context)
    record = campaign.add_rectification(
        services.store,
        unit=draft["unit"],
        actor=actor_of(update, context).user_id,
        at=services.clock.now(),
        field_name=draft["field"],
        identified=draft["identified"],
        rectified=draft["rectified"],
        cases=draft["cases"],
        evidence=draft["files"],
    )
    await _answer(
        update,
        _t(
            "rf_saved",
            task=record["task"],
            field=record["field"],
            found=record["identified"],
            fixed=record["rectified"],
            files=len(record["evidence"]),
        ),
    )
    _clear(context)
    return ConversationHandler.END


# -- files inside a dialogue --------------------------------------------------------------
async def _keep_file(update: Update, context: Context, task_id: int, prefix: str) -> None:
    """Download a photo or file and keep it as evidence of the task for the draft's unit."""
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    actor = actor_of(update, context)
    draft = _draft(context)
    try:
        ref = await keep_file(context, services, actor, message, task_id, draft["unit"])
    except evidence.EvidenceError as err:
        await message.reply_text(
            _t("photo_failed", reason=err.code), reply_markup=_done_button(prefix)
        )
        return
    except TelegramError as err:
        log.warning("dialogue file download failed: %s", err)
        await message.reply_text(
            _t("photo_failed", reason="下载失败"), reply_markup=_done_button(prefix)
        )
        return
    draft["files"].append(ref)
    await message.reply_text(
        _t("photo_saved", count=len(draft["files"])), reply_markup=_done_button(prefix)
    )


async def keep_file(
    context: Context, services: Services, actor: Actor, message: Message, task_id: int, unit: str
) -> dict[str, Any]:
    """Keep a photo or document through bot/evidence; a unit without a part keeps a reference."""
    if message.document is not None:
        doc = message.document
        vetted = evidence.vet(doc.file_name, doc.mime_type, doc.file_size)
        file_id, unique_id = doc.file_id, doc.file_unique_id
    else:
        photo = message.photo[-1]
        vetted = evidence.vet_photo(photo.file_size, services.clock.now())
        file_id, unique_id = photo.file_id, photo.file_unique_id
    ref: dict[str, Any] = {
        "name": vetted.display_name,
        "file_id": file_id,
        "file_unique_id": unique_id,
    }
    if services.store.state(task_id, unit) is None:
        # keep_file records evidence on the unit's part of the task; without one, a reference.
        return ref
    data_dir = services.settings.data_dir
    temp = evidence.temp_path(data_dir, task_id, unit)
    try:
        tg_file = await context.bot.get_file(file_id)
        await tg_file.download_to_drive(custom_path=temp)
    except TelegramError:
        evidence.discard(temp)
        raise
    saved = evidence.keep_file(
        services.store,
        data_dir,
        temp,
        vetted,
        task_id=task_id,
        unit=unit,
        at=services.clock.now(),
        uploader=actor.user_id,
        uploader_name=actor.name,
        chat_id=message.chat_id,
        message_id=message.message_id,
        file_unique_id=unique_id,
    )
    ref["evidence"] = saved.record["id"]
    return ref


def _clear(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop("campaign", None)


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a dialogue: nothing is stored."""
    _clear(context)
    await _answer(update, _t("cancelled"))
    return ConversationHandler.END


async def done_text(update: Update, context: Context) -> int:
    """Typing 完成/跳过 at the optional files step finishes the dialogue."""
    if _draft(context).get("kind") == "act":
        return await activity_done(update, context)
    return await rectify_done(update, context)


async def files_text(update: Update, context: Context) -> int:
    """Other text at the files step: remind how to finish."""
    draft = _draft(context)
    prefix = draft.get("kind", "act")
    await _answer(
        update, _t("act_photos" if prefix == "act" else "rf_evidence"), _done_button(prefix)
    )
    return A_PHOTOS if prefix == "act" else R_FILES


# -- /metric ------------------------------------------------------------------------------
async def metric_command(update: Update, context: Context) -> None:
    """/metric KEY VALUE: record a KPI value (its owning lead units or a coordinator)."""
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    actor = actor_of(update, context)
    if actor.is_stranger:
        await message.reply_text(_t("no_unit"))
        return
    args = context.args or []
    if len(args) < 2:
        rows = kpis.kpi_statuses(kpis.metric_records(services.store), kpis.bundled_kpis())
        await message.reply_text(
            _t(
                "metric_usage",
                kpis=[
                    {
                        "key": r.kpi.key,
                        "name": r.kpi.name,
                        "task": r.kpi.task,
                        "target": r.target,
                        "value": None
                        if r.value is None
                        else f"{kpis.fmt_number(r.value)}{r.kpi.unit}",
                    }
                    for r in rows
                ],
            )
        )
        return
    word, raw = " ".join(args[:-1]), args[-1]
    kpi = kpis.find_kpi(word)
    if kpi is None:
        await message.reply_text(_t("metric_unknown", word=word))
        return
    value = kpis.parse_value(raw)
    if value is None:
        await message.reply_text(_t("metric_bad_value", value=raw))
        return
    owners = metric_owners(services, kpi)
    mine = [u for u in actor.units if u in owners]
    if not mine and not actor.is_coordinator:
        await message.reply_text(_t("metric_denied", name=kpi.name, task=kpi.task, leads=owners))
        return
    unit = mine[0] if mine else (owners[0] if owners else None)
    now = services.clock.now()
    kpis.record_metric(services.store, kpi, value, at=now, actor=actor.user_id, unit=unit)
    latest = kpis.latest_values(kpis.metric_records(services.store))
    await message.reply_text(
        _t(
            "metric_saved",
            name=kpi.name,
            value=f"{kpis.fmt_number(value)}{kpi.unit}",
            target=kpi.target_text(latest),
            met=kpi.met(value, latest),
            day=now.date(),
        )
    )


def metric_owners(services: Services, kpi: kpis.Kpi) -> list[str]:
    """The lead units of the KPI's task (group names expanded)."""
    task = services.store.task(kpi.task)
    if task is None:
        return []
    return [u.name for name in task.leads for u in services.units.expand(name)]


def dialogues() -> list[ConversationHandler]:
    """The /activity and /rectify conversations."""
    cancel_handler = CommandHandler("cancel", cancel)
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, which is what a one-person dialogue needs.
        warnings.simplefilter("ignore", PTBUserWarning)
        activity = ConversationHandler(
            entry_points=[CommandHandler("activity", activity_command)],
            states={
                A_UNIT: [
                    CallbackQueryHandler(unit_button, pattern=r"^act:u:\d+$"),
                    MessageHandler(TEXT, unit_text),
                ],
                A_FORM: [CallbackQueryHandler(form_button, pattern=r"^act:f:\d+$")],
                A_CARRIER: [CallbackQueryHandler(carrier_button, pattern=r"^act:c:\d+$")],
                A_DATE: [MessageHandler(TEXT, date_text)],
                A_TITLE: [MessageHandler(TEXT, title_text)],
                A_PEOPLE: [MessageHandler(TEXT, people_text)],
                A_FIRMS: [MessageHandler(TEXT, firms_text)],
                A_PHOTOS: [
                    MessageHandler(FILES, activity_file),
                    CallbackQueryHandler(activity_done, pattern=r"^act:done$"),
                    MessageHandler(TEXT & filters.Regex(f"^({'|'.join(DONE_WORDS)})$"), done_text),
                    MessageHandler(TEXT, files_text),
                ],
            },
            fallbacks=[cancel_handler],
            name="activity",
            allow_reentry=True,
        )
        rectify = ConversationHandler(
            entry_points=[CommandHandler("rectify", rectify_command)],
            states={
                R_UNIT: [
                    CallbackQueryHandler(unit_button, pattern=r"^rf:u:\d+$"),
                    MessageHandler(TEXT, unit_text),
                ],
                R_FIELD: [CallbackQueryHandler(field_button, pattern=r"^rf:f:\d+$")],
                R_FOUND: [MessageHandler(TEXT, found_text)],
                R_FIXED: [MessageHandler(TEXT, fixed_text)],
                R_CASES: [MessageHandler(TEXT, cases_text)],
                R_FILES: [
                    MessageHandler(FILES, rectify_file),
                    CallbackQueryHandler(rectify_done, pattern=r"^rf:done$"),
                    MessageHandler(TEXT & filters.Regex(f"^({'|'.join(DONE_WORDS)})$"), done_text),
                    MessageHandler(TEXT, files_text),
                ],
            },
            fallbacks=[cancel_handler],
            name="rectify",
            allow_reentry=True,
        )
    return [activity, rectify]


def register(application: Application) -> None:
    """The dialogues (before the evidence handler: see the module docstring) and /metric."""
    for conversation in dialogues():
        application.add_handler(conversation)
    application.add_handler(CommandHandler("metric", metric_command))
