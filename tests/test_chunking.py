"""The chunker: offsets exact by construction, sizes in model tokens, llama-index's chunks on ordinary text."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import ARTICLES

from assistant.ingest.chunking import Chunker
from assistant.ingest.cleaning import clean
from assistant.ingest.loaders import Loaded, load
from assistant.store.embedding import Embedder
from assistant.types import Article, Draft


def _article(text: str) -> Article:
    return clean(Draft(key="k", body=text, format="text", title="A title"))


@pytest.fixture(scope="module")
def chunker(embedder: Embedder) -> Chunker:
    return Chunker(embedder.token_starts, 96, 24)


def _check(chunker: Chunker, embedder: Embedder, article: Article) -> None:
    chunks = chunker.chunk(article)
    for i, c in enumerate(chunks):
        assert c.n == i and c.article_id == article.id
        assert article.text[c.start : c.end] == c.text == c.text.strip()
        assert len(embedder.tokenize(c.text)) <= 96
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    # nothing is left out: every word of the article is in a chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(article.text) if not ch.isspace())


def test_the_bundled_articles_get_llama_index_s_chunks(chunker: Chunker, embedder: Embedder) -> None:
    """The SentenceSplitter this chunker replaced, on the same text, sizes and overlap: the same chunks."""
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(
        chunk_size=96, chunk_overlap=24, tokenizer=embedder.tokenize, paragraph_separator="\n\n"
    )
    for path in sorted(ARTICLES.glob("*.txt")):
        (item,) = load(Path(path))
        assert isinstance(item, Loaded)
        article = clean(item.draft)
        assert [c.text for c in chunker.chunk(article)] == splitter.split_text(article.text)
        _check(chunker, embedder, article)


def test_paragraphs_stay_whole_and_short_ones_overlap(chunker: Chunker, embedder: Embedder) -> None:
    paragraphs = [
        f"Paragraph {i} says that the council met on day {i} and voted on budget item {i}." for i in range(12)
    ]
    article = _article("\n\n".join(paragraphs))
    chunks = chunker.chunk(article)
    assert len(chunks) > 1
    for c in chunks:
        assert all(p in paragraphs for p in c.text.split("\n\n"))  # whole paragraphs only
    for before, after in itertools.pairwise(chunks):
        shared = set(before.text.split("\n\n")) & set(after.text.split("\n\n"))
        assert shared and sum(len(embedder.tokenize(p)) for p in shared) <= 24
    _check(chunker, embedder, article)


def test_a_long_paragraph_goes_by_sentences_and_a_long_sentence_by_words(chunker: Chunker, embedder: Embedder) -> None:
    sentences = " ".join(f"Sentence number {i} reports a different fact about the harbour." for i in range(40))
    run_on = " ".join(f"word{i}" for i in range(700))  # one "sentence" of ~1,400 tokens, no punctuation
    article = _article(f"{sentences}\n\n{run_on}\n\nA last short paragraph.")
    chunks = chunker.chunk(article)
    _check(chunker, embedder, article)
    sentence_chunks = [c for c in chunks if "Sentence number" in c.text]
    assert all(c.text.endswith("harbour.") and c.text.startswith("Sentence number") for c in sentence_chunks)
    word_chunks = [c for c in chunks if "word" in c.text]
    assert len(word_chunks) >= 14
    # cut at word starts: no chunk begins or ends inside "wordN"
    words = set(run_on.split()) | set(sentences.split()) | {"A", "last", "short", "paragraph."}
    for c in word_chunks:
        assert set(c.text.split()) <= words
    assert chunks[-1].text.endswith("\n\nA last short paragraph.")  # merged with the run-on's last piece


def test_text_with_no_spaces_is_still_cut_within_the_size(chunker: Chunker, embedder: Embedder) -> None:
    _check(chunker, embedder, _article("x" * 5000))
    _check(chunker, embedder, _article("日本語の文章。" * 300))
