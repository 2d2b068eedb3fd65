"""The dashboard's evaluation report counts safety reports and check-ins, never their contents,
and hides counts of 1 or 2 like every other small cell."""

from __future__ import annotations

from pathlib import Path

from tests.safety.helpers import cohort_with, file_report
from tests.web.helpers import client, served, sign_in, web_bot


async def test_the_report_shows_counts_only(db_url: str, tmp_path: Path) -> None:
    bot = await web_bot(db_url, tmp_path)
    try:
        await cohort_with(bot, "ana", "bo", "chen")
        async with served(bot) as server, client(server) as browser:
            await sign_in(bot, browser, "coord")
            cohort = 1
            page = await (await browser.get(f"/c/{cohort}/report")).text()
            assert "Confidential safety reports received through the bot: 0 (urgent: 0)" in page
            for who in ("ana", "bo", "chen"):
                await file_report(bot, who, f"Secret details from {who}.", "Nobody", "Soon", "2")
            await bot.send("coord", "/safetycheck")
            await bot.send("ana", "I need help")
            page = await (await browser.get(f"/c/{cohort}/report")).text()
            assert "through the bot: 3 (urgent: 0)" in page
            assert "Safety check-ins: 1; answers" in page
            assert "Secret details" not in page
    finally:
        await bot.close()
