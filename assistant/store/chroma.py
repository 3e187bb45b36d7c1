"""The Chroma index: a `chunks` collection (the retrievable units) and an `articles` collection.

An article record is keyed by where the article came from and written only after all of its chunks
are in: it is the commit. Retrieval keeps only chunks whose article record names their article id,
so an interrupted run never answers from half an article and a replaced article swaps at once.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from assistant.errors import DiskFullError, IndexMissingError, NotFoundError, StoreError
from assistant.settings import Settings
from assistant.store import connection
from assistant.store.where import matches
from assistant.text.dates import to_timestamp
from assistant.types import Article, ArticleInfo, Chunk


@dataclass(frozen=True)
class Record:
    """What the index knows of an article without reading its text."""

    key: str
    article_id: str
    title: str
    fingerprint: str
    minhash: str
    n_chunks: int


@dataclass(frozen=True)
class Hit:
    """A chunk as the store returns it for a query: the chunk, its article's metadata, its similarity."""

    chunk: Chunk
    article: dict[str, Any]
    similarity: float


_TEXTS_KEPT = 4096  # articles whose texts retrieval keeps between questions
_WIDER = 8  # a filtered query first asks this many times as many chunks without the filter


_BYTES_PER_CHUNK = 16 * 1024  # what a stored chunk may take while it is written (~4.3 KB once written), log included


@connection.said_plainly
class Store:
    def __init__(self, settings: Settings, *, create: bool = False, any_model: bool = False) -> None:
        """`create`: make the collections when missing. `any_model`: open an index built with another embedding
        model (to drop it: `reset`); otherwise that is a StoreError saying what to do."""
        self.settings = settings
        self.client = connection.client(settings, create=create)
        self.where = connection.where(settings)
        names = (f"{settings.collection_prefix}_chunks", f"{settings.collection_prefix}_articles")
        meta = {"embed_model": settings.embed_model}
        if create:
            self.chunks, self.articles = (
                self.client.get_or_create_collection(
                    name, embedding_function=None, metadata=meta, configuration={"hnsw": {"space": "cosine"}}
                )
                for name in names
            )
        else:
            try:
                self.chunks, self.articles = (
                    self.client.get_collection(name, embedding_function=None) for name in names
                )
            except Exception as exc:  # chromadb raises NotFoundError or ValueError depending on version
                raise IndexMissingError(f"no index in {self.where}") from exc
        # article id -> (metadata, text) or None (not committed), as read for retrieval at generation `_texts_at`;
        # retrieval looks at the generation every question, and any change empties this
        self._texts: OrderedDict[str, tuple[dict[str, Any], str] | None] = OrderedDict()
        self._texts_at: str | None = None
        self._texts_lock = threading.Lock()
        built_with = (self.chunks.metadata or {}).get("embed_model")
        if built_with != settings.embed_model and not any_model:
            raise StoreError(
                f"the index in {self.where} was built with embedding model {built_with!r}, but the settings "
                f"name {settings.embed_model!r}: run `assistant index --rebuild`, "
                f"or set ASSISTANT_EMBED_MODEL={built_with}"
            )

    # --- what is indexed -------------------------------------------------------------------------

    def generation(self) -> str:
        """A token that changes whenever any process commits or removes articles (the lexical index and other
        app processes watch it): one small read of the articles collection's metadata."""
        collection = self.client.get_collection(self.articles.name, embedding_function=None)
        token = f"{collection.id}:{(collection.metadata or {}).get('generation', '')}"
        with self._texts_lock:
            if token != self._texts_at:
                self._texts.clear()
                self._texts_at = token
        return token

    def _changed(self) -> None:
        self.articles.modify(metadata={"embed_model": self.settings.embed_model, "generation": uuid.uuid4().hex})
        with self._texts_lock:
            self._texts.clear()
            self._texts_at = None

    def free_bytes(self) -> int:
        """Free space on the disk of a local index (a Chroma server keeps its own disk: unbounded here)."""
        if self.settings.chroma_server():
            return 1 << 62
        return shutil.disk_usage(self.settings.index_dir).free

    def make_room(self, n_chunks: int) -> None:
        """Before a write of `n_chunks`: `DiskFullError` when it could leave less than the reserve
        (ASSISTANT_MIN_FREE_MB) on the index's disk. A write that finds the disk full leaves Chroma a log it
        cannot apply, and every read fails until space is freed; stopping short keeps the index answering."""
        reserve = int(self.settings.min_free_mb * 1e6)
        free = self.free_bytes()
        if reserve and free < reserve + n_chunks * _BYTES_PER_CHUNK:
            raise DiskFullError(
                f"only {free / 1e6:.0f} MB free on the disk holding {self.where}: indexing stops before it would "
                f"leave less than {self.settings.min_free_mb:g} MB (ASSISTANT_MIN_FREE_MB), so that the index goes "
                "on answering; the articles indexed before are kept; free some space and index again to add the rest"
            )

    def records(self) -> dict[str, Record]:
        return {
            key: Record(
                key, str(m["article_id"]), str(m["title"]), str(m["fingerprint"]), str(m["minhash"]), int(m["n_chunks"])
            )
            for key, m, _ in _paged(self.articles, ["metadatas"])
        }

    def chunk_article_ids(self) -> set[str]:
        return {str(m["article_id"]) for _, m, _ in _paged(self.chunks, ["metadatas"])}

    def count(self) -> tuple[int, int]:
        return self.articles.count(), self.chunks.count()

    def list_articles(self) -> list[ArticleInfo]:
        infos = [_info(key, m) for key, m, _ in _paged(self.articles, ["metadatas"])]
        return sorted(infos, key=lambda a: (a.published_at or "", a.title))

    def article(self, article_id: str) -> tuple[ArticleInfo, str]:
        where: Any = {"article_id": article_id}
        got = self.articles.get(where=where, include=["metadatas", "documents"], limit=1)
        if not got["ids"]:
            raise NotFoundError(f"no article with id {article_id!r}: `assistant articles` lists the ids")
        return _info(got["ids"][0], (got["metadatas"] or [{}])[0]), (got["documents"] or [""])[0]

    def committed(self, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: meta for key, (meta, _) in self._committed_texts(article_ids, text=False).items()}

    def _committed_texts(
        self, article_ids: Iterable[str] | None, *, text: bool = True
    ) -> dict[str, tuple[dict[str, Any], str]]:
        """Metadata and clean text ("" unless `text`) of the committed articles among `article_ids`
        (None: all of them)."""
        include = ["metadatas", "documents"] if text else ["metadatas"]
        if article_ids is None:
            rows = _paged(self.articles, include)
        else:
            rows = _paged_in(self.articles, include, sorted(set(article_ids)))
        return {str(m["article_id"]): (dict(m), t) for _, m, t in rows}

    def _retrieved_texts(self, article_ids: Iterable[str]) -> dict[str, tuple[dict[str, Any], str]]:
        """`_committed_texts` for retrieval, remembered while the store's generation stays the one last seen by
        `generation()` (each read of the texts of a question's passages took ~8 ms at 10,000 articles). Without
        a generation seen, a plain read."""
        wanted = set(article_ids)
        with self._texts_lock:
            at = self._texts_at
            missing = wanted - self._texts.keys() if at else wanted
        if at is None:
            return self._committed_texts(wanted)
        found = self._committed_texts(missing) if missing else {}
        with self._texts_lock:
            if self._texts_at != at:  # the articles changed meanwhile: read all of them as they are now
                fresh = True
            else:
                fresh = False
                for a in missing:
                    self._texts[a] = found.get(a)
                known = {a: self._texts[a] for a in wanted}
                while len(self._texts) > _TEXTS_KEPT:
                    self._texts.popitem(last=False)
        if fresh:
            return self._committed_texts(wanted)
        return {a: v for a, v in known.items() if v is not None}

    def shared(self, article_id: str) -> tuple[int, np.ndarray, str] | None:
        """(chunk count, mean vector, minhash) of a committed article, for another key's exact copy of it."""
        where: Any = {"article_id": article_id}
        got = self.articles.get(where=where, include=["metadatas", "embeddings"], limit=1)
        if not got["ids"]:
            return None
        meta: Any = (got["metadatas"] or [{}])[0]
        vector = np.asarray(cast(Any, got["embeddings"])[0], dtype=np.float32)
        return int(meta["n_chunks"]), vector, str(meta["minhash"])

    # --- writing ---------------------------------------------------------------------------------

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, articles: dict[str, Article]) -> None:
        metas = []
        for c in chunks:
            meta: dict[str, Any] = {"article_id": c.article_id, "n": c.n, "start": c.start, "end": c.end}
            article = articles[c.article_id]
            if article.source:
                meta["source"] = article.source
            if (ts := to_timestamp(article.published_at)) is not None:
                meta["published_ts"] = ts
            else:  # for `as_of`, which keeps undated articles (Chroma cannot ask for a missing field)
                meta["undated"] = True
            metas.append(meta)
        # add, not upsert (a third faster): a chunk id names its article's content and its place in it, and
        # the chunks of articles a stopped run left uncommitted are deleted before a run embeds anything.
        # No documents: a chunk's text is its article's clean_text[start:end], read from the article record
        # (storing it twice cost Chroma's full-text index about half of all write time).
        for lo, hi in self._batches(len(chunks)):
            self.chunks.add(
                ids=[c.id for c in chunks[lo:hi]],
                embeddings=vectors[lo:hi],
                metadatas=cast(Any, metas[lo:hi]),
            )

    def commit(self, entries: Sequence[tuple[Article, str, str, int, np.ndarray]]) -> None:
        """Write article records (article, fingerprint, minhash, n_chunks, mean vector): the commit."""
        if not entries:
            return
        metas = []
        for article, fingerprint, minhash, n_chunks, _ in entries:
            meta: dict[str, Any] = {
                "article_id": article.id,
                "title": article.title,
                "fingerprint": fingerprint,
                "minhash": minhash,
                "n_chunks": n_chunks,
                "n_chars": len(article.text),
            }
            for name in ("source", "author", "published_at", "url"):
                if (value := getattr(article, name)) is not None:
                    meta[name] = value
            if (ts := to_timestamp(article.published_at)) is not None:
                meta["published_ts"] = ts
            metas.append(meta)
        self.articles.upsert(
            ids=[e[0].key for e in entries],
            embeddings=np.stack([e[4] for e in entries]),
            documents=[e[0].text for e in entries],
            metadatas=cast(Any, metas),
        )
        self._changed()

    def touch(self, key: str, fingerprint: str) -> None:
        """Remember a new fingerprint for an article whose clean text did not change."""
        self.articles.update(ids=[key], metadatas=[{"fingerprint": fingerprint}])

    def delete_records(self, keys: Sequence[str]) -> None:
        if keys:
            self.articles.delete(ids=list(keys))
            self._changed()

    def delete_chunks(self, article_ids: Iterable[str]) -> None:
        ids = sorted(set(article_ids))
        for lo, hi in self._batches(len(ids)):
            where: Any = {"article_id": {"$in": ids[lo:hi]}}
            self.chunks.delete(where=where)

    def remove_article(self, article_id: str) -> ArticleInfo:
        """Forget an article: its record first (so it stops being searchable at once), then its chunks."""
        info, _ = self.article(article_id)
        where: Any = {"article_id": article_id}
        self.articles.delete(where=where)
        self._changed()
        self.delete_chunks([article_id])
        return info

    def reset(self) -> None:
        """Drop both collections (for a rebuild, e.g. with another embedding model)."""
        for name in (self.chunks.name, self.articles.name):
            self.client.delete_collection(name)

    # --- reading for retrieval -------------------------------------------------------------------

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` chunks nearest to `vector` among committed articles (those whose chunks match `where`),
        best first."""
        n = k * 2 + 4  # room for chunks of uncommitted articles, dropped below
        if where is not None:
            # Chroma reads the ids of every chunk a filter admits before it searches (~5 us a chunk in the
            # collection whatever the filter: 1.2 s a question at 156,000 chunks). A wider search without
            # the filter, filtered here, finds the same chunks whenever `k` of them are among its results,
            # as they are when most chunks pass (a date a question is asked on); else the filtered search.
            hits = self._nearest(vector, n * _WIDER, where)
            if len(hits) >= k:
                return hits[:k]
        return self._nearest(vector, n, where, filtered=where is not None)[:k]

    def _nearest(self, vector: np.ndarray, n: int, where: Any, *, filtered: bool = False) -> list[Hit]:
        """Up to `n` nearest chunks of committed articles that match `where`; Chroma applies it when `filtered`."""
        # no count first (Chroma returns what there is): at 290,000 chunks a count took 25 ms, a query 8
        got = self.chunks.query(
            query_embeddings=[vector],
            n_results=n,
            where=where if filtered else None,
            include=["metadatas", "distances"],
        )
        metas = (got["metadatas"] or [[]])[0]
        if not metas and self.chunks.count() == 0:
            raise IndexMissingError(f"the index in {self.where} holds no articles")
        found = [
            (meta, float(dist))
            for meta, dist in zip(metas, (got["distances"] or [[]])[0], strict=True)
            if filtered or where is None or matches(where, meta)
        ]
        articles = self._retrieved_texts(str(m["article_id"]) for m, _ in found)
        hits = []
        for meta, dist in found:
            if (article := articles.get(str(meta["article_id"]))) is not None:
                hits.append(Hit(_chunk(meta, article[1]), article[0], 1.0 - dist))
        return hits

    def hits(self, chunks: Sequence[tuple[str, int, int, int]]) -> list[Hit]:
        """The chunks (article id, n, start, end) of committed articles among `chunks`, in order, with their texts."""
        articles = self._retrieved_texts(c[0] for c in chunks)
        return [
            Hit(Chunk(a, n, start, end, articles[a][1][start:end]), articles[a][0], 0.0)
            for a, n, start, end in chunks
            if a in articles
        ]

    def committed_chunks(self, article_ids: Sequence[str] | None = None) -> tuple[list[str], list[Hit]]:
        """Every chunk of the committed articles (all of them, or those of `article_ids`), with its article's
        metadata: what the keyword index reads."""
        articles = self._committed_texts(article_ids)
        if article_ids is None:
            rows: Iterable[tuple[str, dict[str, Any], str]] = _paged(self.chunks, ["metadatas"])
        else:
            rows = _paged_in(self.chunks, ["metadatas"], sorted(articles))
        ids, hits = [], []
        for chunk_id, meta, _ in rows:
            found = articles.get(str(meta["article_id"]))
            if found is not None:
                ids.append(chunk_id)
                hits.append(Hit(_chunk(meta, found[1]), found[0], 0.0))
        return ids, hits

    def _batches(self, n: int) -> Iterable[tuple[int, int]]:
        size = max(1, min(self.client.get_max_batch_size(), 2000))
        return ((lo, min(n, lo + size)) for lo in range(0, n, size))


# SQLite, under Chroma, takes at most 32,766 variables in one statement, and a `get` binds one per row it
# returns and one per id of an `$in` list: reads go page by page, `$in` lists in slices
_PAGE = 5000
_IN_LIMIT = 1000


def _paged(collection: Any, include: list[str], where: Any = None) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(id, metadata, document or "") of every record of `collection` that matches `where`, a page at a time."""
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=_PAGE, offset=offset)
        ids = got["ids"]
        metas = got["metadatas"] or [{}] * len(ids)
        texts = got["documents"] or [""] * len(ids)
        yield from zip(ids, (dict(m) for m in metas), texts, strict=True)
        if len(ids) < _PAGE:
            return
        offset += _PAGE


def _paged_in(collection: Any, include: list[str], article_ids: list[str]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """As `_paged`, for the records of `article_ids`, named a slice at a time."""
    for lo in range(0, len(article_ids), _IN_LIMIT):
        yield from _paged(collection, include, {"article_id": {"$in": article_ids[lo : lo + _IN_LIMIT]}})


def _info(key: str, m: Any) -> ArticleInfo:
    return ArticleInfo(
        id=str(m["article_id"]),
        key=key,
        title=str(m["title"]),
        source=m.get("source"),
        author=m.get("author"),
        published_at=m.get("published_at"),
        url=m.get("url"),
        n_chunks=int(m["n_chunks"]),
        n_chars=int(m["n_chars"]),
    )


def _chunk(meta: Any, article_text: str) -> Chunk:
    start, end = int(meta["start"]), int(meta["end"])
    return Chunk(str(meta["article_id"]), int(meta["n"]), start, end, article_text[start:end])
