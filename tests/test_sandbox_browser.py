"""The sandbox in a real browser: Chromium drives the page against the running bot.

Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it); without it, or when
it cannot start, the tests skip and say why. Set DUBAN_SCREENSHOT=docs/sandbox.png to also save
the README's screenshot (desktop and phone), and DUBAN_SCREENSHOT_DIR=docs for its phone-*.png
(fonts-noto-cjk and fonts-noto-color-emoji make them look as on a phone).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.domain.clock import SHANGHAI
from sandbox.main import Sandbox

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START = datetime(2021, 6, 28, 8, 30, tzinfo=SHANGHAI)  # a Monday, before the 09:00 sweep
WAIT = 15_000  # ms; only reached when something is broken
PHONE = (390, 844)  # CSS px: a common phone's viewport

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
    pytest.mark.timeout(180),
    # The sandbox enforces Telegram's flood limits; PTB warns about RetryAfter's type on each 429.
    pytest.mark.filterwarnings("ignore:.*retry_after.*"),
]
async_api = pytest.importorskip("playwright.async_api", reason="the playwright package is missing")
expect = async_api.expect


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(Settings(data_dir=tmp_path, clock_start=START), web_port=0)
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with async_api.async_playwright() as p:
        try:
            chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except async_api.Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        try:
            yield chromium
        finally:
            await chromium.close()


def bot_says(page: Any, text: str | re.Pattern[str]) -> Any:
    """The bot's messages in the open chat that hold `text`."""
    return page.locator(".msg:not(.mine)").filter(has_text=text)


async def open_sandbox(
    browser: Any, sandbox: Sandbox, width: int, height: int, **options: Any
) -> tuple[Any, list[str]]:
    """A page on the web chat at width×height, once it shows the coordinator, and the list
    its script errors go to."""
    page = await browser.new_page(viewport={"width": width, "height": height}, **options)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(sandbox.url)
    await expect(page.locator("#person")).to_have_value("1001", timeout=WAIT)
    return page, errors


async def send(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def test_a_newcomer_binds_reports_uploads_and_gets_a_reminder(
    sandbox: Sandbox, browser: Any
) -> None:
    page, errors = await open_sandbox(browser, sandbox, 1200, 800, locale="zh-CN")
    # The coordinator is played first: the private chat and the group, and a guide to try.
    await expect(page.locator("#chat-list li")).to_have_count(2)
    await expect(page.locator(".guide .chip", has_text="/review")).to_be_visible()
    # The command menu comes from setMyCommands: the coordinator's has /invite.
    await page.click("#cmd-btn")
    await expect(page.locator("#cmd-menu .cmd-name", has_text="/invite")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#cmd-menu")).to_be_hidden()

    # A new person learns how to get bound, asks the coordinator, and opens the invite link.
    await page.select_option("#person", "new")
    await page.fill("#new-name", "赵科员")
    await page.press("#new-name", "Enter")
    await expect(page.locator("#who-units")).to_contain_text("尚未绑定", timeout=WAIT)
    guide = page.locator(".guide.pinned")
    await expect(guide).to_contain_text("索取邀请链接")
    await guide.locator(".chip", has_text="请协调人邀请我").click()
    await expect(page.locator("#person")).to_have_value("1001", timeout=WAIT)
    await expect(page.locator("#text")).to_have_value("/invite ")
    await page.type("#text", "区商务局")
    await page.press("#text", "Enter")
    link = bot_says(page, "区商务局").locator("a", has_text="start=")
    await expect(link.last).to_be_visible(timeout=WAIT)
    await link.last.click()
    opener = page.locator("#opener")
    await expect(opener).to_be_visible()
    await opener.locator("button", has_text="赵科员").click()
    await expect(page.locator("#person option:checked")).to_contain_text("赵科员", timeout=WAIT)
    await expect(bot_says(page, "已绑定")).to_be_visible(timeout=WAIT)
    await expect(bot_says(page, "已绑定").locator("b")).to_contain_text("区商务局")
    await expect(page.locator(".guide.pinned")).to_have_count(0, timeout=WAIT)
    await page.click("#person")  # the picker now lists them with their unit
    await expect(page.locator("#person option", has_text="赵科员 · 区商务局")).to_have_count(
        1, timeout=WAIT
    )

    # /update records progress.
    await send(page, "/update 20 进行中 30% 已对接仓储企业")
    await expect(bot_says(page, re.compile(r"#20.*30%|30%.*#20", re.S))).to_be_visible(timeout=WAIT)

    # A task card's inline button works, and replying to a message quotes it.
    # /mytasks is one list; its #20 button turns it into the card.
    await send(page, "/mytasks")
    listing = bot_says(page, "的任务").last
    await expect(listing).to_be_visible(timeout=WAIT)
    await listing.locator(".keyboard button", has_text="#20").click()
    card = bot_says(page, "#20").filter(has=page.get_by_role("button", name="标记完成")).last
    await expect(card).to_be_visible(timeout=WAIT)
    await card.locator(".keyboard button", has_text="更新进度").click()
    await expect(page.locator(".keyboard button", has_text="进行中").last).to_be_visible(
        timeout=WAIT
    )
    await page.keyboard.press("Escape")
    # The used card lost its buttons; replying to it quotes it, and the text is a note on #20.
    card = bot_says(page, "角色：").last
    await card.locator("button.reply").click()
    await expect(page.locator("#reply-bar")).to_contain_text("#20")
    await send(page, "仓储企业名单已汇总")
    await expect(page.locator(".msg.mine .quote-reply").last).to_contain_text("#20", timeout=WAIT)
    await expect(bot_says(page, "说明：仓储企业名单已汇总")).to_be_visible(timeout=WAIT)

    # A file with #20 in its caption is evidence for #20.
    await page.set_input_files(
        "#file",
        files=[{"name": "对接记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}],
    )
    await expect(page.locator("#file-bar")).to_contain_text("对接记录.pdf")
    await send(page, "#20 对接记录")
    await expect(page.locator(".msg.mine .file-name", has_text="对接记录.pdf")).to_be_visible(
        timeout=WAIT
    )
    await expect(bot_says(page, "已收到 #20 的佐证材料")).to_be_visible(timeout=WAIT)

    # Moving the clock past 09:00 brings the morning's reminder.
    assert not await bot_says(page, "提醒").count()
    await page.select_option("#clock-speed", "60")
    await page.fill("#clock-at", "2021-06-28 08:59")  # year-month-day, a 24-hour time
    await page.click("#clock-jump")
    await expect(page.locator("#clock-now")).to_contain_text("2021年6月28日", timeout=WAIT)
    chinese_24h = re.compile(r"^2021-06-28 (08:59|09:0\d)$")  # never 06/28/2021, 08:59 AM
    await expect(page.locator("#clock-at")).to_have_value(chinese_24h)
    reminder = bot_says(page, "提醒")
    await expect(reminder.first).to_be_visible(timeout=WAIT)
    await expect(reminder.first).to_contain_text("#20")
    assert sandbox.clock.now() >= datetime(2021, 6, 28, 9, 0, tzinfo=SHANGHAI)
    assert errors == []

    if target := os.environ.get("DUBAN_SCREENSHOT"):
        await _screenshot(browser, sandbox, page, Path(target))


async def test_formatting_is_rendered_safely(sandbox: Sandbox, browser: Any) -> None:
    """Bold, code and links from the bot's HTML become elements; text never becomes markup."""
    page, _ = await open_sandbox(browser, sandbox, 390, 780)
    await page.locator("#chat-list li").first.click()  # on a phone the chat opens on top
    await send(page, '<img src=x onerror="window.pwned=1">')
    await send(page, "/status")
    overview = bot_says(page, "#18")
    await expect(overview.first).to_be_visible(timeout=WAIT)
    assert await overview.first.locator(".text b").count() > 0
    await expect(page.locator(".msg.mine .text").first).to_contain_text(
        '<img src=x onerror="window.pwned=1">'
    )
    assert await page.locator("#messages img").count() == 0
    assert await page.evaluate("window.pwned") is None
    # Every tag of Telegram's HTML shows as Telegram shows it.
    rich = (
        "<b>粗</b> <i>斜</i> <u>下划</u> <s>删除</s> <code>/update 18</code> "
        '<tg-spoiler>剧透</tg-spoiler> <a href="https://example.org/x">链接</a>\n'
        '<pre><code class="language-text">代码块</code></pre><blockquote>引用</blockquote>'
    )
    url = f"{sandbox.server.base_url}{sandbox.server.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        payload = {"chat_id": 1001, "text": rich, "parse_mode": "HTML"}
        async with session.post(url, json=payload) as r:
            assert (await r.json())["ok"]
    shown = bot_says(page, "剧透").locator(".text")
    await expect(shown).to_be_visible(timeout=WAIT)
    for selector, text in [
        ("b", "粗"), ("i", "斜"), ("u", "下划"), ("s", "删除"), ("code", "/update 18"),
        (".spoiler", "剧透"), ("a[href='https://example.org/x']", "链接"),
        ("pre code", "代码块"), ("blockquote", "引用"),
    ]:  # fmt: skip
        await expect(shown.locator(selector).first).to_have_text(text)
    # The group chat is one tap back.
    await page.click("#back")
    await page.locator("#chat-list li", has_text="协调群").click()
    await expect(page.locator("#chat-title")).to_contain_text("协调群")


async def test_the_weekly_summary_and_its_chart_show_in_the_group_on_a_phone(
    sandbox: Sandbox, browser: Any
) -> None:
    """The clock panel's summary button, at 60×: Friday 16:00 brings the summary and its chart."""
    page, errors = await open_sandbox(browser, sandbox, 375, 740, locale="zh-CN")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await expect(page.locator("#clock-hint")).to_contain_text("周五 16:00")
    await page.select_option("#clock-speed", "60")
    await page.click("#clock-summary")
    await expect(page.locator("#clock-now")).to_contain_text("2021年7月2日 周五 15:5", timeout=WAIT)
    await page.locator("#chat-list li", has_text="协调群").click()
    summary = bot_says(page, "专项治理")
    await expect(summary.first).to_be_visible(timeout=WAIT)
    await expect(summary.first).to_contain_text("诚信建设万里行")
    chart = page.locator(".msg:not(.mine) img.photo")
    await expect(chart.first).to_be_visible(timeout=WAIT)
    await expect(chart.first).to_have_js_property("complete", True)
    assert await chart.first.evaluate("img => img.naturalWidth") > 300
    box = await chart.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert box["width"] >= 0.7 * 375  # the portrait chart is legible: most of the phone's width
    assert errors == []


async def test_a_contact_on_a_phone_gets_the_digest_and_turns_the_list_into_a_card_and_back(
    sandbox: Sandbox, browser: Any
) -> None:
    """At 390 px, as 陈老师 (区文明办): the next morning's digest has one #N per task, /mytasks
    one per listed task, a #N edits the list into that card in place and ↩ edits it back; then
    Friday's summary and its chart arrive in the group. With DUBAN_SCREENSHOT_DIR, each step is
    saved as <dir>/phone-{digest,mytasks,card,summary}.png."""
    shots = os.environ.get("DUBAN_SCREENSHOT_DIR")
    page, errors = await open_sandbox(
        browser, sandbox, PHONE[0], PHONE[1], device_scale_factor=2, locale="zh-CN"
    )
    await page.select_option("#person", "2003")
    await expect(page.locator("#person option:checked")).to_contain_text("区文明办")
    await page.select_option("#clock-speed", "60")
    await page.click("#clock-morning")  # Tuesday 08:59: a minute before a sweep with reminders
    await expect(page.locator("#clock-now")).to_contain_text("6月29日", timeout=WAIT)
    await expect(page.locator("#toast")).to_contain_text("一分钟后发出", timeout=WAIT)
    await page.locator("#chat-list li").first.click()
    digest = bot_says(page, "今日任务提醒")
    await expect(digest).to_have_count(1, timeout=WAIT)
    text = await digest.inner_text()
    count = re.search(r"今日任务提醒（(\d+)项）", text)
    tasks = re.findall(r"^#(\d+) ", text, re.M)
    assert count is not None and len(tasks) == int(count[1]) > 1
    refs = [f"#{n}" for n in tasks]  # a card per task, then 签收 for each (none signed yet)
    await expect(digest.locator(".keyboard button")).to_have_text(
        refs + [f"签收 {r}" for r in refs]
    )
    await _fits_the_phone(page)
    if shots:
        await _phone_shot(page, Path(shots) / "phone-digest.png")

    # /mytasks: one message, a #N button per listed task.
    await send(page, "/mytasks")
    listing = bot_says(page, "区文明办的任务")
    await expect(listing).to_have_count(1, timeout=WAIT)
    listed = re.findall(r"^#(\d+) ", await listing.inner_text(), re.M)
    assert "24" in listed
    await expect(listing.locator(".keyboard button")).to_have_text([f"#{n}" for n in listed])
    await _fits_the_phone(page)
    if shots:
        await _phone_shot(page, Path(shots) / "phone-mytasks.png")

    # Its #24 edits that message into the card; ↩ edits it back. No new message either way.
    bot_messages = page.locator(".msg:not(.mine)")
    before = await bot_messages.count()
    await listing.locator(".keyboard button", has_text="#24").click()
    card = bot_says(page, "#24").filter(has=page.get_by_role("button", name="标记完成"))
    await expect(card.locator(".keyboard button")).to_have_text(
        ["更新进度", "上传材料", "申请延期", "标记完成", "时间节点", "↩ 返回列表"], timeout=WAIT
    )
    await expect(card).to_contain_text("进行中 50%")
    await expect(card.locator(".meta")).to_contain_text("已编辑")
    await expect(listing).to_have_count(0)
    assert await bot_messages.count() == before
    await _fits_the_phone(page)
    if shots:
        await _phone_shot(page, Path(shots) / "phone-card.png")
    await card.locator(".keyboard button", has_text="返回列表").click()
    await expect(listing.locator(".keyboard button")).to_have_text(
        [f"#{n}" for n in listed], timeout=WAIT
    )
    await expect(card).to_have_count(0)
    assert await bot_messages.count() == before

    # Friday 16:00: the summary, then its chart, in the group.
    await page.click("#back")
    await page.click("#clock-summary")
    await page.locator("#chat-list li", has_text="协调群").click()
    headline = bot_says(page, "督办周报")
    await expect(headline.first).to_be_visible(timeout=WAIT)
    chart = page.locator(".msg:not(.mine) img.photo")
    await expect(chart).to_have_count(1, timeout=WAIT)
    await expect(chart).to_have_js_property("complete", True)
    await _fits_the_phone(page)
    if shots:
        await _phone_shot(page, Path(shots) / "phone-summary.png", first=headline.first)
    assert errors == []


async def _fits_the_phone(page: Any) -> None:
    """Nothing in the open chat is wider than the screen: no sideways scrolling, no button or
    picture past its edge."""
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    boxes = await page.locator("#messages .bubble, #messages .keyboard button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => [r.left, r.right])"
    )
    assert boxes and all(0 <= left and right <= width for left, right in boxes)


async def _phone_shot(page: Any, target: Path, first: Any = None) -> None:
    """The phone's screen with the chat scrolled to its end; with `first`, that message at the
    top of a second screen put beside it (a long message and what follows it)."""
    from io import BytesIO

    from PIL import Image

    await page.evaluate(
        "document.getElementById('toast').classList.add('hidden');"
        "document.getElementById('messages').scrollTop = 1e9"
    )
    screens = [Image.open(BytesIO(await page.screenshot()))]
    if first is not None:
        await first.evaluate("el => el.scrollIntoView({block: 'start'})")
        screens.insert(0, Image.open(BytesIO(await page.screenshot())))
    gap = 24
    canvas = Image.new(
        "RGB",
        (sum(s.width for s in screens) + gap * (len(screens) - 1), screens[0].height),
        "#c9d3dc",
    )
    for i, screen in enumerate(screens):
        canvas.paste(screen, (i * (screen.width + gap), 0))
    target.parent.mkdir(parents=True, exist_ok=True)
    # 256 colours are plenty for a chat screen and keep the PNG a third of the size.
    palette = canvas.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(target, optimize=True)


async def _screenshot(browser: Any, sandbox: Sandbox, desktop: Any, target: Path) -> None:
    """Desktop and phone side by side, into one PNG."""
    from io import BytesIO

    from PIL import Image

    await desktop.evaluate(
        "document.getElementById('toast').classList.add('hidden');"
        "document.getElementById('messages').scrollTop = 1e9"
    )
    wide = Image.open(BytesIO(await desktop.screenshot()))
    # The phone shows the coordination group once this week's summary and its chart are in.
    phone_page, _ = await open_sandbox(
        browser, sandbox, 390, 800, device_scale_factor=1, locale="zh-CN"
    )
    await phone_page.select_option("#clock-speed", "60")
    await phone_page.click("#clock-summary")
    await phone_page.locator("#chat-list li", has_text="协调群").click()
    chart = phone_page.locator(".msg:not(.mine) img.photo")
    await expect(chart.first).to_be_visible(timeout=WAIT)
    await expect(chart.first).to_have_js_property("complete", True)
    await phone_page.evaluate(
        "document.getElementById('toast').classList.add('hidden');"
        "document.getElementById('messages').scrollTop = 1e9"
    )
    phone = Image.open(BytesIO(await phone_page.screenshot()))
    gap = 24
    canvas = Image.new(
        "RGB",
        (wide.width + phone.width + 3 * gap, max(wide.height, phone.height) + 2 * gap),
        "#c9d3dc",
    )
    canvas.paste(wide, (gap, gap))
    canvas.paste(phone, (wide.width + 2 * gap, gap))
    target.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(target, optimize=True)
