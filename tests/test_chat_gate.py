"""Dialogues at the gate: strangers, groups, duplicate deliveries, errors, the token in logs."""

from __future__ import annotations

import logging

import pytest
from telegram import Update

from tests.harness import COORDINATOR, ChatEnv, open_card

GROUP = -100777


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


async def test_stranger_gets_explanation_and_nothing_is_recorded(env: ChatEnv) -> None:
    stan = env.person(2009, "Stan")
    before = env.store.history.event_count()
    for said in ("/mytasks", "/task 18", "/update 18 进行中 50%", "/invite 区司法局", "你好"):
        body = text(await stan.say(said))
        assert "邀请链接" in body and "#18" not in body and "全面推行" not in body
    replies = await stan.send_document(b"%PDF-1.4 x", "a.pdf", caption="#18")
    assert "邀请链接" in text(replies)
    assert env.store.history.event_count() == before
    assert env.store.parts.state(18, "区司法局")["status"] == "todo"  # type: ignore[index]


async def test_stranger_cannot_press_buttons(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    card = await open_card(alice, 18)
    env.store.people.unbind_contact(2001, "区司法局", at=env.clock.now(), actor=COORDINATOR)
    replies = await alice.press(card, "done:18")
    assert replies == [] and alice.answer is not None and "邀请链接" in alice.answer["text"]
    assert env.store.history.events(unit="区司法局", kinds=["status", "claim"]) == []


async def test_group_contacts_are_sent_to_private_chat(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    env.group(GROUP, "信用办工作群", [alice, env.coordinator])
    (reply,) = await alice.say("/update 18 进行中 50%", chat_id=GROUP)
    assert "私聊" in reply["text"]
    assert env.store.history.events(task=18, unit="区司法局") == []
    assert await alice.say("大家好", chat_id=GROUP) == []  # chatter is not for the bot


async def test_group_coordinator_commands_are_answered(env: ChatEnv) -> None:
    env.group(GROUP, "信用办工作群", [env.coordinator])
    (reply,) = await env.coordinator.say("/task 18", chat_id=GROUP)
    assert reply["text"].startswith("#18 ")
    (reply,) = await env.coordinator.say("/update@duban_bot 18 区司法局 进行中", chat_id=GROUP)
    assert "由督办代为更新" in reply["text"]


async def test_invite_links_are_never_shown_in_a_group(env: ChatEnv) -> None:
    env.group(GROUP, "信用办工作群", [env.coordinator])
    (reply,) = await env.coordinator.say("/invite 区司法局", chat_id=GROUP)
    assert "私聊" in reply["text"] and "t.me/" not in reply["text"]
    assert env.store.table("invites").all() == []


async def test_duplicate_update_acts_once(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await alice.say("/update 18 进行中 10%")
    message = env.api.history(2001)[-2]
    assert message["text"] == "/update 18 进行中 10%"
    assert env.app is not None
    again = Update.de_json({"update_id": 4242, "message": message}, env.app.bot)
    for _ in range(2):
        await env.app.update_queue.put(again)
    await env.tracker.wait(("m", 2001, message["message_id"]))
    await env.app.update_queue.join()
    assert len(env.store.history.events(task=18, unit="区司法局", kinds=["status"])) == 2
    assert len([m for m in env.inbox(2001) if "已记录" in m["text"]]) == 2


async def test_edited_message_is_not_acted_on(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    message = await env.api.user_sends_text(2001, "/update 18 进行中 10%")
    await env.tracker.wait(("m", 2001, message["message_id"]))
    assert env.app is not None
    edited = Update.de_json(
        {"update_id": 4343, "edited_message": {**message, "edit_date": message["date"]}},
        env.app.bot,
    )
    await env.app.update_queue.put(edited)
    await env.app.update_queue.join()
    assert len(env.store.history.events(task=18, unit="区司法局", kinds=["status"])) == 1


async def test_error_is_logged_and_coordinators_told(
    env: ChatEnv, caplog: pytest.LogCaptureFixture
) -> None:
    import handlers.tasks

    def broken() -> None:
        raise RuntimeError("boom")

    env.fail_handler(handlers.tasks.task, broken)
    await env.coordinator.say("/start")
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    with caplog.at_level(logging.ERROR):
        (reply,) = await alice.say("/task 18")
    assert "出了问题" in reply["text"] and "Traceback" not in reply["text"]
    assert "boom" not in reply["text"]
    notice = env.inbox(COORDINATOR)[-1]["text"]
    assert "RuntimeError" in notice and "\n" not in notice
    assert "RuntimeError: boom" in caplog.text
    # The bot carries on.
    (reply,) = await alice.say("/update 18 进行中")
    assert "已记录" in reply["text"]


async def test_error_behind_a_button_answers_the_press(env: ChatEnv) -> None:
    import handlers.updates

    def broken() -> None:
        raise RuntimeError("boom")

    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    card = await open_card(alice, 18)
    env.fail_handler(handlers.updates.mark_done, broken)
    (reply,) = await alice.press(card, "done:18")
    assert "出了问题" in reply["text"] and "boom" not in reply["text"]
    assert alice.answer is not None  # the button stops spinning


def test_token_is_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    from bot.telegram.app import install_redaction

    token = "987654:SECRET_token-value"
    install_redaction(token)
    with caplog.at_level(logging.INFO):
        logging.getLogger("httpx").info(
            'HTTP Request: %s %s "HTTP/1.1 200 OK"', "POST", f"http://x/bot{token}/getUpdates"
        )
        try:
            raise ValueError(f"failed url http://x/bot{token}/sendMessage")
        except ValueError:
            logging.getLogger("duban.test").exception("oops")
    assert token not in caplog.text
    assert "<token>" in caplog.text


async def test_a_stranger_in_a_group_is_told_once_a_day(env: ChatEnv) -> None:
    stan, other = env.person(4001, "Stan"), env.person(4002, "Olga")
    env.group(GROUP, "信用办工作群", [stan, other, env.coordinator])
    (first,) = await stan.say("/status", chat_id=GROUP)
    assert "邀请链接" in first["text"] or "督办" in first["text"]
    assert await stan.say("/status", chat_id=GROUP) == []
    assert await stan.say("/mytasks", chat_id=GROUP) == []
    assert len(await other.say("/status", chat_id=GROUP)) == 1  # per person
    env.clock.advance(days=1)
    assert len(await stan.say("/status", chat_id=GROUP)) == 1  # and per day
