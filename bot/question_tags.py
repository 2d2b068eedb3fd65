"""The tag a button carries beside its question's id: a mark of the question's kind and the
random nonce stored on the question's row. The pipeline answers a pressed button only when the
tag matches the question it names, so a button left over from another question (an old one, a
deleted one, someone else's) is "expired" and changes nothing."""

from __future__ import annotations

import hashlib
import secrets
import string
from functools import lru_cache

from bot.messages import QuestionRef

_NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 6  # 62**6: about 5.7e10 values
_NONCES = len(_NONCE_ALPHABET) ** NONCE_LENGTH
MARK_LENGTH = 2
TAG_PATTERN = r"[A-Za-z0-9]{1,16}"  # what parsers accept as a tag (validated by matching)


def new_nonce() -> str:
    value = secrets.randbelow(_NONCES)  # one draw, written in base 62
    digits = []
    for _ in range(NONCE_LENGTH):
        value, digit = divmod(value, len(_NONCE_ALPHABET))
        digits.append(_NONCE_ALPHABET[digit])
    return "".join(digits)


@lru_cache(maxsize=256)
def kind_mark(kind: str) -> str:
    """Two characters derived from the question's kind ("privacy.forget", "cohorts.close")."""
    digest = hashlib.blake2s(kind.encode("utf-8"), digest_size=4).digest()
    number = int.from_bytes(digest, "big")
    first, second = divmod(number % (62 * 62), 62)
    return _NONCE_ALPHABET[first] + _NONCE_ALPHABET[second]


def tag_of(kind: str, nonce: str) -> str:
    return f"{kind_mark(kind)}{nonce}"


def ref_of(question_id: int, kind: str, nonce: str) -> QuestionRef:
    return QuestionRef(question_id, tag_of(kind, nonce))


def answers(ref: QuestionRef, question_id: int, kind: str, nonce: str) -> bool:
    """True when a button carrying `ref` belongs to this question (id, kind and nonce)."""
    return (
        ref.id == question_id
        and bool(nonce)
        and secrets.compare_digest(ref.tag, tag_of(kind, nonce))
    )
