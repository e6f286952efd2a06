"""The people (tables "contacts" and "invites"): who speaks for which unit, in which role, how
they joined, whether the bot can reach them; and the names coordinators go by."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import cast

from bot.store.history import History
from bot.store.office import Office
from bot.store.records import ContactRole, ContactRow, EventFields, InviteRow, UnreachableCause
from bot.store.repository import Repository, UnitOfWork, iso

CONTACTS = "contacts"
INVITES = "invites"


class People(Repository):
    """Contacts bound to units, invites to bind them, coordinators' names."""

    tables = (CONTACTS, INVITES)

    def __init__(self, uow: UnitOfWork, history: History, office: Office) -> None:
        super().__init__(uow)
        self._history = history
        self._office = office

    # -- coordinators ---------------------------------------------------------------------
    def coordinator_names(self) -> dict[int, str]:
        """The names coordinators go by (their Telegram names, as last seen), by user id."""
        raw = self._office.meta("coordinator_names") or {}
        return {int(uid): str(name) for uid, name in raw.items() if str(uid).lstrip("-").isdigit()}

    def remember_coordinator(self, user_id: int, name: str) -> bool:
        """Keep a coordinator's name for the views and the export; True when it changed."""
        names = dict(self._office.meta("coordinator_names") or {})
        if not name or names.get(str(user_id)) == name:
            return False
        names[str(user_id)] = name
        self._office.set_meta("coordinator_names", names)
        return True

    # -- contacts -------------------------------------------------------------------------
    def contacts(self, unit: str | None = None, *, former: bool = False) -> list[ContactRow]:
        """Bound contacts (of one unit when given); with `former`, those since unbound too."""
        return [
            cast(ContactRow, dict(doc))
            for _, doc in self._table(CONTACTS).raw_docs()
            if (former or doc.get("active", True)) and (unit is None or doc["unit"] == unit)
        ]

    def units_of(self, user_id: int) -> list[str]:
        """The units a user is bound to, in binding order. Every update asks this (who is
        writing?): the index is built once per change of the contacts table, not per call."""
        return list(self._units_by_user().get(user_id, ()))

    def _units_by_user(self) -> dict[int, tuple[str, ...]]:
        def compute() -> dict[int, tuple[str, ...]]:
            units: dict[int, list[str]] = {}
            for _, doc in self._table(CONTACTS).raw_docs():
                if doc.get("active", True):
                    units.setdefault(doc["user_id"], []).append(doc["unit"])
            return {user: tuple(found) for user, found in units.items()}

        return self._uow.derived("units_by_user", (CONTACTS,), None, compute)

    def bind_contact(
        self,
        user_id: int,
        unit: str,
        *,
        name: str,
        at: datetime,
        username: str | None = None,
        via: str | None = None,
        role: ContactRole = "liaison",
    ) -> None:
        table = self._table(CONTACTS)
        for doc_id, doc in table.raw_docs():
            if doc["user_id"] == user_id and doc["unit"] == unit:
                table.update(
                    {"active": True, "name": name, "reachable": True, "role": role},
                    doc_ids=[doc_id],
                )
                break
        else:
            contact: ContactRow = {
                "user_id": user_id,
                "unit": unit,
                "name": name,
                "username": username,
                "bound_at": iso(at),
                "active": True,
                "reachable": True,
                "role": role,
            }
            table.insert(contact)
        self._history.record(
            "contact.bind", at=at, actor=user_id, unit=unit, name=name, invite=via, role=role
        )

    def contact(self, user_id: int, unit: str) -> ContactRow | None:
        """The user's active binding to a unit, if any."""
        return next((c for c in self.contacts(unit) if c["user_id"] == user_id), None)

    def unbind_contact(self, user_id: int, unit: str, *, at: datetime, actor: int) -> bool:
        table = self._table(CONTACTS)
        for doc_id, doc in table.raw_docs():
            if doc["user_id"] == user_id and doc["unit"] == unit and doc.get("active", True):
                table.update({"active": False}, doc_ids=[doc_id])
                self._history.record(
                    "contact.unbind", at=at, actor=actor, unit=unit, user_id=user_id
                )
                return True
        return False

    def set_reachable(
        self,
        user_id: int,
        reachable: bool,
        *,
        at: datetime,
        cause: UnreachableCause | None = None,
    ) -> bool:
        """Mark a contact (un)reachable, recording why (`cause`) when known; True when this
        changed anything."""
        table = self._table(CONTACTS)
        ids = [
            i
            for i, d in table.raw_docs()
            if d["user_id"] == user_id and d.get("reachable", True) != reachable
        ]
        if ids:
            table.update({"reachable": reachable}, doc_ids=ids)
            fields: EventFields = {"user_id": user_id, "reachable": reachable}
            if cause:
                fields["cause"] = cause
            self._history.record("contact.reachable", at=at, actor=None, **fields)
        return bool(ids)

    # -- invites --------------------------------------------------------------------------
    def create_invite(
        self,
        unit: str,
        *,
        at: datetime,
        actor: int,
        ttl: timedelta = timedelta(days=7),
        role: ContactRole = "liaison",
    ) -> str:
        code = secrets.token_urlsafe(12)
        invite: InviteRow = {
            "code": code,
            "unit": unit,
            "created_by": actor,
            "created_at": iso(at),
            "expires_at": iso(at + ttl),
            "used_by": None,
            "used_at": None,
            "role": role,
        }
        self._table(INVITES).insert(invite)
        self._history.record("invite.create", at=at, actor=actor, unit=unit, role=role)
        return code

    def redeem_invite(
        self, code: str, user_id: int, *, name: str, at: datetime, username: str | None = None
    ) -> tuple[str | None, str]:
        """Bind the user through an invite: (unit, "ok") or (None, "unknown"|"used"|"expired")."""
        table = self._table(INVITES)
        for doc_id, doc in table.raw_docs():
            if not secrets.compare_digest(doc["code"], code):
                continue
            if doc["used_by"] is not None:
                return None, "used"
            if iso(at) >= doc["expires_at"]:
                return None, "expired"
            table.update({"used_by": user_id, "used_at": iso(at)}, doc_ids=[doc_id])
            self.bind_contact(
                user_id,
                doc["unit"],
                name=name,
                at=at,
                username=username,
                via=code[:4],
                role=doc.get("role") or "liaison",
            )
            return doc["unit"], "ok"
        return None, "unknown"
