"""The web app over a real archive: start, first answer, memory, and the seed set with the archive as distractors.

Reads an index built from RealTimeQA articles (`bench/archive_index.py --keep DIR`), copied into a temporary
folder first so that the kept one is left as it is. Then, in one run:
- `python app.py` on the copy, `--runs` times: process start -> first 200 from `/`, -> `/api/health` ready, and
  the first question's answer over `/api/ask` (extractive) right after ready; with `--local`, once more with the
  local model preloaded: its first answer, and the app's peak RSS (VmHWM) after it;
- the seed test set (tests/eval/seed.jsonl, written on the two bundled articles) by `assistant eval --llm
  extractive`, on an index of the two bundled articles alone and on the archive with them added: hit@5, MRR@10.

    .venv/bin/python bench/archive_app.py --index DIR [--runs 3] [--local]

Targets (issue 16, at 10,000 articles): first served page < 10 s; first answer (extractive) < 2 s; app peak RSS
with the local model loaded < 4 GB; the seed set's hit@5 with the archive within 0.05 of the two articles alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from app_startup import free_port, start  # this folder's app start-up benchmark

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
QUESTION = "Who won the Super Bowl?"


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return dict(json.load(r))


def ask(port: int, llm: str) -> tuple[float, dict[str, object]]:
    body = json.dumps({"question": QUESTION, "llm": llm}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/ask", data=body, headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as r:
        answer = json.load(r)
    return time.perf_counter() - started, answer


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(index_dir: Path, local: bool) -> tuple[subprocess.Popen[bytes], int, float, float]:
    port = free_port()
    llm = {"ASSISTANT_LLM": "local", "ASSISTANT_PRELOAD_MODEL": "true"} if local else {"ASSISTANT_LLM": "extractive"}
    proc, page, ready = start(index_dir, port, llm, model=local)
    return proc, port, page, ready


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def seed_eval(index_dir: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [PYTHON, "-m", "assistant", "index", str(ROOT / "articles")], env=env, cwd=ROOT, check=True, capture_output=True
    )
    run = subprocess.run(
        [PYTHON, "-m", "assistant", "eval", "tests/eval/seed.jsonl", "--llm", "extractive", "--json", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):
        sys.exit(f"assistant eval failed: {run.stderr[-2000:]}")
    scores = json.loads(out.read_text())["overall"]["metrics"]
    return {k: float(scores[k]) for k in ("hit@5", "mrr@10") if scores.get(k) is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index folder (embedded Chroma)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--local", action="store_true", help="also start with the local model preloaded")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        shutil.copytree(args.index, archive)
        pages, readies, firsts = [], [], []
        for run in range(args.runs):
            proc, port, page, ready = start_app(archive, local=False)
            seconds, answer = ask(port, "extractive")
            articles = _get(f"http://127.0.0.1:{port}/api/health")["articles"]
            stop(proc)
            pages.append(page)
            readies.append(ready)
            firsts.append(seconds)
            print(
                f"run {run + 1}: {articles} articles; first page {page:.2f} s, ready {ready:.2f} s, first extractive "
                f"answer {seconds:.2f} s after ready ({len(answer.get('citations') or [])} citations)"
            )
        print(
            f"p50: first page {statistics.median(pages):.2f} s (target < 10 s), ready {statistics.median(readies):.2f}"
            f" s, first extractive answer {statistics.median(firsts):.2f} s (target < 2 s)"
        )
        if args.local:
            proc, port, page, ready = start_app(archive, local=True)
            seconds, answer = ask(port, "local")
            rss = peak_rss_mb(proc.pid)
            stop(proc)
            print(
                f"local model preloaded: first page {page:.2f} s, model ready {ready:.2f} s, first local answer "
                f"{seconds:.2f} s; app peak RSS {rss:.0f} MB (target < 4,096 MB)"
            )
            print(f"  answer: {str(answer.get('answer'))[:300]!r}")
        alone = seed_eval(Path(tmp) / "bundled", Path(tmp) / "bundled.json")
        mixed = seed_eval(archive, Path(tmp) / "mixed.json")
        print(f"seed set, two bundled articles alone: {alone}")
        print(f"seed set, the archive as distractors: {mixed}")
        print(f"hit@5 change: {mixed['hit@5'] - alone['hit@5']:+.3f} (target within 0.05)")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
