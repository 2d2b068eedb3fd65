"""`/c/{cohort}/debriefs`: the debrief rounds over the sessions. Response rates and the rating
trend as charts; wellbeing counts and themes of the free-text answers. The chat's minimum-group
rule holds here too: a round with fewer than three respondents shows its response rate only
(no rating, no wellbeing, no themes), so nobody can be singled out; quotes never carry names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from bot.i18n import _
from handlers.debrief import group
from storage.models.debrief import STEP_RATING, STEP_WELLBEING, TEXT_STEPS
from storage.models.scheduling import ScheduledSession
from storage.repositories.debrief import answers_of, rounds_of_cohort
from web.auth import cohort_page
from web.pages.common import render, when
from web.state import Page
from web.suppress import MIN_GROUP
from web.svg import Bar, Point, bars, line

ROUNDS = 60
THEMES = 6
QUOTES = 3
WELLBEING = ("good", "okay", "low", "struggling")
WELLBEING_IDS = {
    "good": _("web.wellbeing_good"),
    "okay": _("web.wellbeing_okay"),
    "low": _("web.wellbeing_low"),
    "struggling": _("web.wellbeing_struggling"),
}
SECTION_IDS = {
    "worked": _("web.section_worked"),
    "not_worked": _("web.section_not_worked"),
    "change": _("web.section_change"),
}


@dataclass(frozen=True)
class RoundRow:
    label: str
    title: str
    when: str
    invited: int
    responded: int
    rate: float | None
    average: float | None  # None: fewer than MIN_GROUP answered, or no ratings
    suppressed: bool
    anonymous: bool
    open: bool


@dataclass(frozen=True)
class Theme:
    keyword: str
    count: int
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    title: str
    themes: tuple[Theme, ...]


@cohort_page(audit="debriefs")
async def debriefs(request: web.Request, p: Page) -> web.StreamResponse:
    tr = p.tr
    rounds = list(reversed(await rounds_of_cohort(p.session, p.cohort.id, limit=ROUNDS)))
    rows: list[RoundRow] = []
    moods: Counter[str] = Counter()
    texts: dict[str, list[str]] = {step: [] for step in TEXT_STEPS}
    for debrief in rounds:
        session = await p.session.get(ScheduledSession, debrief.session_id)
        suppressed = debrief.responded < MIN_GROUP
        average = None
        if not suppressed:
            answers = await answers_of(p.session, debrief)
            ratings = [int(a.choice) for a in answers if a.question == STEP_RATING and a.choice]
            average = sum(ratings) / len(ratings) if ratings else None
            moods.update(a.choice for a in answers if a.question == STEP_WELLBEING and a.choice)
            for a in answers:
                if a.question in texts and a.text:
                    texts[a.question].append(a.text)
        rows.append(
            RoundRow(
                label=f"#{session.number if session else '?'}",
                title=session.title if session else "",
                when=when(tr, p, debrief.held_at),
                invited=debrief.invited,
                responded=debrief.responded,
                rate=100.0 * debrief.responded / debrief.invited if debrief.invited else None,
                average=average,
                suppressed=suppressed,
                anonymous=debrief.anonymous,
                open=debrief.closed_at is None,
            )
        )
    rate_chart = bars(
        [
            Bar(
                f"{r.label} {r.when.split(',')[0]}",
                r.rate,
                f"{r.rate:.0f}% ({tr.number(r.responded)}/{tr.number(r.invited)})"
                if r.rate is not None
                else "—",
            )
            for r in rows
        ],
        label=tr.t("web.response_rate_chart"),
        maximum=100.0,
        rtl=tr.rtl,
    )
    trend = line(
        [
            Point(r.label, r.average, f"{r.label}: {r.average:.1f}" if r.average else "—")
            for r in rows
        ],
        label=tr.t("web.rating_trend_chart"),
        low=1,
        high=5,
        rtl=tr.rtl,
    )
    wellbeing = bars(
        [Bar(tr.t(WELLBEING_IDS[k]), float(moods[k]), tr.number(moods[k])) for k in WELLBEING],
        label=tr.t("web.wellbeing_chart"),
        rtl=tr.rtl,
    )
    sections = []
    for step in TEXT_STEPS:
        grouping = group(texts[step])
        themes = tuple(
            Theme(
                t.keyword,
                len(t.members),
                tuple(texts[step][i][:240] for i in t.members[:QUOTES]),
            )
            for t in grouping.themes[:THEMES]
        )
        sections.append(Section(tr.t(SECTION_IDS[step]), themes))
    return render(
        request,
        p,
        "debriefs.html",
        "debriefs",
        rows=rows[::-1],
        rate_chart=rate_chart,
        trend=trend,
        wellbeing=wellbeing,
        has_wellbeing=sum(moods.values()) > 0,
        sections=sections,
        min_group=MIN_GROUP,
    )
