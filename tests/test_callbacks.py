"""Callback data is a type: every kind round-trips, anything else is refused as None."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram import callbacks as cb

BUTTONS = [
    cb.UpdateTask(18),
    cb.UploadEvidence(3),
    cb.ExtendTask(25),
    cb.MarkDone(1),
    cb.PickStatus(18, "blocked"),
    cb.SkipNote(18),
    cb.Review("ok", 7),
    cb.Review("no", 7),
    cb.Unbind(-1001, 4),
    cb.Page("u12", 2),
    cb.Noop(),
    cb.Choice("act", "f", 0),
    cb.Choice("rf", "u", 3),
    cb.Finish("act"),
    cb.StatusCard(18, "u12", 0),
    cb.StatusCard(4, "ov", 3, 1),
    cb.PlanImport("ok", "a1b2c3d4e5f6"),
    cb.PlanImport.choice("new", "a1b2c3d4e5f6"),
    cb.PlanImport.choice(2, "a1b2c3d4e5f6"),
    cb.PlanAction("close", 2),
    cb.PlanAction("confirm", 1),
]


def test_every_kind_round_trips_within_telegram_limit() -> None:
    for button in BUTTONS:
        data = button.pack()
        assert len(data.encode()) <= 64
        assert cb.parse(data) == button


def test_the_grammar_buttons_already_carry_is_kept() -> None:
    assert cb.UpdateTask(18).pack() == "upd:18"
    assert cb.Review("no", 7).pack() == "rv:no:7"
    assert cb.Choice("act", "c", 1).pack() == "act:c:1"
    assert cb.Finish("rf").pack() == "rf:done"
    assert cb.Noop().pack() == "pg:noop"
    assert cb.StatusCard(18, "u12", 0, 1).pack() == "sc:18:u12:0:1"


def test_an_import_choice_names_the_plan_by_slot() -> None:
    assert cb.PlanImport.choice(2, "t0k").pack() == "imp:s2:t0k"
    assert cb.PlanImport.choice(2, "t0k").into == 2
    assert cb.PlanImport.choice("new", "t0k").into == "new"
    assert cb.PlanImport("ok", "t0k").into == "ok"


def test_a_status_card_stays_within_the_limit_for_any_plan() -> None:
    widest = cb.StatusCard(999_999, "u999999", 999_999, 999_999).pack()
    assert len(widest.encode()) <= 64 and cb.parse(widest) is not None


def test_unknown_or_malformed_data_is_refused() -> None:
    for data in [
        "",
        ":",
        "upd",
        "upd:",
        "upd:x",
        "upd:1:2",
        "st:18:maybe",
        "rv:yes:1",
        "unb::",
        "pg:ov:-1",
        "act:f:-1",
        "sc:18:t4:0:0",  # a card opens from a list view only
        "sc:0:ov:0:0",
        "sc:18:ov:0",
        "sc:18:ov:-1:0",
        "imp:s0:a1b2",  # a choice names a plan's slot
        "imp:sB:a1b2",
        "imp:yes:a1b2",
        "pln:shut:1",
        "pln:close:0",
        "zzz:1",
        "upd:1" + "0" * 70,
        None,
        18,
    ]:
        assert cb.parse(data) is None, data
    assert not cb.matches(cb.Unbind)("")


def test_a_pattern_takes_its_own_kinds_only() -> None:
    only_review = cb.matches(cb.Review)
    assert only_review("rv:ok:3") and not only_review("upd:3")
    assert cb.choices("act", "f")("act:f:2") and not cb.choices("act", "f")("rf:f:2")
    assert cb.finish_of("act")("act:done") and not cb.finish_of("act")("rf:done")


@given(st.text(max_size=80))
def test_any_text_parses_to_a_button_or_none(data: str) -> None:
    button = cb.parse(data)
    assert button is None or cb.parse(button.pack()) == button
