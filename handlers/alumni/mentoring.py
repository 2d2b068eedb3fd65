"""Mentor pairing: `mentor` (my offer and mentees), `mentor on ["INTERESTS"] [LANGUAGE ...]`,
`mentor off`, and `findmentor ["INTERESTS"]`.

Only people from a past (closed) cohort may offer. `findmentor` suggests the best mentor
(handlers/alumni/match.py: a shared language first, then the same country or continent, then
shared interests; among equals the one with the fewest mentees; never one at capacity, never
one who already declined or let a request lapse). The seeker accepts the suggestion or asks for
another; the mentor is then asked (a sticky question, outside their quiet hours) and has a
week to answer. On yes both are introduced, each in their own language, with how to reach the
other; a month later the mentor gets a gentle check-in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.outbox import cancel_jobs
from bot.profile import out_of_quiet, zone_of
from bot.router import Answer, JobInfo, Router
from bot.timeparse import stamp
from handlers.alumni.common import local_morning, name_of, prefix_for, questions_of, reach
from handlers.alumni.directory import INTERESTS_LIMIT, describe, publish, switch_word
from handlers.alumni.match import (
    MentorCandidate,
    Regions,
    interest_phrases,
    interest_words,
    rank_mentors,
    seeker,
)
from handlers.alumni.payloads import MentorAsk, MentorSuggestion, OfPairing
from storage.models import Cohort, Job, PendingQuestion, Person
from storage.models.alumni import (
    ACTIVE,
    ASKED,
    DECLINED,
    ENDED,
    EXPIRED,
    MentorOffer,
    MentorPairing,
)
from storage.repositories.alumni import (
    active_offers,
    closed_cohorts_of,
    directory_entry,
    mentor_loads,
    mentor_offer,
    pairings_of_mentee,
    pairings_of_mentor,
)

router = Router()

SUGGEST = "alumni.mentor_suggest"
REQUEST = "alumni.mentor_request"
ASK = "alumni.mentor_ask"
TIMEOUT = "alumni.mentor_timeout"
CHECKIN = "alumni.mentor_checkin"
ANSWER_WITHIN = timedelta(days=7)
CHECKIN_AFTER = timedelta(days=30)
CAPACITY = 3


# Offering --------------------------------------------------------------------------------------


@router.command(
    "mentor",
    usage='on ["INTERESTS"] [LANGUAGE ...] | off',
    help_id=_("alumni.help_mentor"),
)
async def mentor(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    p = await prefix_for(ctx.session, person.id)
    offer = await mentor_offer(ctx.session, person.id)
    word = switch_word(args)
    if not word:
        await show_offer(ctx, person, offer, p)
        return
    if word == "off":
        if offer is None or not offer.active:
            await ctx.reply(_("alumni.mentor_was_off"))
            return
        offer.active = False
        offer.updated_at = ctx.now
        ongoing = await pairings_of_mentor(ctx.session, person.id, (ACTIVE,))
        lines = [ctx.t(_("alumni.mentor_off"), command=f"{p}mentor on")]
        if ongoing:
            lines.append(ctx.t(_("alumni.mentor_off_ongoing")))
        await ctx.say("\n".join(lines))
        return
    if word != "on":
        raise UserError(_("alumni.mentor_usage"), example=f'{p}mentor on "community media"')
    if not await closed_cohorts_of(ctx.session, person.id):
        raise UserError(_("alumni.mentor_needs_past"), command=f"{p}findmentor")
    if offer is None:
        offer = MentorOffer(
            person_id=person.id, capacity=CAPACITY, created_at=ctx.now, updated_at=ctx.now
        )
        ctx.session.add(offer)
    offer.active = True
    lines = [ctx.t(_("alumni.mentor_on")), *publish(ctx, person, offer, args.words[1:])]
    lines.append(ctx.t(_("alumni.mentor_on_next"), command=f"{p}mentor off"))
    await ctx.say("\n".join(lines))


async def show_offer(ctx: Context, person: Person, offer: MentorOffer | None, p: str) -> None:
    lines: list[str] = []
    if offer is None or not offer.active:
        lines.append(ctx.t(_("alumni.mentor_not_offering"), command=f'{p}mentor on "…"'))
    else:
        lines.append(ctx.t(_("alumni.mentor_offering")))
        lines += describe(ctx, offer.languages, offer.country, offer.interests)
    ongoing = await pairings_of_mentor(ctx.session, person.id, (ACTIVE, ASKED))
    for pairing in ongoing:
        msgid = _("alumni.mentor_mentee") if pairing.status == ACTIVE else _("alumni.mentor_asked")
        lines.append(ctx.t(msgid, name=await name_of(ctx.session, pairing.mentee_id)))
    mine = [x for x in await pairings_of_mentee(ctx.session, person.id) if x.status == ACTIVE]
    for pairing in mine:
        lines.append(
            ctx.t(_("alumni.mentor_yours"), name=await name_of(ctx.session, pairing.mentor_id))
        )
    await ctx.say("\n".join(lines))


# Finding a mentor ------------------------------------------------------------------------------


@router.command("findmentor", usage='["INTERESTS"]', help_id=_("alumni.help_findmentor"))
async def findmentor(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    pairings = await pairings_of_mentee(ctx.session, person.id)
    for pairing in pairings:
        if pairing.status == ACTIVE:
            await ctx.reply(
                _("alumni.findmentor_have"),
                name=await name_of(ctx.session, pairing.mentor_id),
                reach=await reach(ctx.session, pairing.mentor_id),
            )
            return
        if pairing.status == ASKED:
            await ctx.reply(
                _("alumni.findmentor_waiting"), name=await name_of(ctx.session, pairing.mentor_id)
            )
            return
    interests = args.rest(0).strip() or None
    if interests is not None and len(interests) > INTERESTS_LIMIT:
        raise UserError(_("alumni.interests_too_long"), limit=INTERESTS_LIMIT)
    if interests is None:
        entry = await directory_entry(ctx.session, person.id)
        interests = entry.interests if entry is not None else None
    skip = [x.mentor_id for x in pairings if x.status in (DECLINED, EXPIRED)]
    await suggest(ctx, person, interests, skip)


async def candidates(ctx: Context) -> list[MentorCandidate]:
    loads = await mentor_loads(ctx.session)
    return [
        MentorCandidate(
            person_id=offer.person_id,
            languages=frozenset(code.split("_")[0] for code in offer.languages),
            country=offer.country,
            interests=interest_words(offer.interests),
            load=loads.get(offer.person_id, 0),
            capacity=offer.capacity,
            since=offer.created_at,
        )
        for offer, _who in await active_offers(ctx.session)
    ]


async def seeker_languages(ctx: Context, person: Person) -> list[str]:
    entry = await directory_entry(ctx.session, person.id)
    if entry is not None and entry.languages:
        return list(entry.languages)
    return [person.language or ctx.config.bot.default_language]


async def suggest(ctx: Context, person: Person, interests: str | None, skip: list[int]) -> None:
    p = await prefix_for(ctx.session, person.id)
    who = seeker(person.id, await seeker_languages(ctx, person), person.country, interests)
    ranked = rank_mentors(who, await candidates(ctx), Regions.load(), exclude=skip)
    if not ranked:
        msgid = _("alumni.findmentor_none_left") if skip else _("alumni.findmentor_none")
        await ctx.reply(msgid, command=f"{p}findmentor")
        return
    best = ranked[0]
    offer = await mentor_offer(ctx.session, best.person_id)
    assert offer is not None
    lines = [
        ctx.t(_("alumni.findmentor_suggest"), name=await name_of(ctx.session, best.person_id)),
        *describe(ctx, offer.languages, offer.country, offer.interests),
        ctx.t(_("alumni.findmentor_shall_i")),
    ]
    await ctx.ask(
        SUGGEST,
        "\n".join(lines),
        [
            Choice("ask", ctx.t(_("alumni.choice_ask_mentor"))),
            Choice("other", ctx.t(_("alumni.choice_other_mentor"))),
            Choice("no", ctx.t(_("alumni.choice_not_now"))),
        ],
        payload=MentorSuggestion(best.person_id, tuple(skip), interests),
    )


@router.question(SUGGEST, payload=MentorSuggestion)
async def suggestion_answered(ctx: Context, answer: Answer[MentorSuggestion]) -> None:
    person = ctx.require_person()
    p = await prefix_for(ctx.session, person.id)
    mentor_id = answer.data.mentor_id
    skip = list(answer.data.skip)
    interests = answer.data.interests or None
    if answer.key == "no":
        await ctx.reply(_("alumni.findmentor_later"), command=f"{p}findmentor")
        return
    if answer.key == "other":
        await suggest(ctx, person, interests, [*skip, mentor_id])
        return
    busy = [
        x for x in await pairings_of_mentee(ctx.session, person.id) if x.status in (ASKED, ACTIVE)
    ]
    if busy:
        raise UserError(_("core.question_expired"))
    offer = await mentor_offer(ctx.session, mentor_id)
    load = len(await pairings_of_mentor(ctx.session, mentor_id))
    if offer is None or not offer.active or load >= offer.capacity:
        await ctx.reply(_("alumni.mentor_unavailable"))
        await suggest(ctx, person, interests, [*skip, mentor_id])
        return
    pairing = MentorPairing(
        mentor_id=mentor_id,
        mentee_id=person.id,
        cohort_id=person.active_cohort_id,
        status=ASKED,
        created_at=ctx.now,
    )
    ctx.session.add(pairing)
    await ctx.session.flush()
    mentor_person = await ctx.session.get(Person, mentor_id)
    assert mentor_person is not None
    ask_at = out_of_quiet(mentor_person, ctx.config, zone_of(mentor_person), ctx.now)
    await ctx.schedule(
        ASK,
        ask_at,
        key=f"{ASK}:{pairing.id}",
        payload=MentorAsk(pairing.id, interests),
        person_id=mentor_id,
    )
    await ctx.schedule(
        TIMEOUT,
        ask_at + ANSWER_WITHIN,
        key=f"{TIMEOUT}:{pairing.id}",
        payload=OfPairing(pairing.id),
        person_id=person.id,
    )
    await ctx.reply(_("alumni.findmentor_asked"), name=await name_of(ctx.session, mentor_id))


# The mentor's side -----------------------------------------------------------------------------


@router.job(ASK, payload=MentorAsk)
async def ask_mentor(ctx: Context, job: JobInfo[MentorAsk]) -> None:
    pairing = await ctx.session.get(MentorPairing, job.data.pairing_id)
    if ctx.person is None or pairing is None or pairing.status != ASKED:
        return
    mentee = await ctx.session.get(Person, pairing.mentee_id)
    if mentee is None:
        return
    cohort = await ctx.session.get(Cohort, pairing.cohort_id) if pairing.cohort_id else None
    interests = job.data.interests
    lines = [
        ctx.t(
            _("alumni.mentor_request"),
            name=await name_of(ctx.session, mentee.id),
            cohort=cohort.name if cohort is not None else "—",
        ),
        *describe(ctx, await seeker_languages(ctx, mentee), mentee.country, None),
    ]
    phrases = interest_phrases(interests) if interests else []
    if phrases:
        lines.append(ctx.t(_("alumni.show_interests"), interests=", ".join(phrases)))
    lines.append(ctx.t(_("alumni.mentor_request_question")))
    await ctx.ask(
        REQUEST,
        "\n".join(lines),
        [
            Choice("yes", ctx.t(_("alumni.choice_mentor_yes"))),
            Choice("no", ctx.t(_("alumni.choice_mentor_no"))),
        ],
        payload=OfPairing(pairing.id),
        sticky=True,
        expires_in=ANSWER_WITHIN + timedelta(days=1),
    )


@router.question(REQUEST, payload=OfPairing)
async def request_answered(ctx: Context, answer: Answer[OfPairing]) -> None:
    me = ctx.require_person()
    pairing = await ctx.session.get(MentorPairing, answer.data.pairing_id)
    if pairing is None or pairing.mentor_id != me.id:
        raise UserError(_("core.question_expired"))
    if pairing.status != ASKED:
        await ctx.reply(_("alumni.mentor_request_gone"))
        return
    mentee = await ctx.session.get(Person, pairing.mentee_id)
    if mentee is None:
        raise UserError(_("core.question_expired"))
    pairing.answered_at = ctx.now
    await cancel_jobs(ctx.session, Job.idempotency_key == f"{TIMEOUT}:{pairing.id}")
    mentee_tr = ctx.translator_for(mentee)
    when = out_of_quiet(mentee, ctx.config, zone_of(mentee), ctx.now)
    my_name = await name_of(ctx.session, me.id)
    if answer.key != "yes":
        pairing.status = DECLINED
        await ctx.reply(_("alumni.mentor_declined_ok"))
        p = await prefix_for(ctx.session, mentee.id)
        text = mentee_tr.t(_("alumni.mentor_declined"), name=my_name, command=f"{p}findmentor")
        await ctx.send_to_person(mentee.id, text, not_before=when, unprompted="alumni.mentoring")
        return
    pairing.status = ACTIVE
    await ctx.reply(
        _("alumni.intro_mentor"),
        name=await name_of(ctx.session, mentee.id),
        reach=await reach(ctx.session, mentee.id),
    )
    text = mentee_tr.t(
        _("alumni.intro_mentee"), name=my_name, reach=await reach(ctx.session, me.id)
    )
    await ctx.send_to_person(mentee.id, text, not_before=when, unprompted="alumni.mentoring")
    zone = zone_of(me)
    day = (ctx.now + CHECKIN_AFTER).astimezone(zone).date()
    await ctx.schedule(
        CHECKIN,
        local_morning(ctx, me, zone, day),
        key=f"{CHECKIN}:{pairing.id}",
        payload=OfPairing(pairing.id),
        person_id=me.id,
    )


@router.job(TIMEOUT, payload=OfPairing)
async def request_lapsed(ctx: Context, job: JobInfo[OfPairing]) -> None:
    """No answer within a week: the request lapses, the seeker hears, the question goes."""
    pairing = await ctx.session.get(MentorPairing, job.data.pairing_id)
    mentee = ctx.person
    if pairing is None or mentee is None or pairing.status != ASKED:
        return
    pairing.status = EXPIRED
    pairing.answered_at = ctx.now
    for question in await questions_of(ctx.session, pairing.mentor_id, REQUEST):
        of = OfPairing.read(question.payload, REQUEST)
        if of is not None and of.pairing_id == pairing.id:
            await ctx.session.execute(
                delete(PendingQuestion).where(PendingQuestion.id == question.id)
            )
    p = await prefix_for(ctx.session, mentee.id)
    text = ctx.t(
        _("alumni.mentor_no_answer"),
        name=await name_of(ctx.session, pairing.mentor_id),
        command=f"{p}findmentor",
    )
    when = out_of_quiet(mentee, ctx.config, zone_of(mentee), ctx.now)
    await ctx.send_to_person(mentee.id, text, not_before=when, unprompted="alumni.mentoring")


@router.job(CHECKIN, payload=OfPairing)
async def mentor_checkin(ctx: Context, job: JobInfo[OfPairing]) -> None:
    """A month into a pairing: a gentle word to the mentor."""
    pairing = await ctx.session.get(MentorPairing, job.data.pairing_id)
    me = ctx.person
    if pairing is None or me is None or pairing.status != ACTIVE:
        return
    zone = zone_of(me)
    when = out_of_quiet(me, ctx.config, zone, ctx.now)
    if when > ctx.now:
        await ctx.defer(job, when, key=f"{CHECKIN}:{pairing.id}:{stamp(when)}")
        return
    await ctx.ask(
        CHECKIN,
        ctx.t(_("alumni.mentor_checkin"), name=await name_of(ctx.session, pairing.mentee_id)),
        [
            Choice("good", ctx.t(_("alumni.choice_mentoring_good"))),
            Choice("ended", ctx.t(_("alumni.choice_mentoring_ended"))),
        ],
        payload=OfPairing(pairing.id),
        sticky=True,
        expires_in=timedelta(days=30),
    )


@router.question(CHECKIN, payload=OfPairing)
async def mentor_checkin_answered(ctx: Context, answer: Answer[OfPairing]) -> None:
    me = ctx.require_person()
    pairing = await ctx.session.get(MentorPairing, answer.data.pairing_id)
    if pairing is None or pairing.mentor_id != me.id:
        raise UserError(_("core.question_expired"))
    if answer.key != "ended" or pairing.status != ACTIVE:
        await ctx.reply(_("alumni.mentoring_good_ok"))
        return
    pairing.status = ENDED
    pairing.ended_at = ctx.now
    await ctx.reply(_("alumni.mentoring_ended_ok"))
    mentee = await ctx.session.get(Person, pairing.mentee_id)
    if mentee is not None:
        p = await prefix_for(ctx.session, mentee.id)
        text = ctx.translator_for(mentee).t(
            _("alumni.mentoring_ended_mentee"),
            name=await name_of(ctx.session, me.id),
            command=f"{p}findmentor",
        )
        await ctx.send_to_person(
            mentee.id,
            text,
            not_before=out_of_quiet(mentee, ctx.config, zone_of(mentee), ctx.now),
            unprompted="alumni.mentoring",
        )
