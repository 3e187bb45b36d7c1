"""`kill -9` of `assistant index` at random points of a run on real news, repeated, each time checking the index.

Takes the first N distinct articles of a RealTimeQA year (../shared/realtimeqa/, read at run time, never copied
into the project), builds a clean index of them once (the reference), then indexes them again into another
folder, killing the process with SIGKILL at a random moment of each run, `--kills` times. After every kill,
as a new process would find it:

- every committed article has exactly the chunks the clean run stored (the same offsets), and their vectors
  are the clean run's (cosine >= 0.999);
- the vector index finds each of a sample of committed chunks by its own vector (top hit at the same span);
- the keyword index, synced as the app syncs it on opening, holds exactly the committed chunks;
- a question answered from the index (extractive) cites only committed articles, every quote equal to the
  article's text at its offsets.

At the end one run without a kill must complete the index to what the clean run built.

    .venv/bin/python bench/kill_index.py [--year 2025] [--articles 300] [--kills 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from archive_index import SHARED, write_corpus  # noqa: E402

from assistant.answer.pipeline import Assistant  # noqa: E402
from assistant.errors import IndexMissingError  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.chroma import Store  # noqa: E402
from assistant.store.embedding import Embedder  # noqa: E402
from assistant.store.lexical import LexicalIndex  # noqa: E402

Span = tuple[str, int, int]  # article id, start, end


def index_run(corpus: Path, index_dir: Path, kill_after: float | None) -> tuple[float, int]:
    """`assistant index` as a child process, killed with SIGKILL after `kill_after` seconds (None: to its end);
    (seconds it ran, exit code, -9 when killed)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_DIR": str(index_dir)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", str(corpus), "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        code = proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
    return time.perf_counter() - started, code


def state(settings: Settings) -> tuple[dict[str, int], dict[Span, np.ndarray], set[str]]:
    """(committed article id -> n_chunks, span of every stored chunk -> its vector, articles with chunks); all
    empty when the run was killed before it made the index."""
    try:
        store = Store(settings)
    except IndexMissingError:
        return {}, {}, set()
    committed = {a.id: a.n_chunks for a in store.list_articles()}
    vectors: dict[Span, np.ndarray] = {}
    offset = 0
    while True:
        got = store.chunks.get(include=["metadatas", "embeddings"], limit=5000, offset=offset)
        if not got["ids"]:
            break
        metas: list[Any] = list(got["metadatas"] or [])
        embeddings: Any = got["embeddings"]
        for meta, vector in zip(metas, embeddings, strict=True):
            vectors[(str(meta["article_id"]), int(meta["start"]), int(meta["end"]))] = np.asarray(vector)
        offset += len(got["ids"])
    return committed, vectors, {span[0] for span in vectors}


def check(settings: Settings, clean: dict[Span, np.ndarray], rng: random.Random, embedder: Embedder) -> dict[str, Any]:
    """The index as a process opening it after the kill finds it; every failed check is named in "failed"."""
    failed: list[str] = []
    committed, vectors, with_chunks = state(settings)
    clean_spans: dict[str, set[Span]] = {}
    for span in clean:
        clean_spans.setdefault(span[0], set()).add(span)
    committed_spans = {span for span in vectors if span[0] in committed}
    for article_id, n_chunks in committed.items():
        mine = {span for span in vectors if span[0] == article_id}
        if mine != clean_spans.get(article_id) or n_chunks != len(mine):
            failed.append(
                f"article {article_id}: {len(mine)} chunks stored, {n_chunks} recorded, clean run "
                f"{len(clean_spans.get(article_id, ()))}"
            )
    for span in committed_spans:
        a, b = vectors[span], clean[span]
        if float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) < 0.999:
            failed.append(f"chunk {span}: its vector is not the clean run's")
    if not committed:
        return {
            "committed": 0,
            "chunks_stored": len(vectors),
            "uncommitted_with_chunks": len(with_chunks),
            "keyword_agreed_before_sync": True,
            "answered": 0,
            "failed": failed,
        }
    store = Store(settings)
    for span in rng.sample(sorted(committed_spans), min(20, len(committed_spans))):
        top = store.query(clean[span], k=1)
        if not top or (top[0].chunk.article_id, top[0].chunk.start, top[0].chunk.end) != span:
            found = top[0].chunk.text[:60] if top else None
            text = store.article(span[0])[1][span[1] : span[2]]
            if not top or top[0].chunk.text != text:  # an identical chunk of another article is as good
                failed.append(f"chunk {span}: the vector index returns {found!r}")
    lexical_path = settings.lexical_path()
    before = _lexical_spans(lexical_path)
    lexical = LexicalIndex(lexical_path)
    lexical.sync(store)
    lexical.close()
    after = _lexical_spans(lexical_path)
    if after != committed_spans:
        failed.append(f"keyword index after sync: {len(after)} chunks, committed {len(committed_spans)}")
    assistant = Assistant(settings, store=store, embedder=embedder)
    info, _ = store.article(rng.choice(sorted(committed)))
    answer = assistant.ask(f"What happened: {info.title}?", llm="extractive")
    for citation in answer.citations:
        quoted = store.article(citation.article_id)[1][citation.start : citation.end]
        if citation.article_id not in committed or quoted != citation.quote:
            failed.append(f"citation {citation.n} of {citation.article_id}: not a committed article's text")
    return {
        "committed": len(committed),
        "chunks_stored": len(vectors),
        "uncommitted_with_chunks": len(with_chunks - set(committed)),
        "keyword_agreed_before_sync": before == committed_spans,
        "answered": int(not answer.refused),
        "failed": failed,
    }


def _lexical_spans(path: Path) -> set[Span]:
    if not path.exists():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {(a, s, e) for a, s, e in db.execute("SELECT article_id, start_char, end_char FROM chunks")}


def checked(index_dir: Path, clean_dir: Path, seed: int) -> dict[str, Any]:
    """`check` in a new process, as the app would open the index after the kill (Chroma keeps one state per
    path inside a process, so the process that checked the index before must not read it again)."""
    done = subprocess.run(
        [sys.executable, __file__, "--check", str(index_dir), "--clean", str(clean_dir), "--seed", str(seed)],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": [f"the index cannot be read: {last}"], "unreadable": True}
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep-broken",
        default=str(Path.home() / ".cache" / "news-assistant" / "bench" / "killed"),
        help="where an index that cannot be read after a kill is copied",
    )
    parser.add_argument("--check", help=argparse.SUPPRESS)  # one check, in its own process (see `checked`)
    parser.add_argument("--clean", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check:
        clean_committed, clean, _ = state(Settings(index_dir=Path(args.clean)))
        settings = Settings(index_dir=Path(args.check))
        found = check(settings, clean, random.Random(args.seed), Embedder.from_settings(settings))
        committed, vectors, _ = state(settings)
        found["complete"] = committed == clean_committed and set(vectors) == set(clean)
        print(json.dumps(found))
        return
    if not SHARED.exists():
        sys.exit(f"{SHARED} is missing: this benchmark reads RealTimeQA's articles from there")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "articles.jsonl"
        n = write_corpus([args.year], args.articles, corpus)
        clean_dir = Path(tmp) / "clean"
        clean_s, code = index_run(corpus, clean_dir, None)
        reference = checked(clean_dir, clean_dir, 0)
        print(
            f"{n} articles of {args.year}: clean run {clean_s:.1f} s (exit {code}), "
            f"{reference.get('committed')} articles, {reference.get('chunks_stored')} chunks",
            flush=True,
        )
        rows: list[dict[str, Any]] = []
        kills, runs, series, done = 0, 0, 1, 0.0
        index_dir = Path(tmp) / f"killed-{series}"
        while kills < args.kills:
            after = rng.uniform(0.5, clean_s * max(0.2, 1.0 - done) + 5.0)  # start-up, then what is left
            seconds, code = index_run(corpus, index_dir, after)
            runs += 1
            if code != -signal.SIGKILL:  # finished before the kill: start over, so that every kill stops work
                print(f"  run {runs}: finished in {seconds:.1f} s before its kill at {after:.1f} s; starting over")
                series, done = series + 1, 0.0
                index_dir = Path(tmp) / f"killed-{series}"
                continue
            kills += 1
            found = checked(index_dir, clean_dir, rng.randrange(1 << 30))
            if found.pop("unreadable", False):  # kept for a look; the series goes on with it
                kept = Path(args.keep_broken) / f"kill-{kills}"
                shutil.rmtree(kept, ignore_errors=True)
                shutil.copytree(index_dir, kept)
                found["failed"].append(f"kept in {kept}")
            done = found.get("committed", 0) / max(1, reference.get("committed", 1))
            found.pop("complete", None)
            row = {"kill": kills, "at_s": round(after, 1), "run": runs, **found}
            rows.append(row)
            print(json.dumps(row), flush=True)
        final_s, code = index_run(corpus, index_dir, None)
        final = checked(index_dir, clean_dir, 0)
        failures = sum(len(r["failed"]) for r in rows) + len(final["failed"])
        print()
        print(
            "| kills | runs | failed checks | keyword index behind before its sync | answered | final run | complete |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        behind = sum(not r.get("keyword_agreed_before_sync", True) for r in rows)
        answered = sum(r.get("answered", 0) for r in rows)
        print(
            f"| {kills} | {runs} | {failures} | {behind} | {answered}/{kills} | {final_s:.1f} s (exit {code}) | "
            f"{'yes' if final.get('complete') else 'NO'} |"
        )
        sys.exit(1 if failures or not final.get("complete") else 0)


if __name__ == "__main__":
    main()
