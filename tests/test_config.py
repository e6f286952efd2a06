"""Settings: defaults, parsing, and one clear line for each bad value."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.config import ConfigError, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert s.token is None and s.api_base_url == "https://api.telegram.org/bot"
    assert s.reminder_time == time(9, 0) and (s.summary_weekday, s.summary_time) == (4, time(16))
    assert s.clock_speed == 1.0 and s.sandbox_port == 8088 and s.coordinators == frozenset()


def test_values_are_parsed() -> None:
    s = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123456:AbC-d_e",
            "DUBAN_COORDINATORS": "11, 22,33",
            "DUBAN_SUMMARY_CHAT_ID": "-100123",
            "DUBAN_SUMMARY_AT": "Mon 08:30",
            "DUBAN_CLOCK_START": "2021-06-11T08:59:00",
            "DUBAN_CLOCK_SPEED": "60",
        }
    )
    assert s.coordinators == {11, 22, 33} and s.summary_chat_id == -100123
    assert (s.summary_weekday, s.summary_time) == (0, time(8, 30))
    assert s.clock_start is not None and s.clock_start.utcoffset().total_seconds() == 8 * 3600
    assert s.redacted("GET /bot123456:AbC-d_e/getMe") == "GET /bot<token>/getMe"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not a token"),
        ("DUBAN_COORDINATORS", "alice,bob"),
        ("DUBAN_SUMMARY_CHAT_ID", "group"),
        ("DUBAN_INSPECTION_CHAT_ID", "督查室"),
        ("DUBAN_TIMEZONE", "Mars/Olympus"),
        ("DUBAN_REMINDER_TIME", "25:00"),
        ("DUBAN_SUMMARY_AT", "someday"),
        ("DUBAN_CLOCK_START", "yesterday"),
        ("DUBAN_CLOCK_SPEED", "-3"),
        ("DUBAN_SANDBOX_PORT", "70000"),
        ("DUBAN_PLAN", "/no/such/plan.txt"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(var: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({var: value})
    assert str(err.value).startswith(var) and "\n" not in str(err.value)


CONTRACT_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
    "DUBAN_DATA_DIR",
    "DUBAN_PLAN",
    "DUBAN_UNITS",
    "DUBAN_COORDINATORS",
    "DUBAN_SUMMARY_CHAT_ID",
    "DUBAN_INSPECTION_CHAT_ID",
    "DUBAN_TIMEZONE",
    "DUBAN_REMINDER_TIME",
    "DUBAN_SUMMARY_AT",
    "DUBAN_CLOCK_START",
    "DUBAN_CLOCK_SPEED",
    "DUBAN_SANDBOX_PORT",
    "DUBAN_BACKUP_DIR",
)
ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_env_example_lists_every_variable_with_a_comment_and_the_defaults() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    assigned = [line.split("=", 1)[0] for line in lines if "=" in line and line[0] != "#"]
    assert sorted(assigned) == sorted(CONTRACT_VARIABLES)
    for var in CONTRACT_VARIABLES:
        above = lines[lines.index(next(line for line in lines if line.startswith(var + "="))) - 1]
        assert above.startswith("# "), var
    # copied to .env as it is, it changes nothing
    values = {k: v or "" for k, v in dotenv_values(ENV_EXAMPLE).items()}
    assert load_settings(values) == load_settings({})


def test_a_broken_unit_directory_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("units:\n  - {name: 区发改局, kind: planet}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings({"DUBAN_UNITS": str(path)})
    message = str(err.value)
    assert message.startswith(f"DUBAN_UNITS: {path}") and "\n" not in message
    path.write_text("units: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^DUBAN_UNITS: .*:2: invalid YAML"):
        load_settings({"DUBAN_UNITS": str(path)})


def test_a_data_dir_that_cannot_be_one(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    for raw in (afile, afile / "below"):
        with pytest.raises(ConfigError, match=f"^DUBAN_DATA_DIR: not a directory: {afile}$"):
            load_settings({"DUBAN_DATA_DIR": str(raw)})
    assert load_settings({"DUBAN_DATA_DIR": str(tmp_path / "new" / "dir")}).data_dir == (
        tmp_path / "new" / "dir"
    )
