"""How members are named and found: display names, handles, roles in the reader's language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.commands import pick_number
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.platform import conventions_of
from storage.models import ROLES, Cohort, Identity, Person
from storage.models.cohorts import Role
from storage.repositories.cohorts import RosterRow, roster

ROLE_ALIASES = {
    Role.COORDINATOR: _("cohorts.role_aliases_coordinator"),
    Role.FACILITATOR: _("cohorts.role_aliases_facilitator"),
    Role.MENTOR: _("cohorts.role_aliases_mentor"),
    Role.PARTICIPANT: _("cohorts.role_aliases_participant"),
    Role.ALUMNI: _("cohorts.role_aliases_alumni"),
}


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


def contact_of(identity: Identity) -> str:
    """How another member can reach this identity: a Telegram profile link, else its platform
    id (a Matrix id, a console name)."""
    return conventions_of(identity.platform).contact(identity.external_id)


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
