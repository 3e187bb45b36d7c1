"""Cheap, exact signs that an answer sentence says other than the span it shares its words with.

Word overlap and embedding similarity rate "Kim and Putin did not meet at Vostochny" as close to "Kim
shakes hands with Putin during their meeting at Vostochny" as the truth: the words are the same, the
sense is the opposite. Each function here looks for one way a small model turns its source around while
keeping its words, and names what it found (empty: nothing found):

- `negated`: a negation one side has and the other lacks, where its scope holds words of both;
- `reversed`: a word of the sentence whose opposite the span says instead ("rejected" for "approved");
- `hedged`: the span only expects, plans, alleges or supposes what the sentence states as done.

They are lexical signals, not a reading: what they cannot see (swapped roles, most paraphrased
contradictions) is left to the model's own check (see `citations`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text.terms import STOPWORDS, WORD, stem

# words that turn what follows around; "no" and "not" are matched as words, "n't" inside them
_NEGATIONS = frozenset(
    """not no never none nobody nothing neither nor without cannot refused refuse refuses refusing
    failed fail fails failing denied deny denies denying""".split()  # noqa: SIM905
)
_SCOPE = 6  # words after a negation that it governs


def _clauses(text: str) -> list[list[str]]:
    """The lower-cased words of `text`, clause by clause: a negation or a hedge governs no word past a
    comma, a colon, a dash or a bracket ("As the name suggests, Crew-10 is ...")."""
    return [
        [w.lower().replace("’", "'") for w in WORD.findall(part)] for part in _CLAUSE_END.split(text) if part.strip()
    ]


_CLAUSE_END = re.compile(r"[,;:()\[\]–—]|\s-\s|[.!?](?=\s|$)")


def _is_negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


# what a negation followed by these words says is no denial: "not only", "not far from", "no doubt"
_NOT_DENIALS = frozenset(["only", "just", "merely", "far", "least", "doubt"])


def _scopes(clauses: list[list[str]]) -> list[tuple[str, set[str]]]:
    """Each negation that denies what follows it, with the content-word stems it governs: the next
    `_SCOPE` words of its clause."""
    out = []
    for words in clauses:
        for i, word in enumerate(words):
            if not _is_negation(word) or (
                word in ("not", "no") and words[i + 1 : i + 2] and words[i + 1] in _NOT_DENIALS
            ):
                continue
            after = words[i + 1 : i + 1 + _SCOPE]
            out.append((word, {stem(w) for w in after if w not in STOPWORDS and not _is_negation(w)}))
    return out


def _with_prefix_negations(clauses: list[list[str]], other: set[str]) -> list[list[str]]:
    """ "unclear" as "not clear" when the other side says "clear": a negation written as a prefix."""
    return [
        [part for w in words for part in (("not", w[2:]) if _prefix_negates(w, other) else (w,))] for words in clauses
    ]


def _prefix_negates(word: str, other: set[str]) -> bool:
    return word.startswith("un") and len(word) >= 6 and stem(word[2:]) in other


def _stems(clauses: list[list[str]]) -> set[str]:
    return {stem(w) for words in clauses for w in words if w not in STOPWORDS}


def negated(sentence: str, span: str) -> list[str]:
    """A negation on one side only, governing words the other side also has: "did not meet" against
    "met", or "met" against "did not meet". A negation in a clause of the span the sentence does not
    restate is no sign (its scope shares no word with the sentence)."""
    said, source = _clauses(sentence), _clauses(span)
    said, source = _with_prefix_negations(said, _stems(source)), _with_prefix_negations(source, _stems(said))
    said_stems, source_stems = _stems(said), _stems(source)
    said_negations, source_negations = _scopes(said), _scopes(source)
    found = []
    if not source_negations:
        found += [w for w, scope in said_negations if scope & source_stems]
    if not said_negations:
        found += [w for w, scope in source_negations if scope & said_stems]
    return found


# pairs of opposites news sentences turn into each other; each side may list several forms
_OPPOSITES = [
    ("win won wins winning victory", "lose lost loses losing defeat defeated"),
    ("approve approved approves approval", "reject rejected rejects rejection veto vetoed"),
    ("accept accepted accepts", "reject rejected rejects decline declined declines"),
    (
        "rise rose risen rises increase increased increases grew grow gain gained",
        "fall fell fallen falls decrease decreased decreases drop dropped shrank shrink",
    ),
    ("convict convicted conviction guilty", "acquit acquitted acquittal innocent"),
    ("begin began begun begins start started starts open opened", "end ended ends stop stopped close closed"),
    ("strengthen strengthened stronger", "weaken weakened weaker"),
    ("support supported supports backed", "oppose opposed opposes"),
    ("allow allowed allows permit permitted", "ban banned bans forbid forbade prohibit prohibited block blocked"),
    ("hire hired hires appoint appointed appoints", "fire fired fires dismiss dismissed sack sacked"),
    ("join joined joins enter entered", "leave left leaves quit quits exit exited withdraw withdrew"),
    ("confirm confirmed confirms", "deny denied denies"),
    ("pass passed", "fail failed"),
    ("arrest arrested", "release released free freed"),
    ("largest biggest highest most", "smallest lowest least fewest"),
    ("north northern", "south southern"),
    ("east eastern", "west western"),
    ("agree agreed agrees", "disagree disagreed disagrees"),
    ("buy bought buys", "sell sold sells"),
]


@lru_cache(maxsize=1)
def _opposite_of() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for left, right in _OPPOSITES:
        a, b = {stem(w) for w in left.split()}, {stem(w) for w in right.split()}
        for s in a:
            table.setdefault(s, set()).update(b - a)
        for s in b:
            table.setdefault(s, set()).update(a - b)
    return {k: frozenset(v) for k, v in table.items()}


def reversed_words(sentence: str, span: str) -> list[str]:
    """Words of the sentence the span does not have but whose opposite it does ("rejected" where the
    span says "approved")."""
    said = [w for words in _clauses(sentence) for w in words if w not in STOPWORDS]
    source = {stem(w) for words in _clauses(span) for w in words}
    opposite = _opposite_of()
    return [w for w in said if (s := stem(w)) not in source and opposite.get(s, frozenset()) & source]


# words by which a span reports what has not (or not yet) happened
_HEDGES = frozenset(
    """would could may might likely unlikely expected expects expect plan plans planned planning propose
    proposes proposed proposal allegedly alleged alleges reportedly possible possibly possibility potential
    potentially prospect hinted hint hints suggest suggested suggests considering consider considers weighing
    intend intends intended aim aims hope hopes hoped hoping seek seeks sought threaten threatened threatens
    prepare prepares preparing poised will shall rumored rumoured speculation
    speculated fears feared warn warned warns""".split()  # noqa: SIM905
)


_HEDGE_SCOPE = 8  # content words after a hedge, in its clause, that it governs
# ... up to a phrase of time, which tells what already is ("to replace stocks used up during 18 months of fighting")
_BACKGROUND = frozenset({"during", "since", "after", "before"})

# ... and by which a sentence keeps that it has not happened ("is due to visit", "raised the prospect")
# ("will" keeps only a "will": it states as certain what "could" or "the possibility of" leaves open)
_KEPT_HEDGES = (_HEDGES - {"will", "shall"}) | {
    "due",
    "scheduled",
    "prospect",
    "prospects",
    "chance",
    "chances",
    "unclear",
    "uncertain",
    "whether",
    "thought",
    "believed",
}


def hedged(sentence: str, span: str) -> list[str]:
    """Hedges of the span the sentence drops: the span says a thing would, could, is planned or alleged to
    happen, and the sentence restates two words of what the hedge governs (the next `_HEDGE_SCOPE`
    content words of its clause) without a hedge of its own (a sentence that keeps "likely" or "plans to" reports
    the span faithfully). "More likely" and "less likely" compare; they are no hedge."""
    said = [w for words in _clauses(sentence) for w in words]
    if any(w in _KEPT_HEDGES for w in said):
        return []
    said_stems = {stem(w) for w in said if w not in STOPWORDS}
    found = []
    for words in _clauses(span):
        for i, word in enumerate(words):
            if word not in _HEDGES or (i and words[i - 1] in ("more", "less")) or word in said:
                continue
            content = []
            for w in words[i + 1 :]:
                if w in _BACKGROUND:  # "during more than 18 months of fighting": what happened around it
                    break
                if w not in STOPWORDS and w not in _HEDGES:
                    content.append(w)
            if len({stem(w) for w in content[:_HEDGE_SCOPE]} & said_stems) >= 2:
                found.append(word)
    return found


def contradictions(sentence: str, span: str, negations: bool = True, hedges: bool = True) -> list[str]:
    """Every sign found, in words ("negation 'not'", "opposite 'lost'", "hedge 'would'"); without `negations`
    no negation or opposite is looked for, without `hedges` no hedge."""
    found = []
    if negations:
        found += [f"negation {w!r}" for w in negated(sentence, span)]
        found += [f"opposite {w!r}" for w in reversed_words(sentence, span)]
    if hedges:
        found += [f"hedge {w!r}" for w in hedged(sentence, span)]
    return found
