"""The store's deferred writes made durable off the event loop (intake and outbox share it)."""

from __future__ import annotations

import asyncio

from bot.store import Store


async def durable(store: Store) -> None:
    """Wait until every write so far is durable, fsyncing in a worker thread."""
    while store.unsynced():
        await asyncio.get_running_loop().run_in_executor(None, store.sync)


def sync_soon(store: Store) -> None:
    """fsync the store's deferred writes in a worker thread, without waiting for it."""
    if store.unsynced():
        asyncio.get_running_loop().run_in_executor(None, store.sync)
