"""Four weeks of June–July 2021 scripted through chat; every Friday's summary, /overdue and the
export are checked line by line against the store.

The plan is imported mid-month (Monday 21 June), so #1's June report (due 8 June) is nobody's
to chase. The script: progress notes (#18, #24, #25), a coordinator's entries for units (代报),
a 受阻 with the coordinators' answer, a lead's claim approved keeping the supporters open (#15)
and a co-lead claim on #18 (both leads; the second approval closes the supporters' parts), an
extension (#20), a nil return (#1, 零报告), a unit whose contact blocked the bot (区民政局), and
the bot down from 6 to 8 July — over 7 July, when the 30 June deadlines escalate. The expected
values are computed here from the store's raw rows (states, events, contacts, ledger) and
data/scoring.yaml, not by the code under test.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI
from bot.domain.schedule import due_progress
from bot.domain.status import ROLE_LABELS, STATUS_LABELS, period_due, period_key
from bot.reports import report, scorecard, views
from bot.reports.lagging import lagging
from bot.reports.snapshot import snapshot
from sandbox.botapi import BotApiServer
from schedules.tick import run_once
from tests.harness import COORDINATOR, SUMMARY_CHAT, ChatEnv, current, running_env

INSPECTION = -100900
OFFICE = "区发改局"  # the coordinating office: its parts are the coordinators' own
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
    for s in store.parts.states():
        task = store.plan.task(s["task"])
        if task is None or store.plan.task_meta(task.id).get("closed") or s.get("removed"):
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
            if due is not None and due < imported(env):
                continue  # a period due before the plan was imported is nobody's to chase
        else:
            continue
        if due is None or day <= due:
            continue
        out[s["unit"]].append((task.id, s["role"], CAL.workdays_between(due, day)))
    for items in out.values():
        items.sort(key=lambda i: (-i[2], i[0]))
    return dict(sorted(out.items(), key=lambda kv: (-max(i[2] for i in kv[1]), kv[0])))


def imported(env: ChatEnv) -> date:
    """The day the plan was first imported: its first `plan.import` event."""
    first = next(ev for ev in env.store.history.events() if ev["kind"] == "plan.import")
    return datetime.fromisoformat(first["at"]).astimezone(SHANGHAI).date()


def bound_units(env: ChatEnv) -> dict[int, set[str]]:
    """user id → the units it was ever bound to, from the raw contacts table."""
    out: dict[int, set[str]] = defaultdict(set)
    for _, doc in env.store.table("contacts").raw_docs():
        out[doc["user_id"]].add(doc["unit"])
    return out


def proxy(env: ChatEnv, ev: dict[str, Any]) -> bool:
    """A coordinator's entry for a unit it is not a contact of (代报)."""
    actor, unit = ev.get("actor"), ev.get("unit")
    if not isinstance(actor, int) or unit in bound_units(env).get(actor, ()):
        return False
    return bool(ev.get("on_behalf")) or (actor == COORDINATOR and unit != OFFICE)


def week_lines(env: ChatEnv, day: date) -> list[str]:
    """本周进展 as it must read: each unit's newest report on each task this week, newest
    first, with a status only when that report set one."""
    monday = day - timedelta(days=day.weekday())
    events = [
        ev
        for ev in env.store.history.events()
        if ev.get("task")
        and ev.get("unit")
        and isinstance(ev.get("actor"), int)
        and monday.isoformat() <= ev["at"][:10] <= day.isoformat()
    ]
    claims = {(e["task"], e["unit"], e["at"]) for e in events if e["kind"] == "claim"}
    notes = [e for e in events if e["kind"] in ("status", "note", "report")]
    noted = {(e["task"], e["unit"], e["at"]) for e in notes}
    notes += [
        e for e in events if e["kind"] == "claim" and (e["task"], e["unit"], e["at"]) not in noted
    ]
    notes.sort(key=lambda e: (e["at"], e["id"]), reverse=True)
    seen: set[tuple[int, str]] = set()
    lines = []
    for ev in notes:
        if (ev["task"], ev["unit"]) in seen:
            continue
        seen.add((ev["task"], ev["unit"]))
        line = f"• #{ev['task']} {ev['unit']}"
        state = env.store.parts.state(ev["task"], ev["unit"]) or {}
        if (ev["task"], ev["unit"], ev["at"]) in claims:
            line += " 已报完成" + ("（待审核）" if state.get("claim") == "pending" else "")
        elif ev.get("status"):
            line += " " + STATUS_LABELS[ev["status"]]
        if ev.get("percent") is not None and ev.get("status") != "done":
            line += f" {ev['percent']}%"
        if ev["kind"] == "report" and not ev.get("status"):
            line += " 零报告"
        if ev.get("note"):
            line += "：" + ev["note"]
        if proxy(env, ev):
            line += "（代报）"
        lines.append(line)
    return lines


def reachable(env: ChatEnv) -> set[str]:
    """Units with an active contact the bot can still write to (the raw contacts table)."""
    return {
        doc["unit"]
        for _, doc in env.store.table("contacts").raw_docs()
        if doc.get("active", True) and doc.get("reachable", True)
    }


# --- the scorecard, from the store and data/scoring.yaml ---------------------------------
RULE = yaml.safe_load((bot.DATA / "scoring.yaml").read_text(encoding="utf-8"))
REPORTING = scorecard.REPORTING_KINDS  # the vocabulary; every number is computed here


def expected_scores(env: ChatEnv, day: date) -> dict[str, dict[str, Any]]:
    """unit → its due items, on-time items, own weeks, overdue parts and score."""
    store = env.store
    start = day - timedelta(days=day.weekday()) - timedelta(weeks=RULE["window_weeks"] - 1)
    since = imported(env)
    first_report: dict[tuple[int, str, str], date] = {}
    weeks: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for ev in store.history.events():
        at_day = datetime.fromisoformat(ev["at"]).astimezone(SHANGHAI).date()
        for period in ev.get("reported") or ():
            first_report.setdefault((ev["task"], ev["unit"], period), at_day)
        actor = ev.get("actor")
        if (
            ev["kind"] in REPORTING
            and ev.get("unit")
            and isinstance(actor, int)
            and start <= at_day <= day
            and not proxy(env, ev)
        ):
            weeks[ev["unit"]].add(at_day.isocalendar()[:2])
    overdue = {unit: len(items) for unit, items in expected_overdue(env, day).items()}
    out: dict[str, dict[str, Any]] = {}
    for s in store.parts.states():
        task = store.plan.task(s["task"])
        if task is None:
            continue
        row = out.setdefault(
            s["unit"], {"due": 0, "on_time": 0, "weeks": 0, "overdue": 0, "parts": 0}
        )
        row["parts"] += 1
        if task.deadline.kind == "monthly" and not s.get("due_override"):
            month = date(start.year, start.month, 1)
            while month <= day:
                due = period_due(task, month)
                if due is not None and max(start, since) <= due <= day:
                    row["due"] += 1
                    made = first_report.get((task.id, s["unit"], period_key(task, month) or ""))
                    row["on_time"] += made is not None and made <= due
                month = (month + timedelta(days=32)).replace(day=1)
            continue
        due = date.fromisoformat(s["due_override"]) if s.get("due_override") else task.deadline.due
        if due is None or due > day or s.get("closed_by") == "coordinator":
            continue
        if due >= start or s["status"] != "done":
            row["due"] += 1
            finished = s.get("done_at") or s.get("updated_at")
            row["on_time"] += bool(
                s["status"] == "done" and finished and date.fromisoformat(finished[:10]) <= due
            )
    for unit, row in out.items():
        row["weeks"] = min(len(weeks.get(unit, ())), RULE["window_weeks"])
        row["overdue"] = overdue.get(unit, 0)
        row["score"] = None
        if row["due"]:
            value = (
                RULE["on_time_weight"] * (row["on_time"] / row["due"])
                + RULE["regularity_weight"] * (row["weeks"] / RULE["window_weeks"])
                - RULE["overdue_penalty"] * row["overdue"]
            )
            row["score"] = round(100 * max(0.0, value), 1)
    return out


def expected_ranking(env: ChatEnv, day: date) -> dict[str, Any]:
    """The ranked units with their ranks (ties share one), the praised and the lagging."""
    scores = expected_scores(env, day)
    order = [u.name for u in env.services.units.units]
    candidates = [u for u, r in scores.items() if r["score"] is not None and u != OFFICE]

    def merit(unit: str) -> tuple[bool, float, int]:
        r = scores[unit]
        return (r["weeks"] == 0, -r["score"], r["overdue"])

    is_open = len(candidates) >= RULE["rank_min_units"]
    ranked = sorted(candidates, key=lambda u: (merit(u), order.index(u))) if is_open else []
    ranks = {u: 1 + sum(merit(o) < merit(u) for o in ranked) for u in ranked}

    def rate(unit: str) -> float:
        r = scores[unit]
        return r["on_time"] / r["due"]

    praised = [
        u
        for u in ranked
        if scores[u]["overdue"] <= RULE["praise_max_overdue"]
        and (
            (scores[u]["on_time"] and rate(u) >= RULE["praise_on_time"])
            or scores[u]["weeks"] >= RULE["praise_weeks"]
        )
    ][: RULE["shown"]]
    lagging = [
        u
        for u in ranked[::-1]
        if u not in praised
        and (scores[u]["overdue"] or rate(u) < RULE["praise_on_time"] or not scores[u]["weeks"])
    ][: RULE["shown"]]
    return {
        "scores": scores,
        "open": is_open,
        "with_due": len(candidates),
        "ranks": ranks,
        "praised": praised,
        "lagging": lagging,
    }


def score_line(unit: str, rank: int, row: dict[str, Any]) -> str:
    pct = 100 * row["on_time"] / row["due"]
    shown = f"{round(pct, 1):g}" if pct != int(pct) else str(int(pct))
    return (
        f"{rank}. {unit} 得分 {row['score']} · 按期率 {shown}% · "
        f"报送 {row['weeks']}/{RULE['window_weeks']} 周"
    )


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
    # 区民政局's contact blocked the bot before the first reminder: the 403 marks it unreachable
    civil = env.person(2006, "周九")
    env.bind(civil, "区民政局")
    env.api.blocked.add(civil.id)

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
    union = env.person(2007, "吴十")  # 区总工会: one part (#5, due 30 June), finished on time
    env.bind(union, "区总工会")
    on(date(2021, 6, 28), 10, lambda d: act(d, 10, union, "/update 5 已完成 赋码核查完毕"))
    # 区文明办 reports every week: a sustained record
    on(date(2021, 6, 29), 11, lambda d: act(d, 11, civ, "/update 24 进行中 50% 筹备第二场"))
    on(date(2021, 7, 5), 11, lambda d: act(d, 11, civ, "/update 24 进行中 55% 第二场已举办"))
    on(date(2021, 7, 12), 11, lambda d: act(d, 11, civ, "/update 24 进行中 60% 筹备第三场"))
    on(date(2021, 6, 25), 10, lambda d: act(d, 10, civ, "/update 25 进行中 20% 九个领域摸排"))

    async def approve(prefix: str) -> None:
        """Press the 通过 starting with `prefix`, and 确认 it when the claim has no evidence."""
        card = last_with(env.inbox(COORDINATOR), prefix)
        data = next(b for b in buttons(card) if b.startswith(prefix))
        await coord.press(card, data)
        confirm = f"rvy:{data[3:]}"
        card = current(env, card)
        if confirm in buttons(card):
            await coord.press(card, confirm)

    async def claim_keep(d: date) -> None:  # #15 has one lead and open supporters
        await act(d, 10, finance, "/update 15 已完成 农村信用体系建设已完成")
        card = last_with(env.inbox(COORDINATOR), "rv:okk:")
        assert "配合单位尚未完成的部分" in card["text"]
        await approve("rv:okk:")

    on(date(2021, 6, 29), 10, claim_keep)

    async def nil_and_extend(d: date) -> None:
        await act(d, 10, justice, "/update 1 本月无")
        await act(d, 11, commerce, "/extend 20 7月20日 数据对接延后")
        card = last_with(env.inbox(COORDINATOR), "rv:ok:")
        await coord.press(card, next(b for b in buttons(card) if b.startswith("rv:ok:")))

    on(date(2021, 7, 1), 10, nil_and_extend)

    async def claims_close(d: date) -> None:  # both leads of #18 claim; the second closes all
        await act(d, 10, justice, "/update 18 已完成 方案已印发")
        await approve("rv:okk:")
        await act(d, 11, market, "/update 18 已完成 已落实")
        await approve("rv:okc:")

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
    behind = lagging(env.services, day)  # 滞后序时进度: a section only when a task lags
    assert list(parts)[1:] == [
        "总体进度",
        "本周进展",
        "本周完成",
        "逾期事项",
        "受阻事项",
        "本周未报送的单位",
        *(["滞后序时进度"] if behind else []),
        "诚信建设万里行",
        "专项治理",
        "量化指标",
        "待审核",
        "通报",
    ]
    # 本周进展: each unit's newest report on each task, newest first, the rest counted
    want = week_lines(env, day)
    lines = [line for line in parts["本周进展"] if line.startswith("• #")]
    assert lines == want[:10]
    if len(want) > 10:
        assert f"其余 {len(want) - 10} 条进展见 /status" in parts["本周进展"]
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
            label = f"{unit}（督办单位）" if unit == OFFICE else unit
            assert line.startswith(f"🔴 {label}：{want}"), (line, unit, items)
        if len(overdue) > 10:
            assert f"其余 {len(overdue) - 10} 个单位见 /status" in parts["逾期事项"]
        assert f"逾期：{total} 项分工，涉及 {len(overdue)} 个单位" in texts[0]
    # the same count everywhere: summary, /overdue, /status N
    unit, items = next(iter(overdue.items()))
    task, _, late = items[0]
    assert f"逾期 {late} 个工作日" in views.overdue_view(env.services, day).text
    page = views.task_view(env.services, task, day)
    assert page is not None and f"{unit}（" in page.text and f"逾期 {late} 个工作日" in page.text
    # 滞后序时进度: the progress due by the day against the slowest lead's, from the store
    check_lagging(env, day, parts.get("滞后序时进度", []), set(behind))
    # 受阻: one line per blocked part with its reason
    blocked = [s for s in env.store.parts.states() if s["status"] == "blocked"]
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
    # 通报: every line from the store and data/scoring.yaml
    check_ranking(env, day, parts["通报"])
    own = own_reporting_units(env, day)
    assert "区大数据中心" not in own  # its only entry this month was the coordinator's 代报
    # 本周未报送的单位: never the coordinating office (its parts are the coordinators' own)
    assert not any(line.split("：")[0].endswith(OFFICE) for line in parts["本周未报送的单位"])
    # /overdue, every page, line by line
    check_overdue_view(env, day, overdue)
    # a task is never 已办结 beside open parts
    for tid in range(1, 26):
        if env.store.plan.task_meta(tid).get("closed"):
            assert all(s["status"] == "done" for s in env.store.parts.states(task=tid))


def check_lagging(env: ChatEnv, day: date, lines: list[str], behind: set[int]) -> None:
    assert env.services is not None
    since = env.services.tracking_start()
    assert since is not None
    rows = [line for line in lines if line.startswith("🟡 #")]
    assert {int(line.split()[1][1:]) for line in rows} <= behind
    if behind:
        assert f"共 {len(behind)} 项任务落后序时进度（未逾期）：" in lines
    if len(rows) < len(behind):
        assert f"其余 {len(behind) - len(rows)} 项见 /status" in lines
    for line in rows:
        task = env.store.plan.task(int(line.split()[1][1:]))
        assert task is not None
        due = due_progress(task, since, day, env.services.policy.due_progress).percent
        leads = [s for s in env.store.parts.states(task=task.id) if s["role"] == "lead"]
        slowest = min(100 if s["status"] == "done" else s["percent"] or 0 for s in leads)
        assert f"：应完成 {due}%，牵头已报 {slowest}%" in line, line
        assert not any(p.overdue for p in progress_of(env, day, task.id))  # shown as overdue


def progress_of(env: ChatEnv, day: date, task: int) -> list[Any]:
    assert env.services is not None
    return next(t.parts for t in snapshot(env.services, day) if t.task.id == task)


def check_ranking(env: ChatEnv, day: date, lines: list[str]) -> None:
    want = expected_ranking(env, day)
    scores, ranks = want["scores"], want["ranks"]
    assert "scoring.yaml" not in "\n".join(lines)
    assert lines[0].startswith(f"评分：按期完成率占 {round(100 * RULE['on_time_weight'])} 分")
    unranked = [u for u, r in scores.items() if not r["due"] and u != OFFICE]
    if unranked:
        assert f"不参与排名（窗口内无到期任务）：{len(unranked)} 个单位" in lines
    assert f"{OFFICE}（督办单位）承担的分工由督办人员办理，不参与排名。" in lines
    if not want["open"]:
        assert (
            f"有到期任务的单位满 {RULE['rank_min_units']} 个后开始排名"
            f"（目前 {want['with_due']} 个）。" in lines
        )
        assert not any("得分" in line for line in lines)
        return
    assert f"参与排名 {len(ranks)} 个单位。" in lines
    praised = [score_line(u, ranks[u], scores[u]) for u in want["praised"]]
    if praised:
        start = lines.index("表现较好：") + 1
        assert lines[start : start + len(praised)] == praised
    else:
        assert "表现较好：" not in lines
        assert sum(line.startswith("暂无达到表扬标准的单位") for line in lines) == 1
    lagging = [line for line in lines if line.startswith("⚠️ ")]
    want_lagging = []
    for u in want["lagging"]:
        line = "⚠️ " + score_line(u, ranks[u], scores[u])
        if scores[u]["overdue"]:
            line += f" · 逾期 {scores[u]['overdue']} 项"
        want_lagging.append(line)
    assert lagging == want_lagging
    # the export's 单位评分 on the same day: the same ranks and numbers, in the same order
    sheet = next(s for s in report.collect(env.services, day).sheets if s.title == "单位评分")
    ranked_rows = [row for row in sheet.rows if isinstance(row[0], int)]
    assert [(row[1], row[0]) for row in ranked_rows] == sorted(
        ranks.items(),
        key=lambda kv: (kv[1], [u.name for u in env.services.units.units].index(kv[0])),
    )
    for row in sheet.rows:
        r = scores[row[1]]
        assert (row[5], row[6], row[8], row[10] if row[10] != "" else None) == (
            r["due"],
            r["on_time"],
            r["weeks"],
            r["score"],
        ), row
        assert row[4] == r["overdue"]
        assert row[11] == ("是" if row[1] in reachable(env) or row[1] == OFFICE else "否")
        if row[1] == OFFICE:
            assert row[0] == "督办单位"


def check_overdue_view(
    env: ChatEnv, day: date, overdue: dict[str, list[tuple[int, str, int]]]
) -> None:
    """/overdue's pages hold every overdue part, unit by unit, in the store's order."""
    first = views.overdue_view(env.services, day)
    text = "\n".join(views.overdue_view(env.services, day, n).text for n in range(first.pages))
    got: list[tuple[str, int, str, int]] = []
    heads: dict[str, str] = {}
    unit = ""
    for line in text.splitlines():
        if m := re.match(r"^<b>(\S+)</b>(.*)$", line):
            unit = m[1]
            heads[unit] = m[2]
        elif m := re.match(r"^• #(\d+) .*（(\S+?)）· 截止 .* · 逾期 (\d+) 个工作日", line):
            got.append((unit, int(m[1]), m[2], int(m[3])))
    want = [
        (unit, task, ROLE_LABELS[role], late)
        for unit, items in overdue.items()
        for task, role, late in items
    ]
    assert got == want
    for unit, head in heads.items():
        if unit == OFFICE:
            assert head == "（督办单位，由督办人员办理）"
        elif unit in reachable(env):
            assert head == ""
        else:
            assert head == " ⚠️ 无可联系的绑定联系人", (unit, head)
    if day == FRIDAYS[0]:
        assert not any(task == 1 for _, task, _, _ in got)  # June's #1: before the import
    else:  # 区民政局's contact blocked the bot: the first reminder's 403 said so
        assert "区民政局" not in reachable(env)
        assert heads["区民政局"] == " ⚠️ 无可联系的绑定联系人"


def own_reporting_units(env: ChatEnv, day: date) -> set[str]:
    bound = defaultdict(set)
    for _, doc in env.store.table("contacts").raw_docs():
        bound[doc["user_id"]].add(doc["unit"])
    start = day - timedelta(days=day.weekday()) - timedelta(weeks=3)
    return {
        ev["unit"]
        for ev in env.store.history.events()
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
    keys = [e["key"] for e in env.store.deliveries.ledger("esc:")]
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
    tier2 = [e for e in env.store.deliveries.ledger("esc2:") if e["chat"] == INSPECTION]
    assert tier2 and all(e["sent_at"].startswith("2021-07-14") for e in tier2)
    assert len(entries) == len({(e["task"], e["unit"]) for e in tier2})
    for e in tier2:
        (entry,) = [x for x in entries if e["unit"] in x and f"任务：#{e['task']} " in x]
        sent = {
            ev["key"]
            for ev in env.store.history.events(task=e["task"])
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
    proxied = [r for r in history.rows if r[5] == "代报"]
    assert proxied and all(r[4].endswith("督办）") for r in proxied)
    assert any(r[3] == "区大数据中心" and r[2] == "#4" for r in proxied)
    nil = [r for r in history.rows if r[1] == "零报告"]
    assert (
        nil and nil[0][2] == "#1" and nil[0][3] == "区司法局" and "零报告（2021-07）" in nil[0][8]
    )
    closed_parts = [r for r in history.rows if r[1] == "督办单位办结配合部分"]
    assert len(closed_parts) == len(closed)
    check_ranking(env, day, sections(summary_texts(env, day))["通报"])
    # every unit's row of the plan: status (a 零报告 is this period's report), note, days late
    overdue = {
        (task, unit): late
        for unit, items in expected_overdue(env, day).items()
        for task, _, late in items
    }
    by_task = {str(r[1]).split(".")[0] for r in main.rows}
    assert by_task == {str(t.id) for t in env.store.plan.tasks()}
    for r in main.rows:
        task_id, unit = int(str(r[1]).split(".")[0]), r[5]
        task = env.store.plan.task(task_id)
        s = env.store.parts.state(task_id, unit)
        assert task is not None and s is not None
        period = period_key(task, day)
        nil = period is not None and period in s["reported"] and s["status"] == "todo"
        if s.get("closed_by") == "coordinator":
            status = "已办结（督办单位随牵头办结）"
        elif nil:
            status = "零报告"
        else:
            status = STATUS_LABELS[s["status"]] + (
                "（待审核）" if s.get("claim") == "pending" else ""
            )
        note = s.get("note") or ""
        if nil:
            label = f"{day.year}年{day.month}月零报告"
            note = f"{label}；此前说明：{note}" if note else label
        assert (r[7], r[10], r[12]) == (status, note, overdue.get((task_id, unit), 0)), r
    (nil_row,) = [r for r in main.rows if str(r[1]).startswith("1.") and r[5] == "区司法局"]
    assert nil_row[7] == "零报告" and nil_row[12] == 0  # July's report is in
