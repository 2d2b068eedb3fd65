"""The one answer matcher (bot/answers.py), over every label of every question in every catalog:
typing a label, its number (in any digit script) or a spelling that differs only in case,
accents, tashkeel, tatweel or alef/hamza forms picks that choice and nothing else."""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers import AnswerWords, fold, match_answer, match_choice, split_words
from bot.i18n import Catalogs, Translator, _
from handlers.alumni.checkins import CHECKIN_CHOICES
from handlers.alumni.commitments import ANSWER_LABELS
from handlers.debrief.summary import RATINGS, WELLBEING_IDS
from handlers.safety.reports import URGENCY_IDS
from handlers.scheduling.text import ANSWER_IDS

LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")
CATALOGS = Catalogs(LANGUAGES)
WORDS = AnswerWords.from_catalogs(CATALOGS)
ROOT = Path(__file__).resolve().parents[2]

Label = Callable[[Translator], str]


def msg(msgid: str) -> Label:
    return lambda tr: tr.t(msgid)


def dated(msgid: str) -> Label:
    return lambda tr: tr.t(msgid, date="2026-12-03")


@dataclass(frozen=True)
class Question:
    name: str
    choices: tuple[tuple[str, Label], ...]
    free_text: bool = False

    def built(self, tr: Translator) -> list[tuple[str, str]]:
        return [(key, label(tr)) for key, label in self.choices]


def ids(table: dict[str, str]) -> tuple[tuple[str, Label], ...]:
    return tuple((key, msg(msgid)) for key, msgid in table.items())


DEBRIEF_SKIP = ("skip", msg(_("debrief.skip")))
ONBOARDING_SKIP = ("skip", msg(_("onboarding.skip")))
CONSENT_YES_NO = (("yes", msg(_("consent.choice_yes"))), ("no", msg(_("consent.choice_no"))))
# Every question the bot asks with labels from the catalogs (names of people and cohorts are
# the only labels that come from elsewhere). test_every_catalog_label_is_covered keeps it whole.
SAFETY_CANCEL: tuple[str, Label] = ("cancel", msg(_("safety.choice_cancel")))
QUESTIONS = (
    Question(
        "addsession.confirm",
        (("yes", msg(_("scheduling.choice_schedule"))), ("no", msg(_("scheduling.choice_dont")))),
    ),
    Question("rsvp", ids(ANSWER_IDS)),
    Question(
        "cancelsession.scope",
        (
            ("one", dated(_("scheduling.choice_only"))),
            ("series", msg(_("scheduling.choice_series"))),
            ("keep", msg(_("scheduling.choice_keep"))),
        ),
    ),
    Question(
        "movesession.scope",
        (
            ("one", dated(_("scheduling.choice_only"))),
            ("series", msg(_("scheduling.choice_series_from"))),
            ("keep", msg(_("scheduling.choice_keep"))),
        ),
    ),
    Question(
        "movesession.confirm",
        (("yes", msg(_("scheduling.choice_move"))), ("no", msg(_("scheduling.choice_dont")))),
    ),
    Question(
        "closecohort", (("yes", msg(_("cohorts.close_yes"))), ("no", msg(_("cohorts.close_no"))))
    ),
    Question("alumni.checkin", ids(CHECKIN_CHOICES)),
    Question(
        "alumni.mentor_suggestion",
        (
            ("ask", msg(_("alumni.choice_ask_mentor"))),
            ("other", msg(_("alumni.choice_other_mentor"))),
            ("no", msg(_("alumni.choice_not_now"))),
        ),
    ),
    Question(
        "alumni.mentor_request",
        (
            ("yes", msg(_("alumni.choice_mentor_yes"))),
            ("no", msg(_("alumni.choice_mentor_no"))),
        ),
    ),
    Question(
        "alumni.mentoring_followup",
        (
            ("good", msg(_("alumni.choice_mentoring_good"))),
            ("ended", msg(_("alumni.choice_mentoring_ended"))),
        ),
    ),
    Question("alumni.nudge_status", ids(ANSWER_LABELS)),
    Question(
        "alumni.nudge_pick",
        (
            ("3", lambda tr: "#3 Write the report"),
            ("7", lambda tr: "#7 Train two people"),
            ("all", msg(_("alumni.choice_all_working"))),
        ),
    ),
    Question(
        "alumni.nudge_pick_rest",
        (("4", lambda tr: "#4 Call Amal"), ("all", msg(_("alumni.choice_rest_working")))),
    ),
    Question(
        "debrief.rating",
        (*((v, lambda tr, v=v: tr.number(int(v))) for v in RATINGS), DEBRIEF_SKIP),
    ),
    Question("debrief.wellbeing", (*ids(WELLBEING_IDS), DEBRIEF_SKIP)),
    Question("debrief.text", (DEBRIEF_SKIP,), free_text=True),
    Question(
        "debrief.talk",
        (("12", lambda tr: "Amal Haddad"), ("no", msg(_("debrief.talk_no_thanks")))),
    ),
    Question(
        "onboarding.language",
        (
            *((lang, lambda tr, lang=lang: tr.language_name(lang)) for lang in LANGUAGES),
            ONBOARDING_SKIP,
        ),
    ),
    Question("onboarding.timezone", (ONBOARDING_SKIP,), free_text=True),
    Question("onboarding.privacy", (("ok", msg(_("onboarding.understood"))), ONBOARDING_SKIP)),
    Question(
        "consent.checkin",
        (
            ("yes", msg(_("consent.checkin_yes"))),
            ("no", msg(_("consent.checkin_no"))),
            ("session", msg(_("consent.checkin_not_this_session"))),
        ),
    ),
    Question("consent.renew", (*CONSENT_YES_NO, ("later", msg(_("consent.choice_later"))))),
    Question("consent.ask", CONSENT_YES_NO),
    Question(
        "consent.onboarding",
        (
            *CONSENT_YES_NO,
            ("skip", msg(_("consent.choice_skip"))),
            ("stop", msg(_("consent.choice_skip_rest"))),
        ),
    ),
    Question(
        "forgetme", (("yes", msg(_("privacy.forget_yes"))), ("no", msg(_("privacy.forget_no"))))
    ),
    Question(
        "announce",
        (
            ("send", msg(_("broadcast.choice_send"))),
            ("quiet", msg(_("broadcast.choice_send_quiet"))),
            ("cancel", msg(_("broadcast.choice_cancel"))),
        ),
    ),
    Question("safety.report_what", (SAFETY_CANCEL,), free_text=True),
    Question(
        "safety.report_whom",
        (("skip", msg(_("safety.choice_nobody"))), SAFETY_CANCEL),
        free_text=True,
    ),
    Question("safety.report_urgency", (*ids(URGENCY_IDS), SAFETY_CANCEL)),
    Question(
        "safety.report_send",
        (
            ("named", msg(_("safety.choice_named"))),
            ("anonymous", msg(_("safety.choice_anonymous"))),
            SAFETY_CANCEL,
        ),
    ),
    Question(
        "safety.check",
        (("safe", msg(_("safety.choice_safe"))), ("help", msg(_("safety.choice_help")))),
    ),
    Question("safety.check_more", (("skip", msg(_("safety.choice_skip"))),), free_text=True),
    Question("safety.conduct_ack", (("agree", msg(_("safety.choice_agree"))),)),
)
CASES = [
    (q, lang, index) for q in QUESTIONS for lang in LANGUAGES for index in range(len(q.choices))
]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EASTERN_ARABIC_INDIC = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def labelled(q: Question, lang: str) -> list[tuple[str, str]]:
    return q.built(CATALOGS.translator(lang))


def picks(q: Question, lang: str, text: str) -> str | None:
    found = match_answer(labelled(q, lang), q.free_text, text, WORDS)
    if found is None:
        return None
    return found.key if found.key is not None else f"free:{found.text}"


def test_every_catalog_label_is_covered() -> None:
    """Each message id a handler puts in a Choice is in QUESTIONS (so the tests below see it)."""
    covered = {msgid for q in QUESTIONS for _key, label in q.choices for msgid in _label_ids(label)}
    used: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Choice":
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Call)
                        and getattr(inner.func, "id", None) == "_"
                        and isinstance(inner.args[0], ast.Constant)
                    ):
                        used.add(str(inner.args[0].value))
    assert len(used) > 30
    assert used - covered == set()


def _label_ids(label: Label) -> set[str]:
    closure = label.__closure__ or ()
    return {c.cell_contents for c in closure if isinstance(c.cell_contents, str)}


@pytest.mark.parametrize(("q", "lang", "index"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_label_number_and_folded_form_pick_that_choice(q: Question, lang: str, index: int) -> None:
    key, label = labelled(q, lang)[index]
    number = str(index + 1)
    numeric_keys = {k for k, _l in q.built(CATALOGS.translator(lang)) if k.isdigit()}
    assert picks(q, lang, label) == key
    assert picks(q, lang, fold(label)) == key
    assert picks(q, lang, label.upper()) == key
    assert picks(q, lang, f"  {label}! ") == key
    if number not in numeric_keys or number == key:  # a typed key wins over a position
        for digits in (
            number,
            number.translate(ARABIC_INDIC),
            number.translate(EASTERN_ARABIC_INDIC),
        ):
            assert picks(q, lang, digits) == key, digits


def test_labels_differ_once_folded() -> None:
    for q in QUESTIONS:
        for lang in LANGUAGES:
            folded = [fold(label) for _k, label in labelled(q, lang)]
            assert len(set(folded)) == len(folded), (q.name, lang, folded)


ARABIC_LETTER = st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي")
TASHKEEL = st.sampled_from("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")


@st.composite
def respelled(draw: st.DrawFn, text: str) -> str:
    """The same answer as people type it: any case, accents dropped or kept, tashkeel dropped or
    added, tatweel stretched in, alef with or without its hamza, spaces and punctuation around."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        ch = draw(st.sampled_from([ch, base])) if base else ch
        if ch in "اأإآ":
            ch = draw(st.sampled_from("اأإآ"))
        if draw(st.booleans()):
            ch = ch.swapcase()
        out.append(ch)
        if "\u0621" <= ch <= "\u064a" and ch not in "ءآأإاؤدذرزو":
            if draw(st.booleans()):
                out.append(draw(TASHKEEL))
            if draw(st.integers(0, 4)) == 0:
                out.append("\u0640")
    before = draw(st.sampled_from(["", " ", "  ", "¿", "«"]))
    after = draw(st.sampled_from(["", " ", ".", "!", "?", "؟", "»", " ،"]))
    return before + "".join(out) + after


@settings(max_examples=400, deadline=None)
@given(data=st.data(), case=st.sampled_from(CASES))
def test_respelled_label_picks_that_choice(
    data: st.DataObject, case: tuple[Question, str, int]
) -> None:
    q, lang, index = case
    key, label = labelled(q, lang)[index]
    typed = data.draw(respelled(label))
    assert picks(q, lang, typed) == key, typed


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("word_class", ["yes", "no", "skip", "cancel"])
def test_localized_words_pick_their_choice(lang: str, word_class: str) -> None:
    from bot.answers import KEYS_OF_WORDS, WORD_IDS

    words = split_words(CATALOGS.translator(lang).t(WORD_IDS[word_class]))
    assert words
    for q in QUESTIONS:
        keys = [k for k, _f in q.choices if k in KEYS_OF_WORDS[word_class]]
        if len(keys) != 1:
            continue
        for word in words:
            got = picks(q, lang, word)
            label_hit = [k for k, label in labelled(q, lang) if fold(label) == word]
            assert got == (label_hit[0] if label_hit else keys[0]), (q.name, word)


def test_no_word_means_two_things() -> None:
    seen: dict[str, str] = {}
    for lang in LANGUAGES:
        tr = CATALOGS.translator(lang)
        from bot.answers import WORD_IDS

        for word_class, msgid in WORD_IDS.items():
            for word in split_words(tr.t(msgid)):
                assert seen.setdefault(word, word_class) == word_class, (lang, word)


@pytest.mark.parametrize(
    ("question", "lang", "typed", "expected"),
    [
        ("forgetme", "es", "sí", "yes"),
        ("forgetme", "es", "Si", "yes"),
        ("forgetme", "fr", "oui", "yes"),
        ("forgetme", "fr", "non", "no"),
        ("forgetme", "pt_BR", "sim", "yes"),
        ("forgetme", "pt_BR", "não", "no"),
        ("forgetme", "pt_BR", "NAO", "no"),
        ("forgetme", "ar", "نعم", "yes"),
        ("forgetme", "ar", "لا", "no"),
        ("forgetme", "en", "oui", "yes"),  # a word from another of our languages
        ("debrief.text", "ar", "تخطي", "skip"),
        ("debrief.text", "ar", "تخطٍّ", "skip"),
        ("debrief.text", "ar", "تخـطـي", "skip"),
        ("debrief.rating", "ar", "٥", "5"),
        ("debrief.rating", "ar", "۵", "5"),
        ("debrief.rating", "ar", "٦", "skip"),
        ("debrief.wellbeing", "ar", "٦", None),
        ("announce", "es", "cancelar", "cancel"),
        ("announce", "ar", "الغاء", "cancel"),
        ("onboarding.privacy", "es", "vale", "ok"),
        ("consent.onboarding", "fr", "passer", "skip"),
        ("debrief.text", "es", "no", "free:no"),  # an answer in its own words stays one
        ("debrief.text", "es", "   ", None),
    ],
)
def test_examples(question: str, lang: str, typed: str, expected: str | None) -> None:
    (q,) = [q for q in QUESTIONS if q.name == question]
    assert picks(q, lang, typed) == expected


def test_nothing_when_two_choices_fit() -> None:
    choices = [("a", "Uno"), ("b", "uno")]
    assert match_choice(choices, "UNO", WORDS) is None
