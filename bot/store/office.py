"""The office's own facts (table "meta"): one document of named values, and serial numbers."""

from __future__ import annotations

from typing import Any

from tinydb.table import Document

from bot.store.repository import Repository

META = "meta"


class Office(Repository):
    """Named values kept in the store's one meta document (plan year, serials, …)."""

    tables = (META,)

    def meta(self, key: str, default: Any = None) -> Any:
        doc: dict[str, Any] = dict(self._table(META).get(doc_id=1) or {})
        return doc.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        meta = self._table(META)
        if meta.get(doc_id=1) is None:
            meta.insert(Document({key: value}, doc_id=1))
        else:
            meta.update({key: value}, doc_ids=[1])

    def take_serial(self, series: str, year: int) -> int:
        """The next number of a yearly series (督办单: "slip"): 1, 2, …, never handed out twice.

        Kept in the store's meta, so a restart continues where the last number left off; the
        caller records what the number was used for in the same batch.
        """
        key = f"serial:{series}:{year}"
        number = int(self.meta(key, 0)) + 1
        self.set_meta(key, number)
        return number
