"""Typed payloads of questions and jobs: what a pending question or a job carries in its JSON
`payload` column, declared once per kind as a small frozen dataclass that both the side that
asks or schedules and the handler that answers or runs use (like aiogram's CallbackData).

`encode()` writes the JSON object stored today (the same keys and value types); `decode()`
reads one back, written by this version or an older one: a missing key takes the field's
default, an unknown key is ignored, a value of the wrong type is a `PayloadError` naming the
kind and the key. Field types: int, float, str, bool, `X | None`, `tuple[X, ...]`, `list[X]`,
`dict[str, X]`, nested payloads, and `datetime` (an instant, stored as its compact UTC stamp,
bot/timeparse.py's `stamp`). Errors name the type found, never the value: a payload may hold
what a person wrote, which is kept out of the logs."""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Self

from bot.timeparse import parse_stamp, stamp

log = logging.getLogger(__name__)

# A field's metadata that leaves its None value out of the stored object (the key is absent,
# not null): `x: int | None = field(default=None, metadata=OMIT_NONE)`.
OMIT_NONE: Mapping[str, str] = MappingProxyType({"payload_stored_with": ""})


def stored_with(other: str) -> Mapping[str, str]:
    """A field's metadata: its key is stored (even when None) only when field `other` is not
    None, as for keys that were written together or not at all."""
    return MappingProxyType({"payload_stored_with": other})


class PayloadError(ValueError):
    """A stored payload that does not fit its declaration (a bug or a damaged row)."""

    def __init__(self, kind: str, key: str, problem: str) -> None:
        super().__init__(f"payload of {kind}: {key!r} {problem}")
        self.kind = kind
        self.key = key


@dataclass(frozen=True)
class Payload:
    """The base of every question's and job's payload class."""

    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, guard in _fields_of(type(self)):
            value = getattr(self, name)
            if guard is not None and getattr(self, guard or name) is None:
                continue
            out[name] = _encode(value)
        return out

    @classmethod
    def decode(cls, raw: Mapping[str, Any], kind: str | None = None) -> Self:
        """The payload stored in `raw`; `kind` (the question's or job's) names it in errors."""
        name = kind or cls.__name__
        if not isinstance(raw, Mapping):
            raise PayloadError(name, "", f"is not an object: {type(raw).__name__}")
        values: dict[str, Any] = {}
        for field_name, read in _readers_of(cls).items():
            if field_name in raw:
                try:
                    values[field_name] = read(raw[field_name])
                except _Mismatch as mismatch:
                    raise PayloadError(name, field_name, str(mismatch)) from None
        try:
            return cls(**values)
        except TypeError as error:  # a required field is missing
            raise PayloadError(name, _missing(cls, values), "is missing") from error

    @classmethod
    def read(cls, raw: Mapping[str, Any], kind: str | None = None) -> Self | None:
        """`decode` for a loop over stored rows: a row that does not fit is skipped (None)
        rather than failing the whole loop."""
        try:
            return cls.decode(raw, kind)
        except PayloadError:
            log.warning("stored payload skipped", extra={"kind": kind or cls.__name__})
            return None


def check_declaration(cls: type[Payload]) -> None:
    """Fail at registration, not at the first row, when a payload class declares a field of a
    type that cannot be stored (TypeError) or names a type it does not import (NameError)."""
    _readers_of(cls)


@dataclass(frozen=True)
class NoPayload(Payload):
    """The payload of a kind that carries nothing."""


def stored(payload: Payload | Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON object a row keeps: a typed payload encoded, or a raw object as it is (rows
    written by tools and tests)."""
    if payload is None:
        return {}
    if isinstance(payload, Payload):
        return payload.encode()
    return dict(payload)


class _Mismatch(Exception):
    pass


Reader = Callable[[Any], Any]


def _encode(value: Any) -> Any:
    if isinstance(value, Payload):
        return value.encode()
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _missing(cls: type[Payload], values: Mapping[str, Any]) -> str:
    for f in dataclasses.fields(cls):
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default and f.name not in values:
            return f.name
    return ""


def _fields_of(cls: type[Payload]) -> tuple[tuple[str, str | None], ...]:
    """Each field's name and its `payload_stored_with` guard, worked out once per class and
    kept on it (encoding runs for every job and question written)."""
    found: tuple[tuple[str, str | None], ...] | None = cls.__dict__.get(_FIELDS)
    if found is None:
        found = tuple(
            (f.name, f.metadata.get("payload_stored_with")) for f in dataclasses.fields(cls)
        )
        setattr(cls, _FIELDS, found)
    return found


_FIELDS = "_payload_fields"


def _readers_of(cls: type[Payload]) -> dict[str, Reader]:
    """How to read each field of a payload class, worked out once from its annotations and
    kept on the class."""
    found: dict[str, Reader] | None = cls.__dict__.get(_READERS)
    if found is None:
        found = _readers(cls)
        setattr(cls, _READERS, found)
    return found


_READERS = "_payload_readers"


def _readers(cls: type[Payload]) -> dict[str, Reader]:
    hints = typing.get_type_hints(cls)
    return {f.name: _reader(hints[f.name]) for f in dataclasses.fields(cls) if f.init}


def _reader(tp: Any) -> Reader:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [_reader(a) for a in args if a is not type(None)]
        nullable = type(None) in args
        return lambda v: None if v is None and nullable else _first_fit(options, v, tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _reader(args[0])
        return lambda v: tuple(item(x) for x in _sequence(v))
    if origin is list:
        item = _reader(args[0])
        return lambda v: [item(x) for x in _sequence(v)]
    if origin is dict and args[0] is str:
        item = _reader(args[1])
        return lambda v: {_scalar(str, k): item(x) for k, x in _mapping(v).items()}
    if isinstance(tp, type) and issubclass(tp, Payload):
        return lambda v: _nested(tp, v)
    if tp is datetime:
        return _instant
    if tp in (int, str, bool, float):
        return lambda v: _scalar(tp, v)
    if tp is Any:
        return lambda v: v
    raise TypeError(f"payload field type {tp!r} is not supported")


def _scalar(tp: type, value: Any) -> Any:
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise _Mismatch(f"is not an int: {_kind_of(value)}")
    if not isinstance(value, tp):
        raise _Mismatch(f"is not {'an' if tp is int else 'a'} {tp.__name__}: {_kind_of(value)}")
    return value


def _instant(value: Any) -> datetime:
    try:
        found = parse_stamp(value)
    except ValueError:
        found = None
    if found is None:
        raise _Mismatch(f"is not an instant (20261208T170000Z): {_kind_of(value)}")
    return found


def _kind_of(value: Any) -> str:
    """What was found instead, by its JSON type (never the value itself)."""
    return "a string" if isinstance(value, str) else type(value).__name__


def _first_fit(options: list[Reader], value: Any, tp: Any) -> Any:
    for read in options:
        try:
            return read(value)
        except _Mismatch:
            continue
    raise _Mismatch(f"is not {tp}: {_kind_of(value)}")


def _sequence(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Mismatch(f"is not a list: {_kind_of(value)}")
    return list(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Mismatch(f"is not an object: {_kind_of(value)}")
    return value


def _nested(tp: type[Payload], value: Any) -> Payload:
    try:
        return tp.decode(_mapping(value))
    except PayloadError as error:
        raise _Mismatch(f"does not fit {tp.__name__} ({error})") from None
