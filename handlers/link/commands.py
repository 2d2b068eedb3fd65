"""`link` / `link CODE`: one person across Telegram and Matrix.

`link` on one platform gives a one-time code (8 characters, valid 15 minutes, works once; a new
code replaces the earlier ones; at most 3 an hour). Sending `link CODE` from an account on
another platform merges the two people into one (storage.repositories.link.merge_people): the
one who asked for the code stays, and everything of the other moves to it. Both sides are told.
Wrong codes are counted: after 5 in an hour, `link CODE` waits.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.commands import Args
from bot.context import Context, private_address
from bot.errors import UserError
from bot.i18n import _
from bot.outbox import PRIORITY_REPLY, enqueue_message
from bot.router import Router
from storage.models import Identity, Person
from storage.models.link import LinkAttempt, LinkCode
from storage.repositories.link import (
    code_exists,
    code_hash,
    codes_since,
    expire_open_codes,
    failed_attempts_since,
    merge_people,
    platforms_of,
    valid_code,
)

router = Router()

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to copy by hand
CODE_LENGTH = 8
CODE_VALID = timedelta(minutes=15)
CODES_PER_HOUR = 3
WRONG_CODES_PER_HOUR = 5
WINDOW = timedelta(hours=1)
PLATFORM_NAMES = {"telegram": "Telegram", "matrix": "Matrix", "console": "Console"}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalized(text: str) -> str:
    """What people type back: any case, with or without the dash or spaces."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


@router.command("link", usage="[CODE]", help_id=_("link.help"))
async def link(ctx: Context, args: Args) -> None:
    if args.words:
        await redeem(ctx, normalized("".join(args.words)))
    else:
        await issue(ctx)


async def issue(ctx: Context) -> None:
    person = ctx.require_person()
    identity = ctx.identity
    assert identity is not None
    if await codes_since(ctx.session, person.id, ctx.now - WINDOW) >= CODES_PER_HOUR:
        raise UserError(_("link.too_many_codes"))
    await expire_open_codes(ctx.session, person.id, ctx.now)
    code = new_code()
    while await code_exists(ctx.session, code):
        code = new_code()
    ctx.session.add(
        LinkCode(
            code_hash=code_hash(code),
            person_id=person.id,
            identity_id=identity.id,
            created_at=ctx.now,
            expires_at=ctx.now + CODE_VALID,
        )
    )
    minutes = int(CODE_VALID.total_seconds() // 60)
    await ctx.say(ctx.tn(_("link.code"), minutes, code=shown(code)))


async def redeem(ctx: Context, code: str) -> None:
    person = ctx.require_person()
    identity = ctx.identity
    assert identity is not None
    if (
        await failed_attempts_since(ctx.session, person.id, ctx.now - WINDOW)
        >= WRONG_CODES_PER_HOUR
    ):
        raise UserError(_("link.too_many_attempts"))
    found = await valid_code(ctx.session, code, ctx.now) if len(code) == CODE_LENGTH else None
    if found is None:
        # Not a UserError: the wrong attempt itself must be kept, to count it.
        ctx.session.add(LinkAttempt(person_id=person.id, attempted_at=ctx.now))
        await ctx.reply(_("link.bad_code"))
        return
    if found.person_id == person.id:
        raise UserError(_("link.already_linked"))
    issuer = await ctx.session.get(Identity, found.identity_id)
    assert issuer is not None
    if issuer.platform == identity.platform:
        raise UserError(_("link.same_platform"), platform=platform_name(issuer.platform))
    both = await platforms_of(ctx.session, found.person_id) & await platforms_of(
        ctx.session, person.id
    )
    if both:
        names = ctx.tr.join(sorted(platform_name(p) for p in both))
        raise UserError(_("link.conflict"), platform=names)
    found.used_at = ctx.now
    keep_id, issuer_id, my_identity_id = found.person_id, issuer.id, identity.id
    await merge_people(ctx.session, keep_id, person.id)
    await _after_merge(ctx, keep_id, my_identity_id, issuer_id)


async def _after_merge(ctx: Context, keep_id: int, my_identity_id: int, issuer_id: int) -> None:
    """The sender is now `keep_id`: reload what the merge expired, then tell both sides."""
    keep = await ctx.session.get(Person, keep_id)
    mine = await ctx.session.get(Identity, my_identity_id)
    issuer = await ctx.session.get(Identity, issuer_id)
    assert keep is not None and mine is not None and issuer is not None
    ctx.person, ctx.identity = keep, mine
    ctx.tr = ctx.translator_for(keep)
    platforms = await platforms_of(ctx.session, keep.id)
    text = ctx.t(_("link.done"), accounts=ctx.tr.join(sorted(platform_name(p) for p in platforms)))
    await ctx.say(text)
    await enqueue_message(
        ctx.session,
        key=ctx.next_key(),
        to=private_address(issuer),
        text=text,
        now=ctx.now,
        person_id=keep.id,
        priority=PRIORITY_REPLY,
    )
