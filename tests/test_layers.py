"""The architecture, checked: each folder imports only the layers below it (see the README).

    bot/plan  <  bot/store  <  bot/domain  <  bot/text  <  bot/features  <  bot/reports
              <  bot/telegram, handlers, schedules  <  bot/cli, sandbox

Only bot/telegram/ imports `telegram` under bot/, and handlers/ and schedules/ never import each
other. A handler module imports no other handler: only handlers.common, handlers.groups and the
dialogue engine (what several handlers send lives below them, in bot/telegram). No module
imports itself back through others (no cycles, inside a folder or across). Every import counts,
lazy ones inside functions and TYPE_CHECKING ones too.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The rank of each layer: a module may import its own layer and the layers of lower rank.
RANKS = {
    "bot": 0,  # bot/__init__.py: the data folder's path
    "bot.plan": 1,  # the plan's model and its readers
    "bot.store": 2,
    "bot.domain": 3,
    "bot.config": 3,
    "bot.services": 4,  # what the features are given: settings, clock, store, units, calendar
    "bot.text": 4,
    "bot.features": 5,
    "bot.reports": 6,
    "bot.telegram": 7,  # app.py is the composition root: it registers handlers and schedules
    "handlers": 7,
    "schedules": 7,
    "bot.cli": 8,
    "bot.__main__": 8,
    "sandbox": 8,
}
OURS = ("bot", "handlers", "schedules", "sandbox")
# What a handler module may import of handlers/: the shared helpers, the handler groups, and the
# dialogue engine (steps, and the step-by-step reports built on it). handlers/__init__.py
# registers every module, so it imports them all.
HANDLER_BASE = ("handlers.common", "handlers.groups", "handlers.steps", "handlers.steps_report")


def layer(module: str) -> str:
    """The layer of a dotted module name: its first two parts under bot/, else its first."""
    parts = module.split(".")
    if parts[0] == "bot" and len(parts) > 1:
        return f"bot.{parts[1]}"
    return parts[0]


def modules() -> Iterator[tuple[str, Path]]:
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(p for p in rel.parts if p != "__init__")
            yield name, path


def imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute import of `path` (dotted name, line), wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            if node.module == "bot":  # `from bot import DATA` is bot/__init__; a package is its own
                for alias in node.names:
                    if f"bot.{alias.name}" in RANKS:
                        yield f"bot.{alias.name}", node.lineno


MODULES = list(modules())
NAMES = {name for name, _ in MODULES}


def module_imports(path: Path) -> Iterator[tuple[str, int]]:
    """The modules of ours that `path` imports (dotted name, line): `from bot.reports import
    summary` is bot.reports.summary, `from bot.features.access import Actor` bot.features.access."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in NAMES else node.module
                for a in node.names
            ]
        else:
            continue
        yield from ((t, node.lineno) for t in dict.fromkeys(targets) if t in NAMES)


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (a, b, …, a) through each module that imports itself back through others."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target in path:
                found.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    return found


def test_every_module_has_a_layer() -> None:
    assert {layer(name) for name, _ in MODULES} <= set(RANKS)


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_imports_run_downwards(name: str, path: Path) -> None:
    here = layer(name)
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target} ({layer(target)} is above {here})"
        for target, line in imports(path)
        if target.split(".")[0] in OURS and RANKS[layer(target)] > RANKS[here]
    ]
    assert wrong == []


def test_only_the_telegram_edge_imports_telegram() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for name, path in MODULES
        if name.startswith("bot.") and layer(name) != "bot.telegram"
        for target, line in imports(path)
        if target.split(".")[0] == "telegram"
    ]
    assert wrong == []


def test_handlers_and_schedules_do_not_import_each_other() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in MODULES
        if layer(name) in ("handlers", "schedules")
        for target, line in imports(path)
        if {layer(name), layer(target)} == {"handlers", "schedules"}
    ]
    assert wrong == []


def test_handlers_do_not_import_each_other() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in MODULES
        if layer(name) == "handlers" and name != "handlers"
        for target, line in module_imports(path)
        if layer(target) == "handlers" and target not in HANDLER_BASE
    ]
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = {name: {t for t, _ in module_imports(path) if t != name} for name, path in MODULES}
    assert [" -> ".join(cycle) for cycle in cycles(graph)] == []


def test_the_cycle_checker_sees_a_cycle(tmp_path: Path) -> None:
    """A summary importing the scorecard that imports the summary back (lazily) is caught."""
    summary, scorecard = tmp_path / "summary.py", tmp_path / "scorecard.py"
    summary.write_text("from bot.reports import scorecard\n", encoding="utf-8")
    scorecard.write_text("def f():\n    from bot.reports.summary import x\n", encoding="utf-8")
    graph = {
        "bot.reports.summary": {t for t, _ in module_imports(summary)},
        "bot.reports.scorecard": {t for t, _ in module_imports(scorecard)},
    }
    assert graph == {
        "bot.reports.summary": {"bot.reports.scorecard"},
        "bot.reports.scorecard": {"bot.reports.summary"},
    }
    assert cycles(graph) == [
        ["bot.reports.scorecard", "bot.reports.summary", "bot.reports.scorecard"]
    ]


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rules above can fail: a store module importing a feature is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from bot.features import review\n", encoding="utf-8")
    ((target, line),) = imports(bad)
    assert (target, line) == ("bot.features", 2)
    assert RANKS[layer(target)] > RANKS[layer("bot.store.store")]


# -- rooms: each table has one owning repository -----------------------------------------------
STORE_DIR = ROOT / "bot" / "store"
# What names a table or reads raw documents: only bot/store may call these.
TABLE_CALLS = frozenset({"table", "raw_docs", "_read_table", "insert_once", "insert_once_found"})


def _calls(path: Path, names: frozenset[str]) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in names:
                yield node.func.attr, node.lineno


def test_only_the_store_names_tables_or_reads_raw_documents() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} calls .{attr}()"
        for name, path in MODULES
        if layer(name) != "bot.store"
        for attr, line in _calls(path, TABLE_CALLS)
    ]
    assert wrong == []


def test_repositories_reach_tables_only_through_their_own() -> None:
    """In bot/store only the unit of work and the repository base open a table by name; a
    repository goes through `_table`, which refuses a table it does not own."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} calls .{attr}()"
        for path in sorted(STORE_DIR.glob("*.py"))
        if path.name not in ("store.py", "repository.py", "journal.py", "backup.py")
        for attr, line in _calls(path, frozenset({"table", "insert_once", "insert_once_found"}))
    ]
    assert wrong == []


def test_each_table_has_exactly_one_repository(tmp_path: Path) -> None:
    from bot.store import Store
    from bot.store.repository import Repository

    sample = ROOT / "tests" / "samples" / "store-0230038" / "duban.json"
    written = set(json.loads(sample.read_text(encoding="utf-8"))["tables"])
    store = Store(tmp_path)
    try:
        repositories = store.repositories()
        owners: dict[str, list[str]] = {}
        for repo in repositories:
            for table in repo.tables:
                owners.setdefault(table, []).append(type(repo).__name__)
        assert {t: o for t, o in owners.items() if len(o) != 1} == {}
        assert written <= set(owners)  # every table a real store holds has its owner
        with pytest.raises(LookupError):
            Repository._table(store.plan, "states")  # the plan's repository owns "tasks" only
    finally:
        store.close()
