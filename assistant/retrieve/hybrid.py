"""Question -> passages: dense (Chroma) and BM25 rankings fused by reciprocal rank fusion.

Filters (source, date range) apply inside each index, so both rankings only ever see matching chunks: the
dense query carries them as a Chroma `where` clause, and the keyword index masks its rows by the same bounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from assistant.errors import ConfigError
from assistant.retrieve import recency
from assistant.retrieve.questions import question_parts
from assistant.settings import Settings
from assistant.store.chroma import Hit, Store
from assistant.store.embedding import Embedder
from assistant.store.lexical import LexicalIndex
from assistant.text.dates import checked_day, parse_date, to_timestamp
from assistant.text.terms import Vocabulary, terms
from assistant.types import Chunk, Passage


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    since: str | None = None  # a date in any common form, inclusive
    until: str | None = None  # inclusive: the whole day when only a date is given
    # the day the question is asked on (YYYY-MM-DD; None: today): articles published after it are not used,
    # articles without a date are
    as_of: str | None = None

    @classmethod
    def checked(
        cls,
        source: str | None,
        since: str | None,
        until: str | None,
        sources: Iterable[str | None],
        as_of: str | None = None,
    ) -> Filters:
        """Filters from user input: the source matched case-insensitively against the indexed `sources`,
        the dates parsed; a source that names nothing indexed or a bad date is a ConfigError."""
        source = (source or "").strip() or None
        if source:
            known = sorted({s for s in sources if s})
            match = [s for s in known if s.casefold() == source.casefold()]
            if not match:
                raise ConfigError(f"--source {source!r} names no indexed source; known: {', '.join(known) or 'none'}")
            source = match[0]
        filters = cls(source, (since or "").strip() or None, (until or "").strip() or None, checked_day(as_of))
        filters.where()  # a bad date fails here, before any work
        return filters

    def day(self) -> date:
        """The `as_of` day (today, UTC, when None)."""
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(UTC).date()

    def cutoff(self) -> int:
        """The last second of the `as_of` day (today when None), UTC."""
        return _timestamp(self.day().isoformat(), "as-of") + 86399

    def bounds(self) -> tuple[str | None, int | None, int | None]:
        """(source, first and last second of publication), None where unbounded."""
        since = _timestamp(self.since, "since") if self.since else None
        until = None
        if self.until:
            until = _timestamp(self.until, "until")
            if "T" not in (parse_date(self.until) or ""):  # a day with no time ("30 Sep 2023"): to its end
                until += 86399
        return self.source, since, until

    def admits(self, source: str | None, published_at: str | None) -> bool:
        """Whether an article of this source and publication date passes these filters and the as-of day, as
        `where(self.cutoff())` decides in the store (an undated article passes only where no dates are asked)."""
        want, since, until = self.bounds()
        if want and source != want:
            return False
        ts = to_timestamp(published_at) if published_at else None
        if ts is None:
            return since is None and until is None
        return ts <= self.cutoff() and (since is None or ts >= since) and (until is None or ts <= until)

    def where(self, cutoff: int | None = None) -> dict[str, Any] | None:
        """The same bounds as a Chroma `where` clause; with `cutoff`, only chunks published by then or undated."""
        source, since, until = self.bounds()
        clauses: list[dict[str, Any]] = []
        if cutoff is not None:
            clauses.append({"$or": [{"published_ts": {"$lte": cutoff}}, {"undated": {"$eq": True}}]})
        if source:
            clauses.append({"source": {"$eq": source}})
        if since is not None:
            clauses.append({"published_ts": {"$gte": since}})
        if until is not None:
            clauses.append({"published_ts": {"$lte": until}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _timestamp(value: str, name: str) -> int:
    iso = parse_date(value)
    ts = to_timestamp(iso)
    if ts is None:
        raise ConfigError(f"--{name} {value!r} is not a date (try 2023-09-15)")
    return ts


class Retriever:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._lexical: LexicalIndex | None = None
        self._synced: str | None = None  # the store's generation the keyword index was last brought in line with

    def lexical(self) -> LexicalIndex:
        """The keyword index, first brought in line with the store if any process changed the store since the
        last look (one small read when nothing changed)."""
        if self._lexical is None:
            self._lexical = LexicalIndex(self.settings.lexical_path())
        generation = self.store.generation()
        if generation != self._synced:
            self._lexical.sync(self.store)
            self._synced = generation
        return self._lexical

    def vocabulary(self) -> Vocabulary:
        """The (stemmed) words the committed articles hold, titles included."""
        return self.lexical().vocabulary()

    def refresh(self) -> None:
        """Look at the store again before the next question (call after the articles changed)."""
        self._synced = None

    def retrieve(self, question: str, filters: Filters | None = None, k: int | None = None) -> list[Passage]:
        s = self.settings
        k = k or s.retrieve_k
        filters = filters or Filters()
        bm25 = self.lexical()  # once: each call asks the store whether the articles changed
        # as of a day before the newest article, the later ones are left out; otherwise no filter is needed
        day_end = filters.cutoff()
        cutoff = day_end if day_end < bm25.newest() else None
        where, bounds = filters.where(cutoff), filters.bounds()
        candidates = max(s.candidates, k)
        # a two-part question is also looked up part by part; the parts together weigh as much as the whole
        parts = question_parts(question) if "question_parts" not in s.off() else []
        queries = [(question, 1.0)] + [(part, 1.0 / len(parts)) for part in parts]
        misspelt = "misspelt_words" not in s.off()
        vectors = self.embedder.encode([q for q, _ in queries])
        fused: dict[str, float] = {}
        by_id: dict[str, Hit] = {}
        similarity: dict[str, float | None] = {}
        firsts: list[str] = []
        for (query, share), vector in zip(queries, vectors, strict=True):
            dense = self.store.query(vector, candidates, where)
            found = bm25.rank(terms(query), candidates, *bounds, as_of=cutoff, misspelt=misspelt)
            lexical = self.store.hits([(f.article_id, f.n, f.start, f.end) for f in found])
            for weight, ranking in ((s.dense_weight * share, dense), (s.bm25_weight * share, lexical)):
                for rank, hit in enumerate(ranking, start=1):
                    fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + weight / (s.rrf_k + rank)
                    by_id.setdefault(hit.chunk.id, hit)
            if query == question:
                similarity = {h.chunk.id: h.similarity for h in dense}
                firsts = [ranking[0].chunk.id for ranking in (dense, lexical) if ranking]
        if s.recency_boost and (days := recency.window(question, filters.day())) is not None:
            _prefer(fused, by_id, days, s.recency_boost)
        order = _fused_order(fused, by_id)
        best = fused[order[0]] if order else 1.0
        return [
            to_passage(by_id[i].chunk, by_id[i].article, fused[i] / best, similarity.get(i))
            for i in _with_firsts(_diverse(order, by_id, k, s.passages_per_article), firsts, k)
        ]


def _prefer(fused: dict[str, float], hits: dict[str, Hit], days: recency.Window, boost: float) -> None:
    """Scores of the passages whose article was published in `days` times 1 + `boost`."""
    first, last = to_timestamp(days.first.isoformat()), to_timestamp(days.last.isoformat())
    assert first is not None and last is not None
    for chunk_id in fused:
        ts = hits[chunk_id].article.get("published_ts")
        if isinstance(ts, int | float) and first <= ts <= last + 86399:
            fused[chunk_id] *= 1 + boost


def _fused_order(fused: dict[str, float], hits: dict[str, Hit]) -> list[str]:
    """Best fused score first; between equal scores, the more recent article (undated last)."""

    def published(chunk_id: str) -> int:
        ts = hits[chunk_id].article.get("published_ts")
        return int(ts) if isinstance(ts, int | float) else -(2**62)

    return sorted(fused, key=lambda i: (-fused[i], -published(i)))


def _with_firsts(order: list[str], firsts: list[str], k: int) -> list[str]:
    """The first k of `order`, in which each ranking's first pick has a place: a passage only one ranking
    finds (a rare name BM25 ranks first, the embeddings 28th) fuses below ones both rank fairly well."""
    top = order[:k]
    missing = [i for i in dict.fromkeys(firsts) if i not in top]
    if not missing:
        return top
    kept = [i for i in top if i in firsts] + [i for i in top if i not in firsts]
    return [i for i in order if i in kept[: k - len(missing)] or i in missing]


def _diverse(order: list[str], hits: dict[str, Hit], k: int, per_article: int = 0, threshold: float = 0.6) -> list[str]:
    """Fused order, with near-copies of a passage already chosen (another outlet's reprint), and with `per_article`
    (0: no limit) passages of an article already chosen, its further ones, moved after the first k. Only the first
    k are compared (stemming every candidate cost ~13 ms a question at 10,000 articles); what follows them keeps
    its fused order."""
    chosen: list[str] = []
    chosen_words: list[set[str]] = []
    later: list[str] = []
    taken: dict[str, int] = {}
    for n, chunk_id in enumerate(order):
        if len(chosen) == k:
            return chosen + order[n:] + later
        article = hits[chunk_id].chunk.article_id
        if per_article and taken.get(article, 0) >= per_article:
            later.append(chunk_id)
            continue
        words = set(terms(hits[chunk_id].chunk.text))
        copy = any(
            hits[c].chunk.article_id != article and len(words & w) / max(1, len(words | w)) >= threshold
            for c, w in zip(chosen, chosen_words, strict=True)
        )
        (later if copy else chosen).append(chunk_id)
        if not copy:
            chosen_words.append(words)
            taken[article] = taken.get(article, 0) + 1
    return chosen + later


def to_passage(chunk: Chunk, article: dict[str, Any], score: float, similarity: float | None) -> Passage:
    """A stored chunk with its article's fields, as retrieval returns it."""
    return Passage(
        article_id=chunk.article_id,
        title=str(article["title"]),
        source=article.get("source"),
        published_at=article.get("published_at"),
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=round(score, 4),
        similarity=None if similarity is None else round(similarity, 4),
    )
