"""Themes in free-text debrief answers: a grouping anyone can check by hand.

1. Each answer becomes a set of keywords: the words folded (lower case, accents removed),
   without stop words of any supported language (the union: an answer's language is not
   stored, so it cannot single anyone out), without words shorter than three letters or made of
   digits, with a crude plural fold (a final "s" after four letters) and, in Arabic, without
   the article and its prefixes ("ال", "وال", "بال", "لل").
2. The keyword shared by the most answers (at least two; ties go alphabetically) names a
   theme; the answers containing it form the theme and leave the pool. Repeat.
3. What is left over is shown as "other answers".

No I/O and no language model: the same answers always give the same themes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SHARED = 2  # a theme needs at least this many answers
MIN_LETTERS = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")

_EN = """
a about above after again against all almost also am an and any are aren't around as at be
because been before being below between both but by can cannot could couldn't did didn't do
does doesn't doing don't down during each else enough even ever every few for from further get
got had hadn't has hasn't have haven't having he her here hers herself him himself his how i
i'd i'll i'm i've if in into is isn't it it's its itself just least less let lot lots made make
many may me might more most much must my myself need no nor not now of off often on once one
only or other ought our ours ourselves out over own quite rather really same shall she should
so some something still such than that that's the their theirs them themselves then there
there's these they they're thing things this those though through to too under until up upon us
very was wasn't way we we're were weren't what when where which while who whom why will with
won't would wouldn't yes yet you you're your yours yourself yourselves
bit feel felt good great nice fine okay ok well better best bad liked like loved think thought
session sessions time
"""
_ES = """
a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el ella
ellas ellos en entre era eran es esa esas ese eso esos esta estaba estaban estamos estan estar
este esto estos fue fueron fui ha habia han hasta hay la las le les lo los mas me mi mis mucho
muchos muy nada ni no nos nosotros o os otra otras otro otros para pero poco por porque que
quien se sea ser si sido sin sobre son su sus tambien tan tanto te tener tengo ti tiene tienen
todo todos tu tus un una uno unos usted vez y ya yo
bien bueno buena buenos mal gusto gusta gustaron gusto creo sesion sesiones mejor
"""
_FR = """
a ai au aux avec avoir avons c ce ceci cela ces cet cette comme dans de des du elle elles en
est et etaient etait ete etre eu eux il ils j je l la le les leur leurs lui m ma mais me meme
mes moi mon n ne nos notre nous on ont ou par pas peu plus pour qu que qui s sa sans se ses si
son sont sur ta te tes toi ton tous tout toute toutes tres tu un une vos votre vous y
bien bon bonne mal aime trop seance seances cours fait faire
"""
_PT = """
a ao aos as ate com como da das de dela dele deles do dos e ela elas ele eles em entre era eram
essa essas esse esses esta estava estavam este estes eu foi foram ha isso isto ja la lhe mais
mas me mesmo meu minha muito muitos na nao nas nem no nos nossa nosso num numa o os ou para pela
pelas pelo pelos por porque pouco quando que quem se sem ser seu seus so sobre sua suas tambem
tem ter teve tinha todo todos tu um uma umas uns voce voces
bem bom boa mal gostei gosto acho sessao sessoes melhor
"""
_AR = """
في من على إلى الى عن مع هذا هذه ذلك تلك هو هي هم نحن أنا انا أنت انت كان كانت يكون لم لن لا ما
ماذا لماذا كيف أين اين متى التي الذي الذين او أو ثم قد كل بعض غير بين عند حتى إذا اذا لكن ولكن
جدا جداً كثير كثيرا قليل أكثر اكثر أقل اقل هناك هنا فقط أيضا ايضا أن ان إن لقد كما وهو وهي
جيد جيدة الجلسة جلسة الجلسات
"""


def fold(word: str) -> str:
    """Lower case without accents (Arabic letters are left as they are)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stop_words() -> frozenset[str]:
    words: set[str] = set()
    for block in (_EN, _ES, _FR, _PT, _AR):
        for word in block.split():
            words.add(fold(word))
            words.update(fold(part) for part in word.split("'"))
    return frozenset(words)


STOP_WORDS = _stop_words()


def _strip_arabic(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_LETTERS:
            return word[len(prefix) :]
    return word


def normalize(word: str) -> str:
    folded = _strip_arabic(fold(word))
    if len(folded) > 4 and folded.endswith("s") and not folded.endswith("ss"):
        folded = folded[:-1]
    return folded


def keywords(text: str) -> dict[str, str]:
    """keyword -> the first form it had in the text (lower case), for showing."""
    found: dict[str, str] = {}
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word.isdigit() or fold(word) in STOP_WORDS:
            continue
        key = normalize(word)
        if len(key) < MIN_LETTERS or key in STOP_WORDS:
            continue
        found.setdefault(key, word.casefold())
    return found


@dataclass(frozen=True)
class Theme:
    keyword: str  # as it was written in the first answer that has it
    members: tuple[int, ...]  # indexes into the answers given


@dataclass(frozen=True)
class Grouping:
    themes: tuple[Theme, ...]
    other: tuple[int, ...]  # answers that share no keyword with another


def group(texts: Sequence[str], *, min_shared: int = MIN_SHARED) -> Grouping:
    """Group answers by shared keywords, biggest theme first (see the module docstring)."""
    found = [keywords(text) for text in texts]
    remaining = list(range(len(texts)))
    themes: list[Theme] = []
    while True:
        counts = Counter(key for index in remaining for key in found[index])
        best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if not best or best[0][1] < min_shared:
            break
        key = best[0][0]
        members = tuple(index for index in remaining if key in found[index])
        shown = found[members[0]][key]
        themes.append(Theme(shown, members))
        remaining = [index for index in remaining if index not in members]
    return Grouping(tuple(themes), tuple(remaining))
