"""Start pays for what is slow the first time, so nobody's first answer does."""

from __future__ import annotations

import gc
import sys

from bot.text import render
from tests.harness import ChatEnv


async def test_start_loads_what_first_answers_need_and_sets_it_aside(env: ChatEnv) -> None:
    # The holiday tables and every template are ready before the first update is handled.
    assert "holidays.countries" in sys.modules
    cache = render.environment().cache
    assert cache is not None and len(cache) >= len(render.environment().list_templates())
    # What start built is out of the collector's sight while the bot runs (no 60 ms pauses)...
    assert gc.get_freeze_count() > 0
    (reply,) = await env.coordinator.say("/status")
    assert "督办总览" in reply["text"]
    # ...and given back at shutdown, so an application started next leaks nothing.
    await env.stop()
    assert gc.get_freeze_count() == 0
