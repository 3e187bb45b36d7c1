"""Concurrent conversations against the HTTP API of one app process on 127.0.0.1.

Starts `python app.py` on the bundled articles (its index built in a temporary folder, or `--index`), then:

1. `--extractive-clients` conversations (20) for `--seconds` (60) with the extractive backend, each asking a
   question and then a follow-up that carries its own history, as the widget does;
2. `--local-clients` conversations (4) with the local model for `--local-seconds`, with the model's queue at
   `--queue` (ASSISTANT_LLM_QUEUE): what is past it must be told "busy, retry" (503 with Retry-After);
   a client told "busy" waits the Retry-After it is given (capped at the phase's end);
3. a streamed local answer left after its first token, and how long until the model is free again and the
   next question's first token arrives.

Counts every status, checks that no conversation's answer cites a sentence that is neither in its own history
nor among the passages retrieved for it (another conversation's), and prints throughput and latency.

    .venv/bin/python bench/load.py [--seconds 60] [--local-seconds 120] [--queue 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from app_startup import free_port  # noqa: E402

# pairs of (question, follow-up) about the bundled articles; each conversation takes one by its number
TOPICS = [
    ("Where did Putin and Kim meet?", "What did they talk about?"),
    ("Who is the Kremlin spokesperson?", "What else did he say?"),
    ("Which former Russian foreign minister called the approach humiliating?", "Why did he say that?"),
    ("When did Kim arrive in Russia?", "How did he travel?"),
    ("What weapons might North Korea supply to Russia?", "What would it get in return?"),
]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)  # of answered requests
    first_token: list[float] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retry_after: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 200:
                self.seconds.append(seconds)


def ask(client: httpx.Client, url: str, question: str, history: list[dict[str, Any]], llm: str, tally: Tally) -> Any:
    t0 = time.perf_counter()
    try:
        r = client.post(f"{url}/api/ask", json={"question": question, "history": history, "llm": llm})
    except httpx.HTTPError as exc:
        with tally.lock:
            tally.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    tally.add(r.status_code, time.perf_counter() - t0)
    if r.status_code == 503 and "Retry-After" in r.headers:
        with tally.lock:
            tally.retry_after.append(int(r.headers["Retry-After"]))
        return int(r.headers["Retry-After"])  # a well-behaved client waits that long
    return r.json() if r.status_code == 200 else None


def own(answer: dict[str, Any], history: list[dict[str, Any]]) -> list[str]:
    """Cited quotes that are neither this answer's passages' text nor in the conversation's history."""
    mine = {e["quote"] for turn in history for e in turn["evidence"]}
    passages = " ".join(p["text"] for p in answer["passages"])
    return [c["quote"] for c in answer["citations"] if c["quote"] not in mine and c["quote"] not in passages]


def conversation(url: str, number: int, llm: str, until: float, tally: Tally) -> None:
    question, follow_up = TOPICS[number % len(TOPICS)]
    with httpx.Client(timeout=600) as client:
        while time.monotonic() < until:
            first = ask(client, url, question, [], llm, tally)
            if not isinstance(first, dict):
                time.sleep(max(0, min(first or 1, until - time.monotonic())))
                continue
            if first["question"] != question:
                tally.leaks.append(f"asked {question!r}, answered {first['question']!r}")
            history = [
                {"question": question, "answer": first["answer"], "evidence": first["evidence"]},
            ]
            second = ask(client, url, follow_up, history, llm, tally)
            if not isinstance(second, dict):
                time.sleep(max(0, min(second or 1, until - time.monotonic())))
                continue
            tally.leaks += [f"{question!r} cites {q[:60]!r}" for q in own(second, history)]


def phase(url: str, clients: int, llm: str, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    until = time.monotonic() + seconds
    t0 = time.perf_counter()
    threads = [threading.Thread(target=conversation, args=(url, i, llm, until, tally)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - t0


def first_token(url: str, question: str, leave: bool) -> float:
    """Seconds to the first token of a streamed local answer; with `leave`, the connection is closed there."""
    t0 = time.perf_counter()
    body = {"question": question, "llm": "local"}
    with httpx.stream("POST", f"{url}/api/ask/stream", json=body, timeout=600) as r:
        for line in r.iter_lines():
            if line.startswith("event: token"):
                seconds = time.perf_counter() - t0
                if leave:
                    return seconds
            if line.startswith("event: answer"):
                return seconds
    raise RuntimeError("the stream ended without a token")


def report(name: str, clients: int, tally: Tally, wall: float) -> None:
    answered = tally.statuses[200]
    fivexx = sum(n for s, n in tally.statuses.items() if s >= 500 and s != 503)
    q = statistics.quantiles(tally.seconds, n=20) if len(tally.seconds) >= 2 else [float("nan")] * 19
    p50 = statistics.median(tally.seconds) if tally.seconds else float("nan")
    print(
        f"| {name} | {clients} | {wall:.0f} | {answered} | {answered / wall:.2f} | {p50:.2f} | {q[18]:.2f} | "
        f"{tally.statuses[503]} | {fivexx} | {len(tally.errors)} | {len(tally.leaks)} |"
    )
    for line in (tally.errors + tally.leaks)[:5]:
        print(f"    {line}")
    others = {s: n for s, n in tally.statuses.items() if s not in (200, 503)}
    if others:
        print(f"    other statuses: {others}")
    if tally.retry_after:
        print(f"    Retry-After given: {min(tally.retry_after)}-{max(tally.retry_after)} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extractive-clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--local-clients", type=int, default=4)
    parser.add_argument("--local-seconds", type=float, default=120)
    parser.add_argument("--queue", type=int, default=2, help="ASSISTANT_LLM_QUEUE for the run")
    parser.add_argument("--index", type=Path, help="an index of articles/ to reuse (default: built afresh)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index or Path(tmp) / "index"
        port = free_port()
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "ASSISTANT_INDEX_DIR": str(index_dir),
            "ASSISTANT_PORT": str(port),
            "ASSISTANT_QUESTIONS_PER_MINUTE": "0",  # one client address here: the per-client limit is not measured
            "ASSISTANT_LLM_QUEUE": str(args.queue),
            "ASSISTANT_LLM": "local",
            "ASSISTANT_PRELOAD_MODEL": "true",
        }
        log = Path(tmp) / "app.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 900
            while True:
                try:
                    health = httpx.get(f"{url}/api/health", timeout=2).json()
                    if health["ready"] and health["model"] not in ("not loaded", "loading"):
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the app did not come up: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            print(f"app ready: {json.dumps(health)}; load average {os.getloadavg()[0]:.2f}; cores {os.cpu_count()}")
            print()
            print(
                "| backend | clients | seconds | answered | answers/s | p50 s | p95 s | busy 503 | other 5xx | "
                "connection errors | leaks |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            tally, wall = phase(url, args.extractive_clients, "extractive", args.seconds)
            report("extractive", args.extractive_clients, tally, wall)
            if args.local_clients:
                tally, wall = phase(url, args.local_clients, "local", args.local_seconds)
                report(f"local (queue {args.queue})", args.local_clients, tally, wall)
                print()
                alone = first_token(url, "Where did Putin and Kim meet?", leave=False)
                left = first_token(url, "Describe everything the articles say about the summit.", leave=True)
                t0 = time.perf_counter()
                while httpx.get(f"{url}/api/health").json()["model_queue"]:
                    time.sleep(0.05)
                freed = time.perf_counter() - t0
                after = first_token(url, "Where did Putin and Kim meet?", leave=False)
                print(
                    f"left after the first token ({left:.1f} s): model free {freed:.2f} s later; the next question's "
                    f"first token in {after:.1f} s (the same question alone, before: {alone:.1f} s)"
                )
            problems = [line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
            print(f"app log: {len(problems)} tracebacks or errors")
            for line in problems[:5]:
                print(f"    {line}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
