"""Real published task-decomposition plans: how many hand-read facts the loader gets right.

Each folder under tests/samples/real holds a plan as published (plan.txt) and office-style
variants (plan.docx, plan.xlsx) with the facts read by hand in expected.yaml.
`python -m tests.test_plan_real` prints the score per file and overall.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.plan import load_plan

REAL = Path(__file__).resolve().parent / "samples" / "real"
FORMATS = ("plan.txt", "plan.docx", "plan.xlsx", "plan.pdf")
THRESHOLD = 0.95


def _norm(text: str) -> str:
    """Full/half width folded (brackets, commas, colons), whitespace removed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("〔", "[").replace("〕", "]").replace("、", ",")
    return re.sub(r"\s+", "", text)


def _units(names) -> set[str]:
    return {_norm(n) for n in names or ()}


def _due(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _deadline_ok(want: dict, got, year: int) -> bool:
    kind = want.get("kind")
    if got is None:
        return False
    if kind == "none":  # the parser falls back to the plan period's end (with a warning)
        return got.kind == "none" or (
            got.kind == "once" and got.due is not None and (got.due.month, got.due.day) == (12, 31)
        )
    if kind == "unreadable":
        return got.due is None and want.get("text", "") in (got.text or "")
    if got.kind != kind:
        return False
    if kind == "once":
        return got.due == _due(want.get("due"))
    if "day" in want:
        return got.day == want["day"]
    return True


def _words(text: str) -> str:
    """A milestone's text with its punctuation dropped, to compare words only."""
    return re.sub(r"[\W_]+", "", _norm(text))


def _milestones_ok(want: list[dict], got) -> bool:
    """The task's milestones, in date order: each hand-read one matched by its due date, its
    words found in the parsed text."""
    steps = sorted(got.milestones)
    if len(steps) != len(want):
        return False
    left = list(steps)
    for item in want:
        match = next(
            (
                s
                for s in left
                if s.due == _due(item["due"]) and _words(item["text"]) in _words(s.text)
            ),
            None,
        )
        if match is None:
            return False
        left.remove(match)
    return True


def _align(expected: list[dict], parsed: list) -> list:
    """For each expected task the parsed task it matches: by title prefix in order, else by position."""
    out, used, cursor = [], set(), 0
    for i, want in enumerate(expected):
        key = _norm(want["title"])
        found = None
        for j in range(cursor, len(parsed)):
            t = parsed[j]
            if j not in used and (
                key in _norm(t.title) or key in _norm(t.text) or _norm(t.title).startswith(key)
            ):
                found = j
                break
        if found is None and i < len(parsed) and i not in used:
            found = i
        if found is not None:
            used.add(found)
            cursor = found + 1
        out.append(parsed[found] if found is not None else None)
    return out


def score(path: Path, expected: dict) -> tuple[int, int, int]:
    """(facts right, facts total, tasks parsed) for one file."""
    plan = load_plan(path)
    tasks = list(plan.tasks)
    want_tasks = expected["tasks"]
    year = int(expected.get("year") or 0)
    ok = total = 0
    for want, got in zip(want_tasks, _align(want_tasks, tasks), strict=False):
        facts = [got is not None]
        facts.append(got is not None and _units(got.leads) == _units(want.get("leads")))
        facts.append(got is not None and _units(got.supporters) == _units(want.get("supporters")))
        facts.append(
            got is not None
            and _deadline_ok(want.get("deadline") or {"kind": "none"}, got.deadline, year)
        )
        if "milestones" in want:
            facts.append(got is not None and _milestones_ok(want["milestones"], got))
        if want.get("category"):
            facts.append(got is not None and _norm(got.category) == _norm(want["category"]))
        ok += sum(facts)
        total += len(facts)
    ok += len(tasks) == len(want_tasks)
    total += 1
    return ok, total, len(tasks)


def cases() -> list[tuple[str, Path]]:
    return [
        (d.name, d / f)
        for d in sorted(REAL.iterdir())
        if (d / "expected.yaml").is_file()
        for f in FORMATS
        if (d / f).is_file()
    ]


def _expected(slug: str) -> dict:
    return yaml.safe_load((REAL / slug / "expected.yaml").read_text(encoding="utf-8"))


def report() -> tuple[list[str], int, int]:
    lines, ok_all, total_all = [], 0, 0
    for slug, path in cases():
        ok, total, _ = score(path, _expected(slug))
        ok_all += ok
        total_all += total
        lines.append(f"real-plan {slug}/{path.name}: facts={ok}/{total} ({100 * ok / total:.0f}%)")
    return lines, ok_all, total_all


@pytest.mark.parametrize(
    "slug,path",
    [pytest.param(s, p, id=f"{s}/{p.name}") for s, p in cases()],
)
def test_real_plan_readable(slug: str, path: Path) -> None:
    ok, total, parsed = score(path, _expected(slug))
    print(f"real-plan {slug}/{path.name}: facts={ok}/{total} ({100 * ok / total:.0f}%)")
    assert parsed >= 1, f"{slug}/{path.name}: no task read"


def test_real_plans_overall_score() -> None:
    lines, ok, total = report()
    print("\n".join(lines))
    assert total and ok / total >= THRESHOLD, (
        f"overall {ok}/{total} = {ok / total:.1%} < {THRESHOLD:.0%}"
    )


if __name__ == "__main__":
    lines, ok, total = report()
    print("\n".join(lines))
    print(f"real-plan overall: facts={ok}/{total} ({100 * ok / total:.1f}%)")
