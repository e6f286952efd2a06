"""Jinja2 rendering of every user-visible text, escaped for Telegram HTML, and splitting."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from bot.domain.contacts import CONTACT_ROLE_LABELS
from bot.domain.status import (
    REPORT_LABELS,
    ROLE_LABELS,
    SHOWN_LABELS,
    UNREACHABLE_LABELS,
    format_day,
    period_label,
)
from bot.plan.refs import task_ref
from bot.store.records import PartStatus

TELEGRAM_LIMIT = 4096
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return f"{value.month}月{value.day}日 {value:%H:%M}"
    return format_day(value)


def _ref(value: int | str) -> str:
    """A task key's ref (`#18`, `#B18`); a ref as a person typed it (a str) is shown as typed."""
    return f"#{value}" if isinstance(value, str) else task_ref(value)


def _short(value: str | None, limit: int = 80) -> str:
    text = (value or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # select_autoescape() ignores .j2 names, so autoescape is forced on: user text never
    # reaches Telegram unescaped, and user text is only ever data, never a template.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # the templates ship with the code: no stat() of a file per render
    )
    env.filters["day"] = _day
    env.filters["short"] = _short
    env.filters["period"] = period_label
    env.filters["status"] = lambda s: SHOWN_LABELS.get(s or PartStatus.TODO, s)
    env.filters["role"] = lambda r: ROLE_LABELS.get(r, r)
    env.filters["report"] = lambda w: REPORT_LABELS.get(w, "报送")
    env.filters["unreachable"] = lambda c: UNREACHABLE_LABELS.get(c, "无法接收消息")
    env.filters["ref"] = _ref
    env.filters["ref_arg"] = lambda v: _ref(v)[1:]  # typed after a command: `/update B18 …`
    # a plan as a heading names it: its code and short title (bot.store.plans.PlanInfo)
    env.filters["plan"] = lambda p: f"{p.code}《{p.short}》"
    env.filters["contact_role"] = lambda r: CONTACT_ROLE_LABELS.get(r or "liaison", r)
    return env


def warm_up() -> int:
    """Compile every template now (at start), not in the first answer that needs one; how many."""
    env = environment()
    names = env.list_templates(extensions=["j2"])
    for name in names:
        env.get_template(name)
    return len(names)


def render(template: str, **context: Any) -> str:
    """Render `bot/templates/<template>` to Telegram HTML."""
    return environment().get_template(template).render(**context).strip()


def render_part(template: str, name: str, /, **context: Any) -> str:
    """Render the macro `name` of `bot/text/templates/<template>`: one text of a family."""
    module = environment().get_template(template).module
    macro = getattr(module, name, None)
    if macro is None:
        raise KeyError(f"{template} has no text {name!r}")
    return str(macro(**context)).strip()


def plain_text(html_text: str) -> str:
    """Rendered HTML as plain text for a callback answer or a caption (at most 200 characters)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))[:200]


def escape(text: str) -> str:
    """Escape user text for Telegram HTML (only &lt; &gt; &amp; &quot; are understood)."""
    return html.escape(text, quote=True).replace("&#x27;", "'")


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split rendered HTML at line boundaries so each part fits Telegram's limit.

    Templates close every tag on the line that opens it, so a line boundary is never mid-tag.
    A single line longer than the limit is cut at a safe place outside tags and entities.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _cut_long_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) > limit and current:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current.strip():
        parts.append(current)
    return parts or [""]


def _cut_long_line(line: str, limit: int) -> Iterable[str]:
    while len(line) > limit:
        cut = limit
        # Never cut inside a tag or an entity.
        lt, gt = line.rfind("<", 0, cut), line.rfind(">", 0, cut)
        if lt > gt:
            cut = lt
        amp, semi = line.rfind("&", 0, cut), line.rfind(";", 0, cut)
        if amp > semi and cut - amp < 10:
            cut = amp
        if cut <= 0:
            cut = limit
        yield line[:cut]
        line = line[cut:]
    yield line
