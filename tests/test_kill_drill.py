"""The kill drill, small: SIGKILLs of a real `duban run` inside bursts lose and double nothing."""

from __future__ import annotations

from bench.kill import drill


async def test_sigkills_inside_bursts_lose_nothing_and_apply_nothing_twice() -> None:
    result = await drill(trials=5, contacts=3, burst=4, seed=5)
    assert result.kills == 5 and len(result.sent) == 60
    assert result.lost == [] and result.unanswered == []
    assert result.doubled == []
    assert result.store_failures == 0
