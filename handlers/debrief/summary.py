"""Debrief summaries: `debriefs [SESSION [DATE]]` for coordinators and facilitators, and the
summary sent to facilitators when a round closes.

What a summary shows: the response rate; when at least MIN_GROUP people answered, the rating
distribution, wellbeing counts (never with names, in any mode) and the free-text answers
grouped into themes (handlers/debrief/themes.py), quoted; in a named round each quote carries
its author's name. With fewer than MIN_GROUP answers only the response rate is shown, so
nobody can be singled out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from babel import numbers as babel_numbers

from bot.commands import Args, pick_number
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.profile import quiet_hours
from bot.router import Router
from bot.timeparse import ParseError, parse_date, shift_out_of_quiet
from handlers.debrief.settings import mode_text
from handlers.debrief.themes import group
from handlers.scheduling import when_short
from storage.models import Cohort, Person
from storage.models.cohorts import Role
from storage.models.debrief import (
    STEP_RATING,
    STEP_WELLBEING,
    TEXT_STEPS,
    DebriefRound,
)
from storage.models.scheduling import ScheduledSession
from storage.repositories.cohorts import members
from storage.repositories.debrief import StoredAnswer, answers_of, rounds_of_cohort
from storage.repositories.people import display_name
from storage.repositories.scheduling import session_by_number

router = Router()

MIN_GROUP = 3
RATINGS = ("1", "2", "3", "4", "5")
WELLBEING = ("good", "okay", "low", "struggling")
LOW_WELLBEING = frozenset({"low", "struggling"})
WELLBEING_IDS = {
    "good": _("debrief.wellbeing_good"),
    "okay": _("debrief.wellbeing_okay"),
    "low": _("debrief.wellbeing_low"),
    "struggling": _("debrief.wellbeing_struggling"),
}
SECTION_IDS = {
    "worked": _("debrief.section_worked"),
    "not_worked": _("debrief.section_not_worked"),
    "change": _("debrief.section_change"),
}
QUOTES_PER_THEME = 5
THEMES_PER_SECTION = 6
QUOTE_CHARS = 240
BAR_LIMIT = 20
LIST_LIMIT = 10
SUMMARY_KEY = "debrief.summary"


# --------------------------------------------------------------------------- the numbers


@dataclass(frozen=True)
class Quote:
    text: str
    name: str | None  # only in named rounds


@dataclass(frozen=True)
class ThemeQuotes:
    keyword: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Section:
    step: str
    themes: tuple[ThemeQuotes, ...]
    other: tuple[Quote, ...]


@dataclass(frozen=True)
class Summary:
    invited: int
    responded: int
    anonymous: bool
    suppressed: bool  # fewer than MIN_GROUP answered: only the rate is shown
    ratings: tuple[tuple[str, int], ...] = ()  # ("5", 2), ... from 5 down to 1
    wellbeing: tuple[tuple[str, int], ...] = ()
    sections: tuple[Section, ...] = ()

    @property
    def rating_count(self) -> int:
        return sum(count for _value, count in self.ratings)

    @property
    def rating_average(self) -> float | None:
        total = self.rating_count
        if not total:
            return None
        return sum(int(value) * count for value, count in self.ratings) / total


def _section(step: str, answers: Sequence[StoredAnswer], names: Mapping[int, str]) -> Section:
    texts = [a for a in answers if a.question == step and a.text]
    grouping = group([a.text or "" for a in texts])

    def quote(index: int) -> Quote:
        answer = texts[index]
        name = names.get(answer.person_id) if answer.person_id is not None else None
        return Quote(answer.text or "", name)

    themes = tuple(
        ThemeQuotes(theme.keyword, tuple(quote(i) for i in theme.members))
        for theme in grouping.themes
    )
    return Section(step, themes, tuple(quote(i) for i in grouping.other))


def summarize(
    debrief: DebriefRound, answers: Sequence[StoredAnswer], names: Mapping[int, str]
) -> Summary:
    """The summary of a round from its answers; `names` maps person ids to names (named
    rounds only; wellbeing never uses them)."""
    if debrief.responded < MIN_GROUP:
        return Summary(debrief.invited, debrief.responded, debrief.anonymous, suppressed=True)
    ratings = [a.choice for a in answers if a.question == STEP_RATING]
    moods = [a.choice for a in answers if a.question == STEP_WELLBEING]
    return Summary(
        invited=debrief.invited,
        responded=debrief.responded,
        anonymous=debrief.anonymous,
        suppressed=False,
        ratings=tuple((value, ratings.count(value)) for value in reversed(RATINGS)),
        wellbeing=tuple((key, moods.count(key)) for key in WELLBEING),
        sections=tuple(_section(step, answers, names) for step in TEXT_STEPS),
    )


# --------------------------------------------------------------------------- the text


def _percent(tr: Translator, part: int, whole: int) -> str:
    return babel_numbers.format_percent(part / whole if whole else 0, locale=tr.locale)


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1].rstrip() + "…"


def _quote_line(tr: Translator, quote: Quote) -> str:
    if quote.name:
        return tr.t(_("debrief.quote_named"), text=_clip(quote.text), name=quote.name)
    return tr.t(_("debrief.quote"), text=_clip(quote.text))


def _quotes(tr: Translator, quotes: Sequence[Quote]) -> list[str]:
    lines = [_quote_line(tr, q) for q in quotes[:QUOTES_PER_THEME]]
    if len(quotes) > QUOTES_PER_THEME:
        lines.append(tr.tn(_("debrief.more_quotes"), len(quotes) - QUOTES_PER_THEME))
    return lines


def _section_lines(tr: Translator, section: Section) -> list[str]:
    lines = [tr.t(SECTION_IDS[section.step])]
    if not section.themes and not section.other:
        lines.append(tr.t(_("debrief.no_text_answers")))
        return lines
    for theme in section.themes[:THEMES_PER_SECTION]:
        lines.append(tr.tn(_("debrief.theme"), len(theme.quotes), keyword=theme.keyword))
        lines.extend(_quotes(tr, theme.quotes))
    rest = [q for t in section.themes[THEMES_PER_SECTION:] for q in t.quotes]
    other = [*rest, *section.other]
    if other:
        lines.append(tr.tn(_("debrief.other_answers"), len(other)))
        lines.extend(_quotes(tr, other))
    return lines


def render(tr: Translator, summary: Summary, heading: str) -> str:
    lines = [
        heading,
        tr.t(_("debrief.mode_line"), mode=mode_text(tr, summary.anonymous)),
        tr.t(
            _("debrief.response_rate"),
            responded=tr.number(summary.responded),
            invited=tr.number(summary.invited),
            percent=_percent(tr, summary.responded, summary.invited),
        ),
    ]
    if summary.suppressed:
        lines.append(tr.t(_("debrief.too_few"), min=tr.number(MIN_GROUP)))
        return "\n".join(lines)
    lines.append("")
    average = summary.rating_average
    if average is None:
        lines.append(tr.t(_("debrief.no_ratings")))
    else:
        shown = babel_numbers.format_decimal(average, format="0.0", locale=tr.locale)
        lines.append(tr.tn(_("debrief.rating_head"), summary.rating_count, average=shown))
        for value, count in summary.ratings:
            bar = "▇" * min(count, BAR_LIMIT)
            line = tr.t(_("debrief.rating_line"), value=tr.number(int(value)), bar=bar, count=count)
            lines.append(line if bar else line.replace("  ", " "))  # no bar, no double space
    lines.append("")
    moods = [
        tr.t(_("debrief.wellbeing_count"), label=tr.t(WELLBEING_IDS[key]), count=tr.number(n))
        for key, n in summary.wellbeing
    ]
    lines.append(tr.t(_("debrief.wellbeing_head"), counts=tr.join(moods)))
    for section in summary.sections:
        lines.append("")
        lines.extend(_section_lines(tr, section))
    return "\n".join(lines)


# --------------------------------------------------------------------------- reading rounds


async def round_heading(ctx: Context, tr: Translator, debrief: DebriefRound, zone: ZoneInfo) -> str:
    session = await ctx.session.get(ScheduledSession, debrief.session_id)
    title = session.title if session is not None else ""
    number = session.number if session is not None else 0
    state = (
        tr.t(_("debrief.closed_at"), when=when_short(tr, debrief.closed_at, zone))
        if debrief.closed_at is not None
        else tr.t(_("debrief.open_until"), when=when_short(tr, debrief.closes_at, zone))
    )
    return tr.t(
        _("debrief.summary_heading"),
        title=title,
        number=number,
        when=when_short(tr, debrief.held_at, zone),
        state=state,
    )


async def summary_text(ctx: Context, debrief: DebriefRound, reader: Person | None) -> str:
    """The whole summary of a round in `reader`'s language and zone."""
    tr = ctx.translator_for(reader) if reader is not None else ctx.tr
    zone = ctx.zone_of(reader)
    answers = await answers_of(ctx.session, debrief)
    names: dict[int, str] = {}
    if not debrief.anonymous:
        for pid in {a.person_id for a in answers if a.person_id is not None}:
            names[pid] = await display_name(ctx.session, pid)
    summary = summarize(debrief, answers, names)
    return render(tr, summary, await round_heading(ctx, tr, debrief, zone))


async def send_summaries(ctx: Context, debrief: DebriefRound) -> int:
    """Send the round's summary to the cohort's facilitators (its coordinators when it has
    none), each in their language, at the end of their quiet hours. Keyed per round and
    person: running this twice sends nothing twice. Returns how many were queued."""
    cohort = await ctx.session.get(Cohort, debrief.cohort_id)
    if cohort is None:
        return 0
    ctx.cohort = cohort
    readers = [p for _m, p in await members(ctx.session, cohort.id, (Role.FACILITATOR,))]
    if not readers:
        readers = [p for _m, p in await members(ctx.session, cohort.id, (Role.COORDINATOR,))]
    queued = 0
    for reader in readers:
        tr = ctx.translator_for(reader)
        text = "\n".join(
            [tr.t(_("debrief.auto_summary")), await summary_text(ctx, debrief, reader)]
        )
        quiet = quiet_hours(reader, ctx.config)
        when = ctx.now
        if quiet is not None:
            when = shift_out_of_quiet(ctx.now, ctx.zone_of(reader), *quiet, direction="after")
        sent = await ctx.send_to_person(
            reader.id,
            text,
            not_before=when,
            key=f"{SUMMARY_KEY}:r{debrief.id}:p{reader.id}",
            unprompted="debrief.summary",
        )
        queued += int(sent)
    return queued


# --------------------------------------------------------------------------- `debriefs`


def _pick_date(ctx: Context, text: str) -> date:
    try:
        return parse_date(text, ctx.now.astimezone(ctx.zone).date())
    except ParseError:
        raise UserError(_("debrief.debriefs_usage")) from None


async def _list(ctx: Context, cohort: Cohort, rounds: Sequence[DebriefRound]) -> None:
    lines = [ctx.t(_("debrief.list_heading"), cohort=cohort.name)]
    for debrief in rounds:
        session = await ctx.session.get(ScheduledSession, debrief.session_id)
        lines.append(
            ctx.t(
                _("debrief.list_line"),
                number=session.number if session is not None else "?",
                title=session.title if session is not None else "",
                when=when_short(ctx.tr, debrief.held_at, ctx.zone),
                responded=ctx.tr.number(debrief.responded),
                invited=ctx.tr.number(debrief.invited),
            )
        )
    lines.append(ctx.t(_("debrief.list_hint")))
    await ctx.say("\n".join(lines))


@router.command(
    "debriefs",
    usage="[SESSION [DATE]]",
    help_id=_("debrief.help_debriefs"),
)
async def debriefs(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    words = args.words
    if len(words) > 2:
        raise UserError(_("debrief.debriefs_usage"))
    if not words:
        rounds = await rounds_of_cohort(ctx.session, cohort.id, limit=LIST_LIMIT)
        if not rounds:
            await ctx.reply(_("debrief.none_yet"))
        elif len(rounds) == 1:
            await ctx.say(await summary_text(ctx, rounds[0], ctx.person))
        else:
            await _list(ctx, cohort, rounds)
        return
    number = pick_number(words[0])
    session = await session_by_number(ctx.session, cohort.id, number) if number else None
    if session is None:
        raise UserError(_("debrief.no_such_session"), number=words[0])
    rounds = await rounds_of_cohort(ctx.session, cohort.id, session_id=session.id, limit=1000)
    if len(words) == 2:
        day = _pick_date(ctx, words[1])
        rounds = [r for r in rounds if r.held_at.astimezone(ctx.zone).date() == day]
        if not rounds:
            raise UserError(
                _("debrief.none_on_date"),
                number=session.number,
                title=session.title,
                date=ctx.tr.date(day, "medium"),
            )
    if not rounds:
        await ctx.reply(_("debrief.none_for_session"), number=session.number, title=session.title)
        return
    await ctx.say(await summary_text(ctx, rounds[0], ctx.person))
