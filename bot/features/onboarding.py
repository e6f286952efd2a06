"""Getting people in: welcome texts per role, invites and their redemption, the contact list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.contacts import (
    CONTACT_ROLE_LABELS,
    CONTACT_ROLES,
    LIAISON,
    contact_role,
    parse_contact_role,
)
from bot.features.access import CONTACT_COMMANDS, COORDINATOR_EXTRA, Actor
from bot.store.records import ContactRole, ContactRow
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services

INVITE_DAYS = 7
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def welcome_text(services: Services, actor: Actor, *, help_: bool = False) -> str:
    """What /start (help_=False) or /help says, by role; strangers learn how to get an invite."""
    return render(
        "welcome.html.j2",
        actor=actor,
        help=help_,
        units=actor.units,  # the one display name; the full name is shown once, at binding
        coordinator_unit=services.units.coordinator.name,
        contact_commands=CONTACT_COMMANDS,
        coordinator_commands=COORDINATOR_EXTRA,
    )


def redeem(services: Services, user_id: int, name: str, code: str, username: str | None) -> str:
    """Bind the user through an invite code; the reply names the unit (or says what went wrong)."""
    if not _CODE.match(code):
        return render(
            "redeem.html.j2", result="unknown", unit=None, full_name=None, coord=_coord(services)
        )
    unit, result = services.store.people.redeem_invite(
        code, user_id, name=name, at=services.clock.now(), username=username
    )
    found = services.units.get(unit) if unit else None
    bound = services.store.people.contact(user_id, unit) if unit else None
    return render(
        "redeem.html.j2",
        result=result,
        unit=unit,
        full_name=found.full_name if found else unit,
        coord=_coord(services),
        role=contact_role(bound) if bound else LIAISON,
        leader_after=services.policy.overdue.leader_after_workdays,
    )


def _coord(services: Services) -> str:
    return services.units.coordinator.name


def invite_target(services: Services, words: list[str]) -> tuple[str, ContactRole | None]:
    """`/invite UNIT [ROLE]`'s words → (the unit as written, its role; None: an unknown role).

    A last word that is no role but follows a unit name is an unknown role; a unit name
    written with spaces still reads as a name.
    """
    if len(words) < 2:
        return " ".join(words), LIAISON
    role = parse_contact_role(words[-1])
    if role is not None:
        return " ".join(words[:-1]), role
    whole = " ".join(words)
    if services.units.get(whole) is not None or services.units.is_group(whole):
        return whole, LIAISON
    return " ".join(words[:-1]), None


def make_invite(
    services: Services,
    actor: Actor,
    name: str,
    bot_username: str,
    *,
    private: bool = True,
    role: ContactRole | None = LIAISON,
    role_word: str = "",
) -> str:
    """An invite link for a unit and role, or why not (unknown name or role, a group phrase,
    a group chat).

    A single-use link is only ever shown in a private chat: in a group anyone could take it.
    """
    if not private:
        return render("invite.html.j2", result="private_only")
    name = name.strip()
    if not name:
        return render("invite.html.j2", result="usage")
    if role is None:
        labels = [CONTACT_ROLE_LABELS[r] for r in CONTACT_ROLES]
        return render("invite.html.j2", result="unknown_role", word=role_word, roles=labels)
    directory = services.units
    unit = directory.get(name)
    if unit is None and directory.is_group(name):
        members = [u.name for u in directory.expand(name)]
        return render("invite.html.j2", result="group", name=name, members=members)
    if unit is None:
        return render(
            "invite.html.j2", result="unknown", name=name, suggestion=directory.suggest(name)
        )
    code = services.store.people.create_invite(
        unit.name, at=services.clock.now(), actor=actor.user_id, role=role
    )
    link = f"https://t.me/{bot_username}?start={code}"
    return render(
        "invite.html.j2",
        result="ok",
        unit=unit,
        role=role,
        link=link,
        days=INVITE_DAYS,
        bound=_by_role(services.store.people.contacts(unit.name)),
    )


def _by_role(contacts: list[ContactRow]) -> list[tuple[str, list[ContactRow]]]:
    """A unit's contacts grouped by role, liaisons first: [(role, contacts)], empty roles left out."""
    groups = [(role, [c for c in contacts if contact_role(c) == role]) for role in CONTACT_ROLES]
    return [(role, people) for role, people in groups if people]


@dataclass(frozen=True)
class BoundContact:
    user_id: int
    name: str
    unit: str
    unit_index: int  # position in the directory: short callback data
    role: ContactRole = LIAISON


def units_overview(services: Services) -> tuple[str, list[BoundContact]]:
    """Units with their bound contacts by role (for the 解绑/更换 buttons) and the units nobody
    speaks for (a unit with only a 分管领导 gets no daily reminders: it is listed there too)."""
    contacts = services.store.people.contacts()
    office = services.units.coordinator.name
    bound: list[BoundContact] = []
    rows, missing = [], []
    for index, unit in enumerate(services.units.units):
        mine = [c for c in contacts if c["unit"] == unit.name]
        roles = _by_role(mine)
        # the coordinators themselves speak for their office
        if unit.name != office and not any(role == LIAISON for role, _ in roles):
            missing.append((unit.name, [c["name"] for c in mine]))
        if not mine:
            continue
        rows.append((unit.name, roles))
        bound += [
            BoundContact(c["user_id"], c["name"], unit.name, index, contact_role(c))
            for _, people in roles
            for c in people
        ]
    return render("units.html.j2", rows=rows, missing=missing, office=office), bound


def unit_at(services: Services, index: int) -> str | None:
    units = services.units.units
    return units[index].name if 0 <= index < len(units) else None


@dataclass(frozen=True)
class Unbinding:
    """What removing a binding did: the answer to the coordinator, and the note to the person
    removed (None when nothing was removed)."""

    text: str
    note: str | None
    user_id: int
    unit: str
    role: ContactRole


def ask_unbind(services: Services, user_id: int, unit_name: str) -> str | None:
    """The confirmation question for removing a binding, naming the person; None when the
    person is no longer bound to the unit."""
    contact = services.store.people.contact(user_id, unit_name)
    if contact is None:
        return None
    return render(
        "unbind.html.j2",
        step="ask",
        name=contact["name"],
        unit=unit_name,
        role=contact_role(contact),
    )


def unbind(services: Services, actor: Actor, user_id: int, unit_name: str) -> Unbinding:
    """Remove a contact's binding to a unit (recorded in the history; the unit's own history
    stays with the unit), and what to tell the person removed."""
    unit = services.units.get(unit_name)
    name = unit.name if unit else unit_name
    contact = services.store.people.contact(user_id, name)
    role = contact_role(contact) if contact else LIAISON
    person = contact["name"] if contact else str(user_id)
    done = services.store.people.unbind_contact(
        user_id, name, at=services.clock.now(), actor=actor.user_id
    )
    text = render("unbind.html.j2", step="done", done=done, name=person, unit=name, role=role)
    note = None
    if done:
        note = render("unbind.html.j2", step="told", unit=name, role=role, coord=_coord(services))
    return Unbinding(text, note, user_id, name, role)


def contact_named(services: Services, who: str, unit_name: str) -> int | None:
    """`/units unbind WHO UNIT`: the user id WHO names among the unit's contacts (a user id,
    or a name bound to the unit once); None when it names nobody there."""
    unit = services.units.get(unit_name)
    people = services.store.people.contacts(unit.name if unit else unit_name)
    if who.lstrip("-").isdecimal():
        return int(who) if any(c["user_id"] == int(who) for c in people) else None
    named = [c["user_id"] for c in people if c["name"] == who]
    return named[0] if len(named) == 1 else None


def unbind_cancelled_text() -> str:
    """The answer to 取消 under an unbind confirmation."""
    return render("unbind.html.j2", step="cancelled")


def unit_missing_text() -> str:
    """The answer to an unbind button whose unit is no longer in the directory."""
    return render("unbind.html.j2", step="missing")


def not_bound_text(who: str = "", unit: str = "") -> str:
    """The answer to an unbind for someone not (or no longer) bound to the unit."""
    return render("unbind.html.j2", step="gone", who=who, unit=unit)


def render_usage(what: str) -> str:
    """A one-line usage hint for a command's argument form."""
    return render("usage.html.j2", what=what)
