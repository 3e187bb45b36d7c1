"""Indexing real news at archive scale: `assistant index` as a whole process, old settings against new, in one run.

Takes the first N distinct articles of a RealTimeQA year (../shared/realtimeqa/articles-YEAR.jsonl.gz, read at
run time, never copied into the project) into a JSONL file in a temporary folder, then:
- the floor: bare torch float32 all-MiniLM-L6-v2 encoding each article's text in 96-token windows, batch 64
  (in this process, the windows prepared before the clock starts);
- `assistant index` in a child process for each variant (`old`: the code of OLD_COMMIT, before this issue's work;
  the others: this code with settings) (a fresh index each), timed from process
  start to exit: chunks, tokens encoded, time in the model, peak RSS (the child's own, from wait4), size on disk;
- the last variant again on the unchanged corpus (a re-index).

    .venv/bin/python bench/archive_index.py --year 2025 --articles 1000 [--keep DIR]

`--keep DIR` keeps each variant's index in DIR/VARIANT (outside the repository) for bench/archive_search.py.
Targets (issue 16): new / old >= 2.5x; new >= 1.4x the floor; 10,000 articles < 30 min; re-index < 2% of a full
run; peak RSS < 2.5 GB and flat in the number of articles.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "realtimeqa"
# the code before issue 16's work: the "old" variant runs this commit's `assistant` package (float32 torch,
# llama-index's splitter, the writes of then), taken from git into the run's temporary folder
OLD_COMMIT = "a44ed36"
# name -> environment of `assistant index` (the settings that differ from the defaults)
VARIANTS = {
    "old": {},  # OLD_COMMIT's code with its defaults
    "new": {},  # the defaults
    "new-torch": {"ASSISTANT_EMBED_BACKEND": "torch"},  # the defaults with sentence-transformers' own bfloat16
    "new-fp32": {"ASSISTANT_EMBED_PRECISION": "float32"},  # the defaults in float32
    "new-int8": {"ASSISTANT_EMBED_PRECISION": "int8"},  # the defaults with the int8 copy of the model (NNCF)
    "new-192": {"ASSISTANT_CHUNK_SIZE": "192"},  # the defaults with chunks of up to 192 tokens
    "new-no-overlap": {"ASSISTANT_CHUNK_OVERLAP": "0"},  # the defaults without paragraphs repeated between chunks
}


def old_code(folder: Path) -> Path:
    """OLD_COMMIT's package and prompts, for `python -m assistant` with this folder first on the path."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", OLD_COMMIT, "assistant", "prompts"], cwd=ROOT, capture_output=True)
    if archive.returncode:
        sys.exit(f"git archive {OLD_COMMIT} failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def write_corpus(years: list[int], n: int, target: Path, before: str | None = None) -> int:
    """The first `n` distinct articles (by url) of the years' files, in the order given; with `before`
    (YYYY-MM-DD), only those published before that day."""
    seen: set[str] = set()
    with target.open("w") as out:
        for year in years:
            with gzip.open(SHARED / f"articles-{year}.jsonl.gz", "rt", encoding="utf-8") as src:
                for line in src:
                    record = json.loads(line)
                    if record["url"] in seen or (before and (record.get("published_at") or "9")[:10] >= before):
                        continue
                    seen.add(record["url"])
                    out.write(line if line.endswith("\n") else line + "\n")
                    if len(seen) == n:
                        return n
    return len(seen)


def floor(corpus: Path) -> tuple[float, int]:
    """Seconds for bare float32 encoding of every article's text in 96-token windows, and the token count."""
    from sentence_transformers import SentenceTransformer

    from assistant.store.embedding import model_path

    model = SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device="cpu", local_files_only=True)
    tokenizer = model.tokenizer
    windows = []
    for line in corpus.open(encoding="utf-8"):
        ids = tokenizer(json.loads(line)["body"], add_special_tokens=False)["input_ids"]
        windows += [tokenizer.decode(ids[i : i + 94]) for i in range(0, len(ids), 94)]  # 94 + [CLS] + [SEP]
    tokens = sum(len(tokenizer(w)["input_ids"]) for w in windows)
    model.encode(windows[:64], batch_size=64)  # warm-up
    started = time.perf_counter()
    model.encode(windows, batch_size=64, normalize_embeddings=True)
    return time.perf_counter() - started, tokens


def encoded_tokens(index_dir: Path) -> int:
    """Tokens the model read for the index's chunks: each chunk under its title, as the indexer embeds it. Read
    from Chroma itself, page by page (the old code cannot read its own index at this size: the issue's crash)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.store.embedding import Embedder

    client = chromadb.PersistentClient(path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    articles = client.get_collection("news_articles")
    chunks = client.get_collection("news_chunks")
    texts: dict[str, tuple[str, str]] = {}
    for offset in range(0, articles.count(), 1000):
        got = articles.get(include=["metadatas", "documents"], limit=1000, offset=offset)
        for meta, doc in zip(got["metadatas"] or [], got["documents"] or [], strict=True):
            texts[str(meta["article_id"])] = (str(meta["title"]), doc)
    embedder = Embedder("all-MiniLM-L6-v2")
    total = 0
    for offset in range(0, chunks.count(), 5000):
        for meta in chunks.get(include=["metadatas"], limit=5000, offset=offset)["metadatas"] or []:
            if (found := texts.get(str(meta["article_id"]))) is not None:
                title, text = found
                chunk = text[int(str(meta["start"])) : int(str(meta["end"]))]
                total += min(embedder.max_tokens, embedder.count_tokens(f"{title}\n\n{chunk}") + 2)
    return total


def run_index(corpus: Path, index_dir: Path, env: dict[str, str], code: Path | None = None) -> dict[str, float]:
    """`assistant index` as a child process; `code`: a folder whose `assistant` package runs instead of this one."""
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_DIR": str(index_dir), **env}
    if code:
        child_env["PYTHONPATH"] = str(code)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "assistant", "index", str(corpus), "--json"],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=code or ROOT,
    )
    samples: list[float] = []  # the child's RSS in MB, every 5 s: is it flat in the articles done?
    sampler = threading.Thread(target=_sample_rss, args=(proc.pid, samples), daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: some articles skipped, which the report lists
        sys.exit(f"assistant index failed with status {status}")
    report = json.loads(out)
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    return {
        "seconds": seconds,
        "chunks": report["chunks_embedded"],
        "articles": report["added"] + report["updated"],
        "unchanged": report["unchanged"],
        "skipped": len(report["skipped"]),
        "model_s": report["encode_seconds"],
        "keyword_s": report.get("keyword_seconds", 0.0),
        "rss_mb": usage.ru_maxrss / 1024,
        "disk_mb": size / 1e6,
        "tokens": encoded_tokens(index_dir) if report["chunks_embedded"] else 0,
        # RSS at a quarter, half, three quarters of the run and at its end (the articles go in at a steady pace)
        "rss_quarters": [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3, 4)]
        if samples
        else [],
    }


def _sample_rss(pid: int, samples: list[float]) -> None:
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            rss = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration):  # exited (or a zombie, which has no VmRSS)
            return
        samples.append(int(rss.split()[1]) / 1024)
        time.sleep(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", default="2025", help="a year, or years in order (2025,2024) for more articles")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--before",
        help="only articles published before this day (YYYY-MM-DD): distractors for a "
        "test set about a later day, e.g. 2023-09-10 for the seed set's summit",
    )
    parser.add_argument("--variants", default="old,new", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor (at 10,000 articles, ~50 min)")
    parser.add_argument("--keep", type=Path, help="keep each variant's index in this folder, one folder each")
    args = parser.parse_args()
    if not SHARED.exists():
        sys.exit(f"{SHARED} is missing: this benchmark reads RealTimeQA's articles from there")
    from assistant.offline import stay_offline

    stay_offline()
    names = args.variants.split(",")
    if unknown := set(names) - set(VARIANTS):
        sys.exit(f"unknown variants {sorted(unknown)}: choose from {', '.join(VARIANTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / f"realtimeqa-{args.year.replace(',', '-')}.jsonl"
        n = write_corpus([int(y) for y in args.year.split(",")], args.articles, corpus, args.before)
        print(
            f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {n} articles of {args.year}"
            + (f" published before {args.before}" if args.before else "")
        )
        floor_s = float("nan")
        if not args.no_floor:
            floor_s, floor_tokens = floor(corpus)
            print(
                f"floor: bare float32 encode of 96-token windows: {floor_s:.1f} s, {floor_tokens} tokens, "
                f"{floor_tokens / floor_s:.0f} tokens/s"
            )
        old = old_code(Path(tmp) / "old-code") if "old" in names else None
        results = {}
        for i, name in enumerate(names):
            code = old if name == "old" else None
            results[name] = run_index(corpus, Path(tmp) / f"index{i}", VARIANTS[name], code)
            r = results[name]
            print(
                f"  {name}: {r['seconds']:.1f} s, {r['chunks']:.0f} chunks, model {r['model_s']:.1f} s, "
                f"keyword index {r['keyword_s']:.1f} s, peak RSS {r['rss_mb']:.0f} MB; RSS at 1/4, 1/2, 3/4 and "
                f"the end of the run: {', '.join(f'{x:.0f}' for x in r['rss_quarters'])} MB",
                flush=True,
            )
        last = Path(tmp) / f"index{len(names) - 1}"
        rerun = run_index(corpus, last, VARIANTS[names[-1]], old if names[-1] == "old" else None)
        if args.keep:
            for i, name in enumerate(names):
                shutil.rmtree(args.keep / name, ignore_errors=True)
                shutil.copytree(Path(tmp) / f"index{i}", args.keep / name)

    print(
        f"\n{'variant':<15}{'wall s':>8}{'art/s':>7}{'chunks':>8}{'chunks/s':>9}{'tokens':>9}{'tok/s':>7}"
        f"{'model':>7}{'RSS MB':>8}{'disk MB':>8}{'x floor':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<15}{r['seconds']:8.1f}{r['articles'] / r['seconds']:7.2f}{r['chunks']:8.0f}"
            f"{r['chunks'] / r['seconds']:9.1f}{r['tokens']:9.0f}{r['tokens'] / r['seconds']:7.0f}"
            f"{r['model_s'] / r['seconds']:7.0%}{r['rss_mb']:8.0f}{r['disk_mb']:8.0f}{floor_s / r['seconds']:8.2f}"
        )
    base = results.get("old")
    for name, r in results.items():
        if base and name != "old":
            print(f"{name} / old whole-process throughput: {base['seconds'] / r['seconds']:.2f}x (target >= 2.5x)")
        print(f"{name} / floor: {floor_s / r['seconds']:.2f}x (target >= 1.4x for the new path)")
    full = results[names[-1]]["seconds"]
    print(
        f"re-index of the unchanged corpus: {rerun['seconds']:.1f} s, {rerun['seconds'] / full:.1%} of the full run "
        f"(target < 2%; a whole process, imports included); {rerun['unchanged']:.0f} unchanged, "
        f"{rerun['chunks']:.0f} chunks embedded"
    )
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
