"""The progress report (进展报表) as an Excel workbook, and the evidence files as a zip.

Reading the store (`collect`) is separate from writing files (`write_report`, `write_zip`) so
the chat adapter can read on the event loop and write in a worker thread.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain import progress
from bot.domain.days import days_late
from bot.domain.status import ROLE_LABELS, SHOWN_LABELS, STATUS_LABELS, period_key, period_label
from bot.features import campaign, kpis, receipts, review
from bot.features.evidence import format_size
from bot.features.evidence import records as evidence_records
from bot.plan.model import Task
from bot.plan.refs import task_ref
from bot.reports import scorecard as scoring
from bot.reports.lagging import TaskLag, lags
from bot.reports.snapshot import cn_number, snapshot
from bot.reports.views import EVENT_LABELS
from bot.store.plans import PlanInfo
from bot.store.records import (
    ActivityRecord,
    Event,
    EventKind,
    EvidenceRecord,
    MetricRecord,
    RectificationRecord,
    ReminderKind,
)

if TYPE_CHECKING:
    from bot.services import Services

DECOMPOSITION_HEADERS = ("重点任务", "具体措施", "时限要求", "牵头单位", "配合单位")
PLAN_HEADER = "方案"  # the plan's code, last: the columns before it stay where they were
STATE_HEADERS = (
    "责任单位",
    "角色",
    "状态",
    "完成进度（%）",
    "最近更新",
    "最新说明",
    "佐证材料数",
    "逾期工作日",
    "任务信号灯",
    "签收时间",
)
LAG_HEADER = "序时进度"  # the task's, over its rows: the progress due by the day, 滞后 or not
MAX_WIDTH = 60
FILE_MODE = 0o644
NOTE_LIMIT = 32000  # Excel refuses cells over 32,767 characters


@dataclass
class Sheet:
    """One worksheet: title, header row, rows, and cell ranges to merge (1-based, inclusive)."""

    title: str
    headers: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    wrap: frozenset[int] = frozenset()  # 1-based columns whose text wraps


@dataclass
class ReportData:
    sheets: list[Sheet]
    evidence: list[EvidenceRecord]
    data_dir: Path


def _clean(value: Any) -> Any:
    """Cell-safe text: no control characters openpyxl refuses, within Excel's cell limit."""
    if isinstance(value, str):
        text = "".join(ch for ch in value if ch in "\t\n" or unicodedata.category(ch) != "Cc")
        return text[:NOTE_LIMIT]
    return value


def _at(value: str | None) -> str:
    parsed = progress.parse_at(value)
    return parsed.strftime("%Y-%m-%d %H:%M") if parsed else ""


def collect(
    services: Services, today: date | None = None, plan: PlanInfo | None = None
) -> ReportData:
    """Everything the report holds, read from the store: of the active plans, or of `plan`
    alone (a closed one too) with its history and evidence."""
    store = services.store
    today = today or services.clock.now().date()
    tasks = snapshot(services, today, plan=plan.slot if plan else None)
    evidence = evidence_records(store)
    # a closed plan's history is in its own journal: read it when exporting that plan
    events: Iterable[Event] = store.history.events(closed=plan is not None and not plan.active)
    if plan is not None:
        keys = {t.id for t in store.plan.tasks(plan=plan.slot, include_archived=True)}
        evidence = [e for e in evidence if e["task"] in keys]
        events = [e for e in events if e.get("task") in keys or e.get("plan") == plan.slot]
    evidence_counts = Counter((e["task"], e["unit"]) for e in evidence)
    names = actor_names(services)
    who = scoring.reporters(services)
    return ReportData(
        sheets=[
            _decomposition(tasks, evidence_counts, services, today),
            _history(events, names, who, _HistoryFacts.read(services, evidence)),
            _evidence(evidence, names),
            _activities(campaign.activities(store), names),
            _rectifications(campaign.rectifications(store), names),
            _kpis(kpis.metric_records(store), services),
            _scorecard(scoring.scorecard(services, today, tasks), services),
        ],
        evidence=evidence,
        data_dir=Path(services.settings.data_dir),
    )


def _decomposition(
    tasks: list[progress.TaskProgress],
    evidence_counts: Counter[tuple[int, str]],
    services: Services,
    today: date,
) -> Sheet:
    headers = DECOMPOSITION_HEADERS + STATE_HEADERS + (LAG_HEADER, PLAN_HEADER)
    lag_column = len(headers) - 1
    sheet = Sheet("任务分解及进展", headers, wrap=frozenset({1, 2, 3, 4, 5, 11, lag_column}))
    row = 2  # the first data row (row 1 holds the headers)
    units = {p.unit for tp in tasks for p in tp.parts}
    signed = {unit: receipts.receipts(services, unit) for unit in units}
    found = lags(services, today)
    numbers = services.store.plan.naming().numbers
    by_plan: dict[int, list[progress.TaskProgress]] = {}
    for tp in tasks:  # each plan's groups after the one before's (they number their own)
        by_plan.setdefault(tp.task.plan, []).append(tp)
    for group in (g for plan in by_plan.values() for g in progress.groups(plan)):
        group_start = row
        for tp in group.tasks:
            task = tp.task
            parts: list[progress.PartProgress | None] = list(tp.parts) or [None]
            task_start = row
            for part in parts:
                cells: list[Any] = [
                    f"{cn_number(group.no)}、{group.name}" if group.no else group.name,
                    f"{task.number}.{task.text}",
                    task.deadline.text,
                    "、".join(task.leads),
                    "、".join(task.supporters),
                ]
                if part is None:
                    cells += [""] * len(STATE_HEADERS)
                else:
                    late = days_late(services.calendar, part.due, today) if part.overdue else 0
                    cells += [
                        part.unit,
                        ROLE_LABELS.get(part.role, part.role),
                        _part_status(part),
                        part.progress,
                        part.updated_at.strftime("%Y-%m-%d %H:%M") if part.updated_at else "",
                        _part_note(task, part, today),
                        evidence_counts.get((task.id, part.unit), 0),
                        late,
                        task_label(tp),
                        _at(signed[part.unit][task.id]["at"])
                        if task.id in signed.get(part.unit, {})
                        else "",
                    ]
                cells += [lag_text(found.get(task.id)), numbers.get(task.id, ("", 0))[0]]
                sheet.rows.append(cells)
                row += 1
            if row - 1 > task_start:
                for col in (2, 3, 4, 5, lag_column):
                    sheet.merges.append((task_start, col, row - 1, col))
        if row - 1 > group_start:
            sheet.merges.append((group_start, 1, row - 1, 1))
    return sheet


def lag_text(found: TaskLag | None) -> str:
    """The 序时进度 cell: the progress due, the lead's, and 滞后序时进度 with the missed nodes."""
    if found is None or (found.due_percent is None and not found.missed):
        return ""
    text = f"应完成 {found.due_percent or 0}%，牵头已报 {found.reported}%"
    if found.lagging:
        text += "；滞后序时进度"
    missed = "；".join(f"{m.due.isoformat()} {m.text}" for m in found.missed)
    return text + (f"（未完成节点：{missed}）" if missed else "")


def task_label(tp: progress.TaskProgress) -> str:
    """The task's light in words; never 已办结 while a part is still open."""
    if tp.light != "closed" and tp.lead_done_open:
        return progress.LEAD_DONE_LABEL
    return progress.LIGHT_LABELS[tp.light]


def _part_note(task: Task, part: progress.PartProgress, today: date) -> str:
    """The part's latest note; a 零报告 says so, with its period (its note, if any, after)."""
    if not part.nil_return:
        return part.note or ""
    said = f"{period_label(period_key(task, today))}零报告"
    return f"{said}；此前说明：{part.note}" if part.note else said


def _part_status(part: progress.PartProgress) -> str:
    label = SHOWN_LABELS.get(part.shown_status, part.status)
    if part.claim == "pending":
        return label + "（待审核）"
    if part.closed_by == "coordinator":
        return "已办结（督办单位随牵头办结）"
    return label


SYSTEM_ACTORS = {
    "bot": "系统（督办助手）",
    "cli": "系统（命令行）",
    "startup": "系统（启动导入）",
    "sandbox": "系统（沙盒）",
}


def actor_names(services: Services) -> dict[int, str]:
    """Telegram user id → "name（unit）" of every contact ever bound and every coordinator."""
    store = services.store
    office = services.units.coordinator.name
    units: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for doc in store.people.contacts(former=True):
        uid = int(doc["user_id"])
        names.setdefault(uid, doc.get("name") or "")
        units.setdefault(uid, [])
        if doc["unit"] not in units[uid]:
            units[uid].append(doc["unit"])
    for rec in review.records(store, status=None):
        for who, name in (
            (rec.get("decided_by"), rec.get("decided_by_name")),
            (rec.get("requested_by"), rec.get("requested_by_name")),
        ):
            if isinstance(who, int) and who in services.settings.coordinators:
                names.setdefault(who, name or "")
    out = {
        uid: f"{name or '联系人'}（{'、'.join(units[uid])}）"
        for uid, name in names.items()
        if units.get(uid)
    }
    known = store.people.coordinator_names()
    for uid in services.settings.coordinators:
        if uid not in out:
            out[uid] = f"{known.get(uid) or names.get(uid) or '督办人员'}（{office}·督办）"
    return out


def actor_label(actor: Any, names: dict[int, str]) -> str:
    """Who did it, in words: a contact's name and unit, a coordinator, or the system."""
    if actor is None:
        return "系统"
    if isinstance(actor, int) and not isinstance(actor, bool):
        return names.get(actor, "未绑定用户")
    return SYSTEM_ACTORS.get(str(actor), f"系统（{actor}）")


@dataclass(frozen=True)
class _HistoryFacts:
    """What the history's rows look up: evidence files (for events older than the file
    fields), contacts' units by user id, and the summary chat's id."""

    files: dict[tuple[Any, Any, Any], EvidenceRecord]
    units_of: dict[int, list[str]]
    summary_chat: int | None

    @classmethod
    def read(cls, services: Services, evidence: list[EvidenceRecord]) -> _HistoryFacts:
        # keep_file stamps the record and its event with the same instant
        files = {(r.get("task"), r.get("unit"), r.get("at")): r for r in evidence}
        units_of: dict[int, list[str]] = {}
        for c in services.store.people.contacts(former=True):
            units_of.setdefault(int(c["user_id"]), []).append(c["unit"])
        return cls(files, units_of, services.settings.summary_chat_id)


def describe_file(name: str | None, size: Any, sha256: str | None, caption: str | None) -> str:
    """A kept file in words for the record: name, size, hash and what the sender wrote."""
    words = [f"文件：{name or '（未记录文件名）'}"]
    if isinstance(size, int) and not isinstance(size, bool):
        words.append(f"大小：{format_size(size)}（{size} 字节）")
    if sha256:
        words.append(f"sha256：{sha256}")
    if caption:
        words.append(f"说明：{caption}")
    return "；".join(words)


def _evidence_text(ev: Event, facts: _HistoryFacts) -> str:
    rec: Mapping[str, Any] = facts.files.get((ev.get("task"), ev.get("unit"), ev.get("at"))) or {}
    return describe_file(
        ev.get("last_evidence") or rec.get("name"),
        ev.get("file_size", rec.get("size")),
        ev.get("sha256") or rec.get("sha256"),
        ev.get("last_caption") or rec.get("caption"),
    )


def _event_text(ev: Event, names: dict[int, str], facts: _HistoryFacts) -> str:
    """What an event says, in words: a value, the new deadline, a nil return, a note or reason,
    the file kept, the reminder sent, the plan change; never empty."""
    kind = ev["kind"]
    words = []
    if kind == "report" and not ev.get("status") and ev.get("reported"):
        words.append(f"零报告（{ev['reported'][-1]}）")
    elif kind == "report" and ev.get("reported"):
        words.append(f"报送（{ev['reported'][-1]}）")
    if kind == "evidence":
        words.append(_evidence_text(ev, facts))
    if kind == "metric":
        words.append(f"{kpis.describe(ev.get('key'), ev.get('value'))}")
    if kind == "extension.request" and ev.get("due"):
        words.append(f"申请延期至 {ev['due']}")
    if ev.get("due_override"):
        words.append(f"截止日期改为 {ev['due_override']}")
    if kind == "snooze":
        until = ev.get("snoozed_until")
        words.append(f"暂缓提醒至 {until}" if until else "恢复提醒")
    if kind == "reminder":
        reminder = ev.get("reminder_kind")
        what = REMINDER_LABELS.get(reminder, "提醒") if reminder else "提醒"
        role = ROLE_LABELS.get(ev.get("role") or "")
        words.append(f"{what}（发给{role}单位）" if role else what)
    if kind in ("receipt", "slip.issue") and ev.get("number"):
        words.append(str(ev["number"]))
    if kind == "slip.issue":
        words.append("；".join(ev.get("lines") or []))
    if kind == "receipt" and ev.get("name"):
        words.append(f"签收人：{ev['name']}")
    words += _bookkeeping_text(ev, names, facts)
    said = (
        ev.get("note"),
        ev.get("reason"),
        ev.get("claim_reason"),
        ev.get("title"),
        ev.get("cases"),
    )
    text = next((value for value in said if value), None)
    if text:
        words.append(str(text))
    if not words:
        words.append(PLAIN_EVENTS.get(kind, EVENT_LABELS.get(kind, kind)))
    return " ".join(words)


def _bookkeeping_text(ev: Event, names: dict[int, str], facts: _HistoryFacts) -> list[str]:
    """The words of events about the plan, the people and the summary."""
    kind = ev["kind"]
    if kind == "plan.import":
        source = Path(str(ev.get("source") or "")).name
        counts = (
            ("新增", ev.get("added")),
            ("修改", ev.get("changed")),
            ("归档", ev.get("archived")),
        )
        tally = "，".join(f"{word} {len(ids or [])} 项" for word, ids in counts)
        into = f"（方案 {ev['code']}）" if ev.get("code") else ""
        return [f"导入计划{f' {source}' if source else ''}{into}：{tally}"]
    if kind == "plan.revision":
        fields = "、".join(FIELD_LABELS.get(k, k) for k in ev.get("changes") or {})
        return [f"计划修订（第 {ev.get('revision')} 版）：{fields or '内容'}有变"]
    if kind == "contact.bind":
        return [f"{ev.get('name') or '联系人'} 通过邀请绑定为联系人"]
    if kind == "contact.unbind":
        uid = ev.get("user_id")
        return [f"解除绑定：{names.get(uid, '联系人') if isinstance(uid, int) else '联系人'}"]
    if kind == "contact.reachable":
        uid = ev.get("user_id")
        who = names.get(uid, "联系人") if isinstance(uid, int) else "联系人"
        state = "重新可以接收消息" if ev.get("reachable") else "屏蔽了机器人，消息无法送达"
        return [f"{who} {state}"]
    if kind == "summary.posted":
        chat = ev.get("chat")
        where = "协调群" if chat is not None and chat == facts.summary_chat else f"会话 {chat}"
        if ev.get("week"):
            return [f"第 {ev['week']} 周周报已发送到{where}"]
        return [f"督办人员手动发送周报到{where}"]
    if kind == "invite.create":
        return ["生成联系人邀请链接"]
    return []


def _event_unit(ev: Event, facts: _HistoryFacts) -> str:
    """The unit an event is about; a contact's units for events about a person; "—" if none."""
    if ev.get("unit"):
        return str(ev["unit"])
    uid = ev.get("user_id")
    if isinstance(uid, int) and facts.units_of.get(uid):
        return "、".join(dict.fromkeys(facts.units_of[uid]))
    return "—"


def _event_state(ev: Event) -> str:
    """The 状态 column: a part's status, or a reminder's delivery outcome, in words."""
    status = ev.get("status")
    if not status:
        return ""
    if ev["kind"] in ("reminder", "summary.posted"):
        return DELIVERY_LABELS.get(status, "发送情况不明")
    return STATUS_LABELS.get(status, status)


REMINDER_LABELS: dict[ReminderKind, str] = {
    "upcoming": "到期前提醒",
    "due": "到期日提醒",
    "overdue": "逾期催办",
    "monthly": "月报提醒",
    "quarterly": "季报提醒",
    "ongoing": "持续推进提醒",
    "escalation": "督办升级",
    "escalation2": "报区政府督查室",
    "manual": "督办人员催办",
    "leader": "告分管领导",
    "milestone": "时间节点提醒",
}
# A reminder's delivery outcome (bot.telegram.outbox.Delivery.status, and the ledger's)
DELIVERY_LABELS = {
    "sent": "已送达",
    "uncertain": "超时未确认，已重发",
    "unconfirmed": "未能确认送达",
    "forbidden": "对方已屏蔽机器人",
    "failed": "发送失败",
}
# Events whose kind says all there is
PLAIN_EVENTS: dict[EventKind, str] = {
    "claim": "提交完成申请，等待督办单位审核",
    "claim.approve": "督办单位审核通过完成申请",
    "claim.reject": "督办单位退回完成申请",
    "claim.withdraw": "撤回完成申请",
    "task.closed": "各责任单位均已完成，任务办结",
    "part.closed": "随牵头单位办结",
    "plan.task_archived": "任务已从方案中移除（归档）",
    "status": "更新进度",
}
FIELD_LABELS = {
    "title": "措施名称",
    "text": "措施内容",
    "deadline": "时限要求",
    "leads": "牵头单位",
    "supporters": "配合单位",
    "category": "重点任务",
    "category_no": "重点任务序号",
    "milestones": "时间节点",
}


def _history(
    events: Iterable[Event], names: dict[int, str], who: scoring.Reporters, facts: _HistoryFacts
) -> Sheet:
    sheet = Sheet(
        "历史记录",
        ("时间", "类型", "任务", "单位", "操作人", "代报", "状态", "进度（%）", "内容"),
        wrap=frozenset({9}),
    )
    for ev in events:
        kind = ev.get("kind", "")
        label = EVENT_LABELS.get(kind, kind)
        if kind == "report" and not ev.get("status") and ev.get("reported"):
            label = "零报告"
        sheet.rows.append(
            [
                _at(ev.get("at")),
                label,
                task_ref(task) if (task := ev.get("task")) else "—",
                _event_unit(ev, facts),
                actor_label(ev.get("actor"), names),
                "代报" if who.is_proxy(ev) else "",
                _event_state(ev),
                ev["percent"] if ev.get("percent") is not None else "",
                _event_text(ev, names, facts),
            ]
        )
    return sheet


EVIDENCE_HEADERS = (
    "任务",
    "单位",
    "文件名",
    "大小（字节）",
    "sha256",
    "上传人",
    "上传时间",
    "说明",
)


def _evidence(records: list[EvidenceRecord], names: dict[int, str]) -> Sheet:
    """Every kept file, by task and unit: what an auditor checks the zip's files against."""
    sheet = Sheet("佐证材料", EVIDENCE_HEADERS, wrap=frozenset({3, 8}))
    for r in sorted(records, key=lambda r: (r["task"], r["unit"], r.get("at") or "", r["id"])):
        uploader = r.get("uploader")
        by = names.get(uploader) if isinstance(uploader, int) else None
        sheet.rows.append(
            [
                task_ref(r["task"]),
                r["unit"],
                r.get("name") or "",
                r.get("size", ""),
                r.get("sha256") or "",
                by or r.get("uploader_name") or "未记录",
                _at(r.get("at")),
                r.get("caption") or "",
            ]
        )
    return sheet


def _activities(records: list[ActivityRecord], names: dict[int, str]) -> Sheet:
    sheet = Sheet(
        "诚信建设万里行",
        (
            "活动日期",
            "单位",
            "形式",
            "载体",
            "活动名称",
            "参与人数",
            "亮信用企业数",
            "照片数",
            "登记时间",
            "登记人",
        ),
        wrap=frozenset({5}),
    )
    for r in sorted(records, key=lambda r: (r["day"], r["at"])):
        sheet.rows.append(
            [
                r["day"],
                r.get("unit") or "",
                r["form"],
                r["carrier"],
                r["title"],
                r["participants"],
                r["enterprises"],
                len(r.get("photos") or []),
                _at(r["at"]),
                actor_label(r.get("actor"), names),
            ]
        )
    return sheet


def _rectifications(records: list[RectificationRecord], names: dict[int, str]) -> Sheet:
    sheet = Sheet(
        "专项治理",
        (
            "登记时间",
            "单位",
            "所属任务",
            "治理领域",
            "新发现治理对象",
            "整改退出对象",
            "典型案例",
            "佐证材料数",
            "登记人",
        ),
        wrap=frozenset({7}),
    )
    for r in records:
        sheet.rows.append(
            [
                _at(r["at"]),
                r.get("unit") or "",
                task_ref(r["task"]),
                r["field"],
                r["identified"],
                r["rectified"],
                r.get("cases") or "",
                len(r.get("evidence") or []),
                actor_label(r.get("actor"), names),
            ]
        )
    return sheet


def _kpis(records: list[MetricRecord], services: Services) -> Sheet:
    sheet = Sheet(
        "量化指标",
        ("指标", "代码", "所属任务", "牵头单位", "目标", "最新值", "报送日期", "是否达标"),
        wrap=frozenset({1}),
    )
    store = services.store
    for row in kpis.kpi_statuses(records, kpis.bundled_kpis()):
        task = store.plan.task(row.kpi.task)
        met = {True: "达标", False: "未达标", None: "—"}[row.met]
        sheet.rows.append(
            [
                row.kpi.name,
                row.kpi.key,
                task_ref(row.kpi.task),
                "、".join(task.leads) if task else "",
                row.target,
                "" if row.value is None else row.value,
                row.day.isoformat() if row.day else "",
                met if row.value is not None else "未报送",
            ]
        )
    return sheet


def _scorecard(card: scoring.Scorecard, services: Services) -> Sheet:
    """The units in the 通报's order, from the one scorecard (data/scoring.yaml)."""
    sheet = Sheet(
        "单位评分",
        (
            "排名",
            "单位",
            "承担分工数",
            "已完成",
            "逾期",
            "窗口内到期分工",
            "按期完成",
            "按期完成率（%）",
            f"近{card.weeks}周自主报送周数",
            "代报条数",
            "综合得分",
            "已绑定可联系人",
        ),
    )
    reachable = progress.reachable_units(
        services.store.people.contacts(), services.units.coordinator.name
    )
    for s in card.rows:
        sheet.rows.append(
            [
                card.standing(s),
                s.unit,
                s.parts,
                s.done,
                s.overdue,
                s.due,
                s.on_time_done,
                "" if s.on_time is None else round(100 * s.on_time, 1),
                s.own_weeks,
                s.proxy_entries,
                "" if s.score is None else s.score,
                "是" if s.unit in reachable else "否",
            ]
        )
    return sheet


def _width(value: Any) -> int:
    text = str(value if value is not None else "")
    first = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in first)


def write_report(data: ReportData, out: Path) -> Path:
    """Write the workbook to `out` through a temp file (a reader never sees half a file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    for spec in data.sheets:
        ws = wb.create_sheet(spec.title)
        ws.append(list(spec.headers))
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [_width(h) for h in spec.headers]
        for row in spec.rows:
            ws.append([_clean(v) for v in row])
            for cell in ws[ws.max_row]:
                if cell.data_type == "f":  # a note typed as "=…" is text, never a live formula
                    cell.data_type = "s"
            for i, value in enumerate(row[: len(widths)]):
                widths[i] = max(widths[i], min(_width(value), MAX_WIDTH))
        if spec.merges or spec.wrap:
            for row_cells in ws.iter_rows(min_row=2):
                for cell in row_cells:
                    cell.alignment = wrap if cell.column in spec.wrap else top
        for r1, c1, r2, c2 in spec.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        from openpyxl.utils import get_column_letter

        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(6, min(width + 2, MAX_WIDTH))
        ws.freeze_panes = "A2"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def write_zip(data: ReportData, out: Path) -> Path:
    """Zip the evidence files as `#N/<unit>/<id>-<name>` with an index.csv."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(
        [
            "任务",
            "单位",
            "压缩包内路径",
            "原文件名",
            "大小（字节）",
            "上传人",
            "上传时间",
            "sha256",
            "备注",
        ]
    )
    fd, tmp = tempfile.mkstemp(prefix=".evidence-", suffix=".zip", dir=out.parent)
    os.close(fd)
    root = data.data_dir.resolve()
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for rec in sorted(data.evidence, key=lambda r: (r["task"], r["unit"], r["id"])):
                name = _safe_name(rec.get("name") or "文件")
                unit = _safe_name(rec["unit"])
                arc = f"{task_ref(rec['task'])}/{unit}/{rec['id']}-{name}"
                source = (data.data_dir / rec.get("path", "")).resolve()
                note = ""
                if source.is_file() and source.is_relative_to(root):
                    zf.write(source, arc)
                else:
                    note, arc = "文件缺失", ""
                writer.writerow(
                    [
                        task_ref(rec["task"]),
                        rec["unit"],
                        arc,
                        rec.get("name", ""),
                        rec.get("size", ""),
                        rec.get("uploader_name", ""),
                        _at(rec.get("at")),
                        rec.get("sha256", ""),
                        note,
                    ]
                )
            # utf-8-sig: Excel opens a BOM-marked CSV with the Chinese intact.
            zf.writestr("index.csv", index.getvalue().encode("utf-8-sig"))
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def _safe_name(name: str) -> str:
    """A path component: no separators, no leading dots."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in name)
    return cleaned.strip().lstrip(".") or "_"


def export_report(
    services: Services, out: Path, evidence_zip: Path | None = None, plan: PlanInfo | None = None
) -> Path:
    """Write the Excel report (and, when asked, the evidence zip), of the active plans or of
    `plan` alone; returns the report path."""
    data = collect(services, plan=plan)
    write_report(data, Path(out))
    if evidence_zip is not None:
        write_zip(data, Path(evidence_zip))
    return Path(out)
