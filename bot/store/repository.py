"""What every repository stands on: the tables it owns, reached through the unit of work.

A repository is the one module that reads and writes its tables; it names them in `tables`
and reaches no other (`_table` refuses). Other aggregates are asked through their repository.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar

from bot.store.journal import JournalTable

T = TypeVar("T")


class UnitOfWork(Protocol):
    """What a repository asks of the store under it (`bot.store.store.Store`)."""

    def table(self, name: str) -> JournalTable: ...

    def batch(self) -> AbstractContextManager[None]: ...

    def insert_once_found(self, table: str, doc: Mapping[str, Any]) -> tuple[int, bool]: ...

    def derived(
        self, name: str, sources: Sources, key: Hashable, compute: Callable[[], T]
    ) -> T: ...


def iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class Repository:
    """One aggregate's tables, read and written only here."""

    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def _table(self, name: str) -> JournalTable:
        if name not in self.tables:
            raise LookupError(f"{type(self).__name__} does not own table {name!r}")
        return self._uow.table(name)

    def _insert_once(self, name: str, doc: Mapping[str, Any]) -> int:
        """Insert a record written while handling an update: once, however often it is handled."""
        return self._found_or_inserted(name, doc)[0]

    def _found_or_inserted(self, name: str, doc: Mapping[str, Any]) -> tuple[int, bool]:
        self._table(name)  # owned here
        return self._uow.insert_once_found(name, doc)


# What a derived value is current with: repositories, or tables named inside bot/store.
Sources: TypeAlias = tuple[Repository | str, ...]
