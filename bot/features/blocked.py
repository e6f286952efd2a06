"""受阻: a unit says its part is blocked; the coordinators are told at once and may answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features import pending

if TYPE_CHECKING:
    from bot.services import Services

ANSWER_LIMIT = 2000


def unit_index(services: Services, unit: str) -> int | None:
    """The unit's place in the directory (what the 答复单位 button carries)."""
    for i, u in enumerate(services.units.units):
        if u.name == unit:
            return i
    return None


def unit_at(services: Services, index: int) -> str | None:
    units = services.units.units
    return units[index].name if 0 <= index < len(units) else None


def expect_answer(
    services: Services, user_id: int, task_id: int, unit: str, chat: int | None, message: int | None
) -> None:
    """After 答复单位: the coordinator's next text is the answer to the unit."""
    pending.expect(
        services.store,
        user_id,
        "text",
        "answer_blocked",
        now=services.clock.now(),
        task=task_id,
        unit=unit,
        chat=chat,
        message=message,
    )


def record_answer(services: Services, user_id: int, task_id: int, unit: str, text: str) -> None:
    services.store.history.record(
        "blocked.answer",
        at=services.clock.now(),
        actor=user_id,
        task=task_id,
        unit=unit,
        note=text,
    )
