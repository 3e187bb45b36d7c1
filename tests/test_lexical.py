"""The keyword index in SQLite: BM25 as bm25s ranked it, kept on disk, and always in line with the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ARTICLES, OBSERVER, PUTIN_KIM, index

from assistant.retrieve.hybrid import Filters, Retriever
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder
from assistant.store.lexical import Entry, LexicalIndex
from assistant.text.terms import terms
from assistant.types import Chunk

QUERIES = [
    "Where was the summit held?",
    "Who is the Kremlin spokesperson?",
    "Vostochny cosmodrome satellite rockets",
    "What did the United States warn about arms deals?",
    "Kim Jong-un armoured train",
]


def _entries(store: Store) -> list[Entry]:
    by_article: dict[str, list[Chunk]] = {}
    for hit in store.committed_chunks()[1]:
        by_article.setdefault(hit.chunk.article_id, []).append(hit.chunk)
    titles = {i.id: i.title for i in store.list_articles()}
    return [Entry(a, titles[a], None, None, chunks) for a, chunks in by_article.items()]


def test_ranks_as_bm25s_did(bundled: Settings, tmp_path: Path) -> None:
    """The same scores as bm25s (Lucene's BM25, k1 1.5, b 0.75) over the same stemmed words."""
    import bm25s

    store = Store(bundled)
    entries = _entries(store)
    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    lexical.add(entries)
    ids = [c.id for e in entries for c in e.chunks]
    corpus = [terms(f"{e.title}\n{c.text}") for e in entries for c in e.chunks]
    reference = bm25s.BM25()
    reference.index(corpus, show_progress=False)
    for question in QUERIES:
        query = [t for t in terms(question) if t in reference.vocab_dict]
        docs, scores = reference.retrieve([query], k=10, show_progress=False)
        expected = [(ids[int(d)], round(float(s), 4)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
        got = [(f.chunk_id, round(f.score, 4)) for f in lexical.rank(terms(question), 10)]
        assert got == expected, question


def test_kept_on_disk_and_merged_without_changing_a_ranking(
    bundled: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.store.lexical

    monkeypatch.setattr(assistant.store.lexical, "_MERGE_TERMS", 7)  # merges go a few terms at a time: many batches
    store = Store(bundled)
    entries = _entries(store)
    path = tmp_path / "lexical.sqlite3"
    lexical = LexicalIndex(path)
    for entry in entries:  # one segment of postings per chunk: many segments
        for chunk in entry.chunks:
            lexical.add([Entry(f"{entry.article_id}/{chunk.id}", entry.title, None, None, [chunk])])
    before = [[f.chunk_id for f in lexical.rank(terms(q), 10)] for q in QUERIES]
    segments = lexical._db.execute("SELECT COUNT(DISTINCT segment) FROM postings").fetchone()[0]
    assert segments < 33  # merged along the way
    count_rows = "SELECT term, SUM(LENGTH(rows)) FROM postings GROUP BY term"
    postings = dict(lexical._db.execute(count_rows).fetchall())
    lexical.merge()
    assert lexical._db.execute("SELECT COUNT(DISTINCT segment) FROM postings").fetchone()[0] == 1
    assert dict(lexical._db.execute(count_rows).fetchall()) == postings  # every term, every row, once
    assert [[f.chunk_id for f in lexical.rank(terms(q), 10)] for q in QUERIES] == before
    lexical.close()
    again = LexicalIndex(path)  # another process opens the file: nothing to read again
    assert [[f.chunk_id for f in again.rank(terms(q), 10)] for q in QUERIES] == before


def test_follows_the_store_after_a_crash_an_edit_and_a_removal(
    settings: Settings, embedder: Embedder, corpus: Path
) -> None:
    _, store = index(settings, embedder, corpus)
    path = settings.lexical_path()
    assert path.exists()
    lexical = LexicalIndex(path)
    assert lexical.article_ids() == {i.id for i in store.list_articles()}

    # a run stopped after the store's commit and before the keyword index followed: the next look mends it
    lexical.remove(list(lexical.article_ids())[:1])
    retriever = Retriever(settings, store, embedder)
    assert "Vostochny" in retriever.retrieve("Vostochny cosmodrome", k=3)[0].text
    assert lexical.article_ids() == {i.id for i in store.list_articles()}

    # an edit that keeps the article's length and the chunk count (the keyword index was rebuilt only when
    # counts changed, and kept the old words): the old words go, the new ones are found at their offsets
    for name in (PUTIN_KIM.name, OBSERVER.name):
        edited = corpus / name
        edited.write_text(edited.read_text(encoding="utf-8").replace("Vostochny", "Baikonurr"), encoding="utf-8")
    before = store.count()
    index(settings, embedder, corpus)
    assert store.count() == before
    found = retriever.lexical().rank(terms("Baikonurr"), 5)
    assert len(found) >= 2
    assert all("Baikonurr" in store.article(f.article_id)[1][f.start : f.end] for f in found)
    assert retriever.lexical().rank(terms("Vostochny"), 5) == []

    # removed through another Store object (another process would do the same through the server)
    other = Store(settings)
    (observer,) = [i for i in other.list_articles() if i.key.endswith(OBSERVER.name)]
    other.remove_article(observer.id)
    assert observer.id not in {p.article_id for p in retriever.retrieve("Sunday Observer Sri Lanka", k=6)}
    assert observer.id not in retriever.lexical().article_ids()


def test_filters_apply_inside_the_keyword_index(bundled: Settings, embedder: Embedder) -> None:
    store = Store(bundled)
    lexical = Retriever(bundled, store, embedder).lexical()
    sources = {i.source for i in store.list_articles()}
    assert lexical.sources() == sorted(s for s in sources if s)  # what the filters offer, without a scan
    for source in sources:
        assert source is not None
        found = lexical.rank(terms("Putin Kim summit"), 10, *Filters(source=source).bounds())
        assert found and {store.article(f.article_id)[0].source for f in found} == {source}
    assert lexical.rank(terms("Putin Kim summit"), 10, *Filters(source="Nobody").bounds()) == []
    assert lexical.rank(terms("Putin Kim summit"), 10, *Filters(until="2001-01-01").bounds()) == []


def test_a_rebuilt_store_starts_the_keyword_index_over(settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(ARTICLES / OBSERVER.name, folder)
    _, store = index(settings, embedder, ARTICLES)
    store.reset()
    _, store = index(settings, embedder, folder)
    lexical = LexicalIndex(settings.lexical_path())
    assert lexical.article_ids() == {i.id for i in store.list_articles()}
    assert len(lexical.article_ids()) == 1


def test_the_index_written_while_indexing_is_the_one_read_back_from_the_store(
    bundled: Settings, tmp_path: Path
) -> None:
    """The indexer hands each committed slab to the keyword index; a sync from the store alone (what a stopped
    run's next look does) gives the same rows, filters and rankings."""
    written = LexicalIndex(bundled.lexical_path())
    synced = LexicalIndex(tmp_path / "synced.sqlite3")
    assert synced.sync(Store(bundled)) == (2, 0)
    assert written.article_ids() == synced.article_ids() and written.count() == synced.count()
    assert written.sources() == synced.sources()
    for question in QUERIES:
        for bounds in ((None, None, None), (None, 1694563200, None), (written.sources()[0], None, None)):
            got = [(f.chunk_id, f.start, f.end, round(f.score, 6)) for f in written.rank(terms(question), 10, *bounds)]
            want = [(f.chunk_id, f.start, f.end, round(f.score, 6)) for f in synced.rank(terms(question), 10, *bounds)]
            assert got == want and got, (question, bounds)


def test_a_misspelt_name_is_looked_up_as_the_articles_spell_it(bundled: Settings, tmp_path: Path) -> None:
    """A question's word that no chunk holds ranks the chunks of the word one edit away that they do hold
    ("Peskow": the articles' "Peskov"); two edits away, or with the rule off, it finds nothing."""
    store = Store(bundled)
    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    lexical.add(_entries(store))
    texts = {h.chunk.id: h.chunk.text for h in store.committed_chunks()[1]}
    found = lexical.rank(terms("Peskow"), 5)
    assert found and all("Peskov" in texts[f.chunk_id] for f in found)
    assert [f.chunk_id for f in found] == [f.chunk_id for f in lexical.rank(terms("Peskov"), 5)]
    assert lexical.rank(terms("Peskow"), 5, misspelt=False) == []
    assert lexical.rank(terms("Peskowww"), 5) == []
    # a word the chunks hold is looked up as it is, not as its neighbours
    assert lexical.vocabulary().nearest("summit") == [] and lexical.vocabulary().nearest("peskow") == ["peskov"]
