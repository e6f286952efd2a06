"""Regressions found by playing through real sessions: each test is one problem a user met."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from bot.features import kpis
from bot.reports.report import export_report
from bot.services import Services
from tests.clirun import Cli, cli_fixture  # noqa: F401
from tests.harness import COORDINATOR, SUMMARY_CHAT, ChatEnv, open_card
from tests.prepared import at, services_fixture

services = services_fixture("2021-06-21 10:00")
GROUP = -100777
STICKER = {
    "file_id": "s1",
    "file_unique_id": "s1u",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "type": "regular",
}


def text(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


# -- coordinator ---------------------------------------------------------------------------------
async def test_summary_preview_asked_in_a_group_before_any_private_chat(env: ChatEnv) -> None:
    env.group(GROUP, "信用办工作群", [env.coordinator])
    (reply,) = await env.coordinator.say("/summary preview", chat_id=GROUP)
    assert "私聊" in reply["text"] and "出了问题" not in reply["text"]
    assert env.inbox(COORDINATOR) == []


async def test_summary_with_a_mistyped_argument_posts_nothing(env: ChatEnv) -> None:
    boss = env.coordinator
    env.group(SUMMARY_CHAT, "督办工作群", [boss])
    (reply,) = await boss.say("/summary preveiw")
    assert "/summary preview" in reply["text"]
    assert env.inbox(SUMMARY_CHAT) == []
    assert env.store.history.events(kinds=["summary.posted"]) == []


async def test_a_failed_summary_is_not_recorded_as_posted(env: ChatEnv) -> None:
    (reply,) = await env.coordinator.say("/summary")  # the summary chat does not exist
    assert "失败" in reply["text"]
    assert env.store.history.events(kinds=["summary.posted"]) == []


async def test_status_of_a_group_names_its_members(env: ChatEnv) -> None:
    (reply,) = await env.coordinator.say("/status 各镇(街道)")
    assert "一组单位" in reply["text"] and "招宝山街道" in reply["text"]


async def test_remind_that_reaches_nobody_does_not_claim_it_was_sent(env: ChatEnv) -> None:
    (reply,) = await env.coordinator.say("/remind 18")  # no unit of #18 has a contact
    assert "没有发出催办" in reply["text"] and "已发出" not in reply["text"]


async def test_invite_does_not_repeat_a_name_that_is_its_own_full_name(env: ChatEnv) -> None:
    (reply,) = await env.coordinator.say("/invite 司法局")
    assert "区司法局（区司法局）" not in reply["text"] and "区司法局的邀请链接" in reply["text"]
    code = reply["text"].split("start=")[1].split()[0]
    (bound,) = await env.person(2001, "Alice").say(f"/start {code}")
    assert "区司法局（区司法局）" not in bound["text"] and "区司法局" in bound["text"]


# -- task history and views speak Chinese ----------------------------------------------------------
async def test_task_history_names_snoozes_metrics_and_hides_reminders(env: ChatEnv) -> None:
    alice = env.contact()
    fin = env.contact("区金融发展服务中心", 2005, "Fin")
    await alice.say("/start")
    await alice.say("/snooze 18 3天")
    await env.coordinator.say("/remind 区司法局")
    await fin.say("/metric listed_loan_share 25%")
    (detail,) = await alice.say("/task 18")
    assert "暂停提醒至 2021年6月24日（周四）" in detail["text"]
    for word in ("snooze", "reminder", "remind"):
        assert word not in detail["text"]
    (detail,) = await fin.say("/task 21")
    assert "报送指标：推荐名单内获贷企业占比 25%" in detail["text"]
    assert "metric" not in detail["text"]
    (status,) = await env.coordinator.say("/status 21")
    assert "推荐名单内获贷企业占比 25%" in status["text"]
    assert "listed_loan_share" not in status["text"] and "25.0" not in status["text"]


async def test_task_detail_lists_units_in_the_plans_order(env: ChatEnv) -> None:
    (detail,) = await env.contact("招宝山街道", 2003, "Tom").say("/task 20")
    lines = [line for line in detail["text"].splitlines() if line.startswith("• ")]
    names = [line[2:].split("（")[0] for line in lines]
    assert names[:3] == ["区商务局", "区建设交通局", "招宝山街道"]
    assert names[-1] == "九龙湖镇"


# -- a contact's words -------------------------------------------------------------------------------
async def test_update_with_a_percentage_only_or_before_the_status(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("/update 18 60%")
    assert "进度：60%" in reply["text"] and "不认识" not in reply["text"]
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("doing", 60)
    (reply,) = await alice.say("/update 18 70% 受阻 等数据")
    state = env.store.parts.state(18, "区司法局")
    assert state is not None and (state["status"], state["percent"]) == ("blocked", 70)
    assert state["note"] == "等数据"


async def test_a_negative_percentage_is_refused_not_kept_as_a_note(env: ChatEnv) -> None:
    alice = env.contact()
    for said in ("/update 18 进行中 -5%", "/update 18 -5%"):
        (reply,) = await alice.say(said)
        assert "0% 到 100%" in reply["text"], said
    assert env.store.history.events(task=18, unit="区司法局") == []


async def test_refusals_about_another_units_task_do_not_talk_of_updating(env: ChatEnv) -> None:
    alice = env.contact()
    for said in ("/evidence 17", "/snooze 17 3天", "/extend 17 7月15日 等数据"):
        (reply,) = await alice.say(said)
        assert "不是 #17 的责任单位" in reply["text"] and "更新" not in reply["text"], said
    replies = await alice.send_document(b"%PDF-1.4", "表.pdf", caption="#17")
    assert "不是 #17 的责任单位" in replies[-1]["text"] and "更新" not in replies[-1]["text"]


async def test_mytasks_counts_open_tasks_without_calling_them_in_progress(env: ChatEnv) -> None:
    intro, *_ = await env.contact().say("/mytasks")
    assert "未完成 8 项" in intro["text"] and "进行中" not in intro["text"]


async def test_extension_of_an_ongoing_task_is_refused(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("/extend 16 7月15日 持续推进")
    assert "持续推进" in reply["text"] and "无需申请延期" in reply["text"]
    card = await open_card(alice, 16)
    (reply,) = await alice.press(card, "ext:16")
    assert "无需申请延期" in reply["text"]
    assert env.store.history.events(task=16, kinds=["extension.request"]) == []


async def test_plain_text_is_not_called_a_reply(env: ChatEnv) -> None:
    alice = env.contact()
    (reply,) = await alice.say("你好")
    assert "回复" not in reply["text"].split("。")[0] and "/update" in reply["text"]
    (card_help,) = await alice.say("/help")
    (reply,) = await alice.reply(card_help, "这是什么")
    assert "无法确定这条回复" in reply["text"]


async def test_a_sticker_or_location_gets_an_answer_and_records_nothing(env: ChatEnv) -> None:
    alice = env.contact()
    before = env.store.history.event_count()
    for kind, media in (("sticker", STICKER), ("location", {"latitude": 29.9, "longitude": 121.7})):
        (reply,) = await alice.send_media(kind, media)
        assert "/update" in reply["text"] and "#编号" in reply["text"], kind
    assert env.store.history.event_count() == before


async def test_metric_values_that_cannot_be(env: ChatEnv) -> None:
    fin = env.contact("区金融发展服务中心", 2005, "Fin")
    answers = {
        "/metric 入驻企业数 -5": "不能为负数",
        "/metric listed_loan_share 150%": "不能超过 100%",
        "/metric xyd_firms 12.5": "整数",
    }
    for said, expected in answers.items():
        (reply,) = await fin.say(said)
        assert expected in reply["text"] and "未记录" in reply["text"], said
    assert kpis.metric_records(env.store) == []
    (reply,) = await fin.say("/metric listed_loan_share 25 %")
    assert "已记录" in reply["text"] and "25%" in reply["text"]


# -- export and command line ---------------------------------------------------------------------
def test_a_note_typed_as_a_formula_stays_text_in_the_export(
    services: Services, tmp_path: Path
) -> None:
    note = '=HYPERLINK("http://example.com","点我")'
    services.store.parts.update_state(
        18, "区司法局", at=at("2021-06-21 09:00"), actor=2001, status="doing", note=note
    )
    out = export_report(services, tmp_path / "r.xlsx")
    cells = [c for ws in load_workbook(out) for row in ws.iter_rows() for c in row]
    found = [c for c in cells if c.value == note]
    assert found and all(c.data_type == "s" for c in found)
    assert not any(c.data_type == "f" for c in cells)


def test_preview_names_why_escalations_go_nowhere(cli: Cli) -> None:  # noqa: F811
    code, out, _ = cli("preview", "reminders", "--date", "2021-06-07")
    assert code == 0
    assert "escalation(s): neither DUBAN_COORDINATORS nor DUBAN_SUMMARY_CHAT_ID" in out
    assert "招宝山街道" not in out  # the towns of #20 are not "without a bound contact" here
