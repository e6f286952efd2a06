"""Settings from the environment (and `.env`): every variable of CONTRACT.md, validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot import DATA
from bot.domain.clock import RealClock, RehearsalClock
from bot.domain.units import Directory

DEFAULT_API = "https://api.telegram.org/bot"
DEFAULT_FILE_API = "https://api.telegram.org/file/bot"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class ConfigError(ValueError):
    """A missing or malformed setting: the message is the one line shown at start-up."""


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    api_base_url: str = DEFAULT_API
    file_base_url: str = DEFAULT_FILE_API
    data_dir: Path = Path("data/state")
    plan: Path = DATA / "zhenhai-2021-credit-plan.txt"
    units: Path = DATA / "units.yaml"
    coordinators: frozenset[int] = field(default_factory=frozenset)
    summary_chat_id: int | None = None
    inspection_chat_id: int | None = None  # 区政府督查室: second-tier escalations (off: None)
    timezone: ZoneInfo = ZoneInfo("Asia/Shanghai")
    reminder_time: time = time(9, 0)
    summary_weekday: int = 4  # Monday = 0
    summary_time: time = time(16, 0)
    clock_start: datetime | None = None
    clock_speed: float = 1.0
    sandbox_port: int = 8088
    backup_dir: Path | None = None  # None: DUBAN_DATA_DIR/backups

    @property
    def backups(self) -> Path:
        """Where the daily backup goes."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"

    def redacted(self, text: str) -> str:
        """The text with the bot token masked, for anything that may reach a log."""
        return text.replace(self.token, "<token>") if self.token else text


def _time(name: str, raw: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", raw.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ConfigError(f"{name}: expected HH:MM, got {raw!r}")
    return time(int(m[1]), int(m[2]))


def _int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None


def _path(name: str, raw: str, must_exist: bool) -> Path:
    path = Path(raw).expanduser()
    if must_exist and not path.is_file():
        raise ConfigError(f"{name}: file not found: {raw}")
    return path


def _data_dir(raw: str, name: str = "DUBAN_DATA_DIR") -> Path:
    """A directory we write in, if it is (or can become) a writable directory."""
    path = Path(raw).expanduser()
    existing = next((p for p in (path, *path.absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError(f"{name}: not a directory: {existing}")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{name}: no permission to write in {existing}")
    return path


def _units(raw: str) -> Path:
    """The unit directory file, read once now so a broken one stops start-up here."""
    path = _path("DUBAN_UNITS", raw, must_exist=True)
    try:
        Directory.load(path)
    except ValueError as exc:
        message = " ".join(str(exc).split())  # one line, whatever the YAML error said
        raise ConfigError(f"DUBAN_UNITS: {message}") from None
    return path


def load_settings(
    env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Read settings from `env` (default: os.environ, with `.env` filling the gaps)."""
    if env is None:
        merged: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        merged.update(os.environ)
        env = merged

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    kw: dict[str, object] = {}
    if token := get("TELEGRAM_BOT_TOKEN"):
        if not TOKEN_RE.match(token.strip()):
            raise ConfigError("TELEGRAM_BOT_TOKEN: malformed (expected 123456:ABC…)")
        kw["token"] = token.strip()
    for var, key in (
        ("TELEGRAM_API_BASE_URL", "api_base_url"),
        ("TELEGRAM_FILE_BASE_URL", "file_base_url"),
    ):
        if url := get(var):
            if not re.match(r"^https?://[^\s/]+", url):
                raise ConfigError(f"{var}: expected an http(s) URL, got {url!r}")
            kw[key] = url.strip()
    if raw := get("DUBAN_DATA_DIR"):
        kw["data_dir"] = _data_dir(raw)
    if raw := get("DUBAN_BACKUP_DIR"):
        kw["backup_dir"] = _data_dir(raw, "DUBAN_BACKUP_DIR")
    if raw := get("DUBAN_PLAN"):
        kw["plan"] = _path("DUBAN_PLAN", raw, must_exist=True)
    if raw := get("DUBAN_UNITS"):
        kw["units"] = _units(raw)
    if raw := get("DUBAN_COORDINATORS"):
        ids = [p.strip() for p in re.split(r"[,，\s]+", raw) if p.strip()]
        if not all(re.fullmatch(r"-?\d+", i) for i in ids):
            raise ConfigError(f"DUBAN_COORDINATORS: expected comma-separated user ids, got {raw!r}")
        kw["coordinators"] = frozenset(int(i) for i in ids)
    if raw := get("DUBAN_SUMMARY_CHAT_ID"):
        kw["summary_chat_id"] = _int("DUBAN_SUMMARY_CHAT_ID", raw)
    if raw := get("DUBAN_INSPECTION_CHAT_ID"):
        kw["inspection_chat_id"] = _int("DUBAN_INSPECTION_CHAT_ID", raw)
    if raw := get("DUBAN_TIMEZONE"):
        try:
            kw["timezone"] = ZoneInfo(raw.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"DUBAN_TIMEZONE: unknown time zone {raw!r}") from None
    if raw := get("DUBAN_REMINDER_TIME"):
        kw["reminder_time"] = _time("DUBAN_REMINDER_TIME", raw)
    if raw := get("DUBAN_SUMMARY_AT"):
        parts = raw.strip().lower().split()
        if len(parts) != 2 or parts[0][:3] not in WEEKDAYS:
            raise ConfigError(f"DUBAN_SUMMARY_AT: expected e.g. 'fri 16:00', got {raw!r}")
        kw["summary_weekday"] = WEEKDAYS.index(parts[0][:3])
        kw["summary_time"] = _time("DUBAN_SUMMARY_AT", parts[1])
    tz = kw.get("timezone", Settings.timezone)
    if raw := get("DUBAN_CLOCK_START"):
        try:
            start = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ConfigError(
                f"DUBAN_CLOCK_START: expected an ISO-8601 instant, got {raw!r}"
            ) from None
        kw["clock_start"] = start if start.tzinfo else start.replace(tzinfo=tz)  # type: ignore[arg-type]
    if raw := get("DUBAN_CLOCK_SPEED"):
        try:
            speed = float(raw)
        except ValueError:
            speed = -1.0
        if not 0 < speed <= 100_000:
            raise ConfigError(f"DUBAN_CLOCK_SPEED: expected a positive number, got {raw!r}")
        kw["clock_speed"] = speed
    if raw := get("DUBAN_SANDBOX_PORT"):
        port = _int("DUBAN_SANDBOX_PORT", raw)
        if not 0 < port < 65536:
            raise ConfigError(f"DUBAN_SANDBOX_PORT: expected a port number, got {raw!r}")
        kw["sandbox_port"] = port
    return Settings(**kw)  # type: ignore[arg-type]


def make_clock(settings: Settings):  # type: ignore[no-untyped-def]
    """The clock the settings ask for: rehearsal when a start or a speed is set."""
    if settings.clock_start is not None or settings.clock_speed != 1.0:
        start = settings.clock_start or datetime.now(settings.timezone)
        return RehearsalClock(start, settings.clock_speed, tz=settings.timezone)
    return RealClock(settings.timezone)
