"""The int8 embedding model against float32, in one process: speed on real chunks and dense retrieval over them.

Reads a float32 index built from RealTimeQA articles (`bench/archive_index.py --keep DIR`), takes a sample of the
questions of `--years` whose articles are in it, and a pool of chunks: every chunk of those questions' articles and
about `--pool` others sampled across the index. The stored float32 vectors are the reference (checked against a
fresh float32 encoding of 2,000 chunks, which also times float32 against int8 on the same chunks). The pool is then
encoded again by the int8 model (`embed_precision int8`, made at first use as the app makes it), and each question
is ranked against the pool by a NumPy dot product, with its question vector from the int8 model and from float32:
dense hit@5 and MRR@10, where a hit is a chunk of one of the question's own articles that holds the gold text (as
`bench/archive_search.py` counts them).

This is dense retrieval alone, over a pool rather than the whole index: a cheaper look at the same question as
`archive_search.py` on two indexes built apart (the issue allows int8 only within 0.01 of float32 on hit@5 and
MRR), with many more questions for the time.

    .venv/bin/python bench/int8_retrieval.py --index DIR [--years 2022,2023] [--questions 250] [--pool 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np
from archive_search import SHARED, holds  # a hit as archive_search.py counts one (run from bench/, as a script)


def ranks(questions: np.ndarray, chunks: np.ndarray, good: list[np.ndarray]) -> tuple[float, float]:
    """hit@5 and MRR@10 of each question's dot-product ranking of the chunks."""
    sims = questions @ chunks.T
    hit5, rr = [], []
    for row, gold in zip(sims, good, strict=True):
        top = np.argsort(-row)[:10]
        found = [r for r, j in enumerate(top, 1) if gold[j]]
        hit5.append(1.0 if found and found[0] <= 5 else 0.0)
        rr.append(1.0 / found[0] if found else 0.0)
    return float(np.mean(hit5)), float(np.mean(rr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a float32 index folder (embedded Chroma)")
    parser.add_argument("--years", default="2022,2023", help="the question files' years")
    parser.add_argument("--questions", type=int, default=250, help="a sample of this many questions")
    parser.add_argument("--pool", type=int, default=20000, help="chunks sampled besides the questions' articles")
    args = parser.parse_args()
    from assistant.offline import stay_offline

    stay_offline()
    from assistant.settings import Settings
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder

    store = Store(Settings(index_dir=args.index))
    infos = {i.id: i for i in store.list_articles()}
    by_url = {i.url: i.id for i in infos.values() if i.url}
    asked = [
        q
        for year in args.years.split(",")
        for q in map(json.loads, (SHARED / f"questions-{year}.jsonl").open(encoding="utf-8"))
        if q["in_corpus"] and any(u in by_url for u in q["articles"])
    ]
    rng = random.Random(3)
    asked = rng.sample(asked, min(args.questions, len(asked)))
    own = sorted({by_url[u] for q in asked for u in q["articles"] if u in by_url})

    ids: list[str] = []
    metas: list[dict] = []
    vectors: list[np.ndarray] = []
    for lo in range(0, len(own), 200):  # SQLite's limit on variables
        got = store.chunks.get(where={"article_id": {"$in": own[lo : lo + 200]}}, include=["metadatas", "embeddings"])
        ids += got["ids"]
        metas += got["metadatas"]
        vectors += list(np.asarray(got["embeddings"]))
    n_own = len(ids)
    seen = set(ids)
    total = store.count()[1]
    for offset in random.Random(7).sample(range(0, max(1, total - 500), 500), max(1, args.pool // 500)):
        got = store.chunks.get(limit=500, offset=offset, include=["metadatas", "embeddings"])
        for key, meta, vector in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
            if key not in seen:
                seen.add(key)
                ids.append(key)
                metas.append(meta)
                vectors.append(np.asarray(vector))
    stored = np.stack(vectors).astype(np.float32)
    texts: dict[str, str] = {}
    chunk_texts = []
    for m in metas:
        if m["article_id"] not in texts:
            texts[m["article_id"]] = store.article(m["article_id"])[1]
        chunk_texts.append(texts[m["article_id"]][m["start"] : m["end"]])
    embedded = [f"{infos[m['article_id']].title}\n\n{t}" for m, t in zip(metas, chunk_texts, strict=True)]  # as indexed
    good = []
    for q in asked:
        mine = {by_url[u] for u in q["articles"] if u in by_url}
        pairs = zip(metas, chunk_texts, strict=True)
        good.append(np.array([m["article_id"] in mine and holds(t, q["gold"]) for m, t in pairs]))
    kept = [i for i, g in enumerate(good) if g.any()]
    good = [good[i] for i in kept]
    questions = [asked[i]["question"] for i in kept]
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; index {args.index}; pool "
        f"{len(ids)} chunks ({n_own} of the questions' articles); {len(questions)} questions of {args.years} "
        "with a chunk holding the gold in the pool"
    )

    float32 = Embedder.from_settings(Settings(index_dir=args.index, embed_precision="float32"))
    int8 = Embedder.from_settings(Settings(index_dir=args.index, embed_precision="int8"))
    sample = embedded[:2000]
    rates = {}
    for name, embedder in (("float32", float32), ("int8", int8)):
        embedder.encode(sample[:64], bulk=True)  # compiled (and, for int8, quantized) before the clock
        started = time.perf_counter()
        encoded = embedder.encode(sample, bulk=True)
        rates[name] = len(sample) / (time.perf_counter() - started)
        if name == "float32":
            print(f"stored vectors against float32 now: cosine min {float((encoded * stored[:2000]).sum(1).min()):.6f}")
    print(
        f"encoding {len(sample)} chunks: float32 {rates['float32']:.1f}, int8 {rates['int8']:.1f} chunks/s "
        f"({rates['int8'] / rates['float32']:.2f}x)"
    )
    q32, q8 = float32.encode(questions), int8.encode(questions)
    chunks8 = int8.encode(embedded, bulk=True)
    cosine = (chunks8 * stored).sum(1)
    print(f"int8 chunk vectors against float32: cosine mean {cosine.mean():.4f}, min {cosine.min():.4f}")
    print("\n| chunk vectors | question vectors | dense hit@5 | MRR@10 |")
    print("| --- | --- | --- | --- |")
    for chunks, cname in ((stored, "float32"), (chunks8, "int8")):
        for qv, qname in ((q32, "float32"), (q8, "int8")):
            hit5, mrr = ranks(qv, chunks, good)
            print(f"| {cname} | {qname} | {hit5:.3f} | {mrr:.3f} |")


if __name__ == "__main__":
    main()
