"""People and their platform identities."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.lean import Lean, LeanLoad, lean_execute
from storage.models import Identity, PendingQuestion, Person


async def find_identity(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    found = await session.execute(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    )
    return found.scalar_one_or_none()


_IDENTITY_AND_PERSON = LeanLoad(
    (Identity, Person),
    lambda base: base.join_from(Identity, Person, Person.id == Identity.person_id).where(
        Identity.platform == bindparam("i_platform"),
        Identity.external_id == bindparam("i_external"),
    ),
    # Whether a new command has questions to cancel (most have none: no DELETE then).
    extra=[
        exists()
        .where(PendingQuestion.person_id == Person.id, PendingQuestion.sticky.is_(False))
        .label("open_questions")
    ],
)


async def find_person_by_identity(
    session: AsyncSession, platform: str, external_id: str
) -> tuple[Identity, Person, bool] | None:
    """The identity, its person, and whether they have questions a new command would cancel,
    in one statement built once (the hot path of every inbound update: storage/lean.py)."""
    found = await _IDENTITY_AND_PERSON.load(
        session, {"i_platform": platform, "i_external": external_id}
    )
    if not found:
        return None
    identity, person, open_questions = found[0]
    return identity, person, bool(open_questions)


def _among_ids(column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """`column` is one of the ids of the parameter `ids` (a JSON list, read by SQLite's
    json_each): one parameter however many ids, so the statement is compiled once and runs
    lean (storage/lean.py)."""
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam("ids"))))


def _ids_param(ids: Iterable[int]) -> dict[str, str]:
    return {"ids": json.dumps(list(ids))}


def _on_sqlite(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


_PEOPLE_BY_IDS = LeanLoad((Person,), lambda base: base.where(_among_ids(Person.id)))


async def people_by_ids(session: AsyncSession, ids: Collection[int]) -> list[Person]:
    """The people of `ids` that exist (in no particular order), as the session's objects."""
    if not ids:
        return []
    if _on_sqlite(session):
        return [row[0] for row in await _PEOPLE_BY_IDS.load(session, _ids_param(ids))]
    found = await session.execute(select(Person).where(Person.id.in_(ids)))
    return list(found.scalars())


async def create_person(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    display_name: str | None,
    private_chat_id: str | None,
    language: str | None,
    now: datetime,
    username: str | None = None,
) -> tuple[Person, Identity]:
    person = Person(language=language, created_at=now, onboarding_step=None)
    session.add(person)
    await session.flush()
    identity = Identity(
        person_id=person.id,
        platform=platform,
        external_id=external_id,
        display_name=display_name,
        username=username,
        private_chat_id=private_chat_id,
        reachable=True,
        last_seen_at=now,
    )
    session.add(identity)
    await session.flush()
    return person, identity


async def identities_of(session: AsyncSession, person_id: int) -> list[Identity]:
    found = await session.execute(
        select(Identity)
        .where(Identity.person_id == person_id)
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
    )
    return list(found.scalars())


async def preferred_identity(session: AsyncSession, person_id: int) -> Identity | None:
    """The identity to reach a person privately: reachable, most recently seen."""
    for identity in await identities_of(session, person_id):
        if identity.reachable:
            return identity
    return None


async def display_name(session: AsyncSession, person_id: int) -> str:
    for identity in await identities_of(session, person_id):
        if identity.display_name:
            return identity.display_name
    return f"#{person_id}"


@dataclass(frozen=True)
class PrivateChat:
    """Where a person is reached privately: the parts of their preferred identity that say so."""

    person_id: int
    platform: str
    external_id: str
    private_chat_id: str | None


_REACHABLE = select(
    Identity.person_id, Identity.platform, Identity.external_id, Identity.private_chat_id
).where(Identity.reachable.is_(True))
_NEWEST_FIRST = (Identity.last_seen_at.desc(), Identity.id.desc())
_PREFERRED = Lean(_REACHABLE.where(_among_ids(Identity.person_id)).order_by(*_NEWEST_FIRST))


async def preferred_identities(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, PrivateChat]:
    """`preferred_identity` for many people in one query: person id -> where to reach them
    (people without a reachable identity are left out)."""
    if not person_ids:
        return {}
    rows: Iterable[Sequence[Any]]
    if _on_sqlite(session):
        rows = (await lean_execute(session, _PREFERRED, _ids_param(set(person_ids)))).rows
    else:
        rows = await session.execute(
            _REACHABLE.where(Identity.person_id.in_(set(person_ids))).order_by(*_NEWEST_FIRST)
        )
    chosen: dict[int, PrivateChat] = {}
    for row in rows:
        if row[0] not in chosen:
            chosen[row[0]] = PrivateChat(*row)
    return chosen
