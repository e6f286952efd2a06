"""What the group reads, told in chat: the 通报's praise, the rule in words, 零报告, periods
before the import, the coordinating office, and 本周进展 (one line per unit's report).

The seeded plan is imported on Monday 21 June 2021 (tests.harness.START): #1 is a monthly
report (每月8日前) whose June period fell due before it; most one-off parts are due 30 June.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.domain.clock import SHANGHAI
from bot.reports import report, scorecard, views
from tests.harness import ChatEnv, Person


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


async def say_on(env: ChatEnv, day: date, person: Person, text: str) -> list[dict[str, Any]]:
    env.clock.set(at(day))
    return await person.say(text)


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def section(summary: str, title: str) -> list[str]:
    """The lines of one summary section (its heading `N、title` up to the next heading)."""
    lines = summary.splitlines()
    start = next(
        i for i, line in enumerate(lines) if re.match(rf"^[一二三四五六七八九十]+、{title}$", line)
    )
    out = []
    for line in lines[start + 1 :]:
        if re.match(r"^[一二三四五六七八九十]+、\S+$", line):
            break
        if line.strip():
            out.append(line.strip())
    return out


async def summary_preview(env: ChatEnv, day: date) -> str:
    env.clock.set(at(day, 16))
    got = await env.coordinator.say("/summary preview")
    return re.sub(r"</?b>", "", texts(got))


async def test_praise_is_for_merit_and_the_rule_is_said_in_words(env: ChatEnv) -> None:
    union = env.contact("区总工会", 3001, "工会联络员")  # its one part: #5, due 30 June
    park = env.contact("宁波石化经济技术开发区", 3002, "园区联络员")  # #6, due 30 June
    await say_on(env, date(2021, 6, 28), union, "/update 5 已完成 赋码核查完毕")
    await say_on(env, date(2021, 7, 5), park, "/update 6 进行中 50% 正在梳理")
    text = await summary_preview(env, date(2021, 7, 9))
    lines = section(text, "通报")
    assert "scoring.yaml" not in text
    assert lines[0] == (
        "评分：按期完成率占 60 分、近 4 周有自主报送的周数占 40 分（代报不计），"
        "每有 1 项逾期扣 5 分，满分 100。"
    )
    praised = lines[lines.index("表现较好：") + 1 :]
    praised = praised[: next(i for i, x in enumerate(praised) if not re.match(r"^\d+\. ", x))]
    # 区总工会 finished its only part on time; the park reported once, late, with work overdue
    # (score 0.4 × 1/4 − 0.05 = 5.0): a score above 0 is no merit.
    assert [re.match(r"^\d+\. (\S+) ", x)[1] for x in praised] == ["区总工会"]  # type: ignore[index]
    assert praised[0].endswith("得分 70.0 · 按期率 100% · 报送 1/4 周")
    assert not any("宁波石化经济技术开发区" in x for x in praised)
    card = scorecard.scorecard(env.services, date(2021, 7, 9))
    park_row = next(r for r in card.rows if r.unit == "宁波石化经济技术开发区")
    assert park_row.score == 5.0 and park_row.overdue == 1


async def test_too_few_units_with_due_work_means_no_ranking_yet(env: ChatEnv) -> None:
    text = await summary_preview(env, date(2021, 6, 25))
    lines = section(text, "通报")
    card = scorecard.scorecard(env.services, date(2021, 6, 25))
    # Only #20's parts (due 31 May) are due yet: eight units, fewer than the ten it takes
    with_due = {r.unit for r in card.rows if r.due and not r.coordinator}
    assert len(with_due) == card.with_due == 8 and not card.open
    assert "有到期任务的单位满 10 个后开始排名（目前 8 个）。" in lines
    assert not any("得分" in line for line in lines)
    sheet = next(
        s for s in report.collect(env.services, date(2021, 6, 25)).sheets if s.title == "单位评分"
    )
    assert {row[1] for row in sheet.rows if row[0] == "暂不排名"} == with_due


async def test_a_nil_return_is_that_periods_report_everywhere(env: ChatEnv) -> None:
    justice = env.contact("区司法局", 3003, "李四")  # a supporter of #1 (每月8日前)
    said = await say_on(env, date(2021, 7, 1), justice, "/update 1 本月无")
    assert "零报告" in texts(said)
    day = date(2021, 7, 16)  # two weeks on: July's report (due 8 July) is in
    env.clock.set(at(day))
    unit_page = texts(await env.coordinator.say("/status 区司法局"))
    (line,) = [x for x in unit_page.splitlines() if "#1 " in x]
    assert line.startswith("🟢 #1 ") and "（配合）零报告" in line and "未启动" not in line
    assert "零报告 1" in unit_page.splitlines()[1]  # 承担 N 项：… · 零报告 1
    detail = texts(await justice.say("/task 1"))  # what the unit itself sees
    assert "区司法局（配合）：零报告" in detail
    data = report.collect(env.services, day)
    main = next(s for s in data.sheets if s.title == "任务分解及进展")
    (row,) = [r for r in main.rows if str(r[1]).startswith("1.") and r[5] == "区司法局"]
    assert (row[7], row[10], row[12]) == ("零报告", "2021年7月零报告", 0)
    # the scorecard: July's period was due in the window and reported before its day
    card = scorecard.scorecard(env.services, day)
    mine = next(r for r in card.rows if r.unit == "区司法局")
    assert mine.on_time_done == 1  # its one item done on time: July's 零报告
    text = await summary_preview(env, day)
    assert "零报告" in section(text, "总体进度")[2]


async def test_periods_due_before_the_import_are_nobodys_to_chase(env: ChatEnv) -> None:
    boss = env.coordinator
    env.clock.set(at(date(2021, 6, 25)))
    overdue = texts(await boss.say("/overdue"))
    assert "#1 " not in overdue  # June's #1 report fell due on 8 June, before the import
    task = texts(await boss.say("/status 1"))
    assert "逾期" not in task and "🔴" not in task
    assert "截止 2021年7月8日" in task  # the next report it owes
    text = await summary_preview(env, date(2021, 6, 25))
    assert not any("#1（" in line for line in section(text, "逾期事项"))
    card = scorecard.scorecard(env.services, date(2021, 6, 25))
    assert all(r.overdue == 0 for r in card.rows if r.unit not in _owing_20(env))
    # July's period is due after the import: from 9 July it is overdue, 1 working day
    env.clock.set(at(date(2021, 7, 9)))
    later = all_overdue_pages(env, date(2021, 7, 9))
    assert "#1 " in later
    task = texts(await boss.say("/status 1"))
    assert "逾期 1 个工作日" in task


def all_overdue_pages(env: ChatEnv, day: date) -> str:
    first = views.overdue_view(env.services, day)
    return "\n".join(views.overdue_view(env.services, day, n).text for n in range(first.pages))


def _owing_20(env: ChatEnv) -> set[str]:
    return {s["unit"] for s in env.store.parts.states(task=20)}


async def test_the_coordinating_office_is_the_coordinators_own(env: ChatEnv) -> None:
    boss = env.coordinator
    units = texts(await boss.say("/units"))
    missing = units.split("尚无联络人的单位")[1].split("解绑")[0]
    assert "区发改局" not in missing and "区大数据中心" in missing
    assert "督办单位：区发改局（其分工由督办人员办理，无需联络人）" in units
    env.clock.set(at(date(2021, 7, 9)))
    page = texts(await boss.say("/status 区发改局"))
    assert "联系人：督办人员" in page and "无可联系" not in page
    overdue = texts(await boss.say("/overdue"))
    assert "无可联系" in overdue  # others have no contact …
    text = await summary_preview(env, date(2021, 7, 9))
    silent = section(text, "本周未报送的单位")
    assert silent and not any(line.startswith(("🔴 区发改局", "• 区发改局")) for line in silent)
    ranking = section(text, "通报")
    assert "区发改局（督办单位）承担的分工由督办人员办理，不参与排名。" in ranking
    assert not any(re.match(r"^(⚠️ )?\d+\. 区发改局 ", line) for line in ranking)
    assert "<b>区发改局</b>（督办单位，由督办人员办理）" in all_overdue_pages(env, date(2021, 7, 9))


async def test_this_weeks_progress_shows_every_units_report_as_made(env: ChatEnv) -> None:
    justice = env.contact("区司法局", 3003, "李四")  # #18's two leads
    market = env.contact("区市场监管局", 3004, "王五")
    commerce = env.contact("区商务局", 3005, "孙八")  # #19's lead
    await say_on(env, date(2021, 6, 22), justice, "/update 18 进行中 40% 起草方案")
    await say_on(env, date(2021, 6, 23), market, "#18 已对接市场主体")
    await say_on(env, date(2021, 6, 24), commerce, "#19 已对接数据平台")
    lines = section(await summary_preview(env, date(2021, 6, 25)), "本周进展")
    assert lines[:3] == [
        "• #19 区商务局：已对接数据平台",  # a note: no status beside it
        "• #18 区市场监管局：已对接市场主体",  # the co-lead's report is not hidden
        "• #18 区司法局 进行中 40%：起草方案",
    ]
