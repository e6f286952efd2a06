"""`duban ARGS` run in-process (fast), for CLI tests that need no separate process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(name="cli")
def cli_fixture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """`cli(*args, **env) -> (exit code, stdout, stderr)` in an empty data directory.

    The caller's DUBAN_*/TELEGRAM_* settings are cleared; keyword arguments set variables.
    """
    for var in list(os.environ):
        if var.startswith(("DUBAN_", "TELEGRAM_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("DUBAN_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            for var, value in env.items():
                m.setenv(var, value)
            capsys.readouterr()
            code = main(list(args))
            out, err = capsys.readouterr()
        return code, out, err

    return run
