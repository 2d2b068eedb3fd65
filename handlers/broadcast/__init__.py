"""Coordinator broadcasts: announce (with a confirmation), translate, announcements, cancel.

Flow: `announce` stores a draft and asks its author to confirm, showing how many will get it
(announce.py). Confirming schedules the fan-out job (now, or at the chosen instant). The fan-out
queues one outbox row per recipient -- idempotency key `b:{announcement}:{person}` (group chats:
`b:{announcement}:chat:{platform}:{chat}`) -- in batches, each batch its own job and
transaction, so a restart mid-way resumes at the cursor and queues nobody twice. The delivery
layer sends the rows within each platform's limits, broadcasts after interactive replies. A
report job checks the rows until all are final and then tells the author the counts
(fanout.py).

Languages: each member gets the variant in their language (`translate N LANG "TEXT"`,
manage.py), falling back to the original. Group chats get the original: everyone in the cohort
reads the group, so the author's own wording is the common ground (documented in the help line).

Targeting (`to ...`, parse.py): roles (`facilitators`, `mentors,participants`), `lang:es`,
`rsvp:SESSION:yes[+maybe]` (`none` = has not answered; the session's next meeting counts:
audience.py). Roles are alternatives, and so are languages and answers; the kinds combine.
Targeted announcements go to members only, not to group chats. How an announcement reads:
text.py."""

from __future__ import annotations

from bot.router import Router
from handlers.broadcast import announce, fanout, manage

router = Router()
for _module in (announce, fanout, manage):
    router.include(_module.router)

__all__ = ["router"]
