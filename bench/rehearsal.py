"""A month of the campaign through the real sandbox, and what a coordinator would check.

The sandbox (local Bot API, the real bot, the demo) runs from Monday 21 June 2021 08:55 to
Friday 23 July 17:00 while a few people act in chat: a contact updates #18, a lead claims #15
and the coordinator approves it, 招宝山街道 snoozes #6 until 12 July, 区司法局 makes a nil
return for #1 in July. Afterwards `check` reads everything the bot sent and the store's
ledger and history, and lists what is wrong.

Two ways to run it:
- stepped (`rehearse(data_dir)`): a FixedClock moved an hour at a time, each step running the
  bot's tick (sweep + weekly summary) once: deterministic, ~10 s; tests/test_rehearsal_month.py.
- real time (`rehearse(data_dir, speed=3600)`): the rehearsal clock and the bot's own tick
  job, as `duban sandbox` runs it (about 13 minutes at 3600×). `python -m bench.rehearsal
  [SPEED]` prints the per-chat table and the anomalies; `main()` returns one summary line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.clock import SHANGHAI, FixedClock, RehearsalClock
from sandbox import demo
from sandbox.main import Sandbox

START = datetime(2021, 6, 21, 8, 55, tzinfo=SHANGHAI)  # a Monday
END = datetime(2021, 7, 23, 17, 0, tzinfo=SHANGHAI)  # a Friday, after the summary slot
GROUP = demo.GROUP_ID
COORDINATOR = demo.COORDINATOR_ID
CHAT_NAMES = {GROUP: "群", COORDINATOR: "协调人"} | {
    c.user_id: c.unit.removeprefix("区")[:4] for c in demo.DEMO_CONTACTS
}
SNOOZE_UNTIL = date(2021, 7, 12)
WAIT = 15.0  # real seconds for the bot's answer to one action


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------------- actions


async def _say(sb: Sandbox, user: int, text: str, expect: str) -> dict[str, Any]:
    """`user` writes `text` to the bot; the bot's answer containing `expect`."""
    sent = await sb.server.user_sends_text(user, text)
    return await sb.server.wait_for_message(
        user,
        lambda m: m["message_id"] > sent["message_id"] and expect in (m.get("text") or ""),
        timeout=WAIT,
    )


async def _approve(sb: Sandbox, task: int) -> dict[str, Any]:
    """The coordinator opens /review and presses 通过 under the claim for `task` (with
    supporters' parts open: 通过并办结配合部分)."""
    server = sb.server
    sent = await server.user_sends_text(COORDINATOR, "/review")

    def button() -> tuple[dict[str, Any], str] | None:
        for m in server.messages_to(COORDINATOR):
            if m["message_id"] < sent["message_id"] or f"#{task}" not in (m.get("text") or ""):
                continue
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if str(b.get("callback_data", "")).startswith(("rv:ok:", "rv:okc:")):
                        return m, b["callback_data"]
        return None

    message, data = await server.wait_until(button, timeout=WAIT)
    await server.user_presses_button(COORDINATOR, message, data)
    confirm = f"rvy:{data[3:]}"  # a claim without evidence asks for a second tap

    def decided() -> dict[str, Any] | None:
        for m in server.messages_to(COORDINATOR):
            if m["message_id"] > sent["message_id"] and "已通过" in (m.get("text") or ""):
                return m
        return None

    def asked() -> bool:
        now = server.message(COORDINATOR, message["message_id"]) or {}
        rows = (now.get("reply_markup") or {}).get("inline_keyboard", [])
        return any(b.get("callback_data") == confirm for row in rows for b in row)

    await server.wait_until(lambda: decided() or asked(), timeout=WAIT)
    if decided() is None:
        await server.user_presses_button(COORDINATOR, message, confirm)
    return await server.wait_until(decided, timeout=WAIT)


Action = tuple[datetime, str, Callable[[Sandbox], Awaitable[Any]]]


def actions() -> list[Action]:
    justice, finance, street = 2001, 2004, 2005  # 区司法局, 区金融发展服务中心, 招宝山街道
    # (when, what, who says it, the text, what the answer must contain)
    says = [
        (at(6, 22, 10), "区司法局 updates #18", justice, "/update 18 进行中 70% 已完成公示稿", "已记录 #18"),
        (at(6, 23, 10), "区金融发展服务中心 claims #15", finance, "/update 15 已完成 农村信用体系建设已完成", "完成申请"),
        (at(6, 24, 10), "招宝山街道 snoozes #6", street, "/snooze 6 7月12日", "已暂停 #6"),
        (at(7, 1, 10), "区司法局 nil return #1", justice, "/update 1 本月无", "零报告"),
    ]  # fmt: skip
    done: list[Action] = [
        (when, what, partial(_say, user=user, text=text, expect=expect))
        for when, what, user, text, expect in says
    ]
    done.append((at(6, 23, 14), "coordinator approves #15", partial(_approve, task=15)))
    return sorted(done, key=lambda action: action[0])


# ------------------------------------------------------------------------------- running


class _Capture(logging.Handler):
    """Every WARNING and above, with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Outcome:
    """What the rehearsal left: every chat as the server holds it, the store's records."""

    chats: dict[int, list[dict[str, Any]]]
    ledger: list[dict[str, Any]]
    events: list[dict[str, Any]]
    logs: list[logging.LogRecord]
    done: list[str] = field(default_factory=list)  # actions that went through
    failed: list[str] = field(default_factory=list)  # actions that did not
    end: datetime = END
    seconds: float = 0.0

    def bot_messages(self, chat: int) -> list[dict[str, Any]]:
        return [m for m in self.chats.get(chat, []) if m["from"]["is_bot"]]


def _when(message: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(message["date"], SHANGHAI)


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def _act(sb: Sandbox, pending: list[Action], now: datetime, out: Outcome) -> None:
    while pending and pending[0][0] <= now:
        _, label, act = pending.pop(0)
        try:
            await act(sb)
            out.done.append(label)
        except Exception as exc:  # noqa: BLE001 - an action that fails is an anomaly to report
            out.failed.append(f"{label}: {exc!r}")


async def rehearse(
    data_dir: Path, *, speed: float | None = None, end: datetime = END, flood_limits: bool = True
) -> Outcome:
    """Run the month; `speed` None steps a FixedClock an hour at a time (see the module doc)."""
    from schedules import tick

    capture = _Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    clock: Any = FixedClock(START) if speed is None else RehearsalClock(START, speed=speed)
    settings = Settings(data_dir=data_dir, clock_start=START)
    sb = Sandbox(settings, web_port=0, clock=clock, flood_limits=flood_limits)
    out = Outcome(chats={}, ledger=[], events=[], logs=capture.records, end=end)
    started = time.monotonic()
    pending = actions()
    await sb.start()
    try:
        app = sb.application
        if speed is None:
            # The tick job would run on real time; the stepped clock runs the tick itself.
            for job in app.job_queue.get_jobs_by_name(tick.JOB_NAME):
                job.schedule_removal()
            now = START
            while now <= end:
                await _act(sb, pending, now, out)
                await tick.run_once(app)
                now = now.replace(minute=0) + timedelta(hours=1)
                clock.set(now)
        else:
            while clock.now() < end:
                await _act(sb, pending, clock.now(), out)
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the last answers reach the server
        store = sb.services.store
        out.ledger = list(store.deliveries.ledger())
        out.events = store.history.events()
        out.chats = {cid: sb.server.history(cid) for cid in sb.server.chats}
    finally:
        await sb.stop()
        root.removeHandler(capture)
    out.failed += [f"{label}: not reached" for _, label, _ in pending]
    out.seconds = time.monotonic() - started
    return out


# ------------------------------------------------------------------------------- checking

_OVERDUE_DAYS = re.compile(r"已逾期 (\d+) 个工作日")


def per_day_table(out: Outcome) -> str:
    """Bot messages per chat per day, one line a day with any."""
    chats = [GROUP, COORDINATOR, *(c.user_id for c in demo.DEMO_CONTACTS)]
    counts: dict[date, Counter[int]] = defaultdict(Counter)
    for chat in chats:
        for m in out.bot_messages(chat):
            counts[_when(m).date()][chat] += 1
    head = "day          " + " ".join(f"{CHAT_NAMES[c]:>6}" for c in chats)
    lines = [head]
    for day in sorted(counts):
        cells = " ".join(f"{counts[day][c]:>6}" for c in chats)
        lines.append(f"{day} {day.strftime('%a')} {cells}")
    return "\n".join(lines)


def check(out: Outcome, cal: WorkCalendar | None = None) -> list[str]:
    """Everything a coordinator would find wrong in the month; [] when all is well."""
    cal = cal or WorkCalendar()
    bad: list[str] = [f"action failed: {f}" for f in out.failed]
    bad += [
        f"log {r.levelname} {r.name}: {r.getMessage()[:200]}"
        for r in out.logs
        if r.levelno >= logging.ERROR
    ]
    reminders = [e for e in out.ledger if e["key"].startswith(("rem:", "esc:"))]
    for e in reminders:
        sent = datetime.fromisoformat(e["sent_at"])
        if not cal.is_workday(sent.date()):
            bad.append(f"reminder on a non-workday: {e['key']} {e['sent_at']}")
        if not (9 <= sent.hour < 10):
            bad.append(f"reminder not at 09:00: {e['key']} {e['sent_at']}")
        if e["status"] != "sent":
            bad.append(f"reminder {e['status']}: {e['key']}")
        if e["kind"] == "overdue":
            late = int(e["key"].split(">")[0].rsplit(":", 1)[1])
            if (late - 1) % 3:
                bad.append(f"overdue off the 3-workday cadence: {e['key']}")
    sent_twice = [
        k
        for k, n in Counter(
            (e["key"], e["chat"]) for e in out.events if e["kind"] == "reminder"
        ).items()
        if n > 1
    ]
    bad += [f"reminder sent twice: {k}" for k in sent_twice]
    escalated = Counter(e["key"].split(">")[0] for e in reminders if e["kind"] == "escalation")
    bad += [f"escalation {k} to {n} chats, not 2" for k, n in escalated.items() if n != 2]

    coordinator_weeks: Counter[str] = Counter()
    for chat, messages in out.chats.items():
        mornings: Counter[date] = Counter()
        for m in messages:
            if not m["from"]["is_bot"]:
                continue
            text, when = _text(m), _when(m)
            if len(text) > 4096:
                bad.append(f"message over 4096 characters in {chat} on {when:%m-%d}")
            if text.startswith(("⏰", "🚨")):
                mornings[when.date()] += 1
            if text.startswith("🚨") and {int(n) for n in _OVERDUE_DAYS.findall(text)} != {5}:
                bad.append(f"escalation not at 5 workdays in {chat} on {when:%m-%d}")
            if "时出错" in text or "无法接收提醒" in text:
                bad.append(f"error notice in {chat} on {when:%m-%d}: {text[:60]}")
            if chat == COORDINATOR and text.startswith("📋"):
                coordinator_weeks[f"{when.isocalendar()[0]}-W{when.isocalendar()[1]}"] += 1
        bad += [
            f"{n} reminder messages to {chat} on {d}" for d, n in sorted(mornings.items()) if n > 1
        ]
    bad += [f"{n} no-contact notices in {w}" for w, n in coordinator_weeks.items() if n > 1]
    if not coordinator_weeks:
        bad.append("no weekly no-contact notice")
    bad += _check_summaries(out)
    bad += _check_scenario(out, reminders)
    return bad


def _check_summaries(out: Outcome) -> list[str]:
    bad = []
    group = out.bot_messages(GROUP)
    fridays = [
        START.date() + timedelta(days=4 + 7 * i)
        for i in range(6)
        if START + timedelta(days=4 + 7 * i, hours=7, minutes=5) <= out.end
    ]
    summaries = [m for m in group if _text(m).startswith("📊")]
    days = [_when(m).date() for m in summaries]
    if days != fridays:
        bad.append(f"weekly summaries on {days}, expected {fridays}")
    joined: dict[date, str] = {}
    for m in summaries:
        when, text = _when(m), _text(m)
        if when.hour < 16:
            bad.append(f"summary before 16:00: {when}")
        if len(text) > 1000:
            bad.append(f"summary headline of {when:%m-%d} over 1,000 characters")
        # the headline, then its sections (at most 3 messages in all), then the chart
        after = [x for x in group if x["message_id"] > m["message_id"]]
        texts = [text]
        for x in after:
            if "photo" in x or _text(x).startswith(("📊", "🚨")):
                break
            texts.append(_text(x))
        if len(texts) > 3:
            bad.append(f"summary of {when:%m-%d} in {len(texts)} messages")
        whole = joined[when.date()] = "\n".join(texts)
        for section in ("、诚信建设万里行", "、专项治理"):
            if section not in whole:
                bad.append(f"summary of {when:%m-%d} without {section[1:]}")
        rest = after[len(texts) - 1 :][:1]
        if not rest or "photo" not in rest[0]:
            bad.append(f"summary of {when:%m-%d} without its chart")
    first = joined.get(date(2021, 6, 25), "")
    if first and "✅ #15" not in first:
        bad.append("the summary of 25 June does not list #15 as completed that week")
    return bad


def _check_scenario(out: Outcome, reminders: list[dict[str, Any]]) -> list[str]:
    """The actions took effect: what they should have stopped did stop."""
    bad = []

    def day(e: dict[str, Any]) -> date:
        return datetime.fromisoformat(e["sent_at"]).date()

    for e in reminders:
        task, unit, d = e.get("task"), e.get("unit"), day(e)
        if (task, unit) == (1, "区司法局") and ":2021-07" in e["key"]:
            bad.append(f"#1 区司法局 reminded for July after its nil return: {e['key']}")
        if (task, unit) == (6, "招宝山街道") and date(2021, 6, 24) < d < SNOOZE_UNTIL:
            if e["kind"] != "escalation":
                bad.append(f"#6 招宝山街道 reminded while snoozed: {e['key']}")
        if task == 15 and d > date(2021, 6, 23):
            bad.append(f"#15 reminded after its completion was approved: {e['key']}")
    # 持续推进: only a lead silent for 30 days is asked; a 专项治理 report or an activity counts
    progress = ("status", "note", "evidence", "report", "activity", "rectify")
    for e in reminders:
        if e["kind"] != "ongoing":
            continue
        last = max(
            (
                datetime.fromisoformat(x["at"]).date()
                for x in out.events
                if x["kind"] in progress
                and (x.get("task"), x.get("unit")) == (e["task"], e["unit"])
            ),
            default=None,
        )
        if last is not None and (day(e) - last).days < 30:
            bad.append(
                f"#{e['task']} {e['unit']} asked for progress {last} was reported: {e['key']}"
            )
    keys = {e["key"].split(">")[0] for e in reminders}
    if "esc:6:招宝山街道:2021-06-30" not in keys:
        bad.append("#6 招宝山街道 never escalated (snoozed over its escalation day)")
    return bad


# ------------------------------------------------------------------------------- command line


def run(speed: float | None) -> tuple[Outcome, list[str]]:
    with tempfile.TemporaryDirectory(prefix="duban-rehearsal-") as tmp:
        out = asyncio.run(rehearse(Path(tmp), speed=speed))
    return out, check(out)


def main() -> str:
    """One line: the real-time rehearsal at 3600× (or the speed given as argv[1])."""
    speed = float(sys.argv[1]) if len(sys.argv) > 1 else 3600.0
    out, anomalies = run(speed)
    sent = sum(len(out.bot_messages(c)) for c in out.chats)
    reminders = sum(1 for e in out.ledger if e["key"].startswith(("rem:", "esc:")))
    return (
        f"rehearsal: speed={speed:g} seconds={out.seconds:.0f} messages={sent} "
        f"reminders={reminders} actions={len(out.done)}/{len(actions())} "
        f"anomalies={len(anomalies)}"
    )


if __name__ == "__main__":
    logging.getLogger("httpx").setLevel(logging.WARNING)
    speed_arg = float(sys.argv[1]) if len(sys.argv) > 1 else None
    outcome, found = run(speed_arg)
    print(per_day_table(outcome))
    for line in found:
        print("ANOMALY", line)
    print(f"{outcome.seconds:.0f} s, {len(found)} anomalies")
