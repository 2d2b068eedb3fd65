"""Who may run a command. The table itself lives with the handlers (handlers/permissions.py);
the router enforces it before any handler runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    """`cohort=False`: anyone, no cohort needed. Otherwise the person needs a membership in the
    current cohort with one of `roles` (empty = any role). `creator`: only for [bot] admins when
    that list is set. `include_closed=False`: refused in a cohort that has closed.
    `picks_cohort`: outside a chat bound to a cohort, the handler chooses the cohort itself (e.g.
    `bindchat` in a new group); the router only checks the person holds one of `roles` in some
    cohort, and leaves ctx.cohort unset."""

    cohort: bool = False
    roles: frozenset[str] = frozenset()
    creator: bool = False
    include_closed: bool = True
    picks_cohort: bool = False

    def allows(self, role: str | None) -> bool:
        if not self.cohort:
            return True
        if role is None:
            return False
        return not self.roles or role in self.roles


ANYONE = Access()
CREATOR = Access(creator=True)
MEMBER = Access(cohort=True)


def roles(*names: str, picks_cohort: bool = False) -> Access:
    return Access(cohort=True, roles=frozenset(names), picks_cohort=picks_cohort)
