"""The 督办单: `duban slip` and `/slip UNIT` make a numbered Word notice of a unit's open work;
the number is never reused, the contents are recorded, a paper receipt is recorded for the unit."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from docx import Document

from bot.domain.calendar import WorkCalendar
from bot.domain.days import days_late
from bot.store import Store
from bot.telegram.context import OUTBOX
from bot.telegram.courier import sweep
from tests.clirun import Cli, cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.harness import COORDINATOR, ChatEnv, button_data

CLOCK = "2021-07-15T10:00:00+08:00"  # 区司法局's #18 was due 2021-06-30
TODAY = date(2021, 7, 15)


def docx_text(data: bytes) -> tuple[str, list[list[str]]]:
    """All paragraphs of a .docx, and the rows of its tables."""
    doc = Document(BytesIO(data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    rows = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    return paragraphs, rows


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", m.get("caption", "")) for m in replies)


def test_cli_slip_fields_and_numbers(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("slip", "--unit", "区司法局", "--out", "a.docx", DUBAN_CLOCK_START=CLOCK)
    assert code == 0, err
    assert "督办〔2021〕1号" in out
    paragraphs, rows = docx_text((tmp_path / "a.docx").read_bytes())
    assert "督 办 单" in paragraphs and "督办〔2021〕1号" in paragraphs
    assert "区司法局" in paragraphs and "区发展和改革局" in paragraphs  # unit, issuing office
    assert "2021年7月15日" in paragraphs  # the date of issue
    store = Store(tmp_path / "state", read_only=True)
    task18 = store.plan.task(18)
    assert task18 is not None and task18.deadline.due is not None
    row18 = next(r for r in rows if "#18" in r)
    assert task18.title in row18 and "牵头" in row18
    late = days_late(WorkCalendar(), task18.deadline.due, TODAY)
    assert late > 0 and str(late) in row18  # days overdue, in workdays
    # every open part of the unit is listed, nothing else
    open_tasks = {
        s["task"] for s in store.parts.states(unit="区司法局") if s.get("status") != "done"
    }
    listed = {int(r[1].lstrip("#")) for r in rows if r[1].startswith("#")}
    assert listed == open_tasks
    assert any("签收人" in r for r in rows) and any("签收日期" in r for r in rows)
    assert "办理要求" in paragraphs and "回复期限" in paragraphs
    (issued,) = store.history.events(kinds=["slip.issue"])
    assert issued["number"] == "督办〔2021〕1号" and issued["unit"] == "区司法局"
    assert set(issued["tasks"]) == open_tasks and len(issued["lines"]) == len(open_tasks)
    store.close()
    code, out, _ = cli("slip", "--unit", "区司法局", "--task", "#18", DUBAN_CLOCK_START=CLOCK)
    assert code == 0 and "督办〔2021〕2号" in out
    _, rows = docx_text((tmp_path / "督办〔2021〕2号-区司法局.docx").read_bytes())
    assert [r[1] for r in rows if r[1].startswith("#")] == ["#18"]


def test_cli_slip_bad_input_takes_no_number(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("slip", "--unit", "火星局", DUBAN_CLOCK_START=CLOCK)
    assert code == 2 and "不认识单位" in err
    code, _, err = cli("slip", "--unit", "区司法局", "--task", "999", DUBAN_CLOCK_START=CLOCK)
    assert code == 2 and "#999" in err
    code, out, _ = cli("slip", "--unit", "区司法局", DUBAN_CLOCK_START=CLOCK)
    assert code == 0 and "督办〔2021〕1号" in out  # the refusals took no number
    assert [p.name for p in tmp_path.glob("*.docx")] == ["督办〔2021〕1号-区司法局.docx"]


async def test_chat_slip_is_a_word_file_and_numbers_survive_restart(env: ChatEnv) -> None:
    replies = await env.coordinator.say("/slip 区司法局")
    (doc,) = [m for m in replies if "document" in m]
    assert doc["document"]["file_name"] == "督办〔2021〕1号-区司法局.docx"
    assert "督办〔2021〕1号" in doc["caption"]
    paragraphs, rows = docx_text(env.api.file_bytes(doc["document"]["file_id"]))
    assert "督办〔2021〕1号" in paragraphs and any("#18" in r for r in rows)
    (issued,) = env.store.history.events(kinds=["slip.issue"])
    assert issued["actor"] == COORDINATOR
    await env.restart()
    replies = await env.coordinator.say("/slip 区司法局")
    (doc,) = [m for m in replies if "document" in m]
    assert doc["document"]["file_name"].startswith("督办〔2021〕2号")


async def test_slip_for_a_unit_with_nothing_open(env: ChatEnv) -> None:
    for state in env.store.parts.states(unit="区司法局"):
        env.store.parts.update_state(
            state["task"], "区司法局", at=env.clock.now(), actor=COORDINATOR, status="done"
        )
    replies = await env.coordinator.say("/slip 区司法局")
    assert "没有未办结的任务" in text(replies) and not [m for m in replies if "document" in m]
    assert env.store.history.events(kinds=["slip.issue"]) == []
    assert env.store.office.meta("serial:slip:2021") is None  # no number used up


async def test_slip_bad_input(env: ChatEnv) -> None:
    assert "用法" in text(await env.coordinator.say("/slip"))
    assert "一组单位" in text(await env.coordinator.say("/slip 各镇(街道)"))
    assert "不认识单位" in text(await env.coordinator.say("/slip 火星局"))
    alice = env.contact()
    assert "仅供督办人员" in text(await alice.say("/slip 区司法局"))
    assert env.store.history.events(kinds=["slip.issue"]) == []


async def test_paper_receipt_recorded_for_the_unit(env: ChatEnv) -> None:
    await env.coordinator.say("/slip 区司法局")
    replies = await env.coordinator.say("/slip 签收 1 张三")
    assert "已代区司法局登记" in text(replies) and "张三" in text(replies)
    (receipt,) = env.store.history.events(unit="区司法局", kinds=["receipt"])
    assert receipt["number"] == "督办〔2021〕1号" and receipt["on_behalf"] is True
    assert receipt["actor"] == COORDINATOR and receipt["name"] == "张三"
    assert "未重复登记" in text(await env.coordinator.say("/slip 签收 督办〔2021〕1号 李四"))
    assert "没有编号" in text(await env.coordinator.say("/slip 签收 7"))
    assert len(env.store.history.events(kinds=["receipt"])) == 1


async def test_units_without_contacts_get_a_slip_button(env: ChatEnv) -> None:
    assert env.app is not None and env.services is not None
    coordinator = env.coordinator
    await coordinator.say("/start")  # Telegram lets the bot write only after this
    await sweep(env.app.bot_data[OUTBOX], env.services)  # Monday 10:00: the week's first sweep
    note = next(m for m in env.inbox(COORDINATOR) if "尚无可用联系人" in m.get("text", ""))
    data = next(d for d in button_data(note) if d.startswith("slip:"))
    replies = await coordinator.press(note, data)
    (doc,) = [m for m in replies if "document" in m]
    unit = doc["document"]["file_name"].removeprefix("督办〔2021〕1号-").removesuffix(".docx")
    assert unit in note["text"] and not env.store.people.contacts(unit)


async def test_slip_reaches_the_units_liaisons_with_a_sign_button(env: ChatEnv) -> None:
    alice = env.contact()
    bob = env.contact("区财政局", 2002, "Bob")
    env.store.people.bind_contact(3001, "区司法局", name="李局", at=env.clock.now(), role="leader")
    for person in (alice, bob, env.person(3001, "李局")):
        await person.say("/start")
    replies = await env.coordinator.say("/slip 区司法局")
    (doc,) = [m for m in replies if "document" in m]
    assert "联络员（1 人）" in doc["caption"]
    (to_alice,) = [m for m in alice.inbox() if "document" in m]
    assert to_alice["document"]["file_name"] == "督办〔2021〕1号-区司法局.docx"
    assert not [m for m in env.inbox(3001) if "document" in m]  # leaders get no slip to sign
    (data,) = button_data(to_alice)
    assert data == "sgs:2021:1"
    for other in (bob, env.coordinator):
        await other.press(to_alice, data)
        assert other.answer and "未记录" in other.answer["text"]
    assert env.store.history.events(kinds=["receipt"]) == []
    await alice.press(to_alice, data)
    assert alice.answer and "已签收督办单 督办〔2021〕1号" in alice.answer["text"]
    (receipt,) = env.store.history.events(kinds=["receipt"])
    assert receipt["unit"] == "区司法局" and receipt["actor"] == alice.id
    assert receipt["number"] == "督办〔2021〕1号" and not receipt.get("on_behalf")
    await alice.press(to_alice, data)
    assert alice.answer and "未重复登记" in alice.answer["text"]
    assert len(env.store.history.events(kinds=["receipt"])) == 1
