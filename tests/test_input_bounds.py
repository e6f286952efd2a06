"""Bad input is bounded where it is parsed: an answer or a clear refusal, never an exception."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.dates import parse_chinese_date, parse_duration_or_date
from bot.domain.status import parse_status
from bot.features import campaign, chase, extensions, kpis, metrics, snooze, updates
from bot.features.access import Actor, Refusal
from bot.features.evidence import task_in_caption
from bot.features.review import ReviewError
from bot.services import Services
from handlers.common import task_unit_args
from tests.harness import COORDINATOR, START, ChatEnv
from tests.prepared import writer_services

TODAY = START.date()
ALICE = Actor(user_id=2001, name="Alice", is_coordinator=False, units=("区司法局",))

# Words people (and fuzzers) type: numbers of every size and shape, dates, units, junk.
_TOKENS = st.sampled_from(
    [
        "18", "#18", "＃18", "0", "-1", "999999999999", "#999999999999", "1" * 5000, "²", "١٨",
        "60%", "1e309%", "nan%", "inf%", "-5%", "101%", "60.5%", "%", "进行中", "已完成", "受阻",
        "done", "本月无", "3天", "99999999天", "9999-12-31", "2021-13-01", "10000年1月1日",
        "下周一", "7月15日", "取消", "一百万个月", "区司法局", "区发改局", "各镇(街道)", "\x00",
        "<b>", "&amp;", "　", "💥", "1e309", "nan", "-0", "98.5", "240家", "十二万", "二〇二一",
    ]
)  # fmt: skip
WORDS = st.lists(st.one_of(_TOKENS, st.text(max_size=12)), max_size=6)
TEXT = st.one_of(_TOKENS, WORDS.map(" ".join))


@pytest.fixture(scope="module")
def services(seeded_data_dir: Path) -> Iterator[Services]:
    with tempfile.TemporaryDirectory() as tmp:
        coordinators = frozenset({COORDINATOR})
        with writer_services(
            Path(tmp), START, coordinators=coordinators, seeded=seeded_data_dir
        ) as found:
            found.store.people.bind_contact(2001, "区司法局", name="Alice", at=START)
            yield found


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(text=TEXT, days=st.integers(-400, 4000))
def test_dates_are_a_day_or_none(text: str, days: int) -> None:
    today = TODAY + timedelta(days=days)
    for found in (parse_chinese_date(text, today), parse_duration_or_date(text, today)):
        assert found is None or isinstance(found, date)


@FUZZ
@given(text=TEXT)
def test_update_arguments_are_a_form_or_a_refusal(text: str, services: Services) -> None:
    for parse in (
        lambda: updates.parse_update_command(text, services.units),
        lambda: updates.parse_detail(text),
        lambda: updates.parse_percent(text),
        lambda: updates.parse_task_ref(text),
    ):
        try:
            value = parse()
        except Refusal as exc:
            assert exc.text.strip()
            continue
        form = value
        if isinstance(form, updates.UpdateForm):
            assert form.percent is None or 0 <= form.percent <= 100
            assert form.task_id < 10**updates.TASK_NO_DIGITS
    answer = updates.reply_target([(18, "区司法局"), (20, None)], text)
    # None: it names no task of the two, so it is kept and the person asked which
    assert answer is None or (isinstance(answer, tuple) and answer) or answer.text
    if answer is None:
        assert updates.reply_target([(18, "区司法局")], text) is not None
    try:
        form = updates.parse_note(text)
    except Refusal as exc:
        assert exc.text.strip()
    else:
        assert form.percent is None or 0 <= form.percent <= 100
        assert form.stated or form.note == (text.strip() or None)
    parse_status(text)
    task_in_caption(text)


@FUZZ
@given(words=WORDS)
def test_every_command_argument_parser_answers(words: list[str], services: Services) -> None:
    text = " ".join(words)
    try:  # /extend
        ask = extensions.parse_request(text, TODAY)
        assert ask is not None
    except ReviewError:
        pass
    # /snooze, applied for real: an answer in words whatever was typed
    assert snooze.snooze(services.store, 18, "区司法局", text, at=START, actor=2001).strip()
    # /metric KEY VALUE
    assert metrics.report_metric(services, ALICE, words, START).strip()
    # /remind and /status arguments
    found = chase.target(text, services.store, services.units)
    if found.problem is not None:
        assert chase.problem_text(found, text, services.units).strip()
    # /activity, /rectify answers; /evidence, /extend, /snooze's `N [UNIT] rest`
    count = campaign.parse_count(text)
    assert count is None or 0 <= count <= campaign.MAX_COUNT
    day = campaign.activity_day(text, TODAY)
    assert day is None or isinstance(day, date)
    value = kpis.parse_value(text)
    for kpi in kpis.bundled_kpis():
        if value is not None:
            kpis.value_problem(kpi, value)
    task_unit_args(services, words)
    # /invite UNIT, /status UNIT
    services.units.get(text)
    services.units.suggest(text)


# -- the cases the drill found, in conversation ------------------------------------------------
async def test_an_endless_snooze_is_refused(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    for words in ("99999999天", "一百万个月", "10000年1月1日", "2023-01-01"):
        (reply,) = await alice.say(f"/snooze 18 {words}")
        assert "暂停" in reply["text"] or "没有看懂" in reply["text"]
        assert "已暂停" not in reply["text"]
    assert env.store.parts.state(18, "区司法局")["snoozed_until"] is None  # type: ignore[index]
    (reply,) = await alice.say("/snooze 18 2021-12-31")  # the end of the plan period: fine
    assert "已暂停" in reply["text"]


async def test_an_extension_beyond_the_next_year_is_refused(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (reply,) = await alice.say("/extend 18 9999-12-31 因数据未到齐")
    # the latest day is the end of the year after the plan year, and the answer says so
    assert "太晚" in reply["text"] and "计划年度（2021年）的下一年年底" in reply["text"]
    assert "2022年12月31日" in reply["text"] and "超出了计划年度" not in reply["text"]
    assert env.store.table("reviews").all() == []
    (reply,) = await alice.say("/extend 18 2022-12-31 因数据未到齐")
    assert "太晚" not in reply["text"]
    assert len(env.store.table("reviews").all()) == 1


@pytest.mark.parametrize("word", ["1e309%", "nan%", "-5%", "101%", "inf%", "1,000%"])
async def test_a_percentage_that_is_no_number_from_0_to_100_is_refused(
    env: ChatEnv, word: str
) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    before = env.store.history.event_count()
    (reply,) = await alice.say(f"/update 18 进行中 {word}")
    assert "百分比" in reply["text"] and word in reply["text"]
    assert env.store.history.event_count() == before  # not kept as a note either


async def test_a_decimal_percentage_is_rounded(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    (reply,) = await alice.say("/update 18 进行中 60.5%")
    assert "已记录" in reply["text"]
    assert env.store.parts.state(18, "区司法局")["percent"] == 61  # type: ignore[index]


async def test_a_huge_task_number_is_echoed_as_written(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await env.coordinator.say("/start")
    for said in (
        "/task 999999999999",
        "/update 999999999999 进行中",
        "/update #999999999999 进行中 50%",
    ):
        (reply,) = await alice.say(said)
        assert "#999999999999" in reply["text"], said
    (reply,) = await env.coordinator.say("/status 999999999999")
    assert "#999999999999" in reply["text"]
    replies = await alice.send_document(b"%PDF-1.4 test", "a.pdf", caption="#999999999999")
    assert not any("#999999 " in m["text"] or m["text"].endswith("#999999") for m in replies)


COMMANDS = (
    "update", "extend", "snooze", "activity", "rectify", "metric", "remind", "status", "task",
    "invite", "evidence", "mytasks", "overdue", "units", "summary", "review", "help", "cancel",
)  # fmt: skip
NASTY = ("999999999999", "1e309%", "nan", "18 99999999天", "18 9999-12-31 x", "² ²", "<b>x")


async def test_every_command_answers_nasty_arguments_without_an_error(env: ChatEnv) -> None:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")
    await env.coordinator.say("/start")
    for command in COMMANDS:
        for args in NASTY:
            for who in (alice, env.coordinator):
                replies = await who.say(f"/{command} {args}")
                if command in ("activity", "rectify") and replies:
                    await who.say("/cancel")
                assert all("出了问题" not in m.get("text", "") for m in replies), (command, args)
    assert not any("Error" in m.get("text", "") for m in env.inbox(COORDINATOR))
