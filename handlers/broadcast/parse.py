"""Reading `announce` and `translate`: the text, `at DATE TIME [ZONE]` and `to TARGET`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import Args, ClauseError, pick_number, split_clauses
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.timeparse import PLAN_AHEAD, ParseError, parse_local_datetime
from handlers.profile import resolve_zone
from storage.models.cohorts import Role
from storage.repositories.broadcast import Target

DATE_ONLY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
QUOTES = "\"'“«„‘”"
RSVP_ANSWERS = ("yes", "no", "maybe", "none")  # none: has not answered
ROLE_WORDS = {
    "coordinator": Role.COORDINATOR,
    "coordinators": Role.COORDINATOR,
    "facilitator": Role.FACILITATOR,
    "facilitators": Role.FACILITATOR,
    "mentor": Role.MENTOR,
    "mentors": Role.MENTOR,
    "participant": Role.PARTICIPANT,
    "participants": Role.PARTICIPANT,
    "alumni": Role.ALUMNI,
    "alumnus": Role.ALUMNI,
    "alumna": Role.ALUMNI,
}
EVERYONE_WORDS = ("all", "everyone", "everybody")


# Parsing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    text: str
    at: datetime | None
    zone: str
    target: Target


OPTION_WORDS = frozenset({"at", "to"})


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def quoted(raw: str) -> bool:
    return raw[:1] in QUOTES


def parse_request(ctx: Context, args: Args) -> Request:
    """`"TEXT" [at DATETIME [ZONE]] [to TARGET...]`, or unquoted TEXT with no options."""
    raw = args.raw.strip()
    if quoted(raw):
        text, options = (args.get(0) or "").strip(), list(args.words[1:])
    else:
        text, options = raw, []
    if not text:
        raise UserError(_("broadcast.usage"))
    segments = _segments(options)
    zone = ctx.zone.key
    at = None
    if "at" in segments:
        at, zone = _parse_at(ctx, segments["at"])
    target = _parse_target(ctx, segments.get("to"))
    return Request(text=text, at=at, zone=zone, target=target)


def _segments(words: list[str]) -> dict[str, list[str]]:
    """`at DATE [ZONE]` and `to WHOM`, in either order, each once."""
    try:
        clauses = split_clauses(words, OPTION_WORDS)
    except ClauseError as error:
        raise UserError(_("broadcast.unexpected"), word=error.word) from None
    if clauses.lead:
        raise UserError(_("broadcast.unexpected"), word=clauses.lead[0])
    return {keyword: list(value) for keyword, value in clauses.values.items()}


def _parse_at(ctx: Context, words: list[str]) -> tuple[datetime, str]:
    if not words:
        raise UserError(_("broadcast.bad_date"), given="")
    two_words = len(words) > 1 and DATE_ONLY.fullmatch(words[0]) is not None
    when = f"{words[0]} {words[1]}" if two_words else words[0]
    zone_words = words[2:] if two_words else words[1:]
    try:
        parse_local_datetime(when, ZoneInfo("UTC"))  # the form, before looking up a zone
    except ParseError:
        given = " ".join(words)
        raise UserError(_("broadcast.bad_date"), given=given) from None
    zone = ctx.zone.key
    if zone_words:
        resolution = resolve_zone(ctx, " ".join(zone_words))
        if resolution.zone is None:
            raise UserError(
                _("broadcast.zone_ambiguous"), zone=" ".join(zone_words), example="Europe/Berlin"
            )
        zone = resolution.zone
    try:
        instant = parse_local_datetime(when, ZoneInfo(zone)).instant
    except ParseError:
        raise UserError(_("broadcast.bad_date"), given=when) from None
    if instant <= ctx.now:
        shown = ctx.tr.datetime(instant, ZoneInfo(zone))
        raise UserError(_("broadcast.past_date"), when=shown)
    if instant > ctx.now + PLAN_AHEAD:
        raise UserError(_("time.too_far"), when=ctx.tr.datetime(instant, ZoneInfo(zone)))
    return instant, zone


def _parse_target(ctx: Context, words: list[str] | None) -> Target:
    if words is None:
        return Target()
    terms = [t for word in words for t in word.split(",") if t]
    if not terms:
        raise UserError(_("broadcast.bad_target"), target="", example="to lang:es")
    roles: list[str] = []
    languages: list[str] = []
    rsvp: tuple[int, tuple[str, ...]] | None = None
    for term in terms:
        lowered = term.lower()
        kind, _sep, value = lowered.partition(":")
        if lowered in EVERYONE_WORDS:
            continue
        if lowered in ROLE_WORDS or (kind == "role" and value in ROLE_WORDS):
            roles.append(ROLE_WORDS[value or lowered])
        elif kind in ("lang", "language") and value:
            lang = ctx.services.catalogs.normalize(term.partition(":")[2])
            if lang is None:
                raise UserError(_("broadcast.bad_target"), target=term, example="to lang:es")
            languages.append(lang)
        elif kind == "rsvp" and rsvp is None:
            rsvp = _parse_rsvp(term, value)
        else:
            raise UserError(_("broadcast.bad_target"), target=term, example="to lang:es")
    session, answers = rsvp if rsvp is not None else (None, ())
    return Target(
        roles=tuple(dict.fromkeys(roles)),
        languages=tuple(dict.fromkeys(languages)),
        rsvp_session=session,
        rsvp_answers=answers,
    )


def _parse_rsvp(term: str, value: str) -> tuple[int, tuple[str, ...]]:
    number, _sep, answers_text = value.partition(":")
    answers = tuple(dict.fromkeys(a for a in answers_text.split("+") if a)) or ("yes",)
    session = pick_number(number)
    if session is None or any(a not in RSVP_ANSWERS for a in answers):
        raise UserError(_("broadcast.bad_target"), target=term, example="to rsvp:3:yes")
    return session, answers


def number_of(text: str | None, usage: str) -> int:
    number = pick_number(text)
    if number is None:
        raise UserError(usage)
    return number
