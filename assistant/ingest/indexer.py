"""Incremental indexing: files -> clean articles -> chunks -> embeddings -> Chroma.

Unchanged input is recognised by its fingerprint and costs no embedding; the fingerprint is stamped with
the text of the reading and cleaning rules, so a new version of them cleans every article again (an
article whose clean text did not change still costs no embedding). New and changed articles
are embedded in slabs across articles (full batches keep the model busy) and each slab is committed
as a whole: chunks first, then the article records, then the chunks of replaced versions go. A writer
thread stores one slab while the model embeds the next.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.errors import ArticleError, disk_full_said
from assistant.ingest import cleaning, dedup, loaders
from assistant.ingest.chunking import Chunker
from assistant.ingest.cleaning import clean
from assistant.ingest.loaders import Loaded, Skipped, count, expand, load
from assistant.ingest.memory import give_back
from assistant.settings import Settings
from assistant.store.chroma import Record, Store
from assistant.store.embedding import Embedder
from assistant.store.lexical import Entry, LexicalIndex
from assistant.text.dates import to_timestamp
from assistant.types import Article, Chunk


def stamped(fingerprint: str) -> str:
    """An input's fingerprint joined with the version of the rules that read and clean it."""
    return hashlib.sha256(f"{fingerprint}:{_RULES}".encode()).hexdigest()[:32]


# the rules' own source text: changing a cleaning rule changes every stamp
_RULES = hashlib.sha256(b"".join(Path(str(m.__file__)).read_bytes() for m in (cleaning, loaders))).hexdigest()[:16]

Progress = Callable[[int, int], None]  # (articles read and, if new or changed, stored so far; articles in all)


@dataclass
class Duplicate:
    key: str
    of_key: str
    of_title: str
    similarity: float


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    chunks_embedded: int = 0
    articles_total: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0  # of `seconds`, in the embedding model
    keyword_seconds: float = 0.0  # of `seconds`, adding to the keyword index (in the writer thread) and its sync

    @property
    def failed(self) -> list[Skipped]:
        return [s for s in self.skipped if s.error]


@dataclass
class _Pending:
    article: Article
    fingerprint: str
    minhash: str
    replaces: str | None  # article id of the version this one replaces
    copy: bool = False  # an exact copy of an article indexed under another key: shares its chunks
    chunks: list[Chunk] = field(default_factory=list)


class _KeywordWriter:
    """Committed slabs' articles into the keyword index, a few hundred articles to a segment."""

    def __init__(self, lexical: LexicalIndex, store: Store, report: IndexReport, batch: int = 500) -> None:
        self.lexical, self.report, self.batch = lexical, report, batch
        self.pending: list[Entry] = []
        lexical.follow(store)

    def add(self, slab: list[_Pending]) -> None:
        for e in slab:
            a = e.article
            self.pending.append(Entry(a.id, a.title, a.source, to_timestamp(a.published_at), e.chunks))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        started = time.perf_counter()
        if self.pending:
            self.lexical.add(self.pending)
        self.pending = []
        self.report.keyword_seconds += time.perf_counter() - started


def embed_input(article: Article, chunk: Chunk) -> str:
    """What the model embeds for a chunk: its text under the article's title."""
    return f"{article.title}\n\n{chunk.text}"


class Indexer:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder

    def run(
        self,
        paths: list[Path],
        *,
        prune: bool = False,
        progress: Progress | None = None,
        keyword_progress: Progress | None = None,
    ) -> IndexReport:
        """Index `paths`; `progress` follows the articles read and stored, `keyword_progress` the articles added to
        the keyword index afterwards."""
        started = time.perf_counter()
        report = IndexReport()
        files, report.skipped = expand(paths)
        records = self.store.records()
        self._collect_orphans(records)
        finder = dedup.DuplicateFinder(self.settings.duplicate_threshold)
        for record in records.values():
            finder.add(record.key, dedup.decode(record.minhash))
        titles = {r.key: r.title for r in records.values()}
        keys = {r.article_id: r.key for r in records.values()}  # the key of each article id known, pending too

        copies: list[_Pending] = []
        seen: set[str] = set()
        # the keyword index takes each slab's articles from memory after their commit (reading them back from
        # Chroma at the end took ~70 s and ~450 MB at 10,000 articles); its sync at the end only catches up
        # with what a stopped run or another process left
        with disk_full_said(self.store.where):
            keywords = _KeywordWriter(LexicalIndex(self.settings.lexical_path()), self.store, report)
            try:
                self._stream(files, records, finder, titles, keys, seen, copies, report, progress, keywords)
                keywords.flush()
                self._commit_copies(copies, report)
                if prune:
                    self._prune(paths, records, seen, report)
                synced = time.perf_counter()
                keywords.lexical.sync(self.store, keyword_progress)
                report.keyword_seconds += time.perf_counter() - synced
            finally:
                keywords.lexical.close()
        report.articles_total, report.chunks_total = self.store.count()
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(
        self,
        item: Loaded,
        record: Record | None,
        finder: dedup.DuplicateFinder,
        titles: dict[str, str],
        keys: dict[str, str],
        report: IndexReport,
    ) -> _Pending | None:
        key = item.draft.key
        fingerprint = stamped(item.fingerprint)
        if record and record.fingerprint == fingerprint:
            report.unchanged += 1
            return None
        try:
            article = clean(item.draft)
        except ArticleError as exc:
            report.skipped.append(Skipped(key, str(exc)))
            return None
        if record and record.article_id == article.id:
            self.store.touch(key, fingerprint)
            report.unchanged += 1
            return None
        replaces = record.article_id if record else None
        if (original := keys.get(article.id)) is not None and original != key:
            # the very same title and text under another key (a record the archive holds twice): its chunks
            # are the original's, so it is embedded once and its record shares them
            title = titles.get(original, original)
            report.duplicates.append(Duplicate(key, original, title, 1.0))
            if self.settings.duplicates == "skip":
                report.skipped.append(Skipped(key, f"exact copy of {title!r} ({original})", error=False))
                return None
            return _Pending(article, fingerprint, "", replaces, copy=True)
        sig = dedup.signature(article.text)
        if match := finder.match(sig, exclude=key):
            other, similarity = match
            report.duplicates.append(Duplicate(key, other, titles.get(other, other), similarity))
            if self.settings.duplicates == "skip":
                reason = f"near-duplicate of {titles.get(other, other)!r} ({other}), similarity {similarity:.2f}"
                report.skipped.append(Skipped(key, reason, error=False))
                return None
        finder.add(key, sig)
        titles[key] = article.title
        keys[article.id] = key
        return _Pending(article, fingerprint, dedup.encode(sig), replaces)

    def _stream(
        self,
        files: list[Path],
        records: dict[str, Record],
        finder: dedup.DuplicateFinder,
        titles: dict[str, str],
        keys: dict[str, str],
        seen: set[str],
        copies: list[_Pending],
        report: IndexReport,
        progress: Progress | None,
        keywords: _KeywordWriter,
    ) -> None:
        """Read, clean and chunk article after article into slabs; embed each full slab while a writer thread
        stores the one before (the model never waits for Chroma). Only a slab or two is in memory at a time,
        whatever the archive's size. One write is in flight at a time and slabs are written in order, so
        every commit still lands whole, after its chunks."""
        total = sum(count(path) for path in files)
        chunker: Chunker | None = None  # made at the first article to embed: it loads the tokenizer
        handled = 0
        slab: list[_Pending] = []
        size = 0
        if progress:
            progress(0, total)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer") as writer:
            writing: Future[None] | None = None
            in_flight = 0  # articles of the slab being written

            def flush() -> None:
                nonlocal writing, in_flight, slab, size
                vectors = self._embed(slab, report)
                if writing:
                    writing.result()  # a failed write stops the run here
                writing, in_flight = writer.submit(self._write_slab, slab, vectors, report, keywords), len(slab)
                slab, size = [], 0

            for path in files:
                for item in load(path, int(self.settings.max_article_mb * 1e6)):
                    handled += 1
                    entry = None
                    if isinstance(item, Skipped):
                        report.skipped.append(item)
                    else:
                        seen.add(item.draft.key)
                        entry = self._prepare(item, records.get(item.draft.key), finder, titles, keys, report)
                    if entry and entry.copy:
                        copies.append(entry)
                    elif entry:
                        chunker = chunker or self.chunker()
                        try:
                            entry.chunks = chunker.chunk(entry.article)
                        except ArticleError as exc:
                            report.skipped.append(Skipped(entry.article.key, str(exc)))
                        else:
                            slab.append(entry)
                            size += len(entry.chunks)
                            if size >= self.settings.index_slab:
                                flush()
                    if progress:
                        written = not writing or writing.done()
                        progress(min(handled, total) - len(slab) - (0 if written else in_flight), total)
            if slab:
                flush()
            if writing:
                writing.result()
        if progress:
            progress(total, total)

    def _commit_copies(self, copies: list[_Pending], report: IndexReport) -> None:
        """Records of exact copies, after the originals they share chunks with are committed."""
        entries = []
        for e in copies:
            found = self.store.shared(e.article.id)
            if found is None:  # the original was not committed (it failed): nothing to share
                report.skipped.append(Skipped(e.article.key, "exact copy of an article that could not be indexed"))
                continue
            n_chunks, vector, minhash = found
            entries.append((e.article, e.fingerprint, minhash, n_chunks, vector))
            if e.replaces:
                report.updated += 1
            else:
                report.added += 1
        self.store.commit(entries)
        replaced = {e.replaces for e in copies if e.replaces}
        self.store.delete_chunks(replaced - set(self.store.committed(replaced)))

    def _embed(self, slab: list[_Pending], report: IndexReport) -> np.ndarray:
        articles = {e.article.id: e.article for e in slab}
        texts = [embed_input(articles[c.article_id], c) for e in slab for c in e.chunks]
        started = time.perf_counter()
        vectors = self.embedder.encode(texts, bulk=True)
        report.encode_seconds += time.perf_counter() - started
        give_back()  # the model's threads freed this slab's buffers; without it peak memory grew with the run
        return vectors

    def _write_slab(
        self, slab: list[_Pending], vectors: np.ndarray, report: IndexReport, keywords: _KeywordWriter
    ) -> None:
        """Chunks first, then the article records (the commit), then the chunks of replaced versions; the
        keyword index takes the committed articles."""
        chunks = [c for e in slab for c in e.chunks]
        articles = {e.article.id: e.article for e in slab}
        self.store.make_room(len(chunks))
        self.store.add_chunks(chunks, vectors, articles)
        entries = []
        at = 0
        for e in slab:
            own = vectors[at : at + len(e.chunks)]
            at += len(e.chunks)
            mean = own.mean(axis=0)
            entries.append((e.article, e.fingerprint, e.minhash, len(e.chunks), mean / (np.linalg.norm(mean) or 1.0)))
        self.store.commit(entries)
        keywords.add(slab)
        replaced = {e.replaces for e in slab if e.replaces and e.replaces not in articles}
        self.store.delete_chunks(replaced - set(self.store.committed(replaced)))
        for e in slab:
            if e.replaces:
                report.updated += 1
            else:
                report.added += 1
        report.chunks_embedded += len(chunks)

    def chunker(self) -> Chunker:
        # chunks leave room for the title that is embedded with each of them
        size = max(32, min(self.settings.chunk_size, self.embedder.max_tokens - 48))
        return Chunker(self.embedder.token_starts, size, self.settings.chunk_overlap)

    def _collect_orphans(self, records: dict[str, Record]) -> None:
        """Chunks of articles that an interrupted run embedded but never committed. Only a count when there are
        none (reading every chunk's metadata took most of a re-index of an unchanged archive)."""
        committed = {r.article_id: r.n_chunks for r in records.values()}
        if self.store.count()[1] == sum(committed.values()):
            return
        orphans = self.store.chunk_article_ids() - set(committed)
        self.store.delete_chunks(orphans)

    def _prune(self, paths: list[Path], records: dict[str, Record], seen: set[str], report: IndexReport) -> None:
        """Forget articles whose file, under the indexed paths, is gone."""
        roots = [str(p.resolve()) for p in paths]
        gone = [
            r
            for r in records.values()
            if r.key not in seen and any(r.key == root or r.key.startswith((root + "/", root + "#")) for root in roots)
        ]
        self.store.delete_records([r.key for r in gone])
        ids = {r.article_id for r in gone}
        self.store.delete_chunks(ids - set(self.store.committed(ids)))
        report.removed = len(gone)
