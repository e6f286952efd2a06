"""The coordinator's /status pages as one message: `#N` opens the task's card in it, ↩ goes back."""

from __future__ import annotations

from typing import Any

from bot.plan.model import Plan
from bot.reports import views
from tests.harness import ChatEnv, current
from tests.prepared import at

Message = dict[str, Any]


def buttons(message: Message) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


def rows(message: Message) -> list[list[str]]:
    return [
        [b["callback_data"] for b in row]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
    ]


def task_buttons(message: Message) -> list[str]:
    return [b for b in buttons(message) if b.startswith("sc:")]


def listed(text: str) -> list[int]:
    """The tasks a /status UNIT or /overdue page lists, in order (`🔴 #18 …` or `• #18 …`)."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) > 1 and words[1].startswith("#") and words[1][1:].isdigit():
            out.append(int(words[1][1:]))
    return list(dict.fromkeys(out))


def index_of(env: ChatEnv, unit: str) -> int:
    assert env.services is not None
    return next(i for i, u in enumerate(env.services.units.units) if u.name == unit)


def refs(env: ChatEnv, message: Message) -> list[tuple[int, str | None]]:
    return env.store.deliveries.message_refs(message["chat"]["id"], message["message_id"])


async def test_a_unit_page_has_a_button_per_task_that_opens_its_card_and_back(
    env: ChatEnv,
) -> None:
    boss = env.coordinator
    u = index_of(env, "区司法局")
    (page,) = await boss.say("/status 区司法局")
    tasks = listed(page["text"])
    assert 18 in tasks and len(tasks) <= 8  # one page, one row
    assert buttons(page) == [f"sc:{t}:u{u}:0:0" for t in tasks]
    assert refs(env, page) == [(t, "区司法局") for t in tasks]
    new = await boss.press(page, f"sc:18:u{u}:0:0")
    assert new == [] and boss.answer is not None and not boss.answer["text"]
    card = current(env, page)  # the same message, now task 18's card as /status 18 shows it
    assert card["message_id"] == page["message_id"]
    (status18,) = await boss.say("/status 18")
    assert card["text"] == status18["text"] and "各单位进展" in card["text"]
    assert buttons(card) == [f"pg:u{u}:0"]  # ↩ back to the page
    # A reply to the card is about #18 alone (a coordinator then names the unit).
    assert refs(env, card) == [(18, None)]
    (ask,) = await boss.reply(card, "请加快进度")
    assert "#18" in ask["text"] and "区司法局" in ask["text"]
    assert env.store.history.events(task=18, kinds=["note"]) == []
    await boss.press(card, f"pg:u{u}:0")
    back = current(env, page)
    assert back["text"] == page["text"] and buttons(back) == buttons(page)
    assert refs(env, back) == [(t, "区司法局") for t in tasks]


async def test_a_reply_naming_a_task_on_a_unit_page_is_a_note_for_that_unit(env: ChatEnv) -> None:
    boss = env.coordinator
    (page,) = await boss.say("/status 区司法局")
    (ask,) = await boss.reply(page, "请加快进度")  # several tasks: which one?
    assert "#18" in ask["text"] and env.store.history.events(task=18, kinds=["note"]) == []
    (done,) = await boss.reply(page, "#18 已电话督促")
    assert "#18" in done["text"] and "区司法局" in done["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and state["note"] == "已电话督促"


async def test_a_second_page_has_its_own_buttons_and_the_card_goes_back_to_it(
    env: ChatEnv,
) -> None:
    boss = env.coordinator
    u = index_of(env, "区发改局")  # 19 parts: pages of 15
    (page,) = await boss.say("/status 区发改局")
    first = listed(page["text"])
    assert len(first) == 15 and "第 1/2 页" in page["text"]
    assert [len(r) for r in rows(page)] == [8, 7, 2]  # #N in compact rows, then 1/2 ▶
    assert rows(page)[-1] == ["pg:noop", f"pg:u{u}:1"]
    await boss.press(page, f"pg:u{u}:1")
    second = current(env, page)
    later = listed(second["text"])
    assert len(later) == 4 and not set(later) & set(first)
    assert task_buttons(second) == [f"sc:{t}:u{u}:1:0" for t in later]
    await boss.press(second, f"sc:{later[0]}:u{u}:1:0")
    card = current(env, page)
    assert f"#{later[0]} " in card["text"] and buttons(card)[-1] == f"pg:u{u}:1"
    await boss.press(card, f"pg:u{u}:1")
    assert current(env, page)["text"] == second["text"]


async def test_a_card_with_many_units_pages_them_and_keeps_the_way_back(env: ChatEnv) -> None:
    boss = env.coordinator
    unit = next(s["unit"] for s in env.store.parts.states(task=4))
    u = index_of(env, unit)
    (page,) = await boss.say(f"/status {unit}")
    await boss.press(page, f"sc:4:u{u}:0:0")
    card = current(env, page)
    assert "第 1/2 页" in card["text"]
    assert rows(card) == [["pg:noop", f"sc:4:u{u}:0:1"], [f"pg:u{u}:0"]]
    await boss.press(card, f"sc:4:u{u}:0:1")
    more = current(env, page)
    assert "第 2/2 页" in more["text"]
    assert rows(more) == [[f"sc:4:u{u}:0:0", "pg:noop"], [f"pg:u{u}:0"]]
    await boss.press(more, f"pg:u{u}:0")
    assert current(env, page)["text"] == page["text"]


async def test_overdue_pages_carry_task_buttons_too(env: ChatEnv) -> None:
    env.clock.set(at("2021-07-05 10:00"))
    boss = env.coordinator
    (page,) = await boss.say("/overdue")
    tasks = listed(page["text"])
    assert tasks and task_buttons(page) == [f"sc:{t}:ov:0:0" for t in tasks]
    assert buttons(page)[-1] == "pg:ov:1"
    await boss.press(page, f"sc:{tasks[0]}:ov:0:0")
    card = current(env, page)
    assert f"#{tasks[0]} " in card["text"] and buttons(card)[-1] == "pg:ov:0"
    await boss.press(card, "pg:ov:0")
    assert current(env, page)["text"] == page["text"]


async def test_status_of_one_task_is_about_that_task(env: ChatEnv) -> None:
    boss = env.coordinator
    (task,) = await boss.say("/status 4")
    assert task_buttons(task) == [] and refs(env, task) == [(4, None)]
    await boss.press(task, "pg:t4:1")
    assert refs(env, current(env, task)) == [(4, None)]


async def test_a_press_by_someone_else_in_a_group_is_a_toast_and_changes_nothing(
    env: ChatEnv,
) -> None:
    boss, alice = env.coordinator, env.contact()
    env.group(-100777, "督办工作群", [boss, alice])
    u = index_of(env, "区发改局")
    (page,) = await boss.say("/status 区发改局", chat_id=-100777)
    first, before = listed(page["text"])[0], refs(env, page)
    for data in (f"sc:{first}:u{u}:0:0", f"pg:u{u}:1", "pg:noop"):
        assert await alice.press(page, data) == []
        assert alice.answer is not None and alice.answer["text"]
        assert not alice.answer["show_alert"]
    assert current(env, page)["text"] == page["text"] and refs(env, page) == before
    await boss.press(page, f"sc:{first}:u{u}:0:0")  # the coordinator may, in the group too
    assert "各单位进展" in current(env, page)["text"]


async def test_a_former_coordinator_gets_a_toast(env: ChatEnv) -> None:
    boss = env.coordinator
    u = index_of(env, "区发改局")
    (page,) = await boss.say("/status 区发改局")
    first = listed(page["text"])[0]
    env.bind(boss, "区司法局")  # still a contact, no longer a coordinator
    env.extra_env["DUBAN_COORDINATORS"] = "1999"
    await env.restart()
    before = refs(env, page)
    for data in (f"sc:{first}:u{u}:0:0", f"pg:u{u}:1"):
        await boss.press(page, data)
        assert boss.answer is not None and not boss.answer["show_alert"]
    assert boss.answer is not None and "督办" in (boss.answer["text"] or "")
    assert current(env, page)["text"] == page["text"] and refs(env, page) == before


async def test_a_task_gone_from_the_plan_is_a_toast(env: ChatEnv) -> None:
    boss = env.coordinator
    u = index_of(env, "区司法局")
    (page,) = await boss.say("/status 区司法局")
    before = refs(env, page)
    remaining = [t for t in env.store.plan.tasks() if t.id != 18]
    env.store.plan.import_plan(Plan(tasks=remaining, year=2021), at=env.clock.now())
    assert await boss.press(page, f"sc:18:u{u}:0:0") == []
    assert boss.answer is not None and "#18" in (boss.answer["text"] or "")
    assert not boss.answer["show_alert"]
    assert current(env, page)["text"] == page["text"] and refs(env, page) == before


async def test_a_message_that_can_no_longer_be_edited_is_a_toast(
    env: ChatEnv, monkeypatch: Any
) -> None:
    boss = env.coordinator
    u = index_of(env, "区司法局")
    (page,) = await boss.say("/status 区司法局")
    before = refs(env, page)
    env.api.chats[boss.id].deleted.add(page["message_id"])  # deleted on the phone
    monkeypatch.setattr(env.api, "_lookup", lambda message, chat_id: message)  # pressed anyway
    await boss.press(page, f"sc:18:u{u}:0:0")
    assert boss.answer is not None and "过期" in (boss.answer["text"] or "")
    assert not boss.answer["show_alert"] and refs(env, page) == before


async def test_the_overview_opens_a_group_then_a_card_and_back(env: ChatEnv) -> None:
    boss = env.coordinator
    (overview,) = await boss.say("/status")
    assert "督办总览" in overview["text"]
    groups = buttons(overview)
    assert groups == [f"pg:g{n}:0" for n in range(1, 10)]  # one button per group of the plan
    labels = [b["text"] for row in overview["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[2] == "三、规范构建联合奖…" and max(len(r) for r in rows(overview)) == 2
    assert await boss.press(overview, "pg:g3:0") == []
    group = current(env, overview)  # the same message, now group 三 with its tasks
    assert group["message_id"] == overview["message_id"]
    assert "三、规范构建联合奖惩机制" in group["text"]
    tasks = listed(group["text"])
    assert tasks == [10, 11, 12] and "\n牵头：" in group["text"]
    # One line per task, in the overview and the group alike (a header never runs into one).
    for text in (overview["text"], group["text"]):
        lines = text.splitlines()
        assert all(any(line.startswith(f"🟢 #{t} ") for line in lines) for t in tasks)
    assert task_buttons(group) == [f"sc:{t}:g3:0:0" for t in tasks]
    assert buttons(group)[-1] == "pg:st:0"  # ↩ 返回总览
    assert refs(env, group) == [(t, None) for t in tasks]
    await boss.press(group, "sc:11:g3:0:0")
    card = current(env, overview)
    (status11,) = await boss.say("/status 11")
    assert card["text"] == status11["text"] and buttons(card) == ["pg:g3:0"]
    await boss.press(card, "pg:g3:0")
    assert current(env, overview)["text"] == group["text"]
    await boss.press(group, "pg:st:0")
    back = current(env, overview)
    assert back["text"] == overview["text"] and buttons(back) == groups


async def test_an_overview_too_long_for_one_message_lists_groups_only(env: ChatEnv) -> None:
    assert env.services is not None
    day = env.clock.now().date()
    full = views.overview(env.services, day)
    compact = views.overview(env.services, day, compact=True)
    assert "#10" in full and "#10" not in compact and "三、规范构建联合奖惩机制" in compact
    assert views.overview_page(env.services, day).text == full
    env.services.message_limit = len(compact) + 1  # a plan too long to list
    page = views.overview_page(env.services, day)
    assert page.text == compact and len(page.groups) == 9
    (reply,) = await env.coordinator.say("/status")  # still one message with its group buttons
    assert "#10" not in reply["text"] and "三、规范构建联合奖惩机制" in reply["text"]
    assert buttons(reply)[0] == "pg:g1:0"
