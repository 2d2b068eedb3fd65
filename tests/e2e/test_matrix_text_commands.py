"""Commands in outgoing Matrix text use the "!" prefix (no Synapse needed)."""

from __future__ import annotations

from bot.adapters.matrix.text import matrix_commands, notice_content


def test_commands_get_the_matrix_prefix_but_urls_and_dates_do_not() -> None:
    text = "Send /help or (/join CODE), see https://t.me/bot?start=X and 2026/12/03, «/me»"
    assert matrix_commands(text) == (
        "Send !help or (!join CODE), see https://t.me/bot?start=X and 2026/12/03, «!me»"
    )
    assert matrix_commands("/start") == "!start"
    assert matrix_commands("a/b /c") == "a/b !c"


def test_notices_carry_the_prefix_in_both_bodies() -> None:
    content = notice_content("Use /consent recording no")
    assert content["body"] == "Use !consent recording no"
    assert "!consent" in content["formatted_body"]
