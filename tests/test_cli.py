"""The command line as a user runs it: check, tasks, import, units, config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "zhenhai-2021-credit-plan.txt"


def duban(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "TELEGRAM_"))}
    full_env.update({"DUBAN_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=data_dir, env=full_env, capture_output=True, text=True, timeout=60,
    )


def test_tasks_json_lists_the_seed_plan(tmp_path: Path) -> None:
    result = duban("tasks", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    tasks = json.loads(result.stdout)
    assert [t["id"] for t in tasks] == list(range(1, 26))
    t18 = tasks[17]
    assert t18["category_no"] == 6 and t18["category"] == "全面推行告知承诺制"
    assert t18["title"] == "全面推行信用承诺制" and t18["leads"] == ["区司法局", "区市场监管局"]
    assert t18["deadline"] == {"kind": "once", "due": "2021-06-30", "day": None, "text": "2021年6月"}
    assert tasks[0]["deadline"]["kind"] == "monthly" and tasks[0]["deadline"]["day"] == 8


def test_check_reports_problems_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "重点任务 | 具体措施 | 时限要求 | 牵头单位 | 配合单位 |\n"
        "一、测试 | 1.做点事。 | 明年某天 | 区发改局 | 区财政局 |\n",
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
