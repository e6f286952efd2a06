"""Four weeks of June–July 2021 scripted through chat; every Friday's summary and the export are
checked line by line against the store.

The script: progress notes (#18, #24, #25), a coordinator's entries for units (代报), a 受阻
with the coordinators' answer, a lead's claim approved keeping the supporters open (#15) and
one approved closing them (#18), an extension (#20), a nil return (#1), and the bot down from
6 to 8 July — over 7 July, when the 30 June deadlines escalate. The expected values are
computed here from the store's raw rows (states, events, ledger), not by the code under test.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI
from bot.domain.status import ROLE_LABELS, STATUS_LABELS, period_due, period_key
from bot.reports import report, views
from sandbox.botapi import BotApiServer
from schedules.tick import run_once
from tests.harness import COORDINATOR, SUMMARY_CHAT, ChatEnv, running_env

INSPECTION = -100900
CAL = WorkCalendar()
FRIDAYS = [date(2021, 6, 25), date(2021, 7, 2), date(2021, 7, 9), date(2021, 7, 16)]
DOWN = {date(2021, 7, 6), date(2021, 7, 7), date(2021, 7, 8)}
HEADING = re.compile(r"^[一二三四五六七八九十]+、(\S+)$")
POSTED: dict[date, list[dict[str, Any]]] = {}  # what reached the summary chat, by day
INSPECTED: dict[date, list[dict[str, Any]]] = {}  # and the 区政府督查室 chat


@pytest.fixture
async def month(
    botapi: BotApiServer, seeded_data_dir: Path, tmp_path: Path
) -> AsyncIterator[ChatEnv]:
    async with running_env(
        botapi, seeded_data_dir, tmp_path, DUBAN_INSPECTION_CHAT_ID=str(INSPECTION)
    ) as env:
        yield env


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


def last_with(messages: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(m for m in reversed(messages) if any(d.startswith(prefix) for d in buttons(m)))


# --- what the store says, computed independently -----------------------------------------
def expected_overdue(env: ChatEnv, day: date) -> dict[str, list[tuple[int, str, int]]]:
    """unit → [(task, role, workdays late)] from the raw state rows."""
    store = env.store
    out: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for s in store.states():
        task = store.task(s["task"])
        if task is None or store.task_meta(task.id).get("closed") or s.get("removed"):
            continue
        if s["status"] == "done" or s.get("claim") == "pending":
            continue
        if s.get("due_override"):
            due = date.fromisoformat(s["due_override"])
        elif task.deadline.kind == "once":
            due = task.deadline.due
        elif task.deadline.kind == "monthly":
            due = period_due(task, day)
            if period_key(task, day) in (s.get("reported") or []):
                continue
        else:
            continue
        if due is None or day <= due:
            continue
        out[s["unit"]].append((task.id, s["role"], CAL.workdays_between(due, day)))
    for items in out.values():
        items.sort(key=lambda i: (-i[2], i[0]))
    return dict(sorted(out.items(), key=lambda kv: (-max(i[2] for i in kv[1]), kv[0])))


def week_notes(env: ChatEnv, day: date) -> list[tuple[int, str]]:
    """(task, unit) of this week's progress notes, one per task, newest first."""
    monday = day - timedelta(days=day.weekday())
    events = [
        ev
        for ev in env.store.events()
        if ev["kind"] in ("status", "note", "report")
        and ev.get("task")
        and isinstance(ev.get("actor"), int)
        and monday.isoformat() <= ev["at"][:10] <= day.isoformat()
    ]
    events.sort(key=lambda ev: ev["at"], reverse=True)
    seen: dict[int, str] = {}
    for ev in events:
        seen.setdefault(ev["task"], ev["unit"])
    return list(seen.items())


def sections(texts: list[str]) -> dict[str, list[str]]:
    """The summary's sections by heading (the headline under "headline")."""
    out: dict[str, list[str]] = {"headline": texts[0].splitlines()}
    current = None
    for line in "\n".join(texts[1:]).splitlines():
        if m := HEADING.match(line.strip()):
            current = m[1]
            out[current] = []
        elif current is not None and line.strip():
            out[current].append(line.strip())
    return out


# --- the script ------------------------------------------------------------------------------
async def test_four_weeks_every_summary_line_and_the_export_agree_with_the_store(
    month: ChatEnv,
) -> None:
    env = month
    POSTED.clear()
    INSPECTED.clear()
    coord = env.coordinator
    env.api.started.add(coord.id)
    env.group(SUMMARY_CHAT, "督办工作群", [coord])
    env.group(INSPECTION, "区政府督查室", [coord])
    people = {
        "区司法局": env.person(2001, "李四"),
        "区市场监管局": env.person(2002, "王五"),
        "区文明办": env.person(2003, "赵六"),
        "区金融发展服务中心": env.person(2004, "钱七"),
        "区商务局": env.person(2005, "孙八"),
    }
    for unit, person in people.items():
        env.bind(person, unit)
    justice, market, civ, finance, commerce = people.values()

    async def act(day: date, hour: int, person: Any, text: str) -> list[dict[str, Any]]:
        env.clock.set(at(day, hour))
        return await person.say(text)

    script: dict[date, list[Any]] = defaultdict(list)

    def on(day: date, hour: int, fn: Any) -> None:
        script[day].append((hour, fn))

    on(date(2021, 6, 22), 10, lambda d: act(d, 10, justice, "/update 18 进行中 40% 起草方案"))
    on(
        date(2021, 6, 23),
        10,
        lambda d: act(d, 10, civ, "/update 24 进行中 40% 诚信宣传进校园活动筹备"),
    )
    on(
        date(2021, 6, 23),
        11,
        lambda d: act(d, 11, coord, "/update 4 区大数据中心 进行中 30% 电话报送"),
    )

    async def blocked(d: date) -> None:
        await act(d, 10, market, "/update 18 受阻 等待市里统一模板")
        alert = env.inbox(COORDINATOR)[-1]
        assert "等待市里统一模板" in alert["text"]
        await coord.press(alert, next(b for b in buttons(alert) if b.startswith("blk:")))
        await coord.say("模板本周下发")
        assert "模板本周下发" in market.inbox()[-1]["text"]

    on(date(2021, 6, 24), 10, blocked)
    on(date(2021, 6, 25), 10, lambda d: act(d, 10, civ, "/update 25 进行中 20% 九个领域摸排"))

    async def claim_keep(d: date) -> None:  # #15 has one lead and open supporters
        await act(d, 10, finance, "/update 15 已完成 农村信用体系建设已完成")
        card = last_with(env.inbox(COORDINATOR), "rv:okk:")
        assert "配合单位尚未完成的部分" in card["text"]
        await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:okk:")))

    on(date(2021, 6, 29), 10, claim_keep)

    async def nil_and_extend(d: date) -> None:
        await act(d, 10, justice, "/update 1 本月无")
        await act(d, 11, commerce, "/extend 20 7月20日 数据对接延后")
        card = last_with(env.inbox(COORDINATOR), "rv:ok:")
        await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:ok:")))

    on(date(2021, 7, 1), 10, nil_and_extend)

    async def claims_close(d: date) -> None:  # both leads of #18 claim; the second closes all
        await act(d, 10, justice, "/update 18 已完成 方案已印发")
        card = last_with(env.inbox(COORDINATOR), "rv:okk:")
        await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:okk:")))
        await act(d, 11, market, "/update 18 已完成 已落实")
        card = last_with(env.inbox(COORDINATOR), "rv:okc:")
        await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:okc:")))

    on(date(2021, 7, 5), 10, claims_close)

    day = date(2021, 6, 21)
    end = date(2021, 7, 16)
    while day <= end:
        before = len(env.inbox(SUMMARY_CHAT)), len(env.inbox(INSPECTION))
        if day not in DOWN:  # the bot is down from 6 to 8 July: no tick, nobody is answered
            env.clock.set(at(day, 9, 1))
            await run_once(env.app)  # the morning sweep
            for _, fn in sorted(script.get(day, []), key=lambda x: x[0]):
                await fn(day)
            env.clock.set(at(day, 16, 1))
            await run_once(env.app)  # Friday: the weekly summary
        POSTED[day] = env.inbox(SUMMARY_CHAT)[before[0] :]
        INSPECTED[day] = env.inbox(INSPECTION)[before[1] :]
        if day in FRIDAYS:
            check_friday(env, day)
        day += timedelta(days=1)
    check_escalations(env)
    check_export(env, end)


# --- the checks ------------------------------------------------------------------------------
def summary_texts(env: ChatEnv, day: date) -> list[str]:
    group = POSTED[day]
    start = next(i for i, m in enumerate(group) if (m.get("text") or "").startswith("📊"))
    texts = []
    for m in group[start:]:
        if "photo" in m or (texts and (m.get("text") or "").startswith(("📊", "🚨"))):
            break
        texts.append(m["text"])
    return texts


def check_friday(env: ChatEnv, day: date) -> None:
    texts = summary_texts(env, day)
    assert 2 <= len(texts) <= 3 and len(texts[0]) <= 1000
    parts = sections(texts)
    assert list(parts)[1:] == [
        "总体进度",
        "本周进展",
        "本周完成",
        "逾期事项",
        "受阻事项",
        "本周未报送的单位",
        "诚信建设万里行",
        "专项治理",
        "量化指标",
        "待审核",
        "通报",
    ]
    # 本周进展: one line per task, newest first, the rest counted
    notes = week_notes(env, day)
    lines = [line for line in parts["本周进展"] if line.startswith("• #")]
    shown = [(int(m[1]), m[2]) for line in lines if (m := re.match(r"• #(\d+) (\S+) ", line))]
    assert shown == notes[:10]
    if len(notes) > 10:
        assert f"其余 {len(notes) - 10} 项任务的进展见 /status" in parts["本周进展"]
    for line, (task, unit) in zip(lines, notes, strict=False):
        state = env.store.state(task, unit)
        assert STATUS_LABELS[state["status"]] in line
    # 逾期事项: every overdue part, supporters too, grouped by unit, in working days
    overdue = expected_overdue(env, day)
    total = sum(len(v) for v in overdue.values())
    if total:
        assert f"共 {total} 项分工逾期，涉及 {len(overdue)} 个单位" in parts["逾期事项"][0]
        unit_lines = [line for line in parts["逾期事项"] if line.startswith("🔴 ")]
        assert len(unit_lines) == min(10, len(overdue))
        for line, (unit, items) in zip(unit_lines, overdue.items(), strict=False):
            want = "、".join(
                f"#{t}（{ROLE_LABELS[r]}，逾期 {n} 个工作日）" for t, r, n in items[:6]
            )
            assert line.startswith(f"🔴 {unit}：{want}"), (line, unit, items)
        if len(overdue) > 10:
            assert f"其余 {len(overdue) - 10} 个单位见 /status" in parts["逾期事项"]
        assert f"逾期：{total} 项分工，涉及 {len(overdue)} 个单位" in texts[0]
    # the same count everywhere: summary, /overdue, /status N
    unit, items = next(iter(overdue.items()))
    task, _, late = items[0]
    assert f"逾期 {late} 个工作日" in views.overdue_view(env.services, day).text
    page = views.task_view(env.services, task, day)
    assert page is not None and f"{unit}（" in page.text and f"逾期 {late} 个工作日" in page.text
    # 受阻: one line per blocked part with its reason
    blocked = [s for s in env.store.states() if s["status"] == "blocked"]
    lines = [line for line in parts["受阻事项"] if line.startswith("⛔")]
    assert len(lines) == len(blocked)
    for s in blocked:
        assert f"⛔ #{s['task']} {s['unit']}（{ROLE_LABELS[s['role']]}）：{s['note']}" in lines
    # campaign sections draw on plain notes
    camp = "\n".join(parts["诚信建设万里行"])
    rect = "\n".join(parts["专项治理"])
    if day == FRIDAYS[0]:
        assert "• #24 区文明办 进行中 40%：诚信宣传进校园活动筹备" in camp
        assert "本周未报送活动" not in camp
        assert "• #25 区文明办 进行中 20%：九个领域摸排" in rect
        assert "（代报）" in "\n".join(parts["本周进展"])  # the coordinator's entry for #4
    # 通报: the export's 单位评分 on the same day, in the same order
    sheet = next(s for s in report.collect(env.services, day).sheets if s.title == "单位评分")
    ranked = [row[1] for row in sheet.rows if row[0] != "不参与排名"]
    for line in parts["通报"]:
        if m := re.match(r"^(?:⚠️ )?(\d+)\. (\S+) 得分", line):
            assert ranked[int(m[1]) - 1] == m[2], line
    unranked = [row for row in sheet.rows if row[0] == "不参与排名"]
    if unranked:
        assert f"不参与排名（窗口内无到期任务）：{len(unranked)} 个单位" in parts["通报"]
    own = own_reporting_units(env, day)
    positions = [i for i, unit in enumerate(ranked) if unit in own]
    silent = [i for i, unit in enumerate(ranked) if unit not in own]
    assert not positions or not silent or max(positions) < min(silent)
    assert "区大数据中心" not in own  # its only entry this month was the coordinator's 代报
    # a task is never 已办结 beside open parts
    for tid in range(1, 26):
        if env.store.task_meta(tid).get("closed"):
            assert all(s["status"] == "done" for s in env.store.states(task=tid))


def own_reporting_units(env: ChatEnv, day: date) -> set[str]:
    bound = defaultdict(set)
    for _, doc in env.store.table("contacts").raw_docs():
        bound[doc["user_id"]].add(doc["unit"])
    start = day - timedelta(days=day.weekday()) - timedelta(weeks=3)
    return {
        ev["unit"]
        for ev in env.store.events()
        if ev.get("unit") in bound.get(ev.get("actor"), ())
        and start.isoformat() <= ev["at"][:10] <= day.isoformat()
        and ev["kind"] in ("status", "note", "report", "claim", "extension.request", "evidence")
    }


def check_escalations(env: ChatEnv) -> None:
    days = {d for d, ms in POSTED.items() for m in ms if (m.get("text") or "").startswith("🚨")}
    assert not days & DOWN and date(2021, 7, 9) in days
    caught = [d for d, ms in POSTED.items() for m in ms if "现补发" in (m.get("text") or "")]
    assert caught == [date(2021, 7, 9)]
    # once per part: one ledger key per escalation and recipient
    keys = [e["key"] for e in env.store.ledger("esc:")]
    assert len(keys) == len(set(keys)) and any(":2021-06-30>" in k for k in keys)
    esc = {k.split(">")[0] for k in keys if k.endswith(f">{SUMMARY_CHAT}")}
    assert "esc:18:区司法局:2021-06-30" not in esc  # claimed and approved in time
    # the second tier: 10 workdays overdue (14 July), a formal 督办通报 to 区政府督查室
    notices = [m["text"] for m in env.inbox(INSPECTION)]
    assert [d for d, ms in INSPECTED.items() if ms] == [date(2021, 7, 14)]
    assert notices[0].startswith("📕 督办通报") and all(len(n) <= 4096 for n in notices)
    entries: list[str] = []
    for line in "\n".join(notices).splitlines():
        if re.match(r"^\d+\. ", line):
            entries.append(line)
        elif entries and line.strip():
            entries[-1] += "\n" + line
    tier2 = [e for e in env.store.ledger("esc2:") if e["chat"] == INSPECTION]
    assert tier2 and all(e["sent_at"].startswith("2021-07-14") for e in tier2)
    assert len(entries) == len({(e["task"], e["unit"]) for e in tier2})
    for e in tier2:
        (entry,) = [x for x in entries if e["unit"] in x and f"任务：#{e['task']} " in x]
        sent = {
            ev["key"]
            for ev in env.store.events(task=e["task"])
            if ev["kind"] == "reminder"
            and ev.get("unit") == e["unit"]
            and ev.get("reminder_kind") not in ("escalation", "escalation2")
            and ev.get("status") in ("sent", "uncertain")
            and ev["at"][:10] < "2021-07-14"
        }
        assert f"此前已发送提醒催办：{len(sent)} 次（不含今日）" in entry
        assert "已逾期 10 个工作日" in entry and "截止：" in entry and "最近更新：" in entry


def check_export(env: ChatEnv, day: date) -> None:
    data = report.collect(env.services, day)
    sheets = {s.title: s for s in data.sheets}
    main = sheets["任务分解及进展"]
    rows15 = [r for r in main.rows if str(r[1]).startswith("15.")]
    rows18 = [r for r in main.rows if str(r[1]).startswith("18.")]
    light = main.headers.index("任务信号灯")
    assert {r[light] for r in rows15} == {"牵头已完成，配合未完"}  # kept open: not 已办结
    assert {r[light] for r in rows18} == {"已办结"}
    closed = [r for r in rows18 if r[6] == "配合"]
    assert closed and all(r[7] == "已办结（督办单位随牵头办结）" for r in closed)
    history = sheets["历史记录"]
    assert "详细数据" not in history.headers
    names = {r[4] for r in history.rows}
    assert "李四（区司法局）" in names and not any(str(n).isdigit() for n in names)
    assert {"系统（督办助手）", "系统（启动导入）"} <= names
    proxy = [r for r in history.rows if r[5] == "代报"]
    assert proxy and all(r[4].endswith("督办）") for r in proxy)
    assert any(r[3] == "区大数据中心" and r[2] == "#4" for r in proxy)
    nil = [r for r in history.rows if r[1] == "零报告"]
    assert (
        nil and nil[0][2] == "#1" and nil[0][3] == "区司法局" and "零报告（2021-07）" in nil[0][8]
    )
    closed_parts = [r for r in history.rows if r[1] == "督办单位办结配合部分"]
    assert len(closed_parts) == len(closed)
    # the export's scorecard is the summary's, in the same order
    texts = summary_texts(env, day)
    ranking = sections(texts)["通报"]
    first = next(line for line in ranking if re.match(r"^1\. ", line))
    assert first.split(" ")[1] == sheets["单位评分"].rows[0][1]
