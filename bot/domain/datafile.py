"""Reading duban's YAML data files (units, policy, calendar) with errors that name the file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path, what: str) -> Any:
    """The parsed file; a ValueError says which file (and line) and what is wrong with it."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValueError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or ''}") from None
    except ValueError as exc:  # PyYAML builds dates itself: `2021-13-01` fails here
        raise ValueError(f"{path}: not a date (YYYY-MM-DD): {exc}") from None


def entries(
    items: list[Any], path: Path, name: str, required: tuple[str, ...]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each item of the list `name` with where it stands (`path: name[i]`), for the errors;
    a ValueError when an item is not a mapping with every `required` key set."""
    for i, item in enumerate(items):
        where = f"{path}: {name}[{i}]"
        if not isinstance(item, Mapping) or not all(item.get(key) for key in required):
            raise ValueError(f"{where}: needs {' and '.join(required)}")
        yield where, item
