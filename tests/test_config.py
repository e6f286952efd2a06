"""Settings: defaults, parsing, and one clear line for each bad value."""

from __future__ import annotations

from datetime import time

import pytest

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
