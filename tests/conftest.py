"""Shared fixtures."""

from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiServer


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiServer]:
    """A local Bot API server on a free loopback port (flood limits off)."""
    server = BotApiServer(token="123:ABC", bot_username="duban_bot")
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


# The chat fixture (`env`: the real Application against `botapi`) lives in tests/harness.py.
from tests.harness import env, two_plans_env  # noqa: E402, F401
from tests.prepared import seeded_data_dir, two_plans_data_dir  # noqa: E402, F401
