"""Words that carry meaning: the shared vocabulary of BM25, evidence scoring and the citation check."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property, lru_cache
from typing import Any

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say according whose did does done s t""".split()  # noqa: SIM905
)


# past forms that news questions and articles mix ("Where did they meet?" / "they met")
_IRREGULAR = {
    "met": "meet",
    "held": "hold",
    "told": "tell",
    "took": "take",
    "went": "go",
    "gave": "give",
    "made": "make",
    "came": "come",
    "left": "leave",
    "sent": "send",
    "sold": "sell",
    "bought": "buy",
    "began": "begin",
    "won": "win",
    "fled": "flee",
    "flew": "fly",
    "spoke": "speak",
    "saw": "see",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem, after mapping a few irregular past forms ("met" ~ "meeting")."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return _stemmer().stem(_IRREGULAR.get(word, word))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words of `text`, in order (repeats kept)."""
    out = []
    for match in WORD.finditer(text.lower()):
        word = match.group()
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(stem(word))
    return out


def overlap(needles: Iterable[str], haystack: Iterable[str]) -> float:
    """Share of the distinct `needles` found in `haystack` (0 when there are no needles)."""
    wanted = set(needles)
    if not wanted:
        return 0.0
    return len(wanted & set(haystack)) / len(wanted)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "one" and "first" are left out: as often a pronoun or a manner of speaking as a count
_NUMBER_WORDS = {
    word: str(value)
    for value, words in enumerate(
        [
            (),
            (),
            ("two", "second", "twice"),
            ("three", "third", "thrice"),
            ("four", "fourth"),
            ("five", "fifth"),
            ("six", "sixth"),
            ("seven", "seventh"),
            ("eight", "eighth"),
            ("nine", "ninth"),
            ("ten", "tenth"),
            ("eleven", "eleventh"),
            ("twelve", "twelfth"),
        ]
    )
    for word in words
} | {"dozen": "12", "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000"}


def numbers(text: str) -> set[str]:
    """The numbers a text states, in digits ("two" and "2" alike; "100,000" as "100000")."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in WORD.findall(text.lower()) if w in _NUMBER_WORDS}
    return {n.lstrip("0") or "0" for n in found}


_UNITS = "minute|hour|day|week|weekend|month|year|decade|century"
_CARDINALS = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred"
_PERIOD = re.compile(
    rf"\b(?:(?P<count>\d+|a|an|one|{_CARDINALS})[ -](?P<unit>{_UNITS})s?\b(?![ -]old)"
    rf"|(?P<when>last|this|next|past) (?P<unit2>{_UNITS})\b)"
)


def periods(text: str) -> set[str]:
    """The lengths and relative times a text states, as "2 day" ("two days", "2-day"), "1 year" ("a year
    ago", "last year"), "100 year" ("a century") or "this week": "a week after" is not "two days after",
    nor "last month" "this week". An age ("12 years old") is left to `numbers`."""
    found = set()
    for m in _PERIOD.finditer(text.lower()):
        if m.group("when"):
            count, unit = ("1" if m.group("when") in ("last", "past") else m.group("when")), m.group("unit2")
        else:
            count, unit = m.group("count"), m.group("unit")
            count = "1" if count in ("a", "an", "one") else _NUMBER_WORDS.get(count, count).lstrip("0") or "0"
        if unit in _IN_YEARS and count.isdigit():
            count, unit = str(int(count) * _IN_YEARS[unit]), "year"
        found.add(f"{count} {unit}")
    return found


_IN_YEARS = {"decade": 10, "century": 100}


class Vocabulary:
    """Stemmed words of some texts. A stem is known when it is one of them, shares its first `PREFIX`
    letters with one ("spokesman" and "spokesperson"), or, from 5 letters on, is one edit after the first
    letter away from one ("shoigu" and "soigu", a misspelled name): a word wrongly taken as unknown
    refuses a good answer. Not `tolerant`: the stem itself or its prefix only."""

    def __init__(self, stems: Iterable[str], tolerant: bool = True) -> None:
        self.stems = frozenset(stems)
        self.prefixes = {s[:PREFIX] for s in self.stems if len(s) >= PREFIX}
        self.tolerant = tolerant

    def __contains__(self, stem: str) -> bool:
        if stem in self.stems or (len(stem) >= PREFIX and stem[:PREFIX] in self.prefixes):
            return True
        return self.tolerant and len(stem) >= 5 and not _deletions(stem).isdisjoint(self._deletions)

    def nearest(self, stem: str) -> list[str]:
        """The stems one edit after the first letter away from `stem` (5 letters or more) when it is not one
        of them itself: how the texts spell a misspelt name ("sulivan": "sullivan"; "peskow": "peskov")."""
        if len(stem) < 5 or stem in self.stems:
            return []
        return sorted(_one_edit(stem) & self.stems)

    @cached_property
    def _deletions(self) -> frozenset[str]:
        """Every known stem of 4 letters or more, and each with one letter deleted (built on first need):
        two words one edit apart share one of these (a substitution, an insertion or a deletion)."""
        return frozenset(d for s in self.stems if len(s) >= 4 for d in _deletions(s))


def _one_edit(word: str) -> set[str]:
    """Every string one deletion (`_deletions`), insertion, substitution or swap of two neighbours after the
    first letter away from `word` (letters a-z)."""
    heads_tails = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    return (
        _deletions(word)
        | {h + t[1] + t[0] + t[2:] for h, t in heads_tails if len(t) > 1}
        | {h + c + t[1:] for h, t in heads_tails if t for c in _LETTERS}
        | {h + c + t for h, t in heads_tails for c in _LETTERS}
    ) - {word}


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
PREFIX = 6  # stems sharing their first 6 letters count as one word


def _deletions(word: str) -> set[str]:
    """`word` and each form of it with one letter after the first deleted: misspellings keep the first
    letter ("soigu"), and one edit there turns words into others ("mother", "other")."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(1, len(word))}
