"""Answer latency per backend on the bundled corpus: retrieval, prompt size, first token, total.

    .venv/bin/python bench/answer_latency.py [--backends extractive,local] [--index DIR]

Builds an index of the bundled articles in a temp dir (unless --index is given), then asks the same
questions with each backend. For `local`, every question is asked fresh (its own sources: "cold",
the model already loaded) and then followed by a follow-up ("follow-up"), which llama.cpp answers
from its cached prefix; follow-ups answered from the sentences already in the conversation (no new
evidence: "on the same sources") are also reported apart from those that needed new sentences.
Prints medians and 95th percentiles and the machine load.

Targets (issue 3, 2 cores): retrieval p50 < 50 ms; extractive total p50 < 300 ms; local time to
first token p50 < 8 s cold and < 2 s for a follow-up on the same sources.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from assistant.offline import stay_offline

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    ("Who is the Russian defence minister?", "What did he hint at?"),
    ("When did Putin and Kim meet?", "Where was that?"),
    ("What did the US call the meeting?", "Why did they say so?"),
    ("Who is the Kremlin spokesperson?", "What did he say?"),
    ("What weapons did Kim hope to sell?", "To whom?"),
    ("How did Kim travel to Russia?", "How long does that take?"),
    ("Who is Kim's closest confidante?", "What is her role?"),
    ("What did Russia's ambassador to the US say?", "What is his name?"),
    ("Has China commented on Kim's visit?", "Why does that matter?"),
    ("What facility did Kim visit after the summit?", "What is it for?"),
    ("Who won the 2022 football World Cup?", "Who scored?"),
    ("What is the price of bitcoin?", "And last year?"),
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<28} -"
    return f"  {name:<28} p50 {statistics.median(values):8.0f}   p95 {pct(values, 0.95):8.0f}   n={len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="extractive,local")
    parser.add_argument("--index", type=Path, help="an existing index of the bundled articles")
    args = parser.parse_args()
    stay_offline()
    from assistant.answer.pipeline import Assistant
    from assistant.ingest.indexer import Indexer
    from assistant.settings import Settings
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder

    tmp = tempfile.TemporaryDirectory()
    settings = Settings(index_dir=args.index or Path(tmp.name) / "index")
    embedder = Embedder.from_settings(settings)
    if not args.index:
        Indexer(settings, Store(settings, create=True), embedder).run([ROOT / "articles"])
    assistant = Assistant(settings, embedder=embedder)
    assistant.ask("warm up the embedding model and the keyword index", llm="extractive")
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}")
    for backend in args.backends.split(","):
        if backend != "extractive":
            t = time.perf_counter()
            assistant.ask(QUESTIONS[0][0], llm=backend)  # loads the model; not counted
            print(f"\n{backend}: model load + first answer {time.perf_counter() - t:.1f} s (not counted below)")
        keys = ("retrieve", "tokens", "ttft", "total", "ttft_f", "total_f", "ttft_same", "ttft_new")
        stats: dict[str, list[float]] = {k: [] for k in keys}
        refused = 0
        for question, follow_up in QUESTIONS[1:] + QUESTIONS[:1]:
            a = assistant.ask(question, llm=backend)
            refused += a.refused
            stats["retrieve"].append(float(a.timings["retrieve_ms"] or 0))
            stats["ttft"].append(float(a.timings["first_token_ms"] or 0))
            stats["total"].append(float(a.timings["total_ms"] or 0))
            if a.timings["prompt_tokens"]:
                stats["tokens"].append(float(a.timings["prompt_tokens"]))
            if backend != "extractive" and not a.refused:
                f = assistant.ask(follow_up, history=[a.turn()], llm=backend)
                stats["ttft_f"].append(float(f.timings["first_token_ms"] or 0))
                stats["total_f"].append(float(f.timings["total_ms"] or 0))
                same = f.timings.get("new_evidence") == 0  # answered from the sentences already read
                stats["ttft_same" if same else "ttft_new"].append(float(f.timings["first_token_ms"] or 0))
        print(f"\n{backend} ({len(QUESTIONS)} questions, {refused} refused), milliseconds:")
        print(row("retrieval", stats["retrieve"]))
        print(row("prompt tokens (count)", stats["tokens"]))
        print(row("first token", stats["ttft"]))
        print(row("total", stats["total"]))
        print(row("follow-up first token", stats["ttft_f"]))
        print(row("follow-up total", stats["total_f"]))
        print(row("  on the same sources", stats["ttft_same"]))
        print(row("  with new sources", stats["ttft_new"]))
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
