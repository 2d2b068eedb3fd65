"""Privacy: `mydata` (a JSON export of everything about the person, and a readable summary of
it: handlers/privacy/summary.py), `forgetme` (erasure after
confirmation) and the daily retention job. The generic rules live in storage/privacy.py."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot.commands import Args
from bot.context import Context, Services, private_address
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Attachment, Choice
from bot.outbox import PRIORITY_REPLY, enqueue_message, schedule_job
from bot.router import Answer, JobInfo, Router
from handlers.help.commands import prefix
from handlers.privacy import summary
from handlers.privacy.payloads import CleanupJob
from storage.engine import Database
from storage.models import OutboxMessage
from storage.models.cohorts import CohortStatus, Role
from storage.models.core import MessageStatus
from storage.privacy import (
    checkpoint_after_commit,
    erase_person,
    export_person,
    purge_expired,
)
from storage.repositories.cohorts import count_role, memberships_of
from storage.repositories.debrief import forget_responses
from storage.repositories.people import identities_of

log = logging.getLogger(__name__)

router = Router()

EXPORT_FILENAME = "cohortbot-mydata.json"
FORGET = "privacy.forget"
RETENTION = "privacy.retention"
CLEANUP = "privacy.erasure_cleanup"
YES, NO = "yes", "no"
CONFIRM_FOR = timedelta(minutes=15)
# The goodbye message's outbox row still names the chat it went to; it is deleted once sent.
CLEANUP_AFTER = timedelta(minutes=1)
CLEANUP_GIVE_UP = timedelta(days=1)


# mydata ------------------------------------------------------------------------------------
@router.command("mydata", help_id=_("privacy.help_mydata"))
async def mydata(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    data = await export_person(ctx.session, person.id, ctx.now)
    content = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    attachment = Attachment(EXPORT_FILENAME, content, "application/json")
    # One message: the file and the readable summary (adapters send a text too long for a
    # file's caption before the file).
    readable = summary.render(ctx.tr, data, ctx.config.privacy, f"{prefix(ctx)}forgetme")
    text = "\n\n".join([ctx.t(_("privacy.mydata_ready")), readable])
    await ctx.say(text, attachment=attachment)


# forgetme ----------------------------------------------------------------------------------
async def refuse_if_last_coordinator(ctx: Context) -> None:
    """An open cohort whose only coordinator is erased is left with nobody to run it: the role
    is handed over (or the cohort closed) first."""
    person = ctx.require_person()
    alone = [
        cohort.name
        for member, cohort in await memberships_of(ctx.session, person.id)
        if member.role == Role.COORDINATOR
        and cohort.status != CohortStatus.CLOSED
        and await count_role(ctx.session, cohort.id, Role.COORDINATOR) <= 1
    ]
    if alone:
        raise UserError(_("privacy.forget_hand_over"), cohorts=", ".join(alone))


@router.command("forgetme", help_id=_("privacy.help_forgetme"))
async def forgetme(ctx: Context, args: Args) -> None:
    await refuse_if_last_coordinator(ctx)
    lines = [ctx.t(_("privacy.forget_confirm")), ctx.t(_("privacy.forget_question"))]
    await ctx.ask(
        FORGET,
        "\n\n".join(lines),
        [Choice(YES, ctx.t(_("privacy.forget_yes"))), Choice(NO, ctx.t(_("privacy.forget_no")))],
        expires_in=CONFIRM_FOR,
    )


@router.question(FORGET, dropped=_("privacy.dropped_forget"))
async def forget_answer(ctx: Context, answer: Answer) -> None:
    person = ctx.require_person()
    if answer.key != YES:
        await ctx.reply(_("privacy.forget_cancelled"))
        return
    await refuse_if_last_coordinator(ctx)  # a co-coordinator may have left meanwhile
    goodbye = ctx.t(_("privacy.forgotten"))  # rendered while the language is still known
    to = ctx.reply_to
    await ctx.session.flush()
    chats = [private_address(i) for i in await identities_of(ctx.session, person.id)]
    await forget_responses(ctx.session, person.id)  # summaries' counts stay true
    report = await erase_person(ctx.session, person.id)
    for chat in chats:  # what platforms keep outside the database (the console's files)
        await ctx.services.forget_chat(chat.platform, chat.chat_id)
    # Those rows are gone behind the ORM's back; nothing of this person may be flushed again.
    ctx.session.expunge_all()
    ctx.person = None
    ctx.identity = None
    log.info(
        "person erased",
        extra={"rows_deleted": sum(report.deleted.values()), "tables": ",".join(report.deleted)},
    )
    if to is not None:
        key = ctx.next_key()
        await enqueue_message(
            ctx.session, key=key, to=to, text=goodbye, now=ctx.now, priority=PRIORITY_REPLY
        )
        await ctx.schedule(
            CLEANUP,
            ctx.now + CLEANUP_AFTER,
            key=f"{CLEANUP}:{key}:0",
            payload=CleanupJob(key, ctx.now.isoformat()),
        )
    checkpoint_after_commit(ctx.session)


@router.job(CLEANUP, payload=CleanupJob)
async def erasure_cleanup(ctx: Context, job: JobInfo[CleanupJob]) -> None:
    """Delete the goodbye's outbox row once it is out: it holds the erased person's chat id."""
    key = job.data.outbox_key
    since = datetime.fromisoformat(job.data.since)
    row = await ctx.session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    )
    if (
        row is not None
        and row.status in (MessageStatus.PENDING, MessageStatus.CLAIMED)
        and ctx.now - since < CLEANUP_GIVE_UP
    ):
        attempt = job.data.attempt + 1
        await ctx.schedule(
            CLEANUP,
            ctx.now + CLEANUP_AFTER * 5,
            key=f"{CLEANUP}:{key}:{attempt}",
            payload=replace(job.data, attempt=attempt),
        )
        return
    await ctx.session.execute(delete(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    checkpoint_after_commit(ctx.session)


# Retention ---------------------------------------------------------------------------------
def next_run(now: datetime, run_at: str) -> datetime:
    """The next instant at `run_at` (HH:MM UTC) strictly after `now`."""
    hour, minute = (int(part) for part in run_at.split(":"))
    today = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def retention_key(due: datetime) -> str:
    return f"{RETENTION}:{due.date().isoformat()}"


@router.job(RETENTION)
async def retention(ctx: Context, job: JobInfo) -> None:
    purged = await purge_expired(ctx.session, ctx.now, ctx.config.privacy)
    log.info(
        "retention purge",
        extra={"rows_purged": sum(purged.values()), "tables": ",".join(sorted(purged))},
    )
    if purged:
        checkpoint_after_commit(ctx.session)
    due = next_run(ctx.now, ctx.config.privacy.retention_run_at)
    await ctx.schedule(RETENTION, due, key=retention_key(due))


async def on_startup(db: Database, services: Services) -> None:
    """Make sure the daily retention job is scheduled (insert-if-absent: harmless on restart)."""
    now = services.clock.now()
    due = next_run(now, services.config.privacy.retention_run_at)
    async with db.transaction() as session:
        await schedule_job(session, kind=RETENTION, due_at=due, key=retention_key(due), now=now)
