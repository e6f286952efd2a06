"""A contact's `#N …` reply in the coordination group: recorded, acknowledged there, at the
group's pace. (With privacy mode on, as bots have by default, a group sends the bot only
commands and replies to it: a plain `#N …` reaches it only where it may read the group.)"""

from __future__ import annotations

from bot.telegram.outbox import GROUP_ACK_RESERVE
from bot.telegram.pacing import GROUP_BURST
from tests.harness import COORDINATOR, ChatEnv

GROUP = -100777


async def test_a_contacts_note_in_the_group_is_recorded_and_answered_there(env: ChatEnv) -> None:
    carol = env.contact("区文明办", 2003, "陈老师")
    env.group(GROUP, "信用办工作群", [carol, env.coordinator])
    (posted,) = await env.coordinator.say("/task 18", chat_id=GROUP)  # about another task
    (ack,) = await carol.reply(posted, "#24 本周进社区宣传一场")
    mine = [m for m in env.api.history(GROUP) if m["from"]["id"] == carol.id][-1]
    assert ack["reply_to_message"]["message_id"] == mine["message_id"]  # where it was written
    assert "已记录 #24 区文明办" in ack["text"] and "\n" not in ack["text"].strip()  # brief
    state = env.store.parts.state(24, "区文明办")
    assert state is not None and state["note"] == "本周进社区宣传一场"
    assert carol.inbox() == []  # nothing in private
    # a reply to the bot in the group with `#N` is recorded too, not sent to the private chat
    (again,) = await carol.reply(ack, "#24 进度50%")
    assert "50%" in again["text"] and "私聊" not in again["text"]
    assert env.store.parts.state(24, "区文明办")["percent"] == 50  # type: ignore[index]
    rows = again["reply_markup"]["inline_keyboard"]
    (undo,) = [b["callback_data"] for row in rows for b in row]
    (undone,) = await carol.press(again, undo)  # 撤销 works in the group too
    assert "已撤销" in undone["text"]
    assert env.store.parts.state(24, "区文明办")["percent"] is None  # type: ignore[index]


async def test_other_group_talk_is_left_alone(env: ChatEnv) -> None:
    carol = env.contact("区文明办", 2003, "陈老师")
    stan = env.person(2009, "Stan")
    env.group(GROUP, "信用办工作群", [carol, stan, env.coordinator])
    (posted,) = await env.coordinator.say("/task 18", chat_id=GROUP)
    before = env.store.history.event_count()
    (told,) = await carol.reply(posted, "收到")  # a reply without `#N`: as before
    assert "私聊" in told["text"]
    await env.coordinator.reply(posted, "#24 请文明办抓紧")  # not the message's task: no note
    replies = await stan.reply(posted, "#24 我也来说两句")  # not bound: explained, no note
    assert "#24" not in "".join(m["text"] for m in replies)
    assert env.store.history.event_count() == before
    (reply,) = await carol.say("/update 24 进行中", chat_id=GROUP)
    assert "私聊" in reply["text"]  # commands stay private


async def test_a_burst_of_notes_is_acknowledged_within_the_groups_pace(env: ChatEnv) -> None:
    carol = env.contact("区文明办", 2003, "陈老师")
    env.group(GROUP, "信用办工作群", [carol, env.coordinator])
    (posted,) = await env.coordinator.say("/task 24", chat_id=GROUP)
    notes = 14
    for i in range(notes):
        await carol.reply(posted, f"#24 第{i + 1}场宣传")
    acks = [m for m in env.inbox(GROUP) if "已记录" in m.get("text", "")]
    # /task's answer and the acknowledgements leave room for the group's real traffic
    assert len(env.inbox(GROUP)) == 1 + len(acks) == GROUP_BURST - GROUP_ACK_RESERVE
    written = [m for m in env.api.history(GROUP) if m["from"]["id"] == carol.id]
    answered = {m["reply_to_message"]["message_id"] for m in acks}
    reacted = [m for m in written if m.get("bot_reaction")]
    assert len(reacted) == notes - len(acks)  # the rest get a 👌, no message
    assert all(m["message_id"] not in answered for m in reacted)
    assert len(env.store.history.events(task=24, unit="区文明办", kinds=["note"])) == notes
    (answer,) = await env.coordinator.say("/task 24", chat_id=GROUP)  # answers still go
    assert answer["text"].startswith("#24 ")
    assert COORDINATOR not in [m["from"]["id"] for m in acks]
