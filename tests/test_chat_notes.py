"""Plain notes that state a status or percentage: recorded as such, with 撤销."""

from __future__ import annotations

import pytest

from bot.features.updates import parse_note
from tests.harness import COORDINATOR, ChatEnv, current


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


@pytest.mark.parametrize(
    ("text", "status", "percent", "note"),
    [
        ("进度80%", None, 80, None),
        ("完成80%", None, 80, None),
        ("完成度：80％ 已走访12家", None, 80, "已走访12家"),
        ("80%", None, 80, None),
        ("已完成 已报送市局", "done", None, "已报送市局"),
        ("已完成", "done", None, None),
        ("进行中60% 征求意见", "doing", 60, "征求意见"),
        ("受阻，等待数据", "blocked", None, "等待数据"),
        ("已完成80%", None, 80, None),  # how far, not finished
        # Not stated: the words are a note and nothing else.
        ("完成了80%的企业走访", None, None, "完成了80%的企业走访"),
        ("80%的企业已走访", None, None, "80%的企业已走访"),
        ("已完成初稿", None, None, "已完成初稿"),
        ("进行中3家企业", None, None, "进行中3家企业"),
        ("今天已完成 初稿", None, None, "今天已完成 初稿"),
        ("完成", None, None, "完成"),
    ],
)
def test_what_a_plain_note_states(
    text: str, status: str | None, percent: int | None, note: str | None
) -> None:
    form = parse_note(text)
    assert (form.status, form.percent, form.note) == (status, percent, note)
    assert form.written == text


async def test_a_stated_percent_is_recorded_and_can_be_undone(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/update 18 进行中 60% 初稿")
    (confirmation,) = await alice.say("#18 进度80%")
    assert "进度：80%" in confirmation["text"] and "撤销" in confirmation["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 80)
    (undo,) = [b for b in buttons(confirmation) if b.startswith("undo:")]
    (answer,) = await alice.press(confirmation, undo)
    assert "已撤销" in answer["text"] and "60%" in answer["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 60)
    assert state["note"] == "进度80%"  # the words stay, as a note
    assert buttons(current(env, confirmation)) == []  # used up


async def test_completed_percent_in_a_reply_is_recorded(env: ChatEnv) -> None:
    alice = env.contact()
    (detail,) = await alice.say("/task 18")
    (confirmation,) = await alice.reply(detail, "完成80%")
    assert "进度：80%" in confirmation["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 80)


async def test_a_lead_stating_done_makes_a_claim_and_undo_withdraws_it(env: ChatEnv) -> None:
    alice = env.contact()
    await env.coordinator.say("/start")
    (confirmation,) = await alice.say("#18 已完成 已报送市局")
    assert "完成申请" in confirmation["text"] and "撤销" in confirmation["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["claim"] == "pending" and state["status"] == "todo"
    assert "#18" in env.inbox(COORDINATOR)[-1]["text"]  # the review notice
    (undo,) = [b for b in buttons(confirmation) if b.startswith("undo:")]
    await alice.press(confirmation, undo)
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["claim"] is None and state["status"] == "todo"
    assert state["note"] == "已完成 已报送市局"


async def test_a_supporter_stating_done_is_done(env: ChatEnv) -> None:
    dora = env.contact("区发改局", 2002, "Dora")
    (confirmation,) = await dora.say("#18 已完成")
    assert "状态：已完成" in confirmation["text"]
    assert env.store.parts.state(18, "区发改局")["status"] == "done"  # type: ignore[index]


async def test_undo_is_refused_once_something_newer_happened(env: ChatEnv) -> None:
    alice = env.contact()
    (confirmation,) = await alice.say("#18 进度50%")
    await alice.say("/update 18 进行中 55%")
    (undo,) = [b for b in buttons(confirmation) if b.startswith("undo:")]
    (answer,) = await alice.press(confirmation, undo)
    assert "新的更新" in answer["text"] and "不能撤销" in answer["text"]
    assert env.store.parts.state(18, "区司法局")["percent"] == 55  # type: ignore[index]


async def test_ambiguous_words_stay_a_note_without_undo(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/update 18 进行中 60%")
    for text in ("#18 完成了80%的企业走访", "#18 已完成初稿"):
        (confirmation,) = await alice.say(text)
        assert "撤销" not in confirmation["text"] and buttons(confirmation) == []
        state = env.store.parts.state(18, "区司法局")
        assert state is not None and (state["status"], state["percent"]) == ("doing", 60)
        assert state["note"] == text.removeprefix("#18 ")


async def test_only_the_writer_may_undo(env: ChatEnv) -> None:
    alice = env.contact()
    (confirmation,) = await alice.say("#18 进度30%")
    (undo,) = [b for b in buttons(confirmation) if b.startswith("undo:")]
    other = env.contact("区司法局", 2009, "Zed")
    await other.press(confirmation, undo)
    assert other.answer is not None and "只有写这条留言的人" in other.answer["text"]
    assert env.store.parts.state(18, "区司法局")["percent"] == 30  # type: ignore[index]
