"""The roles a bound person has within a unit: 联络员 (liaison, the default) and 分管领导 (leader).

A liaison gets the unit's daily reminders; a leader gets none, only the unit's work overdue
long enough (the `leader` tier of the reminder planner) and a weekly note on the unit's
standing. Contact records written before roles existed have no `role`: they are liaisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from bot.store.records import ContactRole

CONTACT_ROLES: tuple[ContactRole, ...] = get_args(ContactRole)
LIAISON: ContactRole = "liaison"
LEADER: ContactRole = "leader"
CONTACT_ROLE_LABELS: dict[ContactRole, str] = {"liaison": "联络员", "leader": "分管领导"}
_ROLE_WORDS: dict[str, ContactRole] = {
    **{CONTACT_ROLE_LABELS[role]: role for role in CONTACT_ROLES},
    **{role: role for role in CONTACT_ROLES},
    "联系人": LIAISON,
    "联络人": LIAISON,
    "领导": LEADER,
}


def parse_contact_role(word: str) -> ContactRole | None:
    """`分管领导` / `leader` → "leader"; None for a word that names no role."""
    cleaned = word.strip()
    return _ROLE_WORDS.get(cleaned) or _ROLE_WORDS.get(cleaned.lower())


def contact_role(contact: Mapping[str, Any]) -> ContactRole:
    """A contact record's role: records without one (written before roles) are liaisons."""
    return LEADER if contact.get("role") == LEADER else LIAISON
