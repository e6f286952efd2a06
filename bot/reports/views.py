"""The coordinator's views (/status, /status N, /status UNIT, /overdue) as rendered pages.

Long lists are cut into pages of a fixed number of items (fewer where long notes would not
fit); each page is one message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.domain import progress
from bot.domain.days import days_late
from bot.domain.status import STATUS_LABELS
from bot.features import kpis, receipts
from bot.features.evidence import records as evidence_records
from bot.reports.lagging import TaskLag, lagging, lags
from bot.reports.scorecard import reporters
from bot.reports.snapshot import (
    by_plan,
    cn_number,
    group_no,
    headings,
    mean_percent,
    plan_groups,
    plan_head,
    progress_sources,
    snapshot,
    task_of,
)
from bot.store.plans import FIRST_SLOT
from bot.store.records import Event, EventKind, PartStatus
from bot.text.render import TELEGRAM_LIMIT, render, split_message

if TYPE_CHECKING:
    from bot.services import Services

TASK_UNITS_PER_PAGE = 12
UNIT_PARTS_PER_PAGE = 15
GROUP_TASKS_PER_PAGE = 8  # a `#N` button each: one row a thumb can use
OVERDUE_PER_PAGE = 12
LAGGING_SHOWN = 10  # tasks 滞后序时进度 listed on /overdue's first page; the rest are counted
HISTORY_SHOWN = 8
EVENT_LABELS: dict[EventKind, str] = {
    "status": "更新进度",
    "note": "留言",
    "report": "报送",
    "evidence": "上传材料",
    "claim": "提交完成申请",
    "claim.approve": "完成申请经督办审核通过",
    "claim.reject": "完成申请被督办退回",
    "claim.withdraw": "撤回完成申请",
    "extension.request": "申请延期",
    "extension.approve": "延期申请经督办批准",
    "extension.reject": "延期申请被督办退回",
    "milestone.added": "新增时间节点",
    "milestone.moved": "调整时间节点",
    "milestone.removed": "删除时间节点",
    "milestone.request": "申请调整时间节点",
    "milestone.reject": "节点调整申请被督办退回",
    "milestone.done": "完成时间节点",
    "activity": "报送活动",
    "rectify": "报送专项治理",
    "metric": "报送指标",
    "task.closed": "任务办结",
    "part.closed": "督办单位办结配合部分",
    "blocked.answer": "督办答复受阻",
    "snooze": "暂缓提醒",
    "reminder": "发送提醒",
    "summary.posted": "发送周报",
    "plan.import": "导入计划",
    "plan.created": "新建方案",
    "plan.closed": "关闭方案",
    "plan.reopened": "重开方案",
    "plan.renamed": "方案改代号",
    "plan.revision": "更新计划",
    "plan.task_added": "新增任务",
    "plan.task_archived": "撤销任务",
    "contact.bind": "绑定联系人",
    "contact.unbind": "解绑联系人",
    "contact.reachable": "联系人状态",
    "invite.create": "生成邀请",
    "receipt": "签收",
    "slip.issue": "发出督办单",
}
HIDDEN_KINDS = ("plan.", "reminder", "summary.", "contact.", "invite.")


@dataclass(frozen=True)
class Page:
    """One message of a view: its text, where it is among the pages, and what it is about.

    `tasks`: the tasks listed on this page, in order (a `#N` button each); `about`: the
    (task, unit) pairs a reply to the page is resolved against (unit None: the whole task).
    """

    text: str
    page: int
    pages: int
    tasks: tuple[int, ...] = ()
    about: tuple[tuple[int, str | None], ...] = ()
    groups: tuple[tuple[str, str], ...] = ()  # the overview's groups: (view, label), a button each


def _pages(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


def _clamp(page: int, pages: int) -> int:
    return min(max(page, 0), pages - 1)


def _fit(text: str) -> str:
    """A page is one message: anything past Telegram's limit is dropped, never sent broken."""
    return split_message(text)[0]


def _paged(
    count: int, per_page: int, page: int, render_page: Callable[[int, int, int, int], str]
) -> Page:
    """Page `page` of `count` items, `render_page(start, end, page, pages)` drawing one page.

    Pages hold `per_page` items unless some page would exceed one message (long notes): then
    every page holds fewer, so no item is ever cut off and page numbers stay consistent.
    """
    size = per_page
    while True:
        pages = _pages(count, size)
        texts = {n: render_page(n * size, (n + 1) * size, n, pages) for n in range(pages)}
        if size == 1 or all(len(t) <= TELEGRAM_LIMIT for t in texts.values()):
            shown = _clamp(page, pages)
            return Page(_fit(texts[shown]), shown, pages)
        size = max(1, size // 2)


def overview(
    services: Services,
    today: date,
    *,
    compact: bool = False,
    tasks: list[progress.TaskProgress] | None = None,
) -> str:
    """/status: counts by status, lights by group with #N refs (`compact`: groups only), under
    a heading per plan once several are active; `tasks` is the snapshot when the caller has it
    already."""
    tasks = snapshot(services, today) if tasks is None else tasks
    behind = lagging(services, today)
    return render(
        "status_overview.html.j2",
        today=today,
        compact=compact,
        total=len(tasks),
        percent=mean_percent(tasks),
        lights=progress.light_counts(tasks),
        lagging=sum(1 for t in tasks if t.task.id in behind),
        statuses=progress.shown_counts(p for tp in tasks for p in tp.parts),
        groups=[
            {
                "plan": plan_head(plan, plan_tasks) if n == 0 else None,
                "no_cn": cn_number(g.no),
                "name": g.name,
                "percent": g.percent,
                # 已办结 tasks are listed on their own below the groups, not among the lights.
                "tasks": [_task_line(t, behind) for t in g.tasks if t.light != "closed"],
                "closed": sum(1 for t in g.tasks if t.light == "closed"),
            }
            for plan, plan_tasks in by_plan(services, tasks, task_of)
            for n, g in enumerate(progress.groups(plan_tasks))
        ],
        closed=[{"id": t.task.id, "title": t.task.title} for t in tasks if t.light == "closed"],
    )


def group_key(plan: int, no: int) -> str:
    """The view name of group `no` of plan slot `plan` (bot.telegram.callbacks.Page): `g3`
    for the first plan's (as before plans sat side by side), `g3_2` for another's."""
    return f"g{no}" if (plan or FIRST_SLOT) == FIRST_SLOT else f"g{no}_{plan}"


def _task_line(t: progress.TaskProgress, behind: Mapping[int, TaskLag]) -> dict[str, Any]:
    return {
        "id": t.task.id,
        "title": t.task.title,
        "icon": progress.LIGHT_ICONS[t.light],
        "percent": t.percent,
        "due": t.due,
        "leads": t.task.leads,
        "lagging": t.task.id in behind,
    }


def overview_page(services: Services, today: date) -> Page:
    """/status as one message: the overview, or its groups alone when the plan is too long to
    list every task in one message; `groups` holds a button per group. Drawn once while the
    tasks and states are unchanged."""
    key = (
        today,
        services.tracking_start(),
        services.message_limit,
        services.policy.due_progress,
    )
    return services.store.derived(
        "overview", progress_sources(services.store), key, lambda: _overview_page(services, today)
    )


def _overview_page(services: Services, today: date) -> Page:
    tasks = snapshot(services, today)
    text = overview(services, today, tasks=tasks)
    if len(text) > services.message_limit:
        text = overview(services, today, compact=True, tasks=tasks)
    groups = tuple(
        (
            group_key(g.tasks[0].task.plan, g.no),
            f"{group_no(plan, g.no)}、{g.name}",
        )
        for plan, g in plan_groups(services, tasks)
    )
    return Page(_fit(text), 0, 1, groups=groups)


def group_view(
    services: Services, group_no: int, today: date, page: int = 0, plan: int = 0
) -> Page | None:
    """One group of the overview (group `group_no` of plan slot `plan`, 0: the first plan):
    its tasks, a line each, GROUP_TASKS_PER_PAGE a page; None when the plan no longer has
    that group."""
    found = next(
        (
            (p, g)
            for p, g in plan_groups(services, snapshot(services, today))
            if g.no == group_no and (g.tasks[0].task.plan or FIRST_SLOT) == (plan or FIRST_SLOT)
        ),
        None,
    )
    if found is None:
        return None
    heading, group = found
    pages = _pages(len(group.tasks), GROUP_TASKS_PER_PAGE)
    page = _clamp(page, pages)
    shown = group.tasks[page * GROUP_TASKS_PER_PAGE : (page + 1) * GROUP_TASKS_PER_PAGE]
    behind = lagging(services, today)
    text = render(
        "status_group.html.j2",
        plan=heading,
        no_cn=cn_number(group.no),
        name=group.name,
        percent=group.percent,
        total=len(group.tasks),
        page=page,
        pages=pages,
        tasks=[_task_line(t, behind) for t in shown],
    )
    ids = tuple(t.task.id for t in shown)
    return Page(_fit(text), page, pages, ids, tuple((t, None) for t in ids))


def _history_line(ev: Event, proxy: bool = False) -> dict[str, Any]:
    text = ev.get("note") or ev.get("reason") or ev.get("title") or ev.get("cases") or ""
    if ev["kind"] == "evidence" and ev.get("last_evidence"):
        caption = ev.get("last_caption")
        text = ev["last_evidence"] + (f"（{caption}）" if caption else "")
    if ev["kind"].startswith("milestone."):  # which milestone: its day and text
        shown = ev.get("new") or ev.get("old") or ev.get("milestone")
        due, words = (shown["due"], shown["text"]) if shown else (ev.get("due"), ev.get("text"))
        text = f"{due or ''} {words or ''}".strip()
    if ev["kind"] == "status" and ev.get("status"):
        label = "更新为" + STATUS_LABELS.get(ev["status"], ev["status"])
        if ev.get("percent") is not None:
            label += f" {ev['percent']}%"
    elif ev["kind"] == "metric":
        label = f"报送指标 {kpis.describe(ev.get('key'), ev.get('value'))}"
    else:
        label = EVENT_LABELS.get(ev["kind"], ev["kind"])
    if proxy:
        label += "（代报）"
    return {"at": ev["at"], "unit": ev.get("unit"), "label": label, "text": str(text)}


def _closed_plans_task(
    services: Services, task_id: int, today: date
) -> progress.TaskProgress | None:
    """The progress of a closed plan's task (the snapshot has the active plans' only): it
    stays readable."""
    store = services.store
    task = store.plan.task(task_id)
    if task is None or store.plan.is_followed(task_id):
        return None
    closed = [task_id] if task_id in store.plan.closed_tasks() else []
    states = store.parts.states(task=task_id)
    found = progress.task_progress(
        [task], states, today, closed=closed, since=services.tracking_start()
    )
    return found[0] if found else None


def task_view(services: Services, task_id: int, today: date, page: int = 0) -> Page | None:
    """/status N: every unit's status, percent, last note, evidence, deadline and history."""
    store = services.store
    tp = next((t for t in snapshot(services, today) if t.task.id == task_id), None)
    if tp is None:
        tp = _closed_plans_task(services, task_id, today)
    if tp is None:
        return None
    evidence = Counter(doc["unit"] for doc in evidence_records(store) if doc["task"] == task_id)
    recent = store.history.events(
        task=task_id, where=lambda ev: not ev["kind"].startswith(HIDDEN_KINDS), last=HISTORY_SHOWN
    )
    who = reporters(services)
    history = [_history_line(ev, who.is_proxy(ev)) for ev in recent][::-1]
    parts = [
        {
            "unit": p.unit,
            "role": p.role,
            "status": p.shown_status,
            "percent": p.percent,
            "claim": p.claim,
            "evidence": evidence.get(p.unit, 0),
            "overdue": p.overdue,
            "days": days_late(services.calendar, p.due, today) if p.overdue else 0,
            "updated_at": p.updated_at.isoformat() if p.updated_at else None,
            "note": p.note,
            "icon": progress.LIGHT_ICONS[p.light],
            # A unit's own deadline is shown where it differs (an approved extension).
            "due": p.due if p.due != tp.due else None,
        }
        for p in tp.parts
    ]

    def draw(start: int, end: int, page: int, pages: int) -> str:
        return render(
            "status_task.html.j2",
            icon=progress.LIGHT_ICONS[tp.light],
            task=tp.task,
            closed=tp.light == "closed",
            lead_done=tp.lead_done_open,
            due=tp.due,
            lag=lags(services, today).get(task_id),
            page=page,
            pages=pages,
            unit_total=len(parts),
            parts=parts[start:end],
            history=history if page == 0 else [],
        )

    found = _paged(len(parts), TASK_UNITS_PER_PAGE, page, draw)
    return replace(found, about=((task_id, None),))


def receipt_word(
    task_id: int, status: str, signed: Mapping[int, object], told: Mapping[int, object]
) -> str | None:
    """An open part's 签收 state: "signed", "unsigned" once the unit was told, else None."""
    if status == PartStatus.DONE:
        return None
    if task_id in signed:
        return "signed"
    return "unsigned" if task_id in told else None


def unit_view(services: Services, unit: str, today: date, page: int = 0) -> Page:
    """/status UNIT: the unit's tasks, lights and contact."""
    view = progress.unit_view(
        unit,
        snapshot(services, today),
        services.store.people.contacts(),
        services.units.coordinator.name,
    )
    pages = _pages(len(view.parts), UNIT_PARTS_PER_PAGE)
    page = _clamp(page, pages)
    shown = view.parts[page * UNIT_PARTS_PER_PAGE : (page + 1) * UNIT_PARTS_PER_PAGE]
    shown.sort(key=lambda tp: tp[0].plan or FIRST_SLOT)  # a page plan by plan, a heading each
    signed, told = receipts.receipts(services, unit), receipts.notified(services, unit)
    text = render(
        "status_unit.html.j2",
        unit=unit,
        total=len(view.parts),
        counts=view.counts,
        overdue=view.overdue,
        reachable=view.reachable,
        office=unit == services.units.coordinator.name,
        last_update=view.last_update.isoformat() if view.last_update else None,
        page=page,
        pages=pages,
        parts=[
            {
                "plan": head,
                "task": t.id,
                "title": t.title,
                "role": p.role,
                "status": p.shown_status,
                "percent": p.percent,
                "due": p.due,
                "icon": progress.LIGHT_ICONS[p.light],
                "receipt": receipt_word(t.id, p.status, signed, told),
            }
            for head, (t, p) in zip(headings(services, (t for t, _ in shown)), shown, strict=True)
        ],
    )
    tasks = tuple(t.id for t, _ in shown)
    return Page(_fit(text), page, pages, tasks, tuple((t, unit) for t in tasks))


def overdue_view(services: Services, today: date, page: int = 0) -> Page:
    """/overdue: every overdue part (supporters too) grouped by unit, in working days; on the
    first page below them, the open tasks 滞后序时进度 (an overdue one shows as overdue)."""
    by_unit = progress.overdue_by_unit(
        snapshot(services, today),
        services.store.people.contacts(),
        services.calendar,
        today,
        services.units.coordinator.name,
    )
    items = [(unit, item) for unit, group in by_unit.items() for item in group]
    office = services.units.coordinator.name
    pages = _pages(len(items), OVERDUE_PER_PAGE)
    page = _clamp(page, pages)
    shown = items[page * OVERDUE_PER_PAGE : (page + 1) * OVERDUE_PER_PAGE]
    shown.sort(key=lambda ui: ui[1].task.plan or FIRST_SLOT)  # a page plan by plan, a heading each
    heads = headings(services, (item.task for _, item in shown))
    blocks: list[dict[str, Any]] = []
    for head, (unit, item) in zip(heads, shown, strict=True):
        if not blocks or blocks[-1]["unit"] != unit or head is not None:
            blocks.append(
                {
                    "plan": head,
                    "unit": unit,
                    "reachable": item.reachable,
                    "office": unit == office,
                    "rows": [],
                }
            )
        blocks[-1]["rows"].append(
            {
                "task": item.task.id,
                "title": item.task.title,
                "due": item.due,
                "days": item.days,
                "role": item.role,
                "last_update": item.last_update.isoformat() if item.last_update else None,
            }
        )
    behind = list(lagging(services, today).values())
    lag_shown = behind[:LAGGING_SHOWN] if page == 0 else []
    text = render(
        "overdue.html.j2",
        today=today,
        total=len(items),
        tasks=len({item.task.id for _, item in items}),
        units=len(by_unit),
        page=page,
        pages=pages,
        blocks=blocks,
        lagging=[_lag_row(services, found) for found in lag_shown],
        lagging_total=len(behind),
    )
    about = tuple(
        dict.fromkeys((row["task"], block["unit"]) for block in blocks for row in block["rows"])
    ) + tuple((found.task, None) for found in lag_shown)
    tasks = tuple(dict.fromkeys(task for task, _ in about))
    return Page(_fit(text), page, pages, tasks, about)


def _lag_row(services: Services, found: TaskLag) -> dict[str, Any]:
    task = services.store.plan.task(found.task)
    return {
        "task": found.task,
        "title": task.title if task else "",
        "lag": found,
        "leads": task.leads if task else [],
    }
