"""The durable store: TinyDB on a journalled storage, and the record types it holds."""

from bot.store.store import ImportResult, Store, StoreLocked

__all__ = ["ImportResult", "Store", "StoreLocked"]
