"""Roles within a unit: 联络员 and 分管领导 bound through invites, listed by role, unbound with
a confirmation that names the person and tells them."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.contacts import contact_role
from bot.store import Store
from tests.harness import COORDINATOR, ChatEnv, button_data

LINK = re.compile(r"https://t\.me/duban_bot\?start=([A-Za-z0-9_-]+)")


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


async def invite_code(env: ChatEnv, command: str) -> str:
    found = LINK.search(text(await env.coordinator.say(command)))
    assert found, command
    return found[1]


async def test_leader_invite_binds_a_leader(env: ChatEnv) -> None:
    replies = await env.coordinator.say("/invite 区司法局 分管领导")
    assert "分管领导" in text(replies)
    code = LINK.search(text(replies))
    assert code
    lee = env.person(3001, "李局")
    body = text(await lee.say(f"/start {code[1]}"))
    assert "区司法局" in body and "分管领导" in body and "不接收日常提醒" in body
    (row,) = env.store.people.contacts("区司法局")
    assert row["name"] == "李局" and contact_role(row) == "leader"
    (bind,) = env.store.history.events(unit="区司法局", kinds=["contact.bind"])
    assert bind["role"] == "leader"


async def test_default_role_is_liaison_and_several_of_each(env: ChatEnv) -> None:
    for uid, name, command in (
        (2001, "Alice", "/invite 区司法局"),
        (2002, "Bob", "/invite 区司法局 联络员"),
        (3001, "李局", "/invite 区司法局 分管领导"),
        (3002, "王副局", "/invite 区司法局 分管领导"),
    ):
        code = await invite_code(env, command)
        body = text(await env.person(uid, name).say(f"/start {code}"))
        assert "已绑定" in body
    assert "联络员" in body or "分管领导" in body
    roles = {c["name"]: contact_role(c) for c in env.store.people.contacts("区司法局")}
    assert roles == {"Alice": "liaison", "Bob": "liaison", "李局": "leader", "王副局": "leader"}
    (overview,) = await env.coordinator.say("/units")
    line = next(ln for ln in overview["text"].splitlines() if ln.startswith("• 区司法局"))
    assert "联络员 Alice、Bob" in line and "分管领导 李局、王副局" in line
    assert "2001" not in line  # people by name, not by user id


async def test_unit_with_only_a_leader_is_listed_as_without_liaison(env: ChatEnv) -> None:
    env.store.people.bind_contact(3001, "区财政局", name="李局", at=env.clock.now(), role="leader")
    (overview,) = await env.coordinator.say("/units")
    missing = overview["text"].split("尚无联络人的单位")[1]
    assert "区财政局（仅分管领导 李局）" in missing


async def test_unknown_role_is_refused(env: ChatEnv) -> None:
    body = text(await env.coordinator.say("/invite 区司法局 局长"))
    assert "不认识角色“局长”" in body and "分管领导" in body and "t.me" not in body
    assert not list(env.store.table("invites").raw_docs())


async def test_leader_invite_used_twice(env: ChatEnv) -> None:
    code = await invite_code(env, "/invite 区司法局 分管领导")
    await env.person(3001, "李局").say(f"/start {code}")
    body = text(await env.person(3002, "冒用者").say(f"/start {code}"))
    assert "已经使用过" in body
    assert env.store.people.units_of(3002) == []
    assert [c["name"] for c in env.store.people.contacts("区司法局")] == ["李局"]


async def test_unbind_asks_names_and_tells_the_person(env: ChatEnv) -> None:
    alice = env.contact()
    await alice.say("/mytasks")  # Alice has opened the chat
    await alice.say("#18 初稿已完成")
    (overview,) = await env.coordinator.say("/units")
    data = next(d for d in button_data(overview) if d.startswith("unb:2001:"))
    (question,) = await env.coordinator.press(overview, data)
    assert "Alice" in question["text"] and "区司法局" in question["text"]
    assert "2001" not in question["text"]
    assert env.store.people.units_of(2001) == ["区司法局"]  # nothing yet
    ok = next(d for d in button_data(question) if d.startswith("unbc:ok:"))
    before = len(alice.inbox())
    replies = await env.coordinator.press(question, ok)
    assert "已解除 Alice" in text(replies) and "2001" not in text(replies)
    assert env.store.people.units_of(2001) == []
    told = alice.inbox()[before:]
    assert told and "已解除你与" in told[-1]["text"] and "区司法局" in told[-1]["text"]
    # The unit keeps its history.
    assert env.store.history.events(unit="区司法局", kinds=["note"])
    assert (
        env.store.history.events(unit="区司法局", kinds=["contact.unbind"])[0]["actor"]
        == COORDINATOR
    )


async def test_unbind_cancel_and_replace(env: ChatEnv) -> None:
    env.store.people.bind_contact(3001, "区司法局", name="李局", at=env.clock.now(), role="leader")
    env.person(3001, "李局")
    (overview,) = await env.coordinator.say("/units")
    data = next(d for d in button_data(overview) if d.startswith("unb:3001:"))
    (question,) = await env.coordinator.press(overview, data)
    no = next(d for d in button_data(question) if d.startswith("unbc:no:"))
    assert "已取消" in text(await env.coordinator.press(question, no))
    assert env.store.people.units_of(3001) == ["区司法局"]
    (question,) = await env.coordinator.press(overview, data)
    new = next(d for d in button_data(question) if d.startswith("unbc:new:"))
    replies = await env.coordinator.press(question, new)
    assert env.store.people.units_of(3001) == []
    code = LINK.search(text(replies))
    assert code and "分管领导" in text(replies)  # the new invite keeps the role
    await env.person(3005, "新领导").say(f"/start {code[1]}")
    (row,) = env.store.people.contacts("区司法局")
    assert row["name"] == "新领导" and contact_role(row) == "leader"


async def test_unbind_by_contact_is_refused(env: ChatEnv) -> None:
    alice = env.contact()
    env.store.people.bind_contact(3001, "区司法局", name="李局", at=env.clock.now(), role="leader")
    await alice.say("/mytasks")
    (overview,) = await env.coordinator.say("/units")
    data = next(d for d in button_data(overview) if d.startswith("unb:3001:"))
    (question,) = await env.coordinator.press(overview, data)
    ok = next(d for d in button_data(question) if d.startswith("unbc:ok:"))
    await alice.press(question, ok)
    assert env.store.people.units_of(3001) == ["区司法局"]


def test_old_contact_records_read_as_liaisons(tmp_path: Path) -> None:
    """Contacts stored before roles existed (no `role`) are 联络员: no migration needed."""
    from datetime import datetime

    from bot.domain.clock import SHANGHAI

    store = Store(tmp_path, fsync=False)
    store.table("contacts").insert(
        {
            "user_id": 7,
            "unit": "区司法局",
            "name": "老张",
            "username": None,
            "bound_at": "2021-06-01T09:00:00+08:00",
            "active": True,
        }
    )
    store.table("invites").insert(
        {
            "code": "oldcode",
            "unit": "区财政局",
            "created_by": 1,
            "created_at": "2021-06-01T09:00:00+08:00",
            "expires_at": "2021-06-30T09:00:00+08:00",
            "used_by": None,
            "used_at": None,
        }
    )
    (row,) = store.people.contacts("区司法局")
    assert contact_role(row) == "liaison"
    at = datetime(2021, 6, 21, 10, tzinfo=SHANGHAI)
    assert store.people.redeem_invite("oldcode", 8, name="小李", at=at) == ("区财政局", "ok")
    new = store.people.contact(8, "区财政局")
    assert new is not None and contact_role(new) == "liaison"
    store.close()
