"""Cohorts, membership and roles: newcohort, join (and `start CODE`), leave, use, role, roster,
bindchat, closecohort. Other capabilities use `require_open` (a closed cohort takes no new
sessions) and subscribe to `CohortClosed` and `RosterShown` (handlers/cohorts/events.py)."""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from bot.commands import Args, pick_number
from bot.context import Context, private_address
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Address, Choice
from bot.router import Answer, Router
from bot.sanitize import clean_name
from handlers.cohorts.events import CohortClosed, RosterShown
from handlers.onboarding import StartedWithCode
from handlers.profile import ZONE_FOLLOWS, resolve_zone
from storage.models import ROLES, STAFF_ROLES, BoundChat, Cohort, Identity, Membership, Person
from storage.models.cohorts import FAILED_JOIN_WINDOW
from storage.repositories.cohorts import (
    RosterRow,
    bound_chat,
    bound_chats,
    code_taken,
    cohort_by_code,
    cohorts_with_role,
    count_members,
    count_role,
    failed_joins_since,
    make_alumni,
    members,
    membership,
    memberships_of,
    prune_failed_joins,
    record_failed_join,
    roster,
)

router = Router()

# No 0/O, 1/I/L: codes are read aloud and typed from paper. 31 symbols x 8 = 39.6 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
ROSTER_PAGE = 30
NAME_LIMIT = 200

CLOSE_CONFIRM = "cohorts.close_confirm"
BIND_PICK = "cohorts.bind_pick"

ROLE_ALIASES = {
    "coordinator": _("cohorts.role_aliases_coordinator"),
    "facilitator": _("cohorts.role_aliases_facilitator"),
    "mentor": _("cohorts.role_aliases_mentor"),
    "participant": _("cohorts.role_aliases_participant"),
    "alumni": _("cohorts.role_aliases_alumni"),
}


# Codes -----------------------------------------------------------------------------------------
def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


async def unique_code(ctx: Context) -> str:
    while True:
        code = new_code()
        if not await code_taken(ctx.session, code):
            return code


def normalize_code(text: str) -> str:
    """What a person typed or pasted (a code in any case, with spaces or dashes, or a whole deep
    link) as the stored form of a code."""
    link = re.search(r"[?&]start=([A-Za-z0-9_-]+)", text)
    if link:
        text = link.group(1)
    return re.sub(r"[\s\-]", "", text).upper()


def deep_link(ctx: Context, code: str) -> str | None:
    """https://t.me/<bot>?start=<CODE>, when the sender is on Telegram and the bot's name is
    known (other platforms have no deep links)."""
    bot = ctx.services.bot_names.get("telegram")
    if ctx.identity is None or ctx.identity.platform != "telegram" or not bot:
        return None
    return f"https://t.me/{bot}?start={code}"


def invite_lines(ctx: Context, cohort: Cohort) -> list[str]:
    lines = [ctx.t(_("cohorts.invite_code"), code=cohort.code)]
    link = deep_link(ctx, cohort.code)
    if link:
        lines.append(ctx.t(_("cohorts.invite_link"), link=link))
    return lines


# Joining ---------------------------------------------------------------------------------------
async def join_by_code(ctx: Context, text: str) -> Cohort | None:
    """Join the cohort whose code is `text`. A wrong code is answered (and counted: at most
    `[bot] join_attempts_per_hour` wrong codes per person per hour) and returns None. In a
    group chat (where everyone would see who joins what) joining is refused; the pipeline has
    moved the answer to the private chat."""
    if ctx.in_group:
        raise UserError(_("cohorts.join_in_group"))
    person = ctx.require_person()
    limit = ctx.config.bot.join_attempts_per_hour
    window_start = ctx.now - FAILED_JOIN_WINDOW
    await prune_failed_joins(ctx.session, window_start)
    failures = await failed_joins_since(ctx.session, person.id, window_start)
    if len(failures) >= limit:
        # the try that must age out of the window before one more is allowed
        wait = failures[len(failures) - limit] + FAILED_JOIN_WINDOW - ctx.now
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise UserError(_("cohorts.join_rate_limited"), wait=ctx.tn("cohorts.minutes", minutes))
    code = normalize_code(text)
    cohort = await cohort_by_code(ctx.session, code) if code else None
    if cohort is None:
        # Not a UserError: the failed try must be kept (a UserError rolls everything back).
        await record_failed_join(ctx.session, person.id, ctx.now)
        await ctx.reply(_("cohorts.bad_code"), code=text.strip()[:40])
        return None
    if cohort.status == "closed":
        raise UserError(_("cohorts.closed_no_join"), cohort=cohort.name)
    existing = await membership(ctx.session, cohort.id, person.id)
    if existing is not None:
        await ctx.reply(_("cohorts.already_member"), cohort=cohort.name)
    else:
        ctx.session.add(
            Membership(
                cohort_id=cohort.id, person_id=person.id, role="participant", joined_at=ctx.now
            )
        )
        await ctx.reply(_("cohorts.joined"), cohort=cohort.name)
    person.active_cohort_id = cohort.id
    return cohort


@router.command("newcohort", usage='"NAME" [ZONE]', help_id=_("help.cmd.newcohort"))
async def newcohort(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    name = clean_name(args.get(0), limit=None)  # one line, nothing invisible or reversing
    if not name:
        raise UserError(_("cohorts.newcohort_usage"))
    if len(name) > NAME_LIMIT:
        raise UserError(_("cohorts.name_too_long"), limit=NAME_LIMIT)
    zone = person.timezone or "UTC"
    settings: dict[str, object] = {}
    if len(args) == 1 and person.timezone is None:
        settings[ZONE_FOLLOWS] = person.id  # UTC until the creator tells us their zone
    if len(args) > 1:
        resolution = resolve_zone(ctx, args.rest(1))
        if resolution.zone is None:
            raise UserError(_("cohorts.zone_ambiguous"), zone=args.rest(1))
        zone = resolution.zone
    cohort = Cohort(
        name=name,
        code=await unique_code(ctx),
        zone=zone,
        status="active",
        created_at=ctx.now,
        settings=settings,
    )
    ctx.session.add(cohort)
    await ctx.session.flush()
    ctx.session.add(
        Membership(cohort_id=cohort.id, person_id=person.id, role="coordinator", joined_at=ctx.now)
    )
    person.active_cohort_id = cohort.id
    lines = [ctx.t(_("cohorts.created"), cohort=name, zone=zone)]
    if ZONE_FOLLOWS in settings:
        # The cohort's zone is what members without their own zone (and group chats) see.
        lines.append(ctx.t(_("cohorts.created_zone_guess"), example="Africa/Nairobi"))
    lines += invite_lines(ctx, cohort)
    await ctx.say("\n".join(lines))


@router.command("join", usage="CODE", help_id=_("help.cmd.join"))
async def join(ctx: Context, args: Args) -> None:
    if not args.words:
        raise UserError(_("cohorts.join_usage"))
    await join_by_code(ctx, args.rest(0))


@router.on(StartedWithCode)
async def join_at_start(ctx: Context, event: StartedWithCode) -> None:
    await join_by_code(ctx, event.code)


@router.command("leave", help_id=_("help.cmd.leave"))
async def leave(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    if ctx.role == "coordinator" and await count_role(ctx.session, cohort.id, "coordinator") <= 1:
        raise UserError(_("cohorts.last_coordinator"), cohort=cohort.name)
    await ctx.session.execute(
        delete(Membership).where(
            Membership.cohort_id == cohort.id, Membership.person_id == person.id
        )
    )
    if person.active_cohort_id == cohort.id:
        person.active_cohort_id = None
    await ctx.reply(_("cohorts.left"), cohort=cohort.name)


@router.command("use", usage="COHORT", help_id=_("help.cmd.use"))
async def use(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    mine = await memberships_of(ctx.session, person.id)
    if not mine:
        raise UserError(_("core.not_member"))
    names = ", ".join(f"{i}. {c.name}" for i, (_m, c) in enumerate(mine, start=1))
    wanted = args.rest(0).strip()
    if not wanted:
        raise UserError(_("cohorts.use_usage"), cohorts=names)
    found = pick_cohort([c for _m, c in mine], wanted)
    if found is None:
        raise UserError(_("cohorts.use_unknown"), cohort=wanted, cohorts=names)
    person.active_cohort_id = found.id
    await ctx.reply(_("cohorts.using"), cohort=found.name)


def pick_cohort(cohorts: list[Cohort], wanted: str) -> Cohort | None:
    """A cohort by its number in `cohorts` (1-based), its name or its invite code."""
    folded = fold(wanted)
    for index, cohort in enumerate(cohorts, start=1):
        if folded in (fold(cohort.name), fold(cohort.code), str(index)):
            return cohort
    return None


# Closed cohorts --------------------------------------------------------------------------------
def require_open(ctx: Context) -> Cohort:
    """The current cohort, or a localized refusal when it has closed (no new sessions then)."""
    cohort = ctx.require_cohort()
    if cohort.status == "closed":
        raise UserError(_("cohorts.closed_refused"), cohort=cohort.name)
    return cohort


# Names -----------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def name_of(person: Person, identities: Sequence[Identity]) -> str:
    for identity in identities:
        if identity.display_name:
            return identity.display_name
    return f"#{person.id}"


def handle_of(identities: Sequence[Identity]) -> str | None:
    """The first public handle (Telegram @username) among a person's identities."""
    for identity in identities:
        if identity.username:
            return f"@{identity.username}"
    return None


def sender_name(ctx: Context) -> str:
    if ctx.identity is not None and ctx.identity.display_name:
        return ctx.identity.display_name
    return f"#{ctx.require_person().id}"


def role_name(ctx: Context, role: str, person: Person | None = None) -> str:
    tr = ctx.translator_for(person) if person is not None else ctx.tr
    return tr.t(f"role.{role}")


def parse_role(ctx: Context, text: str) -> str | None:
    """A role from its name: the English key or its name or alias in any configured language."""
    wanted = fold(text)
    for role in ROLES:
        if wanted == role:
            return role
        for lang in ctx.services.catalogs.languages:
            tr = ctx.services.catalogs.translator(lang)
            names = [tr.t(f"role.{role}"), *re.split(r"[,،]", tr.t(ROLE_ALIASES[role]))]
            if wanted in {fold(n) for n in names if n.strip()}:
                return role
    return None


def row_matches(row: RosterRow, wanted: str) -> bool:
    """A member by display name or by @username (a Telegram username, a Matrix user id or its
    localpart), in any case, with or without the @."""
    target = fold(wanted.removeprefix("@"))
    for identity in row.identities:
        external = fold(identity.external_id).removeprefix("@")
        known = {external, external.split(":")[0]}
        if identity.display_name:
            known.add(fold(identity.display_name).removeprefix("@"))
        if identity.username:  # a Telegram @username
            known.add(fold(identity.username).removeprefix("@"))
        if target in known:
            return True
    return False


async def find_member(ctx: Context, cohort: Cohort, wanted: str, role: str) -> RosterRow:
    rows = await roster(ctx.session, cohort.id)
    number = pick_number(wanted)
    if number is not None:
        if 1 <= number <= len(rows):
            return rows[number - 1]
        raise UserError(_("cohorts.role_unknown_user"), user=wanted, cohort=cohort.name)
    found = [row for row in rows if row_matches(row, wanted)]
    if not found:
        raise UserError(_("cohorts.role_unknown_user"), user=wanted, cohort=cohort.name)
    if len(found) > 1:
        numbers = ", ".join(str(row.number) for row in found)
        raise UserError(
            _("cohorts.role_ambiguous_user"),
            user=wanted,
            numbers=numbers,
            example=f"{found[0].number} {role}",
        )
    return found[0]


# Roles -----------------------------------------------------------------------------------------
@router.command("role", usage="USER ROLE", help_id=_("cohorts.help_role"))
async def role(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    roles = ", ".join(role_name(ctx, r) for r in ROLES)
    if len(args) < 2:
        raise UserError(_("cohorts.role_usage"), roles=roles)
    new_role = parse_role(ctx, args.words[-1])
    if new_role is None:
        raise UserError(_("cohorts.role_unknown_role"), role=args.words[-1], roles=roles)
    row = await find_member(ctx, cohort, " ".join(args.words[:-1]), args.words[-1])
    target, member = row.person, row.membership
    name = name_of(target, row.identities)
    if member.role == new_role:
        await ctx.reply(
            _("cohorts.role_unchanged"),
            name=name,
            role=role_name(ctx, new_role),
            cohort=cohort.name,
        )
        return
    if (
        member.role == "coordinator"
        and await count_role(ctx.session, cohort.id, "coordinator") <= 1
    ):
        raise UserError(_("cohorts.last_coordinator_role"), name=name, cohort=cohort.name)
    member.role = new_role
    await ctx.reply(
        _("cohorts.role_set"), name=name, role=role_name(ctx, new_role), cohort=cohort.name
    )
    if target.id != ctx.require_person().id:
        text = ctx.translator_for(target).t(
            _("cohorts.role_changed_you"),
            cohort=cohort.name,
            role=role_name(ctx, new_role, target),
            by=sender_name(ctx),
        )
        await ctx.send_to_person(target.id, text)


# Roster ----------------------------------------------------------------------------------------
@router.command("roster", usage="[PAGE]", help_id=_("cohorts.help_roster"))
async def roster_command(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    total = await count_members(ctx.session, cohort.id)
    pages = max(1, math.ceil(total / ROSTER_PAGE))
    wanted = args.get(0, "1") or "1"
    page = pick_number(wanted)
    if page is None or not 1 <= page <= pages:
        raise UserError(_("cohorts.roster_bad_page"), page=wanted, pages=pages)
    rows = await roster(ctx.session, cohort.id, (page - 1) * ROSTER_PAGE, ROSTER_PAGE)
    lines = [ctx.tn("cohorts.roster_header", total, cohort=cohort.name, page=page, pages=pages)]
    if cohort.status == "closed":
        lines.append(ctx.t(_("cohorts.roster_closed")))
    else:
        lines.extend(invite_lines(ctx, cohort))
    lines.append("")
    shown = RosterShown(cohort, rows)
    await ctx.publish(shown)  # other capabilities add their notes (consent, RSVP)
    for row in rows:
        extra = shown.notes.get(row.person.id)
        lines.append(
            " — ".join([roster_line(ctx, row), *extra]) if extra else roster_line(ctx, row)
        )
    if page < pages:
        lines.extend(["", ctx.t(_("cohorts.roster_more"), next=page + 1)])
    await ctx.say("\n".join(lines))


def roster_line(ctx: Context, row: RosterRow) -> str:
    person = row.person
    if person.timezone:
        local = ctx.tr.time(ctx.now.astimezone(ZoneInfo(person.timezone)))
        time = f"{local} ({person.timezone})"
    else:
        time = ctx.t(_("cohorts.roster_no_zone"))
    language = (
        ctx.tr.language_name(person.language)
        if person.language
        else ctx.t(_("cohorts.roster_no_language"))
    )
    platforms = list(dict.fromkeys(i.platform.capitalize() for i in row.identities))
    name = name_of(person, row.identities)
    handle = handle_of(row.identities)
    if handle is not None:  # tells apart two members of the same name, and is what /role takes
        name = ctx.t(_("cohorts.roster_name_handle"), name=name, handle=handle)
    return ctx.t(
        _("cohorts.roster_line"),
        number=row.number,
        name=name,
        role=role_name(ctx, row.membership.role),
        platform=", ".join(platforms) or "-",
        time=time,
        language=language,
    )


# Group chats -----------------------------------------------------------------------------------
@router.command(
    "bindchat", usage="[COHORT | off]", help_id=_("cohorts.help_bindchat"), group_safe=True
)
async def bindchat(ctx: Context, args: Args) -> None:
    if not ctx.in_group or ctx.inbound is None:
        raise UserError(_("cohorts.bindchat_group_only"))
    chat = ctx.inbound.chat
    wanted = args.rest(0).strip()
    existing = await bound_chat(ctx.session, chat.platform, chat.chat_id)
    if fold(wanted) == "off":
        if existing is None:
            raise UserError(_("cohorts.bindchat_not_bound"))
        await ctx.session.delete(existing)
        await ctx.reply(_("cohorts.unbound"), cohort=ctx.require_cohort().name)
        return
    if existing is not None:
        raise UserError(_("cohorts.bindchat_already"), cohort=ctx.require_cohort().name)
    mine = await cohorts_with_role(ctx.session, ctx.require_person().id, ("coordinator",))
    # Whatever names the cohorts the sender coordinates is said privately, never in the group
    # (anyone there reads it).
    if wanted:
        cohort = pick_cohort(mine, wanted)
        if cohort is None:
            assert ctx.identity is not None
            ctx.reply_to = private_address(ctx.identity)
            listed = ", ".join(f"{i}. {c.name}" for i, c in enumerate(mine, start=1))
            raise UserError(_("cohorts.bindchat_unknown"), cohort=wanted, cohorts=listed)
    elif len(mine) == 1:
        cohort = mine[0]
    else:
        await ctx.ask(
            BIND_PICK,
            ctx.t(_("cohorts.bindchat_pick_private")),
            [Choice(str(c.id), c.name) for c in mine],
            payload={"platform": chat.platform, "chat_id": chat.chat_id},
            privately=True,
        )
        await ctx.reply(_("cohorts.bindchat_asked_privately"))
        return
    await bind(ctx, cohort, chat)


@router.question(BIND_PICK)
async def bind_picked(ctx: Context, answer: Answer) -> None:
    assert answer.key is not None
    chat = Address(str(answer.payload["platform"]), str(answer.payload["chat_id"]), is_group=True)
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, int(answer.key))
    member = await membership(ctx.session, cohort.id, person.id) if cohort else None
    if cohort is None or member is None or member.role != "coordinator":
        raise UserError(_("core.question_expired"))
    taken = await bound_chat(ctx.session, chat.platform, chat.chat_id)
    if taken is not None:
        raise UserError(_("cohorts.bindchat_taken"))
    await bind(ctx, cohort, chat)
    if ctx.reply_to != chat:
        await ctx.reply(_("cohorts.bound"), cohort=cohort.name)


async def bind(ctx: Context, cohort: Cohort, chat: Address) -> None:
    ctx.session.add(
        BoundChat(
            cohort_id=cohort.id, platform=chat.platform, chat_id=chat.chat_id, bound_at=ctx.now
        )
    )
    await ctx.session.flush()
    await ctx.send_to_chat(chat, ctx.t(_("cohorts.bound"), cohort=cohort.name))


# Closing ---------------------------------------------------------------------------------------
@router.command("closecohort", help_id=_("cohorts.help_closecohort"))
async def closecohort(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    if cohort.status == "closed":
        raise UserError(_("cohorts.already_closed"), cohort=cohort.name)
    everyone = await members(ctx.session, cohort.id)
    becoming = sum(1 for m, _p in everyone if m.role not in (*STAFF_ROLES, "alumni"))
    await ctx.ask(
        CLOSE_CONFIRM,
        ctx.tn("cohorts.close_question", becoming, cohort=cohort.name),
        [
            Choice("yes", ctx.t(_("cohorts.close_yes"))),
            Choice("no", ctx.t(_("cohorts.close_no"))),
        ],
        payload={"cohort_id": cohort.id},
    )


@router.question(CLOSE_CONFIRM)
async def close_confirmed(ctx: Context, answer: Answer) -> None:
    if answer.key != "yes":
        await ctx.reply(_("cohorts.close_cancelled"))
        return
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, int(answer.payload["cohort_id"]))
    member = await membership(ctx.session, cohort.id, person.id) if cohort else None
    if cohort is None or member is None or member.role != "coordinator":
        raise UserError(_("core.question_expired"))
    if cohort.status == "closed":
        raise UserError(_("cohorts.already_closed"), cohort=cohort.name)
    cohort.status = "closed"
    cohort.closed_at = ctx.now
    ctx.cohort, ctx.role = cohort, member.role
    changed = await make_alumni(ctx.session, cohort.id, STAFF_ROLES)
    by = sender_name(ctx)
    for m, other in await members(ctx.session, cohort.id):
        if other.id == person.id:
            continue
        tr = ctx.translator_for(other)
        if m.role == "alumni":
            text = tr.t(_("cohorts.closed_you_alumni"), cohort=cohort.name, by=by)
        else:
            role = tr.t(f"role.{m.role}")
            text = tr.t(_("cohorts.closed_you_staff"), cohort=cohort.name, by=by, role=role)
        await ctx.send_to_person(other.id, text)
    for chat in await bound_chats(ctx.session, cohort.id):
        address = Address(chat.platform, chat.chat_id, is_group=True)
        await ctx.send_to_chat(address, ctx.t(_("cohorts.closed_group"), cohort=cohort.name))
    await ctx.publish(CohortClosed(cohort))
    await ctx.say(ctx.tn("cohorts.closed_done", changed, cohort=cohort.name))
