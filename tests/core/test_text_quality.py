"""Text that reads right in every language: Arabic number agreement (the dual after a
preposition), French "1er", no double space where an offset is empty."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.i18n import FSI, LOCALES_DIR, PDI, Catalogs
from handlers.help.usage import PLACEHOLDER_IDS, localize_usage
from handlers.scheduling.text import day_short, duration_text, when_full, when_short
from tests.harness import BotHarness

LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs(LANGUAGES)


def _n(n: int) -> str:
    return f"{FSI}{n}{PDI}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(hours=1), "ساعة"),
        (timedelta(hours=2), "ساعتين"),  # never the nominative "ساعتان"
        (timedelta(hours=3), f"{_n(3)} ساعات"),
        (timedelta(hours=11), f"{_n(11)} ساعةً"),
        (timedelta(minutes=2), "دقيقتين"),
        (timedelta(minutes=45), f"{_n(45)} دقيقةً"),
        (timedelta(days=2), "يومين"),
        (timedelta(days=7), f"{_n(7)} أيام"),
        (timedelta(hours=2, minutes=30), f"ساعتين و{_n(30)} دقيقةً"),
    ],
)
def test_arabic_durations_agree_with_their_number(
    catalogs: Catalogs, value: timedelta, expected: str
) -> None:
    assert duration_text(catalogs.translator("ar"), value) == expected


# Plural messages whose number follows a preposition or stands as an adverb of time ("سارية
# شهرين", "لمدة ساعتين"): their dual is accusative/genitive.
OBLIQUE = ("consent.unit_", "scheduling.duration_")


def test_every_arabic_plural_message_has_its_six_forms() -> None:
    for po in sorted((LOCALES_DIR / "ar" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="ar"):
                if message.pluralizable:
                    assert isinstance(message.string, tuple), message.id
                    forms = list(message.string)
                    assert len(forms) == 6 and all(forms), (po.name, message.id)
                    if str(message.id[0]).startswith(OBLIQUE):
                        assert forms[2].endswith("ين"), message.id


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "mercredi 1er juillet 2026"),
        ("en", "Wednesday, July 1, 2026"),
        ("es", "miércoles, 1 de julio de 2026"),
    ],
)
def test_the_first_of_the_month(catalogs: Catalogs, lang: str, expected: str) -> None:
    assert catalogs.translator(lang).date(date(2026, 7, 1)) == expected


def test_french_first_in_every_date_format(catalogs: Catalogs) -> None:
    fr = catalogs.translator("fr")
    paris = ZoneInfo("Europe/Paris")
    first = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert when_full(fr, first, paris).startswith("mercredi 1er juillet 2026 à 11:00")
    assert when_short(fr, first, paris).startswith("mer. 1er juil. 2026")
    assert day_short(fr, first, paris) == "mer. 1er juil."
    eleventh = datetime(2026, 7, 11, 9, 0, tzinfo=UTC)
    assert day_short(fr, eleventh, paris) == "sam. 11 juil."
    assert "1er" not in when_full(fr, datetime(2026, 7, 21, 9, tzinfo=UTC), paris)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("zone", ["Europe/Lisbon", "UTC", "Africa/Abidjan"])
def test_no_double_space_when_the_offset_is_zero(catalogs: Catalogs, lang: str, zone: str) -> None:
    text = when_full(
        catalogs.translator(lang), datetime(2026, 12, 1, 9, tzinfo=UTC), ZoneInfo(zone)
    )
    assert "  " not in text and "( " not in text and " )" not in text
    assert "  " not in catalogs.translator(lang).utc_offset(datetime(2026, 12, 1, tzinfo=UTC))


def test_this_file_runs_where_the_catalogs_are() -> None:
    assert Path(LOCALES_DIR, "ar", "LC_MESSAGES").is_dir()


# --------------------------------------------------------------------------- command placeholders

_UPPER = re.compile(r"(?<![\w{:])[A-Z][A-Z_]*(?![\w}:])")


@pytest.mark.parametrize("lang", ["es", "fr", "pt_BR", "ar"])
def test_no_english_placeholder_word_in_a_translated_catalog(catalogs: Catalogs, lang: str) -> None:
    """`/rsvp NUMBER yes|no|maybe` in a Spanish footer: the placeholder words are translated
    (NÚMERO), the command and the keywords the parser accepts stay."""
    tr = catalogs.translator(lang)
    english = {word for word, msgid in PLACEHOLDER_IDS.items() if tr.t(msgid) != word}
    found: list[tuple[str, str]] = []
    for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if not message.id:
                    continue  # the header
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in strings:
                    assert isinstance(text, str | None)
                    found.extend(
                        (str(message.id), w) for w in _UPPER.findall(text or "") if w in english
                    )
    assert found == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "/rsvp NUMBER [DATE|all] yes|no|maybe"),
        ("es", "/rsvp NÚMERO [FECHA|all] yes|no|maybe"),
        ("fr", "/rsvp NUMÉRO [DATE|all] yes|no|maybe"),
        ("pt_BR", "/rsvp NÚMERO [DATA|all] yes|no|maybe"),
        ("ar", "/rsvp الرقم [التاريخ|all] yes|no|maybe"),
    ],
)
def test_usage_lines_speak_the_readers_language(
    catalogs: Catalogs, lang: str, expected: str
) -> None:
    tr = catalogs.translator(lang)
    assert "/rsvp " + localize_usage(tr, "NUMBER [DATE|all] yes|no|maybe") == expected
    assert localize_usage(tr, "HH:MM-HH:MM | off") == "HH:MM-HH:MM | off"


async def test_help_shows_translated_placeholders(bot: BotHarness) -> None:
    await bot.ask("sofia", "/language es")
    code = await bot.new_cohort("coord", "Puentes", "America/Bogota")
    await bot.ask("sofia", f"/join {code}")
    reply = await bot.ask("sofia", "/help")
    assert "/rsvp NÚMERO [FECHA|all] yes|no|maybe" in reply
    assert "/join CÓDIGO" in reply
    assert "NUMBER" not in reply and " DATE" not in reply
