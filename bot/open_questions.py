"""Which open question a typed answer is for, when a person has several.

Buttons name their question; typed text does not. With one open question the text goes to it.
With several, the text goes to the one question it fits (a label, a number, a yes/no word, or
any text for a question that takes written answers); when it fits two or more, or none, the
person is asked which question they are answering (each shown by its choices); the choice
their text picked in the one they name is then the answer (a written answer is asked for again:
nothing a person types is stored). Never a guess: a consent reply
must not land in a reminder's question because that one was asked last."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.answers import Match
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.payloads import Payload
from storage.models import PendingQuestion

PICK_QUESTION = "core.pick_question"
# The picked question's choices again, when the typed text did not fit it: the next typed
# answer goes to that question, not back into "which one?".
ANSWER_FOR = "core.answer_for"
FOLLOW_UPS = frozenset({PICK_QUESTION, ANSWER_FOR})
LABEL_CHOICES = 3  # choices shown per question in the "which one?" list
LABEL_CHARS = 60


@dataclass(frozen=True)
class PickQuestion(Payload):
    """ "Which question is this for?": what the typed text picked in each question it fits
    (question id -> choice key); never the text itself."""

    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerFor(Payload):
    """The picked question's choices again: the question they answer."""

    question_id: int = 0


@dataclass(frozen=True)
class Routed:
    """Where typed text goes: one answer, or the questions to choose between."""

    answer: tuple[PendingQuestion, Match] | None
    candidates: tuple[PendingQuestion, ...] = ()
    fits: tuple[tuple[PendingQuestion, Match], ...] = ()  # what the text picks in each


def route(
    questions: Sequence[PendingQuestion],
    text: str,
    match: Callable[[PendingQuestion, str], Match | None],
) -> Routed:
    """`questions`: the person's open questions, newest first.

    - A pending "which one?" question (the newest), or the choices of the question picked
      there, takes the text itself.
    - Questions of one kind are one thread (RSVPs for two sessions, two debriefs): the newest
      of a kind speaks for it, as it always did.
    - Text that fits one kind goes there. Text that fits several goes to the one question the
      person's own last command asked, if it is among them (a confirmation they just asked for:
      any later command would have dropped it); otherwise, and when nothing fits, the person
      is asked which question they are answering."""
    if len(questions) == 1 or questions[0].kind in FOLLOW_UPS:
        found = match(questions[0], text)
        return Routed((questions[0], found) if found else None, (questions[0],))
    newest: dict[str, PendingQuestion] = {}
    for question in questions:
        if question.kind not in FOLLOW_UPS:
            newest.setdefault(question.kind, question)
    candidates = list(newest.values())
    fits = [(q, a) for q in candidates if (a := match(q, text)) is not None]
    if len(fits) == 1:
        return Routed(fits[0])
    asked_last = [(q, a) for q, a in fits if not q.sticky]
    if len(asked_last) == 1:
        return Routed(asked_last[0])
    return Routed(None, tuple(candidates), tuple(fits))


def label(tr: Translator, question: PendingQuestion) -> str:
    """A question told by its choices ("Yes, erase everything / No, keep my data")."""
    names = [name for _key, name in question.choices[:LABEL_CHOICES]]
    if len(question.choices) > LABEL_CHOICES:
        names.append("…")
    if question.free_text:
        names.insert(0, tr.t(_("core.which_written")))
    text = " / ".join(names) or tr.t(_("core.which_written"))
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def which_choices(tr: Translator, questions: Sequence[PendingQuestion]) -> list[Choice]:
    return [Choice(str(q.id), label(tr, q)) for q in questions]
