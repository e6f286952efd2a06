"""`#N` at the start of a plain message: the task and the note."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.features.mentions import Mention, leading_task


def test_forms_people_type() -> None:
    assert leading_task("#18 今天完成了初稿") == Mention(18, "今天完成了初稿")
    assert leading_task("＃18：今天完成了初稿") == Mention(18, "今天完成了初稿")
    assert leading_task("#18，已报送") == Mention(18, "已报送")
    assert leading_task("#18今天完成了初稿") == Mention(18, "今天完成了初稿")
    assert leading_task("  #7\n第二行") == Mention(7, "第二行")
    assert leading_task("#18") == Mention(18, "")


def test_not_a_mention() -> None:
    for text in (None, "", "今天完成了 #18", "18 今天", "#", "#abc", "# 十八", "##18"):
        assert leading_task(text) is None, text


@given(st.integers(1, 999_999), st.text(min_size=1).filter(lambda s: s.strip()))
def test_number_and_note_round_trip(task: int, note: str) -> None:
    found = leading_task(f"#{task} {note}")
    assert found is not None and found.task == task
    assert note.strip().endswith(found.rest) and found.rest == found.rest.strip()
    if not note.strip()[0].isdigit() and note.strip()[0] not in ":：,，、.。;；-—":
        assert found.rest == note.strip()
