"""The command line as a user runs it: check, tasks, import, units, config errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.cli import TEMPLATE_HINT, build_parser
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "zhenhai-2021-credit-plan.txt"
SAMPLES = ROOT / "tests" / "samples"


def duban(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "TELEGRAM_"))}
    full_env.update({"DUBAN_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=data_dir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tasks_json_lists_the_seed_plan(tmp_path: Path) -> None:
    result = duban("tasks", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    tasks = json.loads(result.stdout)
    assert [t["id"] for t in tasks] == list(range(1, 26))
    t18 = tasks[17]
    assert t18["category_no"] == 6 and t18["category"] == "全面推行告知承诺制"
    assert t18["title"] == "全面推行信用承诺制" and t18["leads"] == ["区司法局", "区市场监管局"]
    assert t18["deadline"] == {
        "kind": "once",
        "due": "2021-06-30",
        "day": None,
        "text": "2021年6月",
    }
    assert tasks[0]["deadline"]["kind"] == "monthly" and tasks[0]["deadline"]["day"] == 8


def test_check_reports_problems_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "一、测试 | 1.做点事。 | 2021年6月 | | 区财政局 |\n",
        encoding="utf-8",
    )
    result = duban("check", str(bad), data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}:2: ") and "Traceback" not in result.stderr
    assert duban("check", str(SEED), data_dir=tmp_path).returncode == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert duban("check", str(empty), data_dir=tmp_path).returncode == 2


def test_import_revised_plan_keeps_history(tmp_path: Path) -> None:
    assert duban("tasks", data_dir=tmp_path).returncode == 0
    revised = tmp_path / "revised.txt"
    revised.write_text(
        SEED.read_text(encoding="utf-8").replace("| 2021年5月 |", "| 2021年7月 |"), encoding="utf-8"
    )
    result = duban("import", str(revised), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "changed 1" in result.stdout
    tasks = json.loads(duban("tasks", "--json", data_dir=tmp_path).stdout)
    assert tasks[19]["deadline"]["due"] == "2021-07-31"


def test_config_error_is_one_line(tmp_path: Path) -> None:
    result = duban("tasks", data_dir=tmp_path, DUBAN_REMINDER_TIME="nine")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DUBAN_REMINDER_TIME" in result.stderr


def test_units_lists_directory(tmp_path: Path) -> None:
    result = duban("units", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    names = [u["name"] for u in json.loads(result.stdout)]
    assert "区发改局" in names and "九龙湖镇" in names


# -- one writer, many readers: a real process holds the data directory -----------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from bot.domain.clock import SHANGHAI
    from bot.config import load_settings
    from bot.services import open_services
    services = open_services(load_settings(), writer=True)
    at = datetime(2021, 5, 20, 9, tzinfo=SHANGHAI)
    services.store.people.bind_contact(4242, "区商务局", name="王五", at=at)
    services.store.parts.update_state(20, "区商务局", at=at, actor=4242, status="doing", percent=40)
    print("ready", flush=True)
    sys.stdin.read()  # hold the lock until the test lets go
    services.close()
    """
)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A data directory held by another process, as by a running `duban run`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "TELEGRAM_"))}
    env["DUBAN_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    try:
        yield tmp_path
    finally:
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_a_second_writer_is_refused_while_readers_see_every_write(held: Path) -> None:
    for args in (("run",), ("sandbox",), ("import", str(SEED))):
        result = duban(*args, data_dir=held, TELEGRAM_BOT_TOKEN="123:abc")
        assert result.returncode == 3, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "is in use by another duban process" in (
            result.stderr
        )
    tasks = duban("tasks", "--json", data_dir=held)
    assert tasks.returncode == 0 and len(json.loads(tasks.stdout)) == 25
    preview = duban("preview", "reminders", "--date", "2021-05-31", "--json", data_dir=held)
    assert preview.returncode == 0, preview.stderr
    due = [r for r in json.loads(preview.stdout) if r["task"] == 20]
    assert due == [
        {
            "task": 20,
            "unit": "区商务局",
            "role": "lead",
            "kind": "due",
            "due": "2021-05-31",
            "contacts": [4242],
            "plan": "A",
        }
    ]
    out = held / "report.xlsx"
    export = duban("export", "--out", str(out), data_dir=held)
    assert export.returncode == 0 and out.stat().st_size > 0
    units = duban("units", "--json", data_dir=held)
    contacts = {u["name"]: u["contacts"] for u in json.loads(units.stdout)}
    assert contacts["区商务局"] == [{"user_id": 4242, "name": "王五", "role": "liaison"}]


# -- configuration and plan errors: one clear line, never a traceback ------------------------


@pytest.mark.parametrize("command", ["run", "sandbox", "tasks"])
def test_a_bad_configured_plan_stops_start_up_without_a_traceback(
    tmp_path: Path, command: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "2021年\n重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "一、组 | 1.甲。 | 2021年6月 | | 区财政局 |\n",
        encoding="utf-8",
    )
    result = duban(command, data_dir=tmp_path, DUBAN_PLAN=str(bad), TELEGRAM_BOT_TOKEN="123:abc")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:3: 任务 1 缺少牵头单位" in result.stderr.splitlines()


@pytest.mark.parametrize("command", ["run", "sandbox", "tasks", "check"])
@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("DUBAN_UNITS", "units: 3\n"),  # written to a file first
        ("DUBAN_UNITS", "units: [\n"),
        ("DUBAN_DATA_DIR", "a file"),
    ],
)
def test_configuration_errors_are_one_line_for_every_command(
    tmp_path: Path, command: str, var: str, value: str
) -> None:
    path = tmp_path / "value"
    path.write_text(value, encoding="utf-8")
    env = {var: str(path), "TELEGRAM_BOT_TOKEN": "123:abc"}
    args = (command, str(SEED)) if command == "check" else (command,)
    result = duban(*args, data_dir=tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"duban: configuration error: {var}: ")
    assert result.stderr.count("\n") == 1


# -- duban check on whatever a user may hand it ---------------------------------------------


def test_check_on_files_that_are_not_plans(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(bytes(range(256)) * 20)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for path, message in [
        (binary, "无法读取文件：不是文本文件，也不是 .xlsx 表格"),
        (tmp_path, "这是一个目录，不是文件"),
        (fifo, "不是普通文件"),  # reading it would wait forever
        (tmp_path / "missing.txt", "文件不存在"),
    ]:
        # stderr holds the problem alone; stdout points at the import template
        assert cli("check", str(path)) == (2, TEMPLATE_HINT + "\n", f"{path}:0: {message}\n")


def test_check_on_an_unreadable_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(SEED.read_bytes())
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: refuse the read the way the OS would

        def refuse(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", refuse)
    expected = (2, TEMPLATE_HINT + "\n", f"{path}:0: 无法读取文件：没有读取权限\n")
    assert cli("check", str(path)) == expected


def test_check_an_xlsx_with_a_missing_lead(cli: Cli, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["重点任务", "具体措施", "时限要求", "牵头单位", "配合单位"])
    sheet.append(["一、制度", "1.甲。", "2021年6月", "区发改局", ""])
    sheet.append([None, "2.乙。", "2021年6月", None, "区财政局"])
    sheet.merge_cells("A2:A3")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    assert cli("check", str(path)) == (2, "", f"{path}:3: 任务 2 缺少牵头单位\n")


def test_check_warns_of_every_unknown_unit_naming_the_nearest(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "2021年\n重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "一、组 | 1.甲。 | 2021年6月 | 区发该局 | 区财政局、火星办 |\n",
        encoding="utf-8",
    )
    code, out, err = cli("check", str(path))
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"{path}:3: warning: 未知单位“区发该局”，最接近的已知单位是“区发改局”"
    assert lines[1].startswith(f"{path}:3: warning: 未知单位“火星办”，最接近的已知单位是“")
    assert len(lines) == 2


def test_check_knows_the_units_of_duban_units(cli: Cli, tmp_path: Path) -> None:
    units = tmp_path / "units.yaml"
    units.write_text(
        "units:\n  - {name: 区火星局, full_name: 区火星事务局, kind: department}\n",
        encoding="utf-8",
    )
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "2021年\n重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "一、组 | 1.甲。 | 2021年6月 | 区火星局 | |\n",
        encoding="utf-8",
    )
    assert cli("check", str(plan), DUBAN_UNITS=str(units)) == (0, "", "")
    assert "区火星局" in cli("check", str(plan))[2]


# -- the store's plan: imports, the YAML export, DUBAN_PLAN on first open ---------------------


def test_import_into_an_empty_store_loads_that_file_only(cli: Cli) -> None:
    code, out, err = cli("import", str(SAMPLES / "bracket-lines.txt"))
    assert code == 0, err
    assert "added 5, changed 0, archived 0, unchanged 0" in out
    code, out, _ = cli("tasks", "--json")
    assert [t["id"] for t in json.loads(out)] == [1, 2, 3, 4, 5]
    assert json.loads(out)[0]["title"] == "完善信用制度"


def test_a_rejected_import_leaves_an_empty_store_empty(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2021年\n1.甲。（区财政局配合，2021年6月底前完成）\n", encoding="utf-8")
    code, _, err = cli("import", str(bad))
    assert code == 2 and err == f"{bad}:2: 任务 1 缺少牵头单位\n"
    code, out, _ = cli("tasks", "--json", DUBAN_PLAN=str(SAMPLES / "labelled-lines.txt"))
    assert [t["id"] for t in json.loads(out)] == [1, 2, 3, 4]


def test_tasks_yaml_exports_the_store_for_hand_edits(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("tasks", "--yaml")
    assert code == 0 and out.startswith("# duban 任务分解表")
    edited = tmp_path / "edited.yaml"
    edited.write_text(out.replace("deadline: 2021年5月", "deadline: 2021年7月"), encoding="utf-8")
    assert cli("check", str(edited)) == (0, "", "")
    code, out, _ = cli("import", str(edited))
    assert code == 0 and "added 0, changed 1, archived 0, unchanged 24" in out
    code, out, _ = cli("tasks", "--json")
    assert json.loads(out)[19]["deadline"]["due"] == "2021-07-31"


@pytest.mark.parametrize(
    "args",
    [
        ("tasks",),
        ("units",),
        ("preview", "reminders", "--date", "2021-06-01", "--json"),
        ("preview", "summary", "--date", "2021-06-04"),
        ("export", "--out", "report.xlsx"),
    ],
)
def test_every_command_loads_duban_plan_into_an_empty_store(
    cli: Cli, args: tuple[str, ...]
) -> None:
    plan = str(SAMPLES / "labelled-lines.txt")
    code, _, err = cli(*args, DUBAN_PLAN=plan)
    assert code == 0, err
    code, out, _ = cli("tasks", "--json")  # the bundled default would have 25
    assert [t["title"] for t in json.loads(out)][:1] == ["完善信用制度建设"]
    assert len(json.loads(out)) == 4


@pytest.mark.parametrize(
    "args", [("tasks", "--json"), ("check", "--show", str(SEED))], ids=["tasks", "check"]
)
def test_output_into_a_closed_pipe_exits_quietly(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "TELEGRAM_"))}
    env["DUBAN_DATA_DIR"] = str(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (say `head`) is already gone: every write fails
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=env,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def _subparsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[Any]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subparsers(sub, (*path, name))


def test_every_subcommand_says_what_it_does_with_an_example_in_both_languages() -> None:
    parser = build_parser()
    seen = []
    for path, sub in _subparsers(parser):
        text = sub.format_help()
        seen.append(" ".join(path))
        description = (sub.description or "").splitlines()
        assert len(description) == 2, path
        zh, en = description
        assert re.search(r"[\u4e00-\u9fff]", zh) and re.fullmatch(r"[ -~]+", en), path
        assert "例如 / examples:" in text, path
        examples = text.split("例如 / examples:")[1].split("\n")
        assert any(f"duban {' '.join(path)}" in line for line in examples), path
        # every option but -h says what it is for
        for action in sub._actions:
            if action.option_strings and "-h" not in action.option_strings:
                assert action.help, (path, action.option_strings)
    # the contract's commands, all there
    for command in (
        "run",
        "sandbox",
        "check",
        "tasks",
        "import",
        "template",
        "units",
        "preview",
        "export",
    ):
        assert command in seen
    assert {"preview reminders", "preview summary", "remind", "backup", "restore"} <= set(seen)
    top = parser.format_help()
    assert all(f"    {name}" in top for name in seen if " " not in name)
