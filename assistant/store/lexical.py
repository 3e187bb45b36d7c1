"""The keyword (BM25) index of the committed chunks: an inverted index kept in SQLite beside the vectors.

Written by hand. bm25s, used before, builds its matrix in memory from every chunk at once, so each app start
and each upload re-read and re-tokenized the whole archive (at 84,000 chunks that was the cold start).
SQLite's FTS5 keeps an index on disk but ranks an OR query over 335,000 news chunks in 55-85 ms with its
bm25(). Here each write adds a segment of posting lists (term -> rows, term frequencies) to a SQLite file,
and a query reads the lists of its few terms and scores them with numpy (Lucene's BM25, as bm25s did).

The index follows the store, never the other way round: `sync` compares the articles it holds with the
store's committed ones and adds or drops the difference, so it is right after a crash, after another
process (or another machine, with a Chroma server) changed the store, and after a rebuild.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.text.terms import Vocabulary, terms
from assistant.types import Chunk

if TYPE_CHECKING:
    from assistant.store.chroma import Store

K1, B = 1.5, 0.75  # bm25s's defaults, and its form of the score (Lucene's, without the (k1 + 1) factor)
_MERGE_AT = 32  # segments of posting lists before they are merged into one
_MERGE_TERMS = 5000  # terms merged at a time
_NO_DATE = np.iinfo(np.int64).min

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(article_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS chunks(
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL, n INTEGER NOT NULL,
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, source TEXT, published_ts INTEGER,
    length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS postings(
    term TEXT NOT NULL, segment INTEGER NOT NULL, rows BLOB NOT NULL, tfs BLOB NOT NULL,
    PRIMARY KEY(term, segment)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Entry:
    """An article's chunks as the index takes them: what BM25 reads is the title and the chunk's text."""

    article_id: str
    title: str
    source: str | None
    published_ts: int | None
    chunks: Sequence[Chunk]


@dataclass(frozen=True)
class Found:
    chunk_id: str
    article_id: str
    n: int
    start: int
    end: int
    score: float


class _Arrays:
    """Per row: alive, length in terms, source code, publication time; rebuilt when the file changes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        # rows of removed articles stay named in postings until the next merge: the arrays cover every row given
        got = db.execute("SELECT value FROM meta WHERE key = 'next_row'").fetchone()
        size = max(
            int(got[0]) if got else 1, int(db.execute("SELECT COALESCE(MAX(row), 0) + 1 FROM chunks").fetchone()[0])
        )
        self.alive = np.zeros(size, dtype=bool)
        self.length = np.zeros(size, dtype=np.float32)
        self.source = np.full(size, -1, dtype=np.int32)
        self.published = np.full(size, _NO_DATE, dtype=np.int64)
        self.sources: dict[str, int] = {}
        for row, length, source, ts in db.execute("SELECT row, length, source, published_ts FROM chunks"):
            self.alive[row] = True
            self.length[row] = length
            if source is not None:
                self.source[row] = self.sources.setdefault(source, len(self.sources))
            if ts is not None:
                self.published[row] = ts
        self.count = int(self.alive.sum())
        self.newest = int(self.published[self.alive].max()) if self.count else _NO_DATE  # undated rows are least
        self.mean_length = float(self.length[self.alive].mean()) if self.count else 1.0

    def mask(self, source: str | None, since: int | None, until: int | None, as_of: int | None) -> np.ndarray:
        mask = self.alive.copy()
        if as_of is not None:  # published by then, or undated
            mask &= self.published <= as_of
        if source is not None:
            mask &= self.source == self.sources.get(source, -2)
        if since is not None:
            mask &= self.published >= since
        if until is not None:
            mask &= (self.published <= until) & (self.published != _NO_DATE)
        return mask


class LexicalIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._arrays: _Arrays | None = None
        self._data_version: int | None = None
        self._vocabulary: Vocabulary | None = None

    def close(self) -> None:
        self._db.close()

    # --- reading ---------------------------------------------------------------------------------

    def rank(
        self,
        query: Sequence[str],
        k: int,
        source: str | None = None,
        since: int | None = None,
        until: int | None = None,
        as_of: int | None = None,
        misspelt: bool = True,
    ) -> list[Found]:
        """The `k` best chunks for the stemmed `query` terms among those that pass the filters, best first
        (`as_of`: published by then, or undated). With `misspelt`, a term no chunk holds is looked up as the
        most frequent term one edit away (`Vocabulary.nearest`), as a misspelt name would be."""
        with self._lock:
            arrays = self._current()
            if not arrays.count or not query:
                return []
            mask = arrays.mask(source, since, until, as_of)
            if not mask.any():
                return []
            scores = np.zeros(len(arrays.alive), dtype=np.float64)
            for term in dict.fromkeys(query):
                rows, tfs = self._postings(term)
                if not len(rows) and misspelt and (near := self.vocabulary().nearest(term)):
                    rows, tfs = max((self._postings(t) for t in near), key=lambda found: len(found[0]))
                if not len(rows):
                    continue
                live = arrays.alive[rows]
                df = int(live.sum())
                if not df:
                    continue
                keep = mask[rows]
                rows, tf = rows[keep], tfs[keep].astype(np.float64)
                idf = np.log(1 + (arrays.count - df + 0.5) / (df + 0.5))
                norm = K1 * (1 - B + B * arrays.length[rows] / arrays.mean_length)
                scores[rows] += idf * tf / (tf + norm)  # a row is in a term's lists once
            hit = np.flatnonzero(scores > 0)
            if not len(hit):
                return []
            if len(hit) > k:  # only those at least as good as the k-th go to the (stable, row-ordered) sort
                kth = np.partition(-scores[hit], k - 1)[k - 1]
                hit = hit[-scores[hit] <= kth]
            top = hit[np.argsort(-scores[hit], kind="stable")[:k]]
            marks = ",".join("?" * len(top))
            meta = {
                row: (chunk_id, article_id, n, start, end)
                for row, chunk_id, article_id, n, start, end in self._db.execute(
                    f"SELECT row, chunk_id, article_id, n, start_char, end_char FROM chunks WHERE row IN ({marks})",
                    [int(r) for r in top],
                )
            }
        return [Found(*meta[int(r)], float(scores[r])) for r in top if int(r) in meta]

    def vocabulary(self) -> Vocabulary:
        """The stems of the indexed chunks (titles included)."""
        with self._lock:
            self._current()
            if self._vocabulary is None:
                self._vocabulary = Vocabulary(t for (t,) in self._db.execute("SELECT DISTINCT term FROM postings"))
            return self._vocabulary

    def newest(self) -> int:
        """The publication time of the most recent dated chunk (the least int64 when none is dated)."""
        with self._lock:
            return self._current().newest

    def sources(self) -> list[str]:
        """The sources (publishers) of the indexed chunks: no read of every article's record."""
        with self._lock:
            return sorted(self._current().sources)

    def article_ids(self) -> set[str]:
        with self._lock:
            return {a for (a,) in self._db.execute("SELECT article_id FROM articles")}

    def count(self) -> int:
        with self._lock:
            return self._current().count

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        got = self._db.execute("SELECT rows, tfs FROM postings WHERE term = ?", (term,)).fetchall()
        if not got:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint16)
        rows = np.concatenate([np.frombuffer(r, dtype=np.int32) for r, _ in got]).astype(np.int64)
        return rows, np.concatenate([np.frombuffer(t, dtype=np.uint16) for _, t in got])

    def _current(self) -> _Arrays:
        """The row arrays, read again when this or another connection changed the file."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        if self._arrays is None or version != self._data_version:
            self._arrays = _Arrays(self._db)
            self._data_version = version
            self._vocabulary = None
        return self._arrays

    # --- writing ---------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes too
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._arrays = None  # our own writes do not change data_version

    def add(self, entries: Iterable[Entry]) -> int:
        """Index articles (those already held are left as they are); returns how many chunks were added."""
        with self._writing() as db:
            held = self.article_ids()
            next_row = int(self._meta(db, "next_row", "1"))  # rows are never reused: old postings name them
            postings: dict[str, tuple[list[int], list[int]]] = {}
            chunk_rows = []
            for entry in entries:
                if entry.article_id in held:
                    continue
                held.add(entry.article_id)
                db.execute("INSERT INTO articles VALUES (?)", (entry.article_id,))
                for c in entry.chunks:
                    counts = Counter(terms(f"{entry.title}\n{c.text}"))
                    for term, tf in counts.items():
                        rows, tfs = postings.setdefault(term, ([], []))
                        rows.append(next_row)
                        tfs.append(min(tf, 65535))
                    length = sum(counts.values())
                    where = (entry.source, entry.published_ts)
                    chunk_rows.append((next_row, c.id, entry.article_id, c.n, c.start, c.end, *where, length))
                    next_row += 1
            db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk_rows)
            segment = int(db.execute("SELECT COALESCE(MAX(segment), 0) + 1 FROM postings").fetchone()[0])
            db.executemany(
                "INSERT INTO postings VALUES (?, ?, ?, ?)",
                (
                    (term, segment, np.array(rows, np.int32).tobytes(), np.array(tfs, np.uint16).tobytes())
                    for term, (rows, tfs) in postings.items()
                ),
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_row', ?)", (str(next_row),))
        if segment > _MERGE_AT:
            self.merge()
        return len(chunk_rows)

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles: their rows go at once, their postings at the next merge."""
        ids = list(article_ids)
        with self._writing() as db:
            for lo in range(0, len(ids), 500):
                part = ids[lo : lo + 500]
                marks = ",".join("?" * len(part))
                db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", part)
                db.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", part)

    def merge(self) -> None:
        """One posting list per term, without the rows of removed articles. A batch of terms at a time, in the
        table's own (term, segment) order: holding every term's lists at once took ~660 MB at 10,000 articles."""
        with self._writing() as db:
            alive = _Arrays(db).alive
            vocabulary = [t for (t,) in db.execute("SELECT DISTINCT term FROM postings ORDER BY term")]
            for lo in range(0, len(vocabulary), _MERGE_TERMS):
                batch = vocabulary[lo : lo + _MERGE_TERMS]
                span = (batch[0], batch[-1])
                merged: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
                query = "SELECT term, rows, tfs FROM postings WHERE term BETWEEN ? AND ? ORDER BY term, segment"
                for term, rows, tfs in db.execute(query, span):
                    got = merged.setdefault(term, ([], []))
                    got[0].append(np.frombuffer(rows, dtype=np.int32))
                    got[1].append(np.frombuffer(tfs, dtype=np.uint16))
                db.execute("DELETE FROM postings WHERE term BETWEEN ? AND ?", span)
                for term, (row_parts, tf_parts) in merged.items():
                    rows, tfs = np.concatenate(row_parts), np.concatenate(tf_parts)
                    keep = alive[rows] if len(alive) else np.zeros(len(rows), dtype=bool)
                    if keep.any():
                        db.execute(
                            "INSERT INTO postings VALUES (?, 1, ?, ?)",
                            (term, rows[keep].tobytes(), tfs[keep].tobytes()),
                        )

    def reset(self) -> None:
        with self._writing() as db:
            for table in ("articles", "chunks", "postings", "meta"):
                db.execute(f"DELETE FROM {table}")

    def _meta(self, db: sqlite3.Connection, key: str, default: str) -> str:
        with self._lock:
            got = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(got[0]) if got else default

    # --- following the store ---------------------------------------------------------------------

    def follow(self, store: Store) -> None:
        """Start over if the store is another collection (built anew) than the one this index last followed."""
        collection = str(store.chunks.id)
        if self._meta(self._db, "collection", "") != collection:  # written once, not at each sync (a write
            self.reset()  # makes every process read the row arrays again)
            with self._writing() as db:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('collection', ?)", (collection,))

    def sync(self, store: Store, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
        """Add the store's committed articles this index lacks and drop those it no longer holds; returns
        (articles added, articles removed). A store built anew (another collection) starts the index over.
        `progress(done, total)`: articles added so far, of those to add."""
        self.follow(store)
        committed = {r.article_id for r in store.records().values()}
        held = self.article_ids()
        gone = held - committed
        if gone:
            self.remove(gone)
        new = sorted(committed - held)
        for lo in range(0, len(new), 200):
            self.add(_entries(store, new[lo : lo + 200]))
            if progress:
                progress(min(lo + 200, len(new)), len(new))
        return len(new), len(gone)


def _entries(store: Store, article_ids: list[str]) -> list[Entry]:
    by_article: dict[str, list[Chunk]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for hit in store.committed_chunks(article_ids)[1]:
        by_article.setdefault(hit.chunk.article_id, []).append(hit.chunk)
        meta[hit.chunk.article_id] = hit.article
    return [
        Entry(a, str(meta[a]["title"]), meta[a].get("source"), meta[a].get("published_ts"), chunks)
        for a, chunks in by_article.items()
    ]
