"""The i18n layer: catalogs complete for every message id the code uses, translations with
placeholders and plurals (Arabic has six forms), fallback to English, language names people
type, right-to-left isolation, and dates and times as each language writes them."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import dates as babel_dates
from babel.messages.pofile import read_po

from bot import i18n_tools
from bot.i18n import FSI, LOCALES_DIR, PDI, Catalogs, Translator, placeholders, plural_index
from tests.harness import BotHarness

LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")
CORE_DOMAINS = ("core", "help", "onboarding", "profile", "role", "time", "zone")
LRI = "\u2066"
BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY_14Z = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 15:00 in Berlin (GMT+1)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs(LANGUAGES)


def tr(catalogs: Catalogs, lang: str) -> Translator:
    return catalogs.translator(lang)


def texts(lang: str, domain: str, directory: Path = LOCALES_DIR) -> dict[str, str]:
    with (directory / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    found: dict[str, str] = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            found[message.id] = message.string
    return found


# The CI gate ---------------------------------------------------------------------------------
def test_every_message_id_used_in_the_code_is_translated_with_the_same_placeholders() -> None:
    """CI gate over every domain and language: stays red until all catalogs are complete."""
    found = i18n_tools.problems()
    assert found == [], f"{len(found)} catalog problems:\n" + "\n".join(found)


def test_the_gate_sees_ids_inside_f_strings_and_plurals_passed_through_a_variable() -> None:
    used = i18n_tools.extract()
    assert "scheduling.list_footer" in used  # only ever written inside an f-string
    assert used["consent.unit_days"].plural  # tn(UNITS[unit], ...): plural by its English text


@pytest.mark.parametrize("domain", CORE_DOMAINS)
def test_core_domains_are_complete_in_every_language(domain: str) -> None:
    mine = [p for p in i18n_tools.problems() if p.split(": ")[1].startswith(f"{domain}.")]
    assert mine == []


def test_the_gate_reports_a_missing_id_and_a_changed_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    es_core = copy / "es" / "LC_MESSAGES" / "core.po"
    es_text = es_core.read_text(encoding="utf-8")
    es_core.write_text(
        re.sub(r'msgid "core\.slow_down"\nmsgstr "[^\n]*"\n', "", es_text), encoding="utf-8"
    )
    fr_core = copy / "fr" / "LC_MESSAGES" / "core.po"
    fr_core.write_text(
        fr_core.read_text(encoding="utf-8").replace("{ref}", "{reference}"), encoding="utf-8"
    )
    monkeypatch.setattr(i18n_tools, "LOCALES_DIR", copy)

    found = i18n_tools.problems()

    assert "es: core.slow_down: missing or empty" in found
    assert "fr: core.bug: placeholders ['reference'] differ from ['ref']" in found


@pytest.mark.parametrize("lang", LANGUAGES[1:])
@pytest.mark.parametrize("domain", CORE_DOMAINS)
def test_core_texts_are_translated_not_copied_from_english(domain: str, lang: str) -> None:
    english = texts("en", domain)
    translated = texts(lang, domain)
    assert set(translated) >= set(english)
    copied = [
        msgid
        for msgid, text in english.items()
        if translated[msgid] == text
        # a placeholder word may be the same word ("N"; French "CODE", "DATE", "PAGE")
        and not (msgid.startswith("help.ph_") and text.isupper())
    ]
    assert copied == []


@pytest.mark.parametrize("lang", LANGUAGES[1:])
@pytest.mark.parametrize("domain", CORE_DOMAINS)
def test_command_names_stay_untranslated(domain: str, lang: str) -> None:
    english = texts("en", domain)
    translated = texts(lang, domain)
    for msgid, text in english.items():
        # the command and the keywords it takes; its placeholder words are translated
        for command in re.findall(r"/[a-z]+(?: off)?", text):
            assert command in translated[msgid], (msgid, command)


@pytest.mark.parametrize("domain", CORE_DOMAINS)
def test_arabic_texts_keep_commands_left_to_right(domain: str) -> None:
    """A slash before a Latin name in right-to-left text would show after it ("help/"):
    commands sit in a left-to-right isolate."""
    for msgid, text in texts("ar", domain).items():
        for match in re.finditer(r"/[a-z{]", text):
            before = text[: match.start()]
            assert before.endswith(LRI), (msgid, text)
            assert PDI in text[match.start() :], (msgid, text)


# Translator: messages, placeholders, fallback -------------------------------------------------
def test_t_fills_named_placeholders(catalogs: Catalogs) -> None:
    english = tr(catalogs, "en").t("core.too_long", length=5000, limit=4096)
    spanish = tr(catalogs, "es").t("core.too_long", length=5000, limit=4096)

    assert english == (
        "That message is too long (5000 characters; the limit is 4096). Nothing was changed."
    )
    assert spanish == (
        "Ese mensaje es demasiado largo (5000 caracteres; el límite es 4096). No se cambió nada."
    )


def test_each_language_speaks_its_own_language(catalogs: Catalogs) -> None:
    said = {
        lang: tr(catalogs, lang).t("core.unknown_command", command="frob") for lang in LANGUAGES
    }

    assert said["en"].startswith("I don't know the command /frob.")
    assert said["es"].startswith("No conozco el comando /frob.")
    assert said["fr"].startswith("Je ne connais pas la commande /frob.")
    assert said["pt_BR"].startswith("Não conheço o comando /frob.")
    assert said["ar"].startswith(f"لا أعرف الأمر {LRI}/{FSI}frob{PDI}{PDI}.")


PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}


def write_catalog(root: Path, lang: str, body: str) -> None:
    folder = root / lang / "LC_MESSAGES"
    folder.mkdir(parents=True)
    plurals = PLURAL_FORMS.get(lang, "nplurals=2; plural=(n != 1);")
    header = (
        'msgid ""\nmsgstr ""\n'
        f'"Language: {lang}\\n"\n'
        f'"Plural-Forms: {plurals}\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    )
    (folder / "test.po").write_text(header + body, encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> Catalogs:
    """A small catalog: English, Spanish without `test.only_english`, Arabic with six forms."""
    write_catalog(
        tmp_path,
        "en",
        'msgid "test.hello"\nmsgstr "Hello {name}"\n\n'
        'msgid "test.only_english"\nmsgstr "Only in English, {name}"\n\n'
        'msgid "test.days"\nmsgid_plural "test.days"\n'
        'msgstr[0] "{n} day left"\nmsgstr[1] "{n} days left"\n',
    )
    write_catalog(tmp_path, "es", 'msgid "test.hello"\nmsgstr "Hola {name}"\n')
    write_catalog(
        tmp_path,
        "ar",
        'msgid "test.days"\nmsgid_plural "test.days"\n'
        'msgstr[0] "zero {n}"\nmsgstr[1] "one {n}"\nmsgstr[2] "two {n}"\n'
        'msgstr[3] "few {n}"\nmsgstr[4] "many {n}"\nmsgstr[5] "other {n}"\n',
    )
    return Catalogs(("en", "es", "ar"), tmp_path)


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 days left"), (1, "1 day left"), (2, "2 days left")]
)
def test_tn_english_plurals(small: Catalogs, n: int, expected: str) -> None:
    assert small.translator("en").tn("test.days", n) == expected


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, "zero"),
        (1, "one"),
        (2, "two"),
        (3, "few"),
        (10, "few"),
        (11, "many"),
        (99, "many"),
        (100, "other"),
        (101, "other"),
        (102, "other"),
        (103, "few"),
        (111, "many"),
    ],
)
def test_tn_arabic_picks_the_right_of_six_forms(small: Catalogs, n: int, form: str) -> None:
    """Standard gettext / CLDR order: zero, one, two, few (3-10), many (11-99), other (100+).
    (Babel's own gettext table swaps the last two: python-babel/babel#816.)"""
    assert small.translator("ar").tn("test.days", n) == f"{form} {FSI}{n}{PDI}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_index_follows_cldr_categories(lang: str) -> None:
    """The form chosen for n is the CLDR category's place among the language's forms (.po
    files for es/fr/pt have two forms: CLDR's "many", for millions, shares "other")."""
    locale = Locale.parse(lang)
    order: list[str] = [
        c
        for c in ("zero", "one", "two", "few", "many", "other")
        if c in locale.plural_form.tags or c == "other"
    ]
    forms = 6 if lang == "ar" else 2
    for n in range(0, 1250):
        expected = min(order.index(locale.plural_form(n)), forms - 1)
        assert plural_index(locale, n, forms) == expected, n


def test_missing_id_falls_back_to_english(small: Catalogs) -> None:
    spanish = small.translator("es")

    assert spanish.t("test.hello", name="Ana") == "Hola Ana"
    assert spanish.t("test.only_english", name="Ana") == "Only in English, Ana"
    assert spanish.tn("test.days", 1) == "1 day left"
    assert small.translator("ar").t("test.hello", name="Ana") == f"Hello {FSI}Ana{PDI}"


def test_unknown_language_gets_english(small: Catalogs) -> None:
    assert small.translator("zz").t("test.hello", name="Ana") == "Hello Ana"
    assert small.translator(None).lang == "en"


def test_unknown_id_shows_the_id_itself(small: Catalogs) -> None:
    assert small.translator("es").t("test.nowhere") == "test.nowhere"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pt", "pt_BR"),
        ("pt-br", "pt_BR"),
        ("PT_BR", "pt_BR"),
        ("Español", "es"),
        ("es-419", "es"),
        ("arabic", "ar"),
        ("العربية", "ar"),
        ("Français", "fr"),
        (" EN ", "en"),
        ("zz", None),
        ("", None),
    ],
)
def test_normalize_what_people_type(catalogs: Catalogs, typed: str, expected: str | None) -> None:
    assert catalogs.normalize(typed) == expected


# Right-to-left --------------------------------------------------------------------------------
def test_arabic_isolates_placeholder_values(catalogs: Catalogs) -> None:
    text = tr(catalogs, "ar").t("profile.zone_set", zone="Europe/Berlin", time="15:00")

    assert f"{FSI}Europe/Berlin{PDI}" in text
    assert f"{FSI}15:00{PDI}" in text
    assert text.count(FSI) == text.count(PDI) == 2


@pytest.mark.parametrize("lang", LANGUAGES[:-1])
def test_left_to_right_languages_get_no_isolates(catalogs: Catalogs, lang: str) -> None:
    text = tr(catalogs, lang).t("profile.zone_set", zone="Europe/Berlin", time="15:00")

    assert FSI not in text
    assert PDI not in text
    assert "Europe/Berlin" in text


def test_arabic_keeps_invite_codes_and_latin_names_whole(catalogs: Catalogs) -> None:
    arabic = tr(catalogs, "ar")

    assert f"{FSI}Maria Souza{PDI}" in arabic.t("profile.zone_ambiguous", city="Maria Souza")
    assert f"{FSI}AB12CD{PDI}" in arabic.t("core.bug", ref="AB12CD")
    assert arabic.t("core.start_private_first", bot="").count(FSI) == 0  # empty stays empty


# Dates and times ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "weekday"),
    [
        ("en", "Thursday"),
        ("es", "jueves"),
        ("fr", "jeudi"),
        ("pt_BR", "quinta-feira"),
        ("ar", "الخميس"),
    ],
)
def test_weekday_in_each_language(catalogs: Catalogs, lang: str, weekday: str) -> None:
    assert tr(catalogs, lang).weekday(date(2026, 12, 3)) == weekday


def babel_parts(lang: str, instant: datetime, zone: ZoneInfo, width: str) -> tuple[str, str, str]:
    """What Babel itself writes for `instant` in `zone` in this language: the date at `width`, the
    short time and the GMT offset (from the locale's own "gmt" zone format). Comparing with these,
    not with strings copied from one CLDR release, keeps the tests true when CLDR changes."""
    locale = Locale.parse(lang)
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    minutes = round(offset.total_seconds() / 60)
    hours, rest = divmod(abs(minutes), 60)
    number = (
        f"{'-' if minutes < 0 else '+'}{hours}{f':{rest:02d}' if rest else ''}" if minutes else ""
    )
    if number and locale.character_order == "right-to-left":
        number = f"{FSI}{number}{PDI}"
    gmt = (str(locale.zone_formats["gmt"]) % number).strip()  # Portuguese "%s GMT", no offset
    return (
        babel_dates.format_date(local.date(), format=width, locale=locale),
        babel_dates.format_time(local, format="short", locale=locale),
        gmt,
    )


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", ["full", "short"])
def test_datetime_in_the_readers_zone_and_language(
    catalogs: Catalogs, lang: str, width: Literal["full", "short"]
) -> None:
    shown = tr(catalogs, lang).datetime(THURSDAY_14Z, BERLIN, width)
    day, clock, offset = babel_parts(lang, THURSDAY_14Z, BERLIN, width)

    assert day in shown
    assert clock in shown
    assert shown.index(day) < shown.index(clock)
    assert shown.endswith(f"({offset})")
    # What no CLDR release changes: Berlin's 15:00 on the 3rd, one hour ahead of UTC.
    assert re.search(r"\b(15|3):00", shown)
    assert re.search(r"\b0?3\b", day)
    assert "1" in offset


@pytest.mark.parametrize(
    ("lang", "weekday"),
    [("en", "Thursday"), ("es", "jueves"), ("fr", "jeudi"), ("pt_BR", "quinta-feira")],
)
def test_full_datetime_names_the_weekday(catalogs: Catalogs, lang: str, weekday: str) -> None:
    assert weekday in tr(catalogs, lang).datetime(THURSDAY_14Z, BERLIN)


@pytest.mark.parametrize(
    ("zone", "when", "offset"),
    [
        ("Europe/Berlin", datetime(2026, 7, 2, 12, 0, tzinfo=UTC), "+2"),  # summer time
        ("America/Sao_Paulo", THURSDAY_14Z, "-3"),
        ("Asia/Kolkata", THURSDAY_14Z, "+5:30"),
        ("Asia/Kathmandu", THURSDAY_14Z, "+5:45"),
        ("UTC", THURSDAY_14Z, ""),
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_datetime_shows_the_utc_offset(
    catalogs: Catalogs, lang: str, zone: str, when: datetime, offset: str
) -> None:
    shown = tr(catalogs, lang).datetime(when, ZoneInfo(zone))
    *_, expected = babel_parts(lang, when, ZoneInfo(zone), "full")

    assert shown.endswith(f"({expected})")
    assert offset in shown
    assert "None" not in shown


def test_datetime_shows_the_local_date_not_the_utc_date(catalogs: Catalogs) -> None:
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # already Friday in Nairobi
    nairobi = ZoneInfo("Africa/Nairobi")
    shown = tr(catalogs, "es").datetime(late, nairobi)
    day, clock, offset = babel_parts("es", late, nairobi, "full")

    assert day == babel_dates.format_date(date(2026, 12, 4), format="full", locale="es")
    assert "viernes" in day
    assert shown == f"{day}, {clock} ({offset})"
    assert "2:30" in clock


@pytest.mark.parametrize("lang", LANGUAGES)
def test_date_and_time(catalogs: Catalogs, lang: str) -> None:
    translator = tr(catalogs, lang)

    assert translator.date(date(2026, 12, 3)) == babel_dates.format_date(
        date(2026, 12, 3), format="full", locale=lang
    )
    assert translator.time(time(15, 0)) == babel_dates.format_time(
        time(15, 0), format="short", locale=lang
    )
    assert "2026" in translator.date(date(2026, 12, 3))
    assert re.search(r"\b(15|3):00", translator.time(time(15, 0)))


def test_language_and_country_names_in_the_readers_language(catalogs: Catalogs) -> None:
    assert tr(catalogs, "es").language_name("pt_BR") == "portugués (Brasil)"
    assert tr(catalogs, "fr").language_name("ar") == "arabe"
    assert tr(catalogs, "pt_BR").country_name("ke") == "Quênia"
    assert tr(catalogs, "ar").language_name("es") == "الإسبانية"


def test_placeholders_of_a_text() -> None:
    assert placeholders("{zone} at {time}, {zone}") == {"zone", "time"}
    assert placeholders("no placeholders") == set()


# Through the bot ------------------------------------------------------------------------------
async def test_a_person_who_picks_spanish_gets_spanish_replies(bot: BotHarness) -> None:
    assert await bot.ask("ana", "/language es") == "A partir de ahora te escribiré en español."
    assert await bot.ask("ana", "/frobnicate") == (
        "No conozco el comando /frobnicate. Envía /help para ver lo que puedes hacer."
    )
    assert await bot.ask("ana", "/quiet 25-99") == (
        "«25-99» no es un rango de horas. Escríbelo así: 22:00-08:00, o envía /quiet off. "
        "No se cambió nada."
    )
    assert await bot.ask("ana", "/quiet") == (
        "Tus horas de silencio son 22:00-08:00 (tu hora local)."
    )


async def test_a_person_who_picks_arabic_gets_arabic_with_isolated_values(
    bot: BotHarness,
) -> None:
    assert await bot.ask("omar", "/language arabic") == (
        f"سأراسلك من الآن فصاعدًا باللغة {FSI}العربية{PDI}."
    )
    reply = await bot.ask("omar", "/timezone Africa/Cairo")

    assert reply.startswith(f"منطقتك الزمنية الآن: {FSI}Africa/Cairo{PDI}.")
    assert f"{FSI}11:00 ص{PDI}" in reply  # 09:00 UTC is 11:00 in Cairo
