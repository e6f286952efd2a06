"""Getting people in: welcome texts per role, invites and their redemption, the contact list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.features.access import CONTACT_COMMANDS, COORDINATOR_EXTRA, Actor
from bot.text.render import render

if TYPE_CHECKING:
    from bot.services import Services

INVITE_DAYS = 7
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def welcome_text(services: Services, actor: Actor, *, help_: bool = False) -> str:
    """What /start (help_=False) or /help says, by role; strangers learn how to get an invite."""
    units = [services.units.get(u) for u in actor.units]
    return render(
        "welcome.html.j2",
        actor=actor,
        help=help_,
        units=[u.full_name if u else name for u, name in zip(units, actor.units, strict=True)],
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
    unit, result = services.store.redeem_invite(
        code, user_id, name=name, at=services.clock.now(), username=username
    )
    found = services.units.get(unit) if unit else None
    return render(
        "redeem.html.j2",
        result=result,
        unit=unit,
        full_name=found.full_name if found else unit,
        coord=_coord(services),
    )


def _coord(services: Services) -> str:
    return services.units.coordinator.name


def make_invite(
    services: Services, actor: Actor, name: str, bot_username: str, *, private: bool = True
) -> str:
    """An invite link for a unit, or why not (unknown name, a group phrase, a group chat).

    A single-use link is only ever shown in a private chat: in a group anyone could take it.
    """
    if not private:
        return render("invite.html.j2", result="private_only")
    name = name.strip()
    if not name:
        return render("invite.html.j2", result="usage")
    directory = services.units
    unit = directory.get(name)
    if unit is None and directory.is_group(name):
        members = [u.name for u in directory.expand(name)]
        return render("invite.html.j2", result="group", name=name, members=members)
    if unit is None:
        return render(
            "invite.html.j2", result="unknown", name=name, suggestion=directory.suggest(name)
        )
    code = services.store.create_invite(unit.name, at=services.clock.now(), actor=actor.user_id)
    link = f"https://t.me/{bot_username}?start={code}"
    bound = [c["name"] for c in services.store.contacts(unit.name)]
    return render(
        "invite.html.j2", result="ok", unit=unit, link=link, days=INVITE_DAYS, bound=bound
    )


@dataclass(frozen=True)
class BoundContact:
    user_id: int
    name: str
    unit: str
    unit_index: int  # position in the directory: short callback data


def units_overview(services: Services) -> tuple[str, list[BoundContact]]:
    """Units with their bound contacts (for unbind buttons) and the units nobody speaks for."""
    contacts = services.store.contacts()
    office = services.units.coordinator.name
    bound: list[BoundContact] = []
    rows, missing = [], []
    for index, unit in enumerate(services.units.units):
        mine = [c for c in contacts if c["unit"] == unit.name]
        if not mine:
            if unit.name != office:  # the coordinators themselves speak for their office
                missing.append(unit.name)
            continue
        rows.append((unit.name, mine))
        bound += [BoundContact(c["user_id"], c["name"], unit.name, index) for c in mine]
    text = render("units.html.j2", rows=rows, missing=missing, office=office)
    return text, bound


def unit_at(services: Services, index: int) -> str | None:
    units = services.units.units
    return units[index].name if 0 <= index < len(units) else None


def unbind(services: Services, actor: Actor, user_id: int, unit_name: str) -> str:
    """Remove a contact's binding to a unit (recorded in the history)."""
    unit = services.units.get(unit_name)
    name = unit.name if unit else unit_name
    done = services.store.unbind_contact(
        user_id, name, at=services.clock.now(), actor=actor.user_id
    )
    return render("unbind.html.j2", missing=False, done=done, user_id=user_id, unit=name)


def unit_missing_text() -> str:
    """The answer to an unbind button whose unit is no longer in the directory."""
    return render("unbind.html.j2", missing=True)


def render_usage(what: str) -> str:
    """A one-line usage hint for a command's argument form."""
    return render("usage.html.j2", what=what)
