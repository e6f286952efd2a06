"""The sandbox's first-run demo, its settings, and the whole sandbox run in-process."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.domain.clock import SHANGHAI, RehearsalClock
from bot.features import campaign
from bot.services import Services, open_services
from sandbox import demo
from sandbox.botapi import BotApiServer
from sandbox.main import ARCHIVE_DIR, SANDBOX_DATA_DIR, TOKEN, Sandbox, sandbox_settings
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)

START = datetime(2021, 6, 28, 8, 30, tzinfo=SHANGHAI)  # a Monday


@pytest.fixture
def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(data_dir=tmp_path, coordinators=frozenset({demo.COORDINATOR_ID}))
    svc = open_services(settings, writer=True, clock=RehearsalClock(START))
    try:
        yield svc  # type: ignore[misc]
    finally:
        svc.close()


@asynccontextmanager
async def running(settings: Settings, *, flood_limits: bool = False) -> AsyncIterator[Sandbox]:
    """A started sandbox (its page on a free port), stopped afterwards."""
    sandbox = Sandbox(settings, web_port=0, flood_limits=flood_limits)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def test_settings_point_the_bot_at_the_local_server() -> None:
    server = BotApiServer(token=TOKEN)
    server.port = 4242
    s = sandbox_settings(Settings(), server)
    assert s.token == TOKEN
    assert s.api_base_url == "http://127.0.0.1:4242/bot"
    assert s.file_base_url == "http://127.0.0.1:4242/file/bot"
    assert s.data_dir == SANDBOX_DATA_DIR == Path("data/state/sandbox")
    assert s.coordinators == frozenset({demo.COORDINATOR_ID})
    assert s.summary_chat_id == demo.GROUP_ID


def test_explicit_settings_are_kept(tmp_path: Path) -> None:
    given = Settings(data_dir=tmp_path, coordinators=frozenset({7}), summary_chat_id=-42)
    s = sandbox_settings(given)
    assert (s.data_dir, s.coordinators, s.summary_chat_id) == (tmp_path, frozenset({7}), -42)


def test_demo_binds_contacts_through_invites_and_records_progress(services: Services) -> None:
    assert demo.needs_demo(services)
    lines = demo.seed_demo(services)
    assert not demo.needs_demo(services)
    store = services.store
    bound = {c["unit"]: c["name"] for c in store.people.contacts()}
    assert bound == {c.unit: c.name for c in demo.DEMO_CONTACTS}
    # Bound the real way: every contact came through a used invite of the coordinator.
    binds = store.history.events(kinds=["contact.bind"])
    assert len(binds) == len(demo.DEMO_CONTACTS)
    assert all(e.get("invite") for e in binds)
    assert all(
        e["actor"] == demo.COORDINATOR_ID for e in store.history.events(kinds=["invite.create"])
    )
    state = store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 40)
    assert store.parts.state(16, "区金融发展服务中心")["status"] == "blocked"  # type: ignore[index]
    assert any("更新 #18" in line for line in lines)
    assert all(e["at"] < START.isoformat() for e in store.history.events(kinds=["status"]))


def test_demo_records_an_activity(services: Services) -> None:
    demo.seed_demo(services)
    [activity] = campaign.activities(services.store)
    assert activity["task"] == 24 and activity["unit"] == "区文明办"


def test_people_lists_the_coordinator_then_contacts(services: Services) -> None:
    demo.seed_demo(services)
    people = demo.people(services)
    assert people[0] == {
        "user_id": demo.COORDINATOR_ID,
        "name": "王主任",
        "units": ["区发改局"],
        "role": "coordinator",
    }
    assert [(p["name"], p["units"]) for p in people[1:]] == [
        (c.name, [c.unit]) for c in demo.DEMO_CONTACTS
    ]


def test_register_people_opens_the_coordination_group(services: Services) -> None:
    demo.seed_demo(services)
    server = BotApiServer(token=TOKEN)
    demo.register_people(server, services)
    group = server.chats[demo.GROUP_ID]
    assert group.info["title"] == demo.GROUP_TITLE
    assert group.members == {p["user_id"] for p in demo.people(services)}
    assert group.admins == [demo.COORDINATOR_ID]
    assert server.started >= {c.user_id for c in demo.DEMO_CONTACTS}


async def test_sandbox_runs_the_bot_and_the_page_in_one_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, clock_start=START)
    async with running(settings) as sandbox:
        assert sandbox.seeded and sandbox.settings.data_dir == tmp_path
        # Loopback only: the page has no login, and the local Bot API takes any user's word.
        assert sandbox.url.startswith("http://127.0.0.1:")
        assert sandbox.settings.api_base_url.startswith("http://127.0.0.1:")
        assert sandbox._web is not None and sandbox._web.addresses[0][0] == "127.0.0.1"
        assert sandbox.clock.now() >= START
        async with aiohttp.ClientSession() as session:
            async with session.get(sandbox.url) as r:
                assert r.status == 200 and "督办助手" in await r.text()
            async with session.post(
                f"{sandbox.url}api/chats/2001/messages", json={"user_id": 2001, "text": "/mytasks"}
            ) as r:
                assert r.status == 201
            card = await sandbox.server.wait_for_message(
                2001, lambda m: "#18" in m.get("text", ""), timeout=10
            )
            assert card["reply_markup"]["inline_keyboard"]
            async with session.get(f"{sandbox.url}api/chats/1001/commands?user_id=1001") as r:
                names = [c["command"] for c in await r.json()]
            assert "invite" in names and "mytasks" in names
    await sandbox.stop()  # twice is harmless

    async with running(settings) as again:
        assert again.seeded == []  # the demo is seeded once only
        assert len(again.services.store.people.contacts()) == len(demo.DEMO_CONTACTS)


def test_demo_leaves_work_for_the_coordinator(services: Services) -> None:
    """A completion claim and an extension request to review, KPI values and a 专项治理 report."""
    from bot.features import campaign, kpis, review

    lines = demo.seed_demo(services)
    pending = {(r["kind"], r["task"], r["unit"]) for r in review.records(services.store)}
    assert pending == {("claim", 22, "区金融发展服务中心"), ("extension", 18, "区市场监管局")}
    assert kpis.latest_values(kpis.metric_records(services.store))["xyd_firms"] == 1850
    [report] = campaign.rectifications(services.store)
    assert report["task"] == 25 and report["unit"] == "区文明办"
    assert any("申请办结 #22" in line for line in lines)


def test_a_past_plan_is_rehearsed_from_a_week_before_its_deadline() -> None:
    settings = Settings()
    later = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)
    # Most measures are due 2021-06-30: a Wednesday a week before, a minute before the sweep.
    assert demo.start_instant(settings, later) == datetime(2021, 6, 23, 8, 59, tzinfo=SHANGHAI)
    during = datetime(2021, 5, 10, 10, 0, tzinfo=SHANGHAI)
    assert demo.start_instant(settings, during) == during  # a running plan starts now


async def test_without_a_clock_start_the_sandbox_starts_in_the_plan_and_resumes(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with running(settings) as sandbox:
        start = sandbox.clock.now()
        assert datetime(2021, 6, 23, 8, 59, tzinfo=SHANGHAI) <= start
        assert start < datetime(2021, 6, 23, 9, 0, tzinfo=SHANGHAI)
        sandbox.clock.set(datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI))
    async with running(settings) as again:
        resumed = again.clock.now()
        assert datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI) <= resumed
        assert resumed < datetime(2021, 6, 25, 10, 1, tzinfo=SHANGHAI)


async def test_a_restarted_sandbox_keeps_its_chats_and_still_answers(tmp_path: Path) -> None:
    """The bot drops update ids it has seen: a restarted server must not count from scratch."""
    settings = Settings(data_dir=tmp_path, clock_start=START)
    async with running(settings) as sandbox:
        await sandbox.server.user_sends_text(2001, "/mytasks")
        first = await sandbox.server.wait_for_message(2001, timeout=10)
        sandbox.save()  # as after any change; the chats are also saved on stop
        await sandbox.server.user_sends_text(2001, "/help")
        await sandbox.server.wait_for_message(2001, lambda m: "/mytasks" in m["text"], timeout=10)
    before = len(sandbox.server.history(2001))

    async with running(settings) as again:
        assert again.server.history(2001)[:before] == sandbox.server.history(2001)
        assert again.server.message(2001, first["message_id"]) == first
        await again.server.user_sends_text(2001, "/mytasks")
        answer = await again.server.wait_for_message(
            2001, lambda m: m["message_id"] > before, timeout=10
        )
        assert "区司法局" in answer["text"]


async def test_the_morning_reminders_arrive_after_the_sweep_time(tmp_path: Path) -> None:
    """Started at 08:59:57 on a workday at 60×, the 09:00 sweep reaches the contacts."""
    start = datetime(2021, 6, 23, 8, 59, 57, tzinfo=SHANGHAI)
    async with running(
        Settings(data_dir=tmp_path, clock_start=start, clock_speed=60), flood_limits=True
    ) as sandbox:
        reminder = await sandbox.server.wait_for_message(
            2001, lambda m: "#18" in m.get("text", ""), timeout=20
        )
        assert datetime.fromtimestamp(reminder["date"], SHANGHAI) >= start.replace(
            second=0, minute=0, hour=9
        )


async def test_the_weekly_summary_and_its_chart_reach_the_group(tmp_path: Path) -> None:
    """Friday 16:00: the summary's text, then its PNG chart, which the page serves as an image."""
    start = datetime(2021, 6, 25, 15, 59, 57, tzinfo=SHANGHAI)
    async with running(
        Settings(data_dir=tmp_path, clock_start=start, clock_speed=60), flood_limits=True
    ) as sandbox:
        server = sandbox.server
        text = await server.wait_for_message(demo.GROUP_ID, lambda m: "text" in m, timeout=30)
        assert text["text"].startswith("📊") and len(text["text"]) <= 1000  # the headline
        assert "诚信建设万里行" in text["text"] and "专项治理" in text["text"]
        section = await server.wait_for_message(
            demo.GROUP_ID, lambda m: "、诚信建设万里行" in (m.get("text") or ""), timeout=30
        )
        assert "、专项治理" in section["text"] or "通报" in section["text"]
        chart = await server.wait_for_message(demo.GROUP_ID, lambda m: "photo" in m, timeout=30)
        file_id = chart["photo"][-1]["file_id"]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{sandbox.url}api/files/{file_id}") as r:
                assert r.status == 200 and r.headers["Content-Type"] == "image/png"
                assert (await r.read()).startswith(b"\x89PNG")


async def test_lost_chats_do_not_silence_the_bot(tmp_path: Path) -> None:
    """Without the saved chats (a crash), update ids still go on past those the bot has seen."""
    settings = Settings(data_dir=tmp_path, clock_start=START)
    async with running(settings) as sandbox:
        await sandbox.server.user_sends_text(2001, "/mytasks")
        await sandbox.server.wait_for_message(2001, timeout=10)
    shutil.rmtree(tmp_path / ARCHIVE_DIR)
    async with running(settings) as again:
        await again.server.user_sends_text(2001, "/mytasks")
        assert "区司法局" in (await again.server.wait_for_message(2001, timeout=10))["text"]


async def test_next_reminders_finds_the_next_morning_with_something_to_send(
    tmp_path: Path,
) -> None:
    """下个提醒日: the next morning after today whose sweep sends something, never one that
    sends nothing."""
    from bot.features.sweep import planned

    friday = datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI)
    async with running(Settings(data_dir=tmp_path, clock_start=friday)) as sandbox:
        services = sandbox.services
        found = sandbox.next_reminders(friday)
        assert found is not None
        at, count = found
        assert at.time().isoformat() == "08:59:00" and at > friday
        assert services.calendar.is_workday(at.date())
        assert count == len(planned(services, at.date())) > 0
        day = friday.date() + timedelta(days=1)
        while day < at.date():  # every morning skipped had nothing to send
            assert not services.calendar.is_workday(day) or not planned(services, day)
            day += timedelta(days=1)
        following = sandbox.next_reminders(at)  # from that morning on: a later one
        assert following is not None and following[0].date() > at.date()
        # all work finished and nobody overdue: nothing is due, and the page says so
        for state in services.store.parts.states():
            services.store.parts.update_state(
                state["task"], state["unit"], at=friday, actor="sandbox", status="done"
            )
        for task in services.store.plan.tasks():
            services.store.plan.set_task_closed(task.id, True)
        assert sandbox.next_reminders(friday) is None


async def test_commands_on_the_sandboxs_data_use_its_clock_and_people(
    tmp_path: Path, cli: Cli
) -> None:
    """`duban export` / `duban preview` with DUBAN_DATA_DIR at the sandbox's data: its
    simulated day, not today's (逾期工作日 1355), and 王主任, not 未绑定用户."""
    from openpyxl import load_workbook

    data = tmp_path / "sandbox"
    friday = datetime(2021, 6, 25, 10, 0, tzinfo=SHANGHAI)
    async with running(Settings(data_dir=data, clock_start=friday)):
        pass  # seeded, then stopped: the chats and the clock are saved
    out = tmp_path / "report.xlsx"
    code, stdout, err = cli("export", "--out", str(out), DUBAN_DATA_DIR=str(data))
    assert code == 0 and "sandbox" in err and "2021-06-25" in err and "1001" in err
    wb = load_workbook(out)
    main = wb["任务分解及进展"]
    late_col = [c.value for c in main[1]].index("逾期工作日")
    late = [r[late_col] for r in main.iter_rows(min_row=2, values_only=True)]
    assert 0 < max(v for v in late if isinstance(v, int)) < 40  # #20 was due 2021-05-31
    actors = {r[4] for r in wb["历史记录"].iter_rows(min_row=2, values_only=True)}
    assert "王主任（区发改局·督办）" in actors and "未绑定用户" not in actors
    code, summary, _ = cli("preview", "summary", "--date", "2021-06-25", DUBAN_DATA_DIR=str(data))
    assert code == 0 and "诚信建设万里行" in summary
    # any other data directory: the configured clock and people, and no note about it
    code, _, err = cli("export", "--out", str(tmp_path / "other.xlsx"))
    assert code == 0 and "sandbox" not in err
