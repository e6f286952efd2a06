"""The sandbox in a real browser: Chromium drives the page against the running bot.

Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Set
DUBAN_SCREENSHOT=docs/sandbox.png to also save the README's screenshot (desktop and phone).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import SHANGHAI
from bot.config import Settings
from bot.sandbox.main import Sandbox

CHROMIUM = Path("/usr/bin/chromium")
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

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
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
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


def bot_says(page: Any, text: str | re.Pattern[str]) -> Any:
    """The bot's messages in the open chat that hold `text`."""
    return page.locator(".msg:not(.mine)").filter(has_text=text)


async def send(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def test_a_newcomer_binds_reports_uploads_and_gets_a_reminder(
    sandbox: Sandbox, browser: Any
) -> None:
    page = await browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(sandbox.url)

    # The coordinator is played first and makes an invite.
    await expect(page.locator("#person")).to_have_value("1001", timeout=WAIT)
    await expect(page.locator("#chat-list li")).to_have_count(2)
    await send(page, "/invite 区商务局")
    invite = bot_says(page, "邀请链接")
    await expect(invite).to_be_visible(timeout=WAIT)
    code = re.search(r"start=([\w-]+)", await invite.inner_text())
    assert code is not None
    # The command menu comes from setMyCommands: the coordinator's has /invite.
    await page.click("#cmd-btn")
    await expect(page.locator("#cmd-menu .cmd-name", has_text="/invite")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#cmd-menu")).to_be_hidden()

    # A new person binds through the invite.
    await page.select_option("#person", "new")
    await page.fill("#new-name", "赵科员")
    await page.press("#new-name", "Enter")
    await expect(page.locator("#who-units")).to_contain_text("尚未绑定", timeout=WAIT)
    await send(page, f"/start {code[1]}")
    await expect(bot_says(page, "绑定成功")).to_be_visible(timeout=WAIT)
    await expect(bot_says(page, "绑定成功").locator("b")).to_contain_text("区商务局")
    await page.click("#person")  # the picker now lists them with their unit
    await expect(page.locator("#person option", has_text="赵科员 · 区商务局")).to_have_count(
        1, timeout=WAIT
    )

    # /update records progress.
    await send(page, "/update 20 进行中 30% 已对接仓储企业")
    await expect(bot_says(page, re.compile(r"#20.*30%|30%.*#20", re.S))).to_be_visible(timeout=WAIT)

    # A task card's inline button works, and replying to a message quotes it.
    await send(page, "/mytasks")
    card = bot_says(page, "#20").filter(has=page.locator(".keyboard")).last
    await expect(card).to_be_visible(timeout=WAIT)
    await card.locator(".keyboard button", has_text="更新进度").click()
    await expect(page.locator(".keyboard button", has_text="进行中").last).to_be_visible(
        timeout=WAIT
    )
    await page.keyboard.press("Escape")

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
    await page.fill("#clock-at", "2021-06-28T08:59")
    await page.click("#clock-jump")
    await expect(page.locator("#clock-now")).to_contain_text("2021年6月28日", timeout=WAIT)
    reminder = bot_says(page, "提醒")
    await expect(reminder.first).to_be_visible(timeout=WAIT)
    await expect(reminder.first).to_contain_text("#20")
    assert sandbox.clock.now() >= datetime(2021, 6, 28, 9, 0, tzinfo=SHANGHAI)
    assert errors == []

    if target := os.environ.get("DUBAN_SCREENSHOT"):
        await _screenshot(browser, sandbox, page, Path(target))


async def test_formatting_is_rendered_safely(sandbox: Sandbox, browser: Any) -> None:
    """Bold, code and links from the bot's HTML become elements; text never becomes markup."""
    page = await browser.new_page(viewport={"width": 390, "height": 780})
    await page.goto(sandbox.url)
    await expect(page.locator("#person")).to_have_value("1001", timeout=WAIT)
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
    # The group chat is one tap back.
    await page.click("#back")
    await page.locator("#chat-list li", has_text="协调群").click()
    await expect(page.locator("#chat-title")).to_contain_text("协调群")


async def _screenshot(browser: Any, sandbox: Sandbox, desktop: Any, target: Path) -> None:
    """Desktop and phone side by side, into one PNG."""
    from io import BytesIO

    from PIL import Image

    await desktop.evaluate(
        "document.getElementById('toast').classList.add('hidden');"
        "document.getElementById('messages').scrollTop = 1e9"
    )
    wide = Image.open(BytesIO(await desktop.screenshot()))
    phone_page = await browser.new_page(
        viewport={"width": 390, "height": 800}, device_scale_factor=1, locale="zh-CN"
    )
    await phone_page.goto(sandbox.url)
    await phone_page.select_option("#person", "2001")
    await phone_page.locator("#chat-list li").first.click()
    await send(phone_page, "/mytasks")
    card = bot_says(phone_page, "#18").filter(has=phone_page.locator(".keyboard")).last
    await expect(card).to_be_visible(timeout=WAIT)
    await phone_page.wait_for_timeout(500)
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
