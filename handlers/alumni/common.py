"""What the alumni modules share: when to reach someone (a local hour, outside quiet hours, at
most once a week), how to name and reach a person, and whom to tell when someone needs help."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context
from bot.i18n import Translator, _
from bot.profile import out_of_quiet, zone_of
from bot.timeparse import resolve_wall_time
from handlers.cohorts import contact_of
from handlers.consent import give, has_consent
from handlers.help import prefix_on
from storage.models import Cohort, Identity, PendingQuestion, Person
from storage.models.cohorts import Role
from storage.models.consent import NO, VIA_CHECKIN, YES
from storage.repositories.alumni import active_mentor_of, last_contact
from storage.repositories.cohorts import members, membership
from storage.repositories.people import display_name, identities_of, preferred_identity

# The local hour nudges and check-ins aim for.
NUDGE_TIME = time(10, 0)
# At most one nudge or check-in a week per person.
WEEK = timedelta(days=7)
ALUMNI_SCOPE = "alumni"


def local_morning(ctx: Context, person: Person, zone: ZoneInfo, day: date) -> datetime:
    """NUDGE_TIME on `day` in `zone`, moved past the person's quiet hours if they cover it."""
    wall = datetime.combine(day, NUDGE_TIME)
    return out_of_quiet(person, ctx.config, zone, resolve_wall_time(wall, zone).instant)


async def next_contact_time(ctx: Context, person: Person, zone: ZoneInfo) -> datetime:
    """The earliest moment from now the bot may reach out on its own: a week after the last
    nudge or check-in, outside quiet hours."""
    earliest = ctx.now
    last = await last_contact(ctx.session, person.id)
    if last is not None and last + WEEK > earliest:
        earliest = last + WEEK
    return out_of_quiet(person, ctx.config, zone, earliest)


async def consents(ctx: Context, person_id: int, cohort_id: int) -> bool:
    """Alumni contact allowed: a current yes for `cohort_id` (silence is never consent)."""
    return await has_consent(ctx.session, person_id, ALUMNI_SCOPE, cohort_id, now=ctx.now) is True


async def may_contact(ctx: Context, person_id: int, cohort_id: int) -> bool:
    """Still in the cohort (leaving it ends its follow-ups) and a current yes to alumni contact."""
    if await membership(ctx.session, cohort_id, person_id) is None:
        return False
    return await consents(ctx, person_id, cohort_id)


async def consent_answer(ctx: Context, person_id: int, cohort_id: int) -> bool | None:
    return await has_consent(ctx.session, person_id, ALUMNI_SCOPE, cohort_id, now=ctx.now)


async def give_alumni_answer(ctx: Context, person: Person, cohort: Cohort, yes: bool) -> None:
    await give(ctx, person, cohort, ALUMNI_SCOPE, YES if yes else NO, VIA_CHECKIN)


async def prefix_for(session: AsyncSession, person_id: int) -> str:
    """The command prefix on the platform that reaches this person ("/" or "!")."""
    identity = await preferred_identity(session, person_id)
    return prefix_on(identity.platform if identity is not None else "")


def reach_of(identities: list[Identity]) -> str:
    """How someone else can reach this person: their Matrix id, a Telegram profile link, or
    their console name."""
    return ", ".join(dict.fromkeys(contact_of(identity) for identity in identities))


async def reach(session: AsyncSession, person_id: int) -> str:
    return reach_of(await identities_of(session, person_id))


async def name_of(session: AsyncSession, person_id: int) -> str:
    return await display_name(session, person_id)


async def forget_questions(session: AsyncSession, person_id: int, *kinds: str) -> None:
    """Drop the person's pending questions of these kinds (an older nudge a new one replaces)."""
    await session.execute(
        delete(PendingQuestion).where(
            PendingQuestion.person_id == person_id, PendingQuestion.kind.in_(kinds)
        )
    )


async def questions_of(session: AsyncSession, person_id: int, kind: str) -> list[PendingQuestion]:
    found = await session.execute(
        select(PendingQuestion).where(
            PendingQuestion.person_id == person_id, PendingQuestion.kind == kind
        )
    )
    return list(found.scalars())


@dataclass(frozen=True)
class Helper:
    person: Person
    relation: str  # message id: "your mentor", "a facilitator of {cohort}"


async def helper_for(session: AsyncSession, person: Person, cohort: Cohort | None) -> Helper | None:
    """Whom to tell when someone asks for help: their mentor, else a facilitator of the cohort,
    else one of its coordinators."""
    pairing = await active_mentor_of(session, person.id)
    if pairing is not None:
        mentor = await session.get(Person, pairing.mentor_id)
        if mentor is not None:
            return Helper(mentor, _("alumni.relation_mentor"))
    if cohort is None:
        return None
    for role, relation in (
        (Role.FACILITATOR, _("alumni.relation_facilitator")),
        (Role.COORDINATOR, _("alumni.relation_coordinator")),
    ):
        for _m, staff in await members(session, cohort.id, roles=(role,)):
            if staff.id != person.id:
                return Helper(staff, relation)
    return None


async def tell_helper(ctx: Context, helper: Helper, msgid: str, **params: object) -> None:
    """A message to a helper in their language, outside their quiet hours."""
    tr = ctx.translator_for(helper.person)
    text = tr.t(msgid, **params)
    zone = zone_of(helper.person)
    await ctx.send_to_person(
        helper.person.id,
        text,
        not_before=out_of_quiet(helper.person, ctx.config, zone, ctx.now),
        unprompted="alumni.helper_request",
    )


def relation_text(tr: Translator, helper: Helper, cohort: Cohort | None) -> str:
    return tr.t(helper.relation, cohort=cohort.name if cohort is not None else "")


def language_names(tr: Translator, codes: list[str]) -> str:
    return tr.join([tr.language_name(code) for code in codes])
