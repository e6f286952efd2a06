"""The durable store: TinyDB on a journalled storage, one repository per aggregate over one
unit of work (`Store`), and the record types it holds."""

from bot.store.store import ImportResult, Store, StoreLocked

__all__ = ["ImportResult", "Store", "StoreLocked"]
