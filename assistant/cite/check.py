"""Generated text -> checked citations.

Markers like [2], [1, 3] or [1][3] are parsed; numbers that name no evidence are dropped. Each answer
sentence is checked against the evidence it cites (content-word overlap and embedding similarity: no
NLI model runs offline); when it is not supported but another evidence sentence supports it, that
one is cited instead; when nothing supports it, it is kept and marked unsupported.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache, partial

import numpy as np

from assistant.cite.contradictions import contradictions
from assistant.text.sentences import sentence_spans
from assistant.text.terms import STOPWORDS, WORD, Vocabulary, numbers, overlap, periods, stem, terms
from assistant.types import Citation, Evidence, Sentence

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
SUPPORTED = 0.5  # support score from which a span supports a sentence (see `support`)


# a list item's own number ("1. ", "2) ") or bullet at the start of a line, after any source markers
_LIST_ITEM = re.compile(r"^(\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)*)(?:\d{1,2}[.)]|[-*•])[ \t]+", re.MULTILINE)


def without_list_numbers(text: str) -> str:
    """The answer without the numbers and bullets of a list it was written as: "[1] 1. Labourers ..."
    states no count of 1, and the item number must not pass as a fact (or as the number asked for)."""
    return _LIST_ITEM.sub(r"\1", text)


def marker_numbers(marker: re.Match[str]) -> list[int]:
    """The numbers of a `MARKER` match: "[2, 5]" -> [2, 5]."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", marker.group(1))]


def parse(text: str) -> list[tuple[str, list[int]]]:
    """Answer text -> [(sentence without markers, cited numbers)], markers attached to their sentence;
    a sentence the model repeats word for word is kept once."""
    out: list[tuple[str, list[int]]] = []
    for lo, hi in sentence_spans(text):
        piece = text[lo:hi]
        numbers = [n for m in MARKER.finditer(piece) for n in marker_numbers(m)]
        clean = MARKER.sub("", piece).strip()
        if not clean and out:  # a marker alone after the full stop belongs to the sentence before
            out[-1][1].extend(n for n in numbers if n not in out[-1][1])
            continue
        same = next((cited for said, cited in out if said == clean), None)
        if same is not None:
            same.extend(n for n in numbers if n not in same)
        elif clean:
            out.append((clean, numbers))
    return out


def without_repeats(text: str, before: str) -> str:
    """`text` less its sentences that add at most one content word, and no number, to `before` (a second
    article's part of the answer restating the first's: "The summit was held in the Far East [5].")."""
    said = set(terms(before))
    kept: list[str] = []
    for lo, hi in sentence_spans(text):
        new = set(terms(MARKER.sub(" ", text[lo:hi]))) - said
        if len(new) > 1 or numbers(" ".join(new)):
            kept.append(text[lo:hi].strip())
            said |= new
    return " ".join(kept)


def support(sentence: str, quote: str, similarity: float) -> float:
    """How well `quote` backs `sentence`: 0.5 x content-word overlap + 0.5 x cosine similarity."""
    return 0.5 * overlap(terms(sentence), terms(quote)) + 0.5 * max(0.0, similarity)


Judge = Callable[[str, Sequence[Evidence]], "float | None"]  # (sentence, spans) -> P(the spans state it)


def check(
    text: str,
    evidence: Sequence[Evidence],
    vectors: Callable[[Sequence[str]], np.ndarray],
    question: str = "",
    corpus: Vocabulary | None = None,
    judge: Judge | None = None,
    threshold: float = 0.7,
    off: frozenset[str] = frozenset(),
) -> list[Sentence]:
    """Parse, drop dangling numbers, verify each sentence, re-cite where a better span exists.

    A sentence that states a number (a count, an amount, a year) that neither the spans backing it
    nor the question hold is not supported, however close its words: that is how a small model
    invents facts ("100,000 labourers"), nor one that states a length or relative time ("a week
    after", "last month") they do not. Nor is one that states as done what its span only expects,
    plans or alleges (see `contradictions.hedged`).

    With a `judge` (the language model asked whether the spans state the sentence), that is the rest
    of the check: a sentence is supported when its probability reaches `threshold`, and its support
    is that probability. Without one, word overlap and embedding similarity (see `support`) decide,
    with exact signs against them: a name from outside the evidence ("the Kursk") or the question's own
    subject when no article of the `corpus` speaks of it (see `unseen`), a negation or an opposite the
    span does not share (see `contradictions`). Measured on labelled pairs: docs/citation-check.md. The
    rules named in `off` (settings.RULES) are left out, to measure what each adds."""
    parsed = parse(unicodedata.normalize("NFC", text))  # as the articles' text is (see cleaning)
    if not parsed or not evidence:
        return [Sentence(s, (), False, 0.0) for s, _ in parsed]
    by_n = {e.n: e for e in evidence}
    sent_vecs = vectors([s for s, _ in parsed])
    ev_vecs = vectors([e.quote for e in evidence])
    cosine = sent_vecs @ ev_vecs.T
    # the numbers, and the lengths and relative times ("two days", "last month") a text states
    figures = numbers if "periods" in off else lambda text: numbers(text) | periods(text)
    asked = figures(question)
    # the judge reads negations and opposites itself; of the signs, those turned off are left out
    against = partial(contradictions, negations=judge is None and "negations" not in off, hedges="hedges" not in off)
    names = judge is None and "names" not in off
    stated = {e.n: figures(" ".join((e.quote, e.title, e.published_at or ""))) for e in evidence}
    tolerant = "misspellings" not in off
    seen = Vocabulary((t for e in evidence for t in terms(f"{e.title} {e.quote}")), tolerant)
    acronyms = initialisms("\n".join([question, *(f"{e.title}\n{e.quote}" for e in evidence)]))
    if corpus is not None and not tolerant:
        corpus = Vocabulary(corpus.stems, tolerant)
    quoted = [figures(e.quote) for e in evidence]  # without the title and date, for `_with_numbers_from_another`
    stated_j = [stated[e.n] for e in evidence]
    out = []
    for i, (sentence, cited_numbers) in enumerate(parsed):
        cited = [n for n in dict.fromkeys(cited_numbers) if n in by_n]
        # with a judge, only the question's own subject that no article holds ("his wife"): it reads names itself
        if unseen(sentence, question, seen, corpus, acronyms, names, restated="question_words" not in off):
            out.append(Sentence(sentence, tuple(cited), False, 0.0))
            continue
        scores = [
            support(sentence, e.quote, float(cosine[i, j])) if not against(sentence, e.quote) else 0.0
            for j, e in enumerate(evidence)
        ]
        told = figures(sentence) - asked if "numbers" not in off else set()
        if judge is not None:
            out.append(_judged(sentence, cited, evidence, scores, told, stated, judge, threshold, "copies" not in off))
            continue
        cited_scores = {n: scores[_index(evidence, n)] for n in cited}
        keep = tuple(n for n in cited if cited_scores[n] >= SUPPORTED)
        best_j = max((j for j, e in enumerate(evidence) if told <= stated[e.n]), key=lambda j: scores[j], default=None)
        if keep and told <= set().union(*(stated[n] for n in keep)):
            out.append(Sentence(sentence, keep, True, round(max(cited_scores.values()), 3)))
        elif best_j is not None and scores[best_j] >= SUPPORTED:
            out.append(Sentence(sentence, (evidence[best_j].n,), True, round(scores[best_j], 3)))
        elif pair := _with_numbers_from_another(scores, told, stated_j, quoted):
            out.append(Sentence(sentence, tuple(evidence[j].n for j in pair), True, round(scores[pair[0]], 3)))
        else:
            best = max(cited_scores.values(), default=0.0)
            out.append(Sentence(sentence, tuple(cited), False, round(best, 3)))
    return out


def _judged(
    sentence: str,
    cited: list[int],
    evidence: Sequence[Evidence],
    scores: list[float],
    told: set[str],
    stated: dict[int, set[str]],
    judge: Judge,
    threshold: float,
    copies: bool = True,
) -> Sentence:
    """The judge's verdict on a sentence against the spans it cites that may back it (score above 0: no
    hedge dropped) when they hold its numbers; else, or when the judge says no, against
    the best-scored span that holds them (a re-citation), when it scores `SUPPORTED`. A sentence that is
    a span, or a run of its words, word for word (a small model often copies one, and may cite another
    span for it) needs no judge: it is cited to the span it copies."""
    by_n = {e.n: (e, scores[j]) for j, e in enumerate(evidence)}
    usable = [n for n in cited if by_n[n][1] > 0]
    said = _words(_LABEL.sub("", sentence))
    others = [e.n for e in evidence if e.n not in usable and by_n[e.n][1] > 0]
    copied = [n for n in [*usable, *others] if copies and _excerpt(said, _words(by_n[n][0].quote))]
    if copied:  # the span's own words, in its order: nothing to ask
        return Sentence(sentence, tuple(copied[:1]), True, 1.0)
    tried: list[tuple[int, ...]] = []
    if usable and told <= set().union(*(stated[n] for n in usable)):
        tried.append(tuple(usable))
    best = max((e.n for e in evidence if told <= stated[e.n]), key=lambda n: by_n[n][1], default=None)
    if best is not None and by_n[best][1] >= SUPPORTED and (best,) not in tried:
        tried.append((best,))
    p = 0.0
    for ns in tried:
        p = judge(sentence, [by_n[n][0] for n in ns]) or 0.0
        if p >= threshold:
            return Sentence(sentence, ns, True, round(p, 3))
    return Sentence(sentence, tuple(cited), False, round(p, 3))


def _excerpt(said: list[str], source: list[str]) -> bool:
    """Whether `said` (6 words or more) is a run of `source`'s words: a sentence copied out of a span that
    holds two ("After a four-year gap, both leaders met ... on September 12 and 13." from a span that goes
    on "This time the summit ..."). A hedge or a negation it leaves behind is caught before (`hedged`)."""
    n = len(said)
    return n >= 6 and any(source[i : i + n] == said for i in range(len(source) - n + 1))


# a label a small model puts before what it copies ("Fact: ...", "Quote: ...")
_LABEL = re.compile(r"^\s*(?:fact|answer|note|source|quote)\s*:\s*", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower().replace("’", "'"))


def _with_numbers_from_another(
    scores: list[float], told: set[str], stated: list[set[str]], quoted: list[set[str]]
) -> tuple[int, int] | None:
    """A sentence that joins two spans: (j, k) when span j supports its words and span k, itself about
    the sentence (support from `JOINED`), states in its own words the numbers j lacks ("On September 12
    and 13, Putin and Kim met for the first time since 2019", from "... met for the first time since
    2019" and "... met on September 12 and 13"; an article's date lends k nothing here: "September 15,
    2023" is not backed by a sentence from an article dated 2023-09-15). The best-supported such j,
    then the best k."""
    for j in sorted(range(len(scores)), key=lambda j: -scores[j]):
        if scores[j] < SUPPORTED:
            return None
        lacking = told - stated[j]
        ks = [k for k in range(len(scores)) if k != j and scores[k] >= JOINED and lacking <= quoted[k]]
        if lacking and ks:
            return j, max(ks, key=lambda k: scores[k])
    return None


JOINED = 0.25  # support from which a second span may lend a sentence the numbers its first span lacks


def unseen(
    sentence: str,
    question: str,
    evidence: Vocabulary,
    corpus: Vocabulary | None = None,
    acronyms: frozenset[str] = frozenset(),
    names: bool = True,
    restated: bool = True,
) -> list[str]:
    """Words of an answer sentence that nothing backs: a capitalised word inside the sentence (a name)
    that neither the evidence nor the question holds (unless `names` is false), or a content word of
    the question, restated by the answer, that no article of the corpus holds (`corpus`; the evidence
    when not given).

    A name stands for what the evidence writes out: an abbreviation ("Dec.", "Gov.") for a word it
    begins, an acronym for the initials of capitalised words (`acronyms`: "ISS" for "International
    Space Station")."""
    asked = set(terms(question))
    found = []
    for k, match in enumerate(WORD.finditer(sentence) if names else ()):
        word = match.group()
        before = sentence[: match.start()].rstrip()[-1:]
        # a sentence's first word, or the first after a colon, a quote mark or a bracket, is capitalised anyway
        if k == 0 or before in _OPENERS or len(word) < 2 or not word[0].isupper() or word.lower() in STOPWORDS:
            continue
        stem_ = stem(word.lower())
        if len(stem_) < 2 or stem_ in evidence or stem_ in asked or word in acronyms:
            continue  # a letter left of "AT&T's" is no name
        if sentence[match.end() : match.end() + 1] == "." and any(s.startswith(stem_) for s in evidence.stems):
            continue
        found.append(word)
    known = evidence if corpus is None else corpus
    if not restated:
        return found
    repeated = (t for t in dict.fromkeys(terms(sentence)) if t in asked and not t.isdigit())  # numbers: see check
    return found + [t for t in repeated if t not in known and t not in _generic()]


_OPENERS = frozenset(':;"“‘(\n–—-')


def initialisms(text: str) -> frozenset[str]:
    """The acronyms a text's runs of capitalised words make: "International Space Station" gives "ISS"
    (and "IS", "SS"); "Department of Justice" gives "DOJ" and "DJ". A run ends at any punctuation."""
    found: set[str] = set()
    run: list[tuple[str, bool]] = []  # (initial, is a joining word such as "of")
    end = 0
    for match in [*WORD.finditer(text), None]:
        word = match.group() if match else ""
        gap = text[end : match.start()] if match else "."
        joins = word.lower() in _JOINERS and bool(run)
        if run and (gap.strip(" -") or not (word[:1].isupper() or joins)):
            for letters in ("".join(c for c, _ in run), "".join(c for c, joiner in run if not joiner)):
                found.update(letters[i:j] for i in range(len(letters)) for j in range(i + 2, len(letters) + 1))
            run = []
        if word[:1].isupper() or (joins and run):
            run.append((word[0].upper(), joins))
        end = match.end() if match else end
    return frozenset(found)


_JOINERS = frozenset({"of", "for", "and", "the"})


# question words that frame what is asked rather than name it: an answer restates them ("The name of ...
# is", "Kim described ... as") while its source words them otherwise ("said", "were now")
@lru_cache(maxsize=1)
def _generic() -> frozenset[str]:
    words = "name call happen mean describe react respond think view regard consider explain"
    return frozenset(stem(w) for w in words.split())


def _index(evidence: Sequence[Evidence], n: int) -> int:
    return next(j for j, e in enumerate(evidence) if e.n == n)


def render(sentences: Sequence[Sentence]) -> str:
    """The answer text with its checked markers, placed before each sentence's final punctuation."""
    parts = []
    for s in sentences:
        text = s.text
        if s.citations:
            marks = "".join(f"[{n}]" for n in s.citations)
            cut = marker_position(text)
            text = f"{text[:cut]} {marks}{text[cut:]}"
        parts.append(text)
    return " ".join(parts)


def marker_position(text: str) -> int:
    """Where a sentence's citation markers go: before its final punctuation (and closing quotes)."""
    end = _END.search(text)
    return end.start() if end else len(text)


_END = re.compile(r"[.!?][\"”’)]*$")


def verdict(
    claim: str,
    spans: Sequence[str],
    vectors: Callable[[Sequence[str]], np.ndarray],
    question: str = "",
    corpus: Vocabulary | None = None,
    judge: Judge | None = None,
    threshold: float = 0.7,
    off: frozenset[str] = frozenset(),
) -> tuple[bool, float]:
    """The check on one answer sentence citing `spans` (numbered 1..n, as an answer cites its evidence):
    (supported, its support score). What `assistant eval` measures on a set of labelled claims."""
    evidence = [Evidence("", "", None, None, 0, len(s), s, 1.0, n=i) for i, s in enumerate(spans, 1)]
    marks = "".join(f"[{e.n}]" for e in evidence)
    sentences = check(f"{claim} {marks}", evidence, vectors, question, corpus, judge, threshold, off)
    if not sentences:
        return False, 0.0
    return all(s.supported for s in sentences), min(s.support for s in sentences)


def cited(sentences: Sequence[Sentence], evidence: Sequence[Evidence]) -> list[Citation]:
    """The evidence the sentences cite, each marked supported when a supported sentence cites it."""
    by_n = {e.n: e for e in evidence}
    supported: dict[int, bool] = {}
    for s in sentences:
        for n in s.citations:
            supported[n] = supported.get(n, False) or s.supported
    return [
        Citation(**{f.name: getattr(e, f.name) for f in dataclasses.fields(e)}, supported=supported[n])
        for n in sorted(supported)
        if (e := by_n.get(n))
    ]
