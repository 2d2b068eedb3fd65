"""The world strip's rows: one per time zone and quiet hours, in offset order, labelled with the
zone's time and who (short enough for the name column), everyone named on hover, and names
escaped wherever they are drawn."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import update

from bot.i18n import FSI, PDI, Catalogs
from storage.models import Identity
from tests.web.conftest import World
from tests.web.helpers import client, sign_in
from web.pages.strip import LABEL_EM, StripMember, row_label, strip_rows, text_em
from web.svg import StripRow, world_strip

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
NIGHT = (time(22), time(7))
LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs(LANGUAGES)


def _members() -> list[StripMember]:
    """40 people: 20 in Paris, 15 in Tokyo, 3 in São Paulo, 2 who have not set a zone."""
    people = [StripMember(f"p{i:02d}", "Europe/Paris", NIGHT) for i in range(20)]
    people += [StripMember(f"t{i:02d}", "Asia/Tokyo", NIGHT) for i in range(15)]
    people += [StripMember(n, "America/Sao_Paulo", NIGHT) for n in ("cy", "ana", "bo")]
    people += [StripMember("zed", None, NIGHT), StripMember("yan", None, None)]
    return people


def test_one_row_per_zone_in_offset_order(catalogs: Catalogs) -> None:
    rows = strip_rows(catalogs.translator("en"), _members(), NOW)
    assert [row.zone for row in rows] == ["America/Sao_Paulo", "Europe/Paris", "Asia/Tokyo", None]
    sao_paulo, paris, tokyo, nowhere = rows
    # Up to three people: all named, in alphabetical order, after the zone's time now.
    assert sao_paulo.label == "12:00\u202fPM · ana, bo, and cy"
    assert sao_paulo.title == "Brazil (São Paulo) Time · ana, bo, and cy"
    # More: the first two and how many others.
    assert paris.label == "4:00\u202fPM · p00, p01 and 18 more"
    assert tokyo.label == "12:00\u202fAM · t00, t01 and 13 more"
    assert tokyo.quiet == NIGHT
    # Hovering names everyone in the row.
    assert paris.title == "France Time · " + ", ".join(f"p{i:02d}" for i in range(19)) + ", and p19"
    assert len(re.findall(r"\bt\d\d\b", tokyo.title)) == 15
    # Without a zone: one row whatever their quiet hours, no time shown.
    assert nowhere.label == "yan and zed" and nowhere.quiet is None
    assert nowhere.title == "not set · yan and zed"


def test_same_zone_different_quiet_hours_are_two_rows(catalogs: Catalogs) -> None:
    people = [
        StripMember("ana", "Europe/Lisbon", NIGHT),
        StripMember("bo", "Europe/Lisbon", (time(23), time(8))),
        StripMember("cy", "Europe/Lisbon", NIGHT),
        StripMember("dee", "Europe/Lisbon", None),  # quiet hours off
    ]
    rows = strip_rows(catalogs.translator("en"), people, NOW)
    assert [(row.quiet, row.label) for row in rows] == [
        (None, "3:00\u202fPM · dee"),
        (NIGHT, "3:00\u202fPM · ana and cy"),
        ((time(23), time(8)), "3:00\u202fPM · bo"),
    ]


def test_zones_at_the_same_offset_are_ordered_by_name(catalogs: Catalogs) -> None:
    people = [StripMember("a", "Europe/Rome", NIGHT), StripMember("b", "Africa/Lagos", NIGHT)]
    rows = strip_rows(catalogs.translator("en"), people, NOW)
    assert [row.zone for row in rows] == ["Africa/Lagos", "Europe/Rome"]


def test_offsets_are_taken_at_the_viewers_now(catalogs: Catalogs) -> None:
    # In July London is UTC+1 like Lagos; in December it is UTC+0, before Lagos.
    people = [StripMember("a", "Africa/Lagos", NIGHT), StripMember("b", "Europe/London", NIGHT)]
    tr = catalogs.translator("en")
    july = [row.zone for row in strip_rows(tr, people, datetime(2026, 7, 1, tzinfo=UTC))]
    assert july == ["Africa/Lagos", "Europe/London"]
    assert [row.zone for row in strip_rows(tr, people, NOW)] == ["Europe/London", "Africa/Lagos"]


def test_a_thousand_people_are_a_few_rows_with_counts_in_each_language(
    catalogs: Catalogs,
) -> None:
    people = [StripMember(f"{i:04d}", "Asia/Kolkata", NIGHT) for i in range(1002)]
    expected = {
        "en": "0000, 0001 and 1,000 more",
        "es": "0000, 0001 y 1.000 más",
        "fr": "0000, 0001 et 1\u202f000 autres",
        "pt_BR": "0000, 0001 e mais 1.000",
    }
    for lang, who in expected.items():
        (row,) = strip_rows(catalogs.translator(lang), people, NOW)
        assert row.label.endswith(who), (lang, row.label)


@pytest.mark.parametrize(
    ("count", "others"),
    [
        (4, "وشخصان آخران"),  # the dual
        (7, f"و{FSI}5{PDI} أشخاص آخرون"),
        (15, f"و{FSI}13{PDI} شخصًا آخر"),
        (102, f"و{FSI}100{PDI} شخص آخر"),
    ],
)
def test_arabic_counts_agree_with_their_number(catalogs: Catalogs, count: int, others: str) -> None:
    people = [StripMember(f"n{i:03d}", "Asia/Riyadh", NIGHT) for i in range(count)]
    (row,) = strip_rows(catalogs.translator("ar"), people, NOW)
    assert row.label.endswith(f"{FSI}n000 وn001{PDI} {others}"), row.label


@pytest.mark.parametrize("lang", LANGUAGES)
def test_long_names_are_cut_to_fit_the_name_column(catalogs: Catalogs, lang: str) -> None:
    tr = catalogs.translator(lang)
    names = ["Maximiliana Alexandrovna", "Bartholomew Featherstonehaugh", "Cy", "Dee"]
    label = row_label(tr, tr.time(time(0)), names)
    assert text_em(label) <= LABEL_EM, label
    assert "Maxi" in label and "…" in label
    assert tr.number(2) in label  # the count is never cut
    # Short names are left whole.
    assert row_label(tr, "9:00", ["ana", "bo"]).count("…") == 0


def test_wide_characters_count_for_more() -> None:
    assert text_em("WWWW") > text_em("iiii") * 2
    assert text_em("東京") == 2.0
    assert text_em(f"{FSI}ab{PDI}") == text_em("ab")


def test_names_are_escaped_in_the_strip() -> None:
    name = '<script>alert("x")</script> & Co'
    row = StripRow(f"9:00 · {name}", f"Paris · {name}", "Europe/Paris", NIGHT)
    day = datetime(2026, 12, 7, tzinfo=UTC)
    svg = str(
        world_strip(
            [row],
            [],
            day_start=day,
            now=NOW,
            hour_labels=[""] * 24,
            label="strip",
            legend=("awake", "quiet", "no zone", "session"),
        )
    )
    assert "<script" not in svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in svg
    group = re.search(r'<g class="strip-row"><title>([^<]*)</title><text [^>]*>([^<]*)</text>', svg)
    assert group is not None, svg
    assert html.unescape(group.group(1)) == f"Paris · {name}"
    assert html.unescape(group.group(2)) == f"9:00 · {name}"


async def test_names_are_escaped_on_the_overview_page(world: World) -> None:
    name = "<script>alert(1)</script> & Co"
    async with world.bot.db.transaction() as db:
        await db.execute(
            update(Identity).where(Identity.display_name == "ana").values(display_name=name)
        )
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "coord")
        body = await (await browser.get(f"/c/{world.cohort}/")).text()
    assert "<script" not in body
    titles = [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", body)]
    assert any(name in title for title in titles), titles


def test_every_row_shows_its_own_zones_day() -> None:
    # Tokyo's night (22:00-07:00 local) falls at 13:00-22:00 UTC: dark there, light elsewhere.
    row = StripRow("t", "t", "Asia/Tokyo", NIGHT)
    day = datetime(2026, 12, 7, tzinfo=UTC)
    svg = str(
        world_strip(
            [row],
            [],
            day_start=day,
            now=day + timedelta(hours=12),
            hour_labels=[""] * 24,
            label="strip",
            legend=("a", "b", "c", "d"),
        )
    )
    rects = re.findall(r'<rect x="([\d.]+)" y="34" width="([\d.]+)" height="18" fill="(#\w+)"', svg)
    assert [(float(x), float(w), fill) for x, w, fill in rects] == [
        (210.0, 390.0, "#cde8c9"),
        (600.0, 270.0, "#33415c"),
        (870.0, 60.0, "#cde8c9"),
    ]
