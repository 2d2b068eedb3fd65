"""Headless Chromium for the dashboard's browser tests: Debian's `chromium` and `chromium-driver`
packages (scripts/test installs them), driven by Selenium pointed at those binaries, never a
downloaded browser. Selenium is synchronous: every call runs in a worker thread, so the bot's
event loop (which serves the pages) keeps running meanwhile."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("COHORTBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("COHORTBOT_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
# Where screenshots are copied besides the test's own folder (e.g. for the README's picture).
SHOTS_ENV = "COHORTBOT_TEST_SCREENSHOTS"


def require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"headless Chromium not installed ({', '.join(missing)} missing): "
            "apt-get install chromium chromium-driver (scripts/test does it)"
        )


def _copy(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, folder / path.name)


class Browser:
    def __init__(self, driver: Any, base: str, shots: Path) -> None:
        self.driver = driver
        self.base = base
        self.shots = shots

    async def get(self, path: str) -> None:
        await asyncio.to_thread(self.driver.get, self.base + path)

    async def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        element = await asyncio.to_thread(self.driver.find_element, By.CSS_SELECTOR, css)
        await asyncio.to_thread(element.click)

    async def wait_for(self, css: str, seconds: float = 20.0) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        wait = WebDriverWait(self.driver, seconds)
        await asyncio.to_thread(
            wait.until, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    async def sign_in(self, path: str) -> None:
        """Open a login link and press its button; returns once the cohorts page is shown."""
        await self.get(path)
        await self.click("button.primary")
        await self.wait_for("header.top .who")

    async def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        found: list[Any] = await asyncio.to_thread(self.driver.find_elements, By.CSS_SELECTOR, css)
        return found

    async def text(self) -> str:
        body = (await self.find_all("body"))[0]
        value: str = await asyncio.to_thread(lambda: body.text)
        return value

    async def attribute(self, css: str, name: str) -> str | None:
        element = (await self.find_all(css))[0]
        value: str | None = await asyncio.to_thread(element.get_attribute, name)
        return value

    async def css(self, css: str, prop: str) -> str:
        element = (await self.find_all(css))[0]
        value: str = await asyncio.to_thread(element.value_of_css_property, prop)
        return value

    async def script(self, source: str) -> Any:
        """Runs `source` (a function body that returns a value) in the page."""
        return await asyncio.to_thread(self.driver.execute_script, source)

    async def screenshot(self, name: str) -> Path:
        # The whole page: grow the window to the document's height first.
        height = await asyncio.to_thread(
            self.driver.execute_script, "return document.documentElement.scrollHeight"
        )
        await asyncio.to_thread(self.driver.set_window_size, 1280, max(int(height), 600))
        path = self.shots / f"{name}.png"
        await asyncio.to_thread(self.driver.save_screenshot, str(path))
        extra = os.environ.get(SHOTS_ENV)
        if extra:
            await asyncio.to_thread(_copy, path, Path(extra))
        await asyncio.to_thread(self.driver.set_window_size, 1280, 900)
        return path

    @property
    def url(self) -> str:
        value: str = self.driver.current_url
        return value


@asynccontextmanager
async def chromium(base: str, shots: Path, lang: str = "en") -> AsyncIterator[Browser]:
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        f"--lang={lang}",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
    ):
        options.add_argument(arg)
    # What the browser asks pages for (Accept-Language): the language of pages for visitors
    # who are not signed in.
    options.add_experimental_option("prefs", {"intl.accept_languages": lang.replace("_", "-")})
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = await asyncio.to_thread(webdriver.Chrome, options=options, service=service)
    try:
        yield Browser(driver, base, shots)
    finally:
        await asyncio.to_thread(driver.quit)
