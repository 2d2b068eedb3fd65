"""What the safety modules share: text limits, how members are named, discreet wording
(`cohort_label`, from bot/discreet.py), and sending one text to many people each in their own
language."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.context import Context
from bot.discreet import cohort_label as cohort_label
from bot.errors import UserError
from bot.i18n import Translator, _
from handlers.help import prefix_on
from storage.models import Membership, Person
from storage.repositories.cohorts import identities_for, membership
from storage.repositories.people import preferred_identities

# A report (or an addition, a reply, a check's message) must fit one Telegram message (4,096)
# with the header the contacts read around it.
MAX_TEXT = 3000
MAX_SHORT = 200  # whom a report concerns
QUOTES = "\"'“«„‘”"


def checked_text(text: str, limit: int = MAX_TEXT) -> str:
    """What someone wrote, within the limit: a clear refusal otherwise (nothing changes)."""
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise UserError(_("safety.too_long"), length=len(cleaned), limit=limit)
    return cleaned


def unquoted(raw: str) -> str:
    """A command's free text: without its surrounding quotes when it has them."""
    text = raw.strip()
    if len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        return text[1:-1].strip()
    return text


async def names(ctx: Context, person_ids: Sequence[int]) -> dict[int, str]:
    """Person id -> how the cohort knows them (display name, else #id)."""
    found = await identities_for(ctx.session, person_ids)
    return {
        pid: next((i.display_name for i in idents if i.display_name), f"#{pid}")
        for pid, idents in found.items()
    }


async def people(ctx: Context, person_ids: Sequence[int]) -> list[Person]:
    found = [await ctx.session.get(Person, pid) for pid in dict.fromkeys(person_ids)]
    return [p for p in found if p is not None]


async def is_member(ctx: Context, cohort_id: int, person_id: int) -> Membership | None:
    return await membership(ctx.session, cohort_id, person_id)


async def send_each(
    ctx: Context,
    person_ids: Sequence[int],
    render: Callable[[Translator, str], str],
    *,
    unprompted: str,
    key: str,
) -> int:
    """Send each person `render(their translator, their command prefix)` privately. Keys are
    `key:<person>`, so a re-run job queues nobody twice. Returns how many could be reached."""
    reach = await preferred_identities(ctx.session, person_ids)
    sent = 0
    for person in await people(ctx, person_ids):
        identity = reach.get(person.id)
        if identity is None:
            continue
        text = render(ctx.translator_for(person), prefix_on(identity.platform))
        if await ctx.send_to_person(
            person.id, text, unprompted=unprompted, key=f"{key}:{person.id}"
        ):
            sent += 1
    return sent
