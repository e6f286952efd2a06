"""The tick job, `duban remind` and `duban preview reminders`."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.ext import Application

import schedules.tick as tick
from bot.cli import main as cli_main
from bot.cli import remind_once
from bot.config import Settings
from bot.domain.clock import SHANGHAI, FixedClock, RealClock, RehearsalClock
from sandbox.botapi import BotApiServer


@pytest.mark.parametrize(
    ("speed", "seconds"), [(1, 60.0), (60, 1.0), (600, 0.2), (10_000, 0.2), (0.5, 60.0)]
)
def test_one_tick_per_simulated_minute(speed: float, seconds: float) -> None:
    assert tick.interval_for(speed) == pytest.approx(seconds)


@pytest.mark.parametrize(("speed", "seconds"), [(1, 1.0), (10, 1.0), (60, 1.0), (120, 0.5)])
def test_rehearsal_ticks_at_least_once_a_real_second(speed: float, seconds: float) -> None:
    # CONTRACT: every 60/S real seconds, at least once a real second
    clock = RehearsalClock(datetime(2021, 6, 23, 8, 59, tzinfo=SHANGHAI), speed=speed)
    assert tick.clock_interval(clock) == pytest.approx(seconds)
    assert tick.clock_interval(RealClock()) == 60.0
    assert tick.clock_interval(FixedClock(datetime(2021, 6, 23, tzinfo=SHANGHAI))) == 60.0


def test_schedule_registers_one_coalescing_job(tmp_path: Path) -> None:
    app = Application.builder().token("123:ABC").build()
    app.bot_data["services"] = SimpleNamespace(
        clock=SimpleNamespace(speed=120.0), settings=SimpleNamespace(data_dir=tmp_path)
    )
    tick.schedule(app)
    tick.schedule(app)  # scheduling again replaces, never doubles
    jobs = [j for j in app.job_queue.jobs() if j.name == tick.JOB_NAME and not j.removed]
    assert len(jobs) == 1
    aps = jobs[0].job
    assert aps.trigger.interval.total_seconds() == pytest.approx(0.5)
    assert aps.misfire_grace_time is None and aps.coalesce is True and aps.max_instances == 1


async def test_tick_runs_the_sweep_then_the_summary() -> None:
    calls: list[str] = []

    async def fake_sweep(application: Any) -> None:
        calls.append("sweep")
        raise RuntimeError("a failing sweep must not stop the summary")

    async def fake_summary(application: Any) -> None:
        calls.append("summary")

    fakes = {"sweep": fake_sweep, "post_summary": fake_summary}
    app = SimpleNamespace(bot_data={"services": object()})
    await tick.run_once(app, **fakes)
    assert calls == ["sweep", "summary"]
    calls.clear()
    await tick.run_once(SimpleNamespace(bot_data={}), **fakes)  # before post_init: nothing
    assert calls == []


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **extra: str) -> None:
    for key in ("TELEGRAM_BOT_TOKEN", "DUBAN_COORDINATORS", "DUBAN_SUMMARY_CHAT_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    monkeypatch.setenv("DUBAN_DATA_DIR", str(tmp_path / "state"))
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


def test_preview_json_has_the_contract_shape(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, tmp_path, DUBAN_COORDINATORS="9001", DUBAN_SUMMARY_CHAT_ID="-100")
    assert cli_main(["preview", "reminders", "--date", "2021-06-07", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    # nobody is bound yet: only escalations (#20, due 31 May) reach anyone
    assert items and all(
        set(i) == {"task", "unit", "role", "kind", "due", "contacts", "plan"} for i in items
    )
    assert {i["plan"] for i in items} == {"A"}
    assert {(i["task"], i["role"], i["kind"]) for i in items} == {(20, "coordinator", "escalation")}
    assert all(i["contacts"] == [-100, 9001] and i["due"] == "2021-05-31" for i in items)


async def test_remind_once_sweeps_through_the_configured_api(
    tmp_path: Path, botapi: BotApiServer
) -> None:
    settings = Settings(
        token=botapi.token,
        api_base_url=botapi.base_url,
        file_base_url=botapi.base_file_url,
        data_dir=tmp_path / "state",
        coordinators=frozenset({9001}),
    )
    botapi.add_user(9001, "王督办")
    await botapi.user_sends_text(9001, "/start")
    code = await asyncio.to_thread(remind_once, settings, date(2021, 6, 7))
    assert code == 0
    texts = [m["text"] for m in botapi.messages_to(9001)]
    assert any("逾期督办升级" in t and "#20" in t for t in texts)
    # a second run for the same day sends nothing more
    assert await asyncio.to_thread(remind_once, settings, date(2021, 6, 7)) == 0
    assert len(botapi.messages_to(9001)) == len(texts)


def test_remind_once_without_token_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert remind_once(Settings(data_dir=tmp_path), None) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_a_policy_in_the_data_dir_overrides_the_bundled_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, tmp_path, DUBAN_COORDINATORS="9001", DUBAN_SUMMARY_CHAT_ID="-100")
    # #20 is due 31 May: by default escalated on 7 June (5 workdays), not on 2 June
    assert cli_main(["preview", "reminders", "--date", "2021-06-02", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    (tmp_path / "state" / "policy.yaml").write_text(
        "overdue:\n  escalate_after_workdays: 2\n", encoding="utf-8"
    )
    assert cli_main(["preview", "reminders", "--date", "2021-06-02", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {(i["task"], i["kind"]) for i in items} == {(20, "escalation")}


def test_a_malformed_policy_override_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "policy.yaml").write_text("once:\n  lead_days: [1]\n", encoding="utf-8")
    assert cli_main(["preview", "reminders", "--date", "2021-06-02"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "policy.yaml" in err[0] and "once.lead_days" in err[0]
    assert remind_once(Settings(token="1:A", data_dir=tmp_path / "state"), None) == 2
    assert "once.lead_days" in capsys.readouterr().err


def test_the_app_paces_sends_by_the_policy(tmp_path: Path) -> None:
    from bot.telegram.app import build_application

    (tmp_path / "policy.yaml").write_text(
        "delivery:\n  messages_per_second: 20\n  limiter_retries: 2\n", encoding="utf-8"
    )
    app = build_application(Settings(token="123:ABC", data_dir=tmp_path))
    limiter = app.bot.rate_limiter
    assert limiter is not None
    assert limiter._base_limiter.max_rate == 20  # noqa: SLF001
    assert limiter._max_retries == 2  # noqa: SLF001
    default = build_application(Settings(token="123:ABC", data_dir=tmp_path / "x")).bot
    assert default.rate_limiter._base_limiter.max_rate == 28  # noqa: SLF001  # under 30/s


def test_the_running_bot_reads_an_edited_policy_on_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The policy is read once; `reload_policy` (SIGHUP to `duban run`) reads the edit, and a
    malformed edit is logged while the policy in force stays."""
    from bot.services import open_services
    from bot.telegram.app import build_application, reload_policy

    settings = Settings(token="123:ABC", data_dir=tmp_path)
    services = open_services(settings, writer=True)
    try:
        app = build_application(settings, services)
        assert services.policy.overdue.escalate_after_workdays == 5
        (tmp_path / "policy.yaml").write_text(
            "overdue:\n  escalate_after_workdays: 2\n", encoding="utf-8"
        )
        assert services.policy.overdue.escalate_after_workdays == 5  # read once, not per use
        reload_policy(app)
        assert services.policy.overdue.escalate_after_workdays == 2
        (tmp_path / "policy.yaml").write_text("overdue: [1]\n", encoding="utf-8")
        reload_policy(app)
        assert services.policy.overdue.escalate_after_workdays == 2
        assert "policy.yaml: overdue: expected a mapping" in caplog.text
    finally:
        services.close()
