"""Dialogues: invites, binding, /start and /help per role, /units, command menus."""

from __future__ import annotations

import re

from tests.harness import COORDINATOR, ChatEnv

LINK = re.compile(r"https://t\.me/duban_bot\?start=([A-Za-z0-9_-]+)")


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


async def test_invite_and_bind(env: ChatEnv) -> None:
    replies = await env.coordinator.say("/invite 区市场监管局")
    code = LINK.search(text(replies))
    assert code, text(replies)
    assert "一次" in text(replies) and "7 天" in text(replies)
    alice = env.person(2001, "Alice")
    replies = await alice.say(f"/start {code[1]}")
    # One display name everywhere; the full name once, in brackets, at binding.
    assert "已绑定：区市场监管局（区市场监督管理局）" in text(replies)
    assert env.store.people.units_of(2001) == ["区市场监管局"]
    (bind,) = env.store.history.events(unit="区市场监管局", kinds=["contact.bind"])
    assert bind["actor"] == 2001
    replies = await alice.say("/mytasks")
    assert "区市场监管局" in replies[0]["text"]


async def test_one_display_name_per_unit_after_binding(env: ChatEnv) -> None:
    (invite,) = await env.coordinator.say("/invite 区市场监管局")
    assert "区市场监督管理局" not in invite["text"] and "区市场监管局的邀请链接" in invite["text"]
    alice = env.person(2001, "Alice")
    env.bind(alice, "区市场监管局")
    for command in ("/start", "/help", "/mytasks"):
        (answer,) = await alice.say(command)
        assert "区市场监管局" in answer["text"], command
        assert "区市场监督管理局" not in answer["text"], command


async def test_invite_used_twice(env: ChatEnv) -> None:
    code = env.invite("区司法局")
    await env.person(2001, "Alice").say(f"/start {code}")
    bob = env.person(2002, "Bob")
    replies = await bob.say(f"/start {code}")
    assert "已经使用过" in text(replies)
    assert env.store.people.units_of(2002) == []


async def test_invite_expired(env: ChatEnv) -> None:
    code = env.invite("区司法局")
    env.clock.advance(days=7, minutes=1)
    replies = await env.person(2001, "Alice").say(f"/start {code}")
    assert "过期" in text(replies)
    assert env.store.people.units_of(2001) == []


async def test_unknown_code(env: ChatEnv) -> None:
    replies = await env.person(2001, "Alice").say("/start not-a-real-code")
    assert "邀请码无效" in text(replies)
    replies = await env.person(2002, "Bob").say("/start ../../etc/passwd")
    assert "邀请码无效" in text(replies)


async def test_invite_a_group_is_refused(env: ChatEnv) -> None:
    replies = await env.coordinator.say("/invite 园区")
    body = text(replies)
    assert "一组单位" in body and "t.me" not in body
    assert "宁波石化经济技术开发区" in body


async def test_invite_unknown_unit_and_usage(env: ChatEnv) -> None:
    assert "不认识单位" in text(await env.coordinator.say("/invite 火星局"))
    assert "/invite 区司法局" in text(await env.coordinator.say("/invite"))


async def test_contact_cannot_invite(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    replies = await alice.say("/invite 区司法局")
    assert "仅供督办人员" in text(replies)
    assert not list(env.store.table("invites").raw_docs())


async def test_welcome_and_help_per_role(env: ChatEnv) -> None:
    stranger = env.person(2009, "Stan")
    body = text(await stranger.say("/start"))
    assert "邀请链接" in body and "区发改局" in body and "/mytasks" not in body
    assert "邀请链接" in text(await stranger.say("/help"))
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    body = text(await alice.say("/help"))
    assert "/update" in body and "/invite" not in body and "区司法局" in body
    body = text(await env.coordinator.say("/help"))
    assert "/invite" in body and "/review" in body


async def test_units_lists_and_unbinds(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (overview,) = await env.coordinator.say("/units")
    assert "联络员 Alice" in overview["text"]
    assert "尚无联络人的单位" in overview["text"] and "区财政局" in overview["text"]
    (button,) = overview["reply_markup"]["inline_keyboard"][0]
    (question,) = await env.coordinator.press(overview, button["callback_data"])
    (confirm, _), _ = question["reply_markup"]["inline_keyboard"]
    replies = await env.coordinator.press(question, confirm["callback_data"])
    assert "已解除" in text(replies)
    assert env.store.people.units_of(2001) == []
    assert (
        env.store.history.events(unit="区司法局", kinds=["contact.unbind"])[0]["actor"]
        == COORDINATOR
    )


async def test_units_unbind_command(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    assert "已解除" in text(await env.coordinator.say("/units unbind 2001 区司法局"))
    assert "无需解绑" in text(await env.coordinator.say("/units unbind 2001 区司法局"))
    assert "用法" in text(await env.coordinator.say("/units unbind"))
    env.bind(alice, "区司法局")
    assert "已解除 Alice" in text(await env.coordinator.say("/units unbind Alice 区司法局"))
    # An unbound contact is a stranger again.
    assert "邀请链接" in text(await alice.say("/mytasks"))


async def test_command_menus_per_scope(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    env.coordinator  # noqa: B018  (creates the user)
    contact_menu = {c["command"] for c in env.api.commands_for(2001, 2001)}
    coordinator_menu = {c["command"] for c in env.api.commands_for(COORDINATOR, COORDINATOR)}
    assert {"mytasks", "update", "help"} <= contact_menu and "invite" not in contact_menu
    assert {"mytasks", "invite", "units", "review"} <= coordinator_menu


async def test_coordinator_menu_is_set_again_on_start(env: ChatEnv) -> None:
    # At start-up Telegram refuses a chat's menu until the coordinator has opened the chat.
    env.api.commands.pop(f"chat:{COORDINATOR}", None)
    assert "invite" not in {c["command"] for c in env.api.commands_for(COORDINATOR)}
    await env.coordinator.say("/start")
    assert "invite" in {c["command"] for c in env.api.commands_for(COORDINATOR, COORDINATOR)}
