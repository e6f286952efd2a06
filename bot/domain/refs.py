"""How a task is named in every message and document: its ref, `#18`.

One helper, so that naming tasks differently (a plan code once several plans are active)
changes one place.
"""

from __future__ import annotations


def task_ref(task_id: int) -> str:
    """The ref of a task as users read and type it: 18 → "#18"."""
    return f"#{task_id}"
