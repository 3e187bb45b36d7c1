"""Indexing into real Chroma with the real packaged model: offsets, incremental runs, interruptions."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import shutil
from pathlib import Path

import pytest
from conftest import ARTICLES, OBSERVER, PUTIN_KIM, index

from assistant.ingest import indexer
from assistant.ingest.cleaning import clean
from assistant.ingest.indexer import Indexer
from assistant.retrieve.hybrid import Retriever, _with_firsts
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder
from assistant.types import Article, Chunk, Draft

_SENTENCE_END = re.compile(r"[.!?”\"’)]$")


def _chunks_of(store: Store, article_id: str) -> list[tuple[int, int]]:
    got = store.chunks.get(where={"article_id": article_id}, include=["metadatas"])
    return sorted((int(m["start"]), int(m["end"])) for m in got["metadatas"])


def test_every_chunk_maps_to_an_exact_span_and_keeps_sentences_whole(bundled: Settings) -> None:
    store = Store(bundled)
    infos = store.list_articles()
    assert len(infos) == 2
    for info in infos:
        _, text = store.article(info.id)
        chunks = _chunks_of(store, info.id)
        assert len(chunks) == info.n_chunks > 3
        covered = 0
        for start, end in chunks:  # a chunk's text is text[start:end]: the store keeps only offsets
            # boundaries fall between sentences (or after a heading line), never inside one
            assert start == 0 or text[start - 1] in " \n"
            before_end = text[:end].rstrip()
            assert end == len(text) or text[end] in " \n"
            assert _SENTENCE_END.search(before_end) or text[end : end + 2] == "\n\n", text[end - 40 : end + 5]
            assert not text[covered:start].strip(), "a gap: part of the article is in no chunk"
            covered = max(covered, end)
        assert not text[covered:].strip()


def test_search_finds_the_venue_first(bundled: Settings, embedder: Embedder) -> None:
    retriever = Retriever(bundled, Store(bundled), embedder)
    passages = retriever.retrieve("Where was the summit held?", k=5)
    assert "Vostochny" in passages[0].text
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    # BM25 puts "... speculated that he would meet Putin in Vladivostok" first for this wording
    assert any("Vostochny" in p.text for p in retriever.retrieve("Where did Putin and Kim meet?", k=3))


def test_each_ranking_s_first_pick_makes_the_cut(bundled: Settings, embedder: Embedder) -> None:
    """BM25 ranks the passage naming the spokesperson first, the embeddings far down: fused, it fell
    outside the ten best; the first pick of each ranking now always has a place."""
    assert _with_firsts(["a", "b", "c", "d", "e"], ["a", "e"], 3) == ["a", "b", "e"]
    assert _with_firsts(["a", "b", "c", "d"], ["d", "c"], 2) == ["c", "d"]
    assert _with_firsts(["a", "b", "c"], ["a", "b"], 2) == ["a", "b"]
    retriever = Retriever(bundled, Store(bundled), embedder)
    passages = retriever.retrieve("Who speaks for South Korea's foreign ministry?", k=5)
    assert any("Lim Soo-suk" in p.text for p in passages)


def test_reindex_of_unchanged_corpus_embeds_nothing(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    first, store = index(settings, embedder, corpus)
    assert (first.added, first.chunks_embedded) == (2, first.chunks_total)
    ids_before = set(store.chunks.get()["ids"])
    again, _ = index(settings, embedder, corpus)
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 2, 0)
    assert set(store.chunks.get()["ids"]) == ids_before


def test_new_cleaning_rules_clean_again_and_embed_only_what_they_change(
    settings: Settings, embedder: Embedder, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store = index(settings, embedder, corpus)
    monkeypatch.setattr(indexer, "_RULES", "rules of a newer version")  # as an upgrade that edits cleaning.py
    cleaned: list[str] = []

    def newer_clean(draft: Draft) -> Article:  # the newer rules change the Putin-Kim article's text
        cleaned.append(draft.key)
        article = clean(draft)
        if not draft.key.endswith(PUTIN_KIM.name):
            return article
        return dataclasses.replace(article, text=article.text.replace("Vostochny", "Vostochny spaceport"))

    monkeypatch.setattr(indexer, "clean", newer_clean)
    report, _ = index(settings, embedder, corpus)
    assert len(cleaned) == 2  # both input files are read and cleaned again, though their bytes did not change
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert (
        report.chunks_embedded
        == {i.key: i for i in store.list_articles()}[str((corpus / PUTIN_KIM.name).resolve())].n_chunks
    )
    cleaned.clear()
    again, _ = index(settings, embedder, corpus)  # the stamp is stored: the next run cleans nothing
    assert (cleaned, again.unchanged, again.chunks_embedded) == ([], 2, 0)


def test_changed_article_leaves_no_stale_chunks(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    _, store = index(settings, embedder, corpus)
    path = corpus / PUTIN_KIM.name
    old = {i.key: i for i in store.list_articles()}[str(path.resolve())]
    path.write_text(path.read_text(encoding="utf-8").replace("Vostochny", "Baikonur"), encoding="utf-8")
    report, _ = index(settings, embedder, corpus)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert report.chunks_embedded == report.chunks_total - sum(
        i.n_chunks for i in store.list_articles() if i.key != old.key
    )
    assert _chunks_of(store, old.id) == []
    new = {i.key: i for i in store.list_articles()}[old.key]
    assert new.id != old.id
    new_text = store.article(new.id)[1]
    assert all("Vostochny" not in new_text[start:end] for start, end in _chunks_of(store, new.id))
    assert store.chunks.count() == sum(i.n_chunks for i in store.list_articles())


def test_prune_removes_articles_whose_files_are_gone(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    _, store = index(settings, embedder, corpus)
    (corpus / OBSERVER.name).unlink()
    kept, _ = index(settings, embedder, corpus)
    assert kept.removed == 0 and kept.articles_total == 2
    pruned, _ = index(settings, embedder, corpus, prune=True)
    assert pruned.removed == 1 and pruned.articles_total == 1
    assert store.chunks.count() == store.list_articles()[0].n_chunks


def test_interrupted_run_never_answers_from_half_an_article(
    settings: Settings, embedder: Embedder, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kill the run between writing an article's chunks and committing it, as Ctrl-C could."""
    calls = 0
    real_commit = Store.commit

    def interrupted_commit(self: Store, entries):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "commit", interrupted_commit)
    store = Store(settings, create=True)
    with pytest.raises(KeyboardInterrupt):
        Indexer(settings, store, embedder).run([corpus])
    assert calls == 1
    assert store.chunks.count() > 0  # chunks were written ...
    assert store.list_articles() == []  # ... but no article was committed
    assert Retriever(settings, store, embedder).retrieve("Where was the summit held?", k=5) == []

    monkeypatch.setattr(Store, "commit", real_commit)
    report = Indexer(settings, store, embedder).run([corpus])
    assert report.added == 2
    assert store.chunks.count() == sum(i.n_chunks for i in store.list_articles())
    assert "Vostochny" in Retriever(settings, store, embedder).retrieve("Where was the summit held?", k=5)[0].text


def test_orphan_chunks_of_a_vanished_article_are_collected(
    settings: Settings, embedder: Embedder, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(ARTICLES / OBSERVER.name, extra / "copy.txt")
    monkeypatch.setattr(Store, "commit", lambda self, entries: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        index(settings, embedder, extra)
    monkeypatch.undo()
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    report, store = index(settings, embedder, corpus)  # the half-written file is not indexed again
    assert report.added == 2
    assert store.chunks.count() == sum(i.n_chunks for i in store.list_articles())


def test_near_duplicates_are_reported_and_skipped_on_request(
    settings: Settings, embedder: Embedder, corpus: Path
) -> None:
    text = (corpus / OBSERVER.name).read_text(encoding="utf-8")
    republished = text.replace("by admin", "by Reuters").replace("You may also like", "Read more") + "\nExtra line."
    (corpus / "republished.txt").write_text(republished.replace("crucial time", "critical time"), encoding="utf-8")
    report, _ = index(settings, embedder, corpus)
    assert report.added == 3
    assert len(report.duplicates) == 1 and report.duplicates[0].key.endswith("republished.txt")
    assert report.duplicates[0].similarity > 0.8

    skipping = Settings(index_dir=settings.index_dir.parent / "other", duplicates="skip")
    report, store = index(skipping, embedder, corpus)
    assert report.added == 2 and len(store.list_articles()) == 2
    (skip,) = [s for s in report.skipped if s.key.endswith("republished.txt")]
    assert "near-duplicate of 'Russia, North Korea leaders’ meeting under global spotlight'" in skip.reason
    assert not skip.error


def test_bad_files_are_reported_and_the_rest_indexed(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "noise.txt").write_bytes(bytes(range(1, 32)) * 8 + b"\xe9")  # control characters: no text
    (corpus / "empty.md").write_text("# Title only\n\nLeave a Comment\n", encoding="utf-8")
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    report, _ = index(settings, embedder, corpus)
    assert report.added == 2
    reasons = {Path(s.key).name: s.reason for s in report.failed}
    assert set(reasons) == {"image.txt", "noise.txt", "empty.md"}
    assert "binary" in reasons["image.txt"] and "UTF-8" in reasons["noise.txt"] and "empty" in reasons["empty.md"]
    assert [Path(s.key).name for s in report.skipped if not s.error] == ["notes.pdf"]


def test_a_50_mb_file_and_an_oversized_record_are_skipped_by_name_before_they_are_read(
    settings: Settings, embedder: Embedder, corpus: Path
) -> None:
    """Larger than ASSISTANT_MAX_ARTICLE_MB (5): skipped with the size and the setting; the rest indexed."""
    line = "The council met again on Tuesday to discuss the harbour budget and the ferry timetable.\n"
    with (corpus / "huge.txt").open("w") as out:
        for _ in range(50_000_000 // len(line) + 1):
            out.write(line)
    records = [{"title": "Big", "body": line * 70_000}, {"title": "Ferry pier opens", "body": "The pier opened."}]
    (corpus / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    report, store = index(settings, embedder, corpus)
    reasons = {Path(s.key).name: s.reason for s in report.failed}
    assert set(reasons) == {"huge.txt", "records.jsonl#1"}, reasons
    assert reasons["huge.txt"].startswith("50.0 MB of text, larger than ASSISTANT_MAX_ARTICLE_MB (5 MB)")
    assert "record 1: 6.2 MB of text" in reasons["records.jsonl#1"]
    assert report.added == 3 and {"Ferry pier opens"} <= {a.title for a in store.list_articles()}


@pytest.mark.slow
def test_two_thousand_tiny_files_are_each_one_article(settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    """Thousands of one-line articles in one folder: each is indexed, none taken for a copy of another, each
    found by its own words."""
    rng = random.Random(7)
    words = sorted({w.strip(".,;:()").lower() for w in PUTIN_KIM.read_text(encoding="utf-8").split() if w.isalpha()})
    folder = tmp_path / "tiny"
    folder.mkdir()
    for i in range(2000):
        body = " ".join(rng.sample(words, 12))
        (folder / f"note {i:04d}.txt").write_text(f"Note {i} on harbour item {i}\n\n{body.capitalize()}.\n")
    report, store = index(settings, embedder, folder)
    assert report.added == 2000 and not report.failed and not report.duplicates
    assert store.count()[0] == 2000
    retriever = Retriever(settings, store, embedder)
    for i in (0, 777, 1999):
        text = (folder / f"note {i:04d}.txt").read_text()
        assert retriever.retrieve(text.splitlines()[2], k=3)[0].title == f"Note {i} on harbour item {i}"


def test_exact_copies_in_one_run_share_their_chunks(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    """The same file twice (RealTimeQA's 2025 archive holds 26 records twice under other urls): one `chunks.add`
    received the same chunk ids twice and the whole run failed."""
    shutil.copy(corpus / OBSERVER.name, corpus / "copy of observer.txt")
    report, store = index(settings, embedder, corpus)
    assert report.added == 3 and not report.failed
    (dup,) = report.duplicates
    assert dup.key.endswith("copy of observer.txt") and dup.similarity == 1.0
    infos = store.list_articles()
    assert len(infos) == 3 and len({i.id for i in infos}) == 2
    assert store.chunks.count() == sum({i.id: i.n_chunks for i in infos}.values())  # embedded once
    assert "Vostochny" in Retriever(settings, store, embedder).retrieve("Where was the summit held?", k=5)[0].text

    again, _ = index(settings, embedder, corpus)
    assert (again.added, again.unchanged, again.chunks_embedded) == (0, 3, 0)
    # the original's file changes: its copy keeps the shared chunks
    original = corpus / OBSERVER.name
    original.write_text(original.read_text(encoding="utf-8").replace("crucial time", "critical time"), encoding="utf-8")
    changed, _ = index(settings, embedder, corpus)
    assert changed.updated == 1
    by_key = {Path(i.key).name: i for i in store.list_articles()}
    copy = by_key["copy of observer.txt"]
    assert len(_chunks_of(store, copy.id)) == copy.n_chunks


def test_an_article_that_cannot_be_chunked_is_skipped_by_name(
    settings: Settings, embedder: Embedder, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk whose offsets could not be found (llama-index's splitter, before) stopped the whole run with an
    AssertionError: a chunker's failure on one article skips that article, named."""
    from assistant.errors import ArticleError
    from assistant.ingest.chunking import Chunker

    real = Chunker.chunk

    def chunk(self: Chunker, article: Article) -> list[Chunk]:
        if "crucial time" in article.text:
            raise ArticleError("chunk 3 is not in the article's text, so it could not be indexed")
        return real(self, article)

    monkeypatch.setattr(Chunker, "chunk", chunk)
    report, store = index(settings, embedder, corpus)
    assert report.added == 1
    (failed,) = report.failed
    assert failed.key.endswith(OBSERVER.name) and "could not be indexed" in failed.reason
    assert [i.key for i in store.list_articles()] == [str((corpus / PUTIN_KIM.name).resolve())]


def test_texts_remembered_for_retrieval_follow_another_process(settings: Settings, embedder: Embedder) -> None:
    """Retrieval keeps the passages' article texts between questions while the store's generation stays: a
    record another process deletes must stop being served once the generation is looked at again."""
    _, store = index(settings, embedder, ARTICLES)
    ids = {i.id: i.key for i in store.list_articles()}
    chunks = [(a, 0, 0, 10) for a in ids]
    store.generation()  # what the retriever does at each question
    assert {h.chunk.article_id for h in store.hits(chunks)} == set(ids)
    gone = next(iter(ids))
    Store(settings).delete_records([ids[gone]])  # another process: the record only, its chunks stay
    assert {h.chunk.article_id for h in store.hits(chunks)} == set(ids)  # remembered until the next look
    store.generation()
    assert {h.chunk.article_id for h in store.hits(chunks)} == set(ids) - {gone}
    assert len(store.query(embedder.encode(["Putin"])[0], 50)) > 0
    assert all(h.chunk.article_id != gone for h in store.query(embedder.encode(["Putin"])[0], 50))
