"""Search at archive scale: latency of each ranking and of hybrid retrieval, against brute force, in one run.

Reads an index built from RealTimeQA articles (`bench/archive_index.py --keep DIR`) and the questions of that
year whose gold answer is in their own articles, for those questions with at least one article in the index.
For each question (after one warm-up question, timed apart as the cold start):
- hybrid retrieval (`Retriever.retrieve`, k=10: both rankings, fusion, the committed articles' texts), every
  question in turn as an app would take them;
- then, in a second pass, the dense ranking alone (Chroma's HNSW query, 20 candidates) against a brute-force
  NumPy dot product over every stored chunk vector (loaded once, before the clock);
- the keyword ranking alone (the SQLite index, 20 candidates);
and retrieval quality: hit@5 and MRR@10, where a hit is a passage of one of the question's own articles that
holds the gold answer's text (whole words, case ignored).

    .venv/bin/python bench/archive_search.py --index DIR [--year 2025] [--questions 100] [--precision auto]
        [--as-of] [--prefix eval-DIGEST]

Targets (issue 16, at 10,000 articles): hybrid p50 < 60 ms; dense within 3x of brute force.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "realtimeqa"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def holds(text: str, gold: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(gold.casefold())}(?!\w)", text.casefold()) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index folder (embedded Chroma)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--questions", type=int, default=100, help="at most this many questions")
    parser.add_argument("--precision", default="auto", help="ASSISTANT_EMBED_PRECISION for the questions")
    parser.add_argument("--prefix", default=None, help="the collections' prefix (`eval-...` for an eval index)")
    parser.add_argument(
        "--as-of", action="store_true", help="ask each question as of its quiz date, as `assistant eval` does"
    )
    args = parser.parse_args()
    from assistant.offline import stay_offline

    stay_offline()
    from assistant.retrieve.hybrid import Filters, Retriever
    from assistant.settings import Settings
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder
    from assistant.store.where import matches
    from assistant.text.terms import terms

    started = time.perf_counter()
    settings = Settings(index_dir=args.index, embed_precision=args.precision)
    if args.prefix:
        settings = settings.model_copy(update={"collection_prefix": args.prefix})
    store = Store(settings)
    embedder = Embedder.from_settings(settings)
    retriever = Retriever(settings, store, embedder)
    infos = store.list_articles()
    by_url = {i.url: i.id for i in infos if i.url}
    questions = [
        q
        for q in map(json.loads, (SHARED / f"questions-{args.year}.jsonl").open(encoding="utf-8"))
        if q["in_corpus"] and any(u in by_url for u in q["articles"])
    ][: args.questions]
    if not questions:
        sys.exit("no question of that year has an article in this index")
    articles, chunks = store.count()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; index {args.index}: "
        f"{articles} articles, {chunks} chunks; {len(questions)} questions of {args.year}"
    )

    def filters(q: dict) -> Filters | None:
        return Filters(as_of=q["date"]) if args.as_of else None

    cold = time.perf_counter()
    retriever.retrieve(questions[0]["question"], filters(questions[0]), k=10)
    print(
        f"cold: process start to the first retrieval done {time.perf_counter() - started:.1f} s "
        f"(the first retrieval itself {1000 * (time.perf_counter() - cold):.0f} ms)"
    )

    pages = []
    for offset in range(0, chunks, 5000):  # a page at a time: SQLite's limit on variables
        pages.append(np.asarray(store.chunks.get(include=["embeddings"], limit=5000, offset=offset)["embeddings"]))
    matrix = np.concatenate(pages).astype(np.float32)

    timings: dict[str, list[float]] = {"hybrid": [], "dense (Chroma)": [], "dense (brute force)": [], "keyword": []}
    if args.as_of:  # the dense ranking as of the quiz date: Chroma's own filter against the store's search
        timings |= {"dense as of (filter)": [], "dense as of (store)": []}
    wide_enough = 0
    hits5, rr = [], []
    lexical = retriever.lexical()
    for q in questions:  # hybrid alone first: the brute force below sweeps 440 MB through the caches
        t = time.perf_counter()
        passages = retriever.retrieve(q["question"], filters(q), k=10)
        timings["hybrid"].append(time.perf_counter() - t)
        own = {by_url[u] for u in q["articles"] if u in by_url}
        ranks = [i for i, p in enumerate(passages, 1) if p.article_id in own and holds(p.text, q["gold"])]
        hits5.append(1.0 if ranks and ranks[0] <= 5 else 0.0)
        rr.append(1.0 / ranks[0] if ranks else 0.0)
    for q in questions:
        question = q["question"]
        vector = embedder.encode([question])[0]
        t = time.perf_counter()
        store.chunks.query(query_embeddings=[vector], n_results=20, include=["distances"])
        timings["dense (Chroma)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        scores = matrix @ vector
        top = np.argpartition(-scores, 20)[:20]
        top[np.argsort(-scores[top])]
        timings["dense (brute force)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        lexical.rank(terms(question), 20)
        timings["keyword"].append(time.perf_counter() - t)
        if args.as_of:
            cutoff = Filters(as_of=q["date"]).cutoff()
            where = Filters(as_of=q["date"]).where(cutoff)
            t = time.perf_counter()
            store.chunks.query(query_embeddings=[vector], n_results=44, where=where, include=["metadatas", "distances"])
            timings["dense as of (filter)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            store.query(vector, 20, where)
            timings["dense as of (store)"].append(time.perf_counter() - t)
            wider = store.chunks.query(query_embeddings=[vector], n_results=44 * 8, include=["metadatas"])
            wide_enough += sum(matches(where, m) for m in (wider["metadatas"] or [[]])[0]) >= 20

    print(f"\n{'ms':<22}{'p50':>8}{'p95':>8}")
    for name, values in timings.items():
        print(f"{name:<22}{1000 * percentile(values, 50):8.1f}{1000 * percentile(values, 95):8.1f}")
    ratio = percentile(timings["dense (Chroma)"], 50) / percentile(timings["dense (brute force)"], 50)
    print(f"dense: Chroma / brute force at p50: {ratio:.2f}x (target <= 3x)")
    if args.as_of:
        ratio = percentile(timings["dense as of (filter)"], 50) / percentile(timings["dense as of (store)"], 50)
        print(
            f"dense as of the quiz date: Chroma's filter / the store's search at p50: {ratio:.2f}x; the wider "
            f"unfiltered search held enough for {wide_enough} of {len(questions)} questions (the rest: the filter)"
        )
    print(f"hit@5 {statistics.mean(hits5):.3f}, MRR@10 {statistics.mean(rr):.3f} (n={len(questions)})")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
