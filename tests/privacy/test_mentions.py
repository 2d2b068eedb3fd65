"""What the bot writes never pings people: on Matrix no message mentions anyone (`m.mentions`
is empty, "@room" is broken up in the plain and the HTML body), and in Telegram groups an
"@name" echoed from what someone typed stays plain text (the bot's own @name stays a link)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.matrix.text import notice_content
from bot.adapters.telegram.convert import quiet_mentions
from bot.messages import Choice
from tests.fakes.telegram_api import find_entities


def test_a_matrix_notice_mentions_nobody_and_has_no_room_ping() -> None:
    content = notice_content(
        '📣 Announcement: "@room meet at 6" from @Room-lover (@ROOM)',
        (Choice("a", "@room yes"), Choice("b", "No")),
    )
    assert content["m.mentions"] == {}
    for body in (content["body"], content["formatted_body"]):
        assert "@room" not in body.casefold()
        assert "meet at 6" in body and "\u2060" in body
    assert content["body"].splitlines()[-2] == "1. @\u2060room yes"


@given(st.text(alphabet=st.sampled_from(list("@roomROM \n<>&x")), max_size=60))
def test_no_matrix_body_ever_contains_a_room_ping(text: str) -> None:
    content = notice_content(text, (Choice("k", text),))
    assert "@room" not in content["body"].casefold()
    assert "@room" not in content["formatted_body"].casefold()


def test_telegram_group_text_keeps_names_but_not_pings() -> None:
    text = "Session moved by @ana_coord; ask @Cohort_Test_Bot or mail ana@example.org"
    quiet = quiet_mentions(text, keep="cohort_test_bot")
    assert quiet == (
        "Session moved by @\u2060ana_coord; ask @Cohort_Test_Bot or mail ana@example.org"
    )
    # What Telegram's server would turn into entities: only the bot's own name is a mention.
    mentions = [quiet[e.offset : e.offset + e.length] for e in find_entities(quiet)]
    assert [m for m in mentions if m.startswith("@")] == ["@Cohort_Test_Bot"]


@given(st.text(alphabet=st.sampled_from(list("@ab_1 .\n")), max_size=60))
def test_no_telegram_group_text_has_a_mention_left(text: str) -> None:
    quiet = quiet_mentions(text, keep=None)
    assert not [e for e in find_entities(quiet) if e.type == "mention"]
