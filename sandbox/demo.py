"""First-run demo for the sandbox: a coordinator, bound contacts, some progress, one group."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.features import campaign, extensions, kpis, review
from bot.features.access import Actor
from bot.plan import load_plan
from bot.plan.refs import task_ref
from bot.services import Services
from bot.store.records import PartStatus
from sandbox.botapi import BotApiServer

log = logging.getLogger(__name__)

COORDINATOR_ID = 1001
COORDINATOR_NAME = "王主任"
COORDINATOR_UNIT = "区发改局"
GROUP_ID = -100500
GROUP_TITLE = "社会信用体系建设协调群"


@dataclass(frozen=True)
class DemoContact:
    user_id: int
    name: str
    unit: str
    # (task, status, percent, note) updates the contact has already reported
    updates: tuple[tuple[int, str, int, str], ...] = ()


DEMO_CONTACTS: tuple[DemoContact, ...] = (
    DemoContact(2001, "李科长", "区司法局", ((18, "doing", 40, "已起草告知承诺制事项清单"),)),
    DemoContact(2002, "张科长", "区市场监管局", ((18, "doing", 30, "梳理涉企许可事项"),)),
    DemoContact(2003, "陈老师", "区文明办", ((24, "doing", 50, "5月已开展两场进社区宣传"),)),
    DemoContact(
        2004,
        "刘经理",
        "区金融发展服务中心",
        ((15, "doing", 60, "信易贷平台已上线"), (16, "blocked", 10, "等待银行数据接口")),
    ),
    DemoContact(2005, "周主任", "招宝山街道"),
)


def start_instant(settings: Settings, now: datetime) -> datetime:
    """Where a first run's clock starts: now while the plan runs; for a plan in the past, a
    minute before the reminder sweep of the workday a week before its main deadline."""
    dues = [
        t.deadline.due
        for t in load_plan(settings.plan).tasks
        if t.deadline.kind == "once" and t.deadline.due is not None
    ]
    if not dues or now.date() <= max(dues):
        return now
    main = Counter(dues).most_common(1)[0][0]
    day = WorkCalendar().last_workday_on_or_before(main - timedelta(days=7))
    sweep = datetime.combine(day, settings.reminder_time, tzinfo=settings.timezone)
    return sweep - timedelta(minutes=1)


def needs_demo(services: Services) -> bool:
    """A data dir with no contacts yet gets the demo."""
    return not services.store.people.contacts()


def seed_demo(services: Services) -> list[str]:
    """Bind the demo contacts through real invites and record some progress; returns log lines."""
    store, now = services.store, services.clock.now()
    lines: list[str] = []
    start = now - timedelta(days=3)
    for i, person in enumerate(DEMO_CONTACTS):
        at = start + timedelta(hours=i)
        code = store.people.create_invite(person.unit, at=at, actor=COORDINATOR_ID)
        unit, outcome = store.people.redeem_invite(
            code, person.user_id, name=person.name, at=at + timedelta(minutes=20)
        )
        if outcome != "ok":  # cannot happen with a fresh code; say so rather than fail
            log.warning("demo invite for %s: %s", person.unit, outcome)
            continue
        lines.append(f"{person.name} 绑定 {unit}")
        for n, (task, status, percent, note) in enumerate(person.updates):
            if store.parts.state(task, person.unit) is None:
                continue  # a custom plan may not give this unit that task
            store.parts.update_state(
                task,
                person.unit,
                at=start + timedelta(days=1, hours=i, minutes=10 * n),
                actor=person.user_id,
                status=PartStatus(status),
                percent=percent,
                note=note,
            )
            lines.append(f"{person.unit} 更新 {task_ref(task)}：{note}")
    steps = (_seed_reviews, _seed_metrics, _seed_rectification)
    for step in (lambda s: _seed_activity(s, start + timedelta(days=2)), *steps):
        try:
            lines += step(services)
        except Exception:  # a custom plan or unit list may not fit; the rest of the demo stands
            log.warning("a demo step was skipped", exc_info=True)
    return lines


def _seed_activity(services: Services, at: datetime) -> list[str]:
    """One 诚信建设万里行 activity."""
    contact = _contact("区文明办")
    campaign.add_activity(
        services.store,
        unit=contact.unit,
        actor=contact.user_id,
        at=at,
        form="现场活动",
        carrier="街道社区",
        day=at.date() - timedelta(days=1),
        title="诚信建设万里行·走进招宝山社区",
        participants=120,
        enterprises=15,
    )
    return ["区文明办 登记活动：诚信建设万里行·走进招宝山社区"]


def _seed_reviews(services: Services) -> list[str]:
    """A completion claim and an extension request waiting in the coordinator's /review."""
    finance = _contact("区金融发展服务中心")
    note = "普惠小微信用贷款余额较年初增长 32%，已完成投放目标"
    review.create_claim(services, 22, finance.unit, _actor(finance), note=note)
    market = _contact("区市场监管局")
    today = services.clock.now().date()
    due = extensions.current_due(services, 18, market.unit, today) or today
    new_due = services.calendar.add_workdays(max(due, today), 10)
    reason = "涉企许可事项较多，需与各审批科室逐项核对后公示"
    extensions.request_extension(services, 18, market.unit, _actor(market), new_due, reason)
    return [
        f"{finance.unit} 申请办结 #22",
        f"{market.unit} 申请 #18 延期至 {new_due.isoformat()}",
    ]


def _contact(unit: str) -> DemoContact:
    return next(c for c in DEMO_CONTACTS if c.unit == unit)


def _actor(contact: DemoContact) -> Actor:
    return Actor(contact.user_id, contact.name, is_coordinator=False, units=(contact.unit,))


def _seed_metrics(services: Services) -> list[str]:
    """A few 信易贷 figures, so the summary's KPI section has values to compare."""
    at = services.clock.now() - timedelta(days=1)
    contact = _contact("区金融发展服务中心")
    lines = []
    for key, value in (("xyd_base", 1200.0), ("xyd_firms", 1850.0), ("credit_loan_share", 27.5)):
        kpi = kpis.find_kpi(key)
        if kpi is None:
            continue
        kpis.record_metric(
            services.store, kpi, value, at=at, actor=contact.user_id, unit=contact.unit
        )
        lines.append(f"{contact.unit} 报送指标 {kpi.name}：{kpis.fmt_number(value)}")
    return lines


def _seed_rectification(services: Services) -> list[str]:
    """One 专项治理 report for #25, for the summary's section of that name."""
    contact = _contact("区文明办")
    campaign.add_rectification(
        services.store,
        unit=contact.unit,
        actor=contact.user_id,
        at=services.clock.now() - timedelta(days=1, hours=2),
        field_name="电信网络",
        identified=8,
        rectified=6,
        cases="查处利用电信网络实施失信行为案件 2 起",
    )
    return ["区文明办 报送专项治理：电信网络 治理对象 8 个、已整改 6 个"]


def people(services: Services) -> list[dict[str, Any]]:
    """Everyone the page offers to play: the coordinators, then every bound contact."""
    out: list[dict[str, Any]] = []
    for user_id in sorted(services.settings.coordinators):
        name = COORDINATOR_NAME if user_id == COORDINATOR_ID else f"协调人{user_id}"
        out.append(
            {"user_id": user_id, "name": name, "units": [COORDINATOR_UNIT], "role": "coordinator"}
        )
    seen = {p["user_id"] for p in out}
    by_user: dict[int, dict[str, Any]] = {}
    for contact in services.store.people.contacts():
        uid = int(contact["user_id"])
        if uid in seen:
            continue
        entry = by_user.setdefault(
            uid, {"user_id": uid, "name": contact["name"], "units": [], "role": "contact"}
        )
        entry["units"].append(contact["unit"])
    out += sorted(by_user.values(), key=lambda p: p["user_id"])
    return out


def name_coordinators(services: Services) -> None:
    """Keep the played coordinators' names in the store, as their first message would: the
    views, and `duban export` run on the sandbox's data, then name 王主任, not an id."""
    for person in people(services):
        if person["role"] == "coordinator":
            services.store.people.remember_coordinator(person["user_id"], person["name"])


def register_people(server: BotApiServer, services: Services, group_id: int = GROUP_ID) -> None:
    """Make the demo's people Telegram users of the local server and members of the group."""
    members: list[int] = []
    for person in people(services):
        uid = person["user_id"]
        if uid not in server.users:
            # Bound contacts have talked to the bot before: the bot may write to them.
            server.add_user(uid, person["name"], started=True)
        members.append(uid)
    if group_id not in server.chats:
        admins = [COORDINATOR_ID] if COORDINATOR_ID in members else members[:1]
        server.add_group(group_id, GROUP_TITLE, members=members, admins=admins)
    else:  # contacts bound in an earlier run have been added to the group since
        server.chats[group_id].members.update(members)
