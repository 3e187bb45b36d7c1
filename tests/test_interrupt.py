"""A real `assistant index` process stopped by a real signal (SIGKILL, as by `kill -9` or the OOM killer;
SIGINT, as by Ctrl-C) in the middle of a run: the index answers only from whole articles, and the next
run completes it to what a clean full run builds."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, generate_corpus
from typer.testing import CliRunner

from assistant.cli import app
from assistant.ingest.cleaning import clean
from assistant.ingest.indexer import Indexer
from assistant.ingest.loaders import Loaded, load
from assistant.retrieve.hybrid import Retriever
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder

pytestmark = pytest.mark.slow

ARTICLES = 120  # about 600 chunks: five slabs of SLAB, so a run stopped after the first commit has seconds of
# embedding left (the second slab is already being written then, and an interrupted run finishes that write);
# with three slabs the last one could be a handful of chunks, done before the signal arrived on a busy machine
SLAB = 128

Spans = dict[str, list[tuple[int, int, str]]]  # article id -> its chunks' (start, end, text)
Offsets = dict[str, list[tuple[int, int]]]  # article id -> its chunks' (start, end)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_corpus(tmp_path_factory.mktemp("generated") / "corpus", ARTICLES)


@pytest.fixture(scope="module")
def expected(generated: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Spans:
    """What a clean full run stores: every article's chunks, computed by the indexer's own chunker."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("unused") / "index")
    chunker = Indexer(settings, Store(settings, create=True), embedder).chunker()
    articles = [clean(i.draft) for p in sorted(generated.iterdir()) for i in load(p) if isinstance(i, Loaded)]
    spans = {a.id: [(c.start, c.end, c.text) for c in chunker.chunk(a)] for a in articles}
    assert len(spans) == ARTICLES and sum(map(len, spans.values())) > 4 * SLAB
    return spans


def _stored(store: Store) -> tuple[dict[str, int], Offsets]:
    """(committed article id -> n_chunks, article id -> offsets of the chunks present, committed or not)."""
    committed = {i.id: i.n_chunks for i in store.list_articles()}
    offsets: Offsets = {}
    for m in store.chunks.get(include=["metadatas"])["metadatas"] or []:
        offsets.setdefault(str(m["article_id"]), []).append((int(m["start"]), int(m["end"])))
    return committed, {k: sorted(v) for k, v in offsets.items()}


def _offsets(spans: Spans) -> Offsets:
    return {article_id: [(start, end) for start, end, _ in chunks] for article_id, chunks in spans.items()}


def _stop_mid_run(corpus: Path, settings: Settings, signum: int) -> tuple[int, str]:
    """Run `python -m assistant index` until it reports a committed slab, then send `signum`."""
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_PROGRESS_SECONDS": "0",
        "ASSISTANT_INDEX_SLAB": str(SLAB),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", str(corpus)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # a test run started in the background (`make test &`) ignores SIGINT, and so would the child;
        # Python turns SIGINT into KeyboardInterrupt only when it starts with the default action
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            progress = re.match(r"indexing: (\d+)/(\d+) articles", line)
            if progress and 0 < int(progress[1]) < int(progress[2]):
                proc.send_signal(signum)
                break
        else:
            pytest.fail(f"the run ended before it reported a committed slab: {''.join(lines)}")
        rest = proc.stderr.read()
        return proc.wait(), "".join(lines) + rest
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_signal_mid_run_leaves_whole_articles_and_the_next_run_completes(
    signum: int, generated: Path, expected: Spans, settings: Settings, embedder: Embedder
) -> None:
    code, err = _stop_mid_run(generated, settings, signum)
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 130 and "interrupted: the index keeps only complete articles" in err

    store = Store(settings)
    committed, present = _stored(store)
    offsets = _offsets(expected)
    assert 0 < len(committed) < ARTICLES  # stopped after the first slab's commit, before the last
    for article_id, n_chunks in committed.items():  # every committed article is whole and as a clean run has it
        assert present[article_id] == offsets[article_id] and n_chunks == len(expected[article_id])
    for article_id, spans in present.items():  # an uncommitted article may have chunks, but only its own
        assert set(spans) <= set(offsets[article_id])
    _, hits = store.committed_chunks()  # what retrieval reads: the committed chunks, with their texts
    assert sorted((h.chunk.article_id, h.chunk.start, h.chunk.end, h.chunk.text) for h in hits) == sorted(
        (article_id, *span) for article_id in committed for span in expected[article_id]
    )

    listed = json.loads(CliRunner().invoke(app, ["articles", "--json"]).stdout)
    assert {r["id"]: r["n_chunks"] for r in listed} == committed

    # no half article is answerable: asking with the very words of articles not committed (first those
    # whose chunks the run had written) still only finds committed ones
    retriever = Retriever(settings, store, embedder)
    for article_id in sorted(set(expected) - set(committed), key=lambda a: (a not in present, a))[:10]:
        passages = retriever.retrieve(expected[article_id][0][2], k=5)
        assert passages and {p.article_id for p in passages} <= set(committed)

    result = CliRunner().invoke(app, ["index", str(generated), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["unchanged"]) == (ARTICLES - len(committed), len(committed))
    committed, present = _stored(Store(settings))
    assert present == offsets
    assert committed == {article_id: len(spans) for article_id, spans in expected.items()}
