"""The texts of the /activity, /rectify, /metric and /assign dialogues, one macro each per family."""

from __future__ import annotations

from typing import Any

from bot.text.render import render_part


def activity(name: str, /, **context: Any) -> str:
    """A step or answer of /activity (诚信建设万里行, #24)."""
    return render_part("activity.html.j2", name, **context)


def rectify(name: str, /, **context: Any) -> str:
    """A step or answer of /rectify (专项治理, #11 and #25)."""
    return render_part("rectify.html.j2", name, **context)


def metric(name: str, /, **context: Any) -> str:
    """An answer of /metric."""
    return render_part("metric.html.j2", name, **context)


def dialogue(name: str, /, **context: Any) -> str:
    """What the /activity and /rectify dialogues share (unit step, numbers, files, ending)."""
    return render_part("dialogue.html.j2", name, **context)


def assign(name: str, /, **context: Any) -> str:
    """A step or answer of /assign (交办事项)."""
    return render_part("assign.html.j2", name, **context)
