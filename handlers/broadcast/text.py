"""How an announcement reads: the header, whether it fits every platform, previews and targets
in words."""

from __future__ import annotations

from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from handlers.broadcast.parse import utf16_length
from storage.repositories.broadcast import Target

# Telegram's limit (UTF-16 code units after formatting), the smallest of the platforms we send
# to: an announcement must fit it in every language, header included.
MAX_TEXT = 4096
PREVIEW_CHARS = 40


# Rendering ----------------------------------------------------------------------------------
def render(tr: Translator, cohort: str, text: str) -> str:
    return tr.t(_("broadcast.message"), cohort=cohort, text=text)


def check_fits(ctx: Context, cohort: str, text: str, languages: tuple[str, ...]) -> None:
    """The formatted announcement must fit Telegram's limit in each language it may go out in."""
    longest = max(
        utf16_length(render(ctx.services.catalogs.translator(lang), cohort, text))
        for lang in languages
    )
    if longest > MAX_TEXT:
        raise UserError(_("broadcast.too_long"), length=longest, limit=MAX_TEXT)


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def describe_target(tr: Translator, target: Target) -> str:
    parts = [tr.t(f"role.{role}") for role in target.roles]
    parts += [tr.language_name(lang) for lang in target.languages]
    if target.rsvp_session is not None:
        parts.append(
            tr.t(
                _("broadcast.target_rsvp"),
                session=target.rsvp_session,
                answers="/".join(target.rsvp_answers),
            )
        )
    return tr.join(parts)
