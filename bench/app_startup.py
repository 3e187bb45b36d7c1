"""Cold start of the web app and the weight of its first page load.

Starts `python app.py` afresh several times on a free port (the first time with no index, so it also
builds one from articles/) and times process start -> first 200 from `/`, and -> /api/health ready.
Then loads `/` and `/embed/` in Debian's chromium (Playwright) and sums the bytes transferred
(compressed bodies plus headers), noting any request that leaves 127.0.0.1.

    .venv/bin/python bench/app_startup.py [--runs 3]

Targets: first served page < 10 s; first load < 1.5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    index_dir: Path, port: int, settings: dict[str, str] | None = None, model: bool = False
) -> tuple[subprocess.Popen[bytes], float, float]:
    """`python app.py` on `port`: the process, seconds to the first 200 from `/` and to ready (with `model`: to the
    local model loaded too). `settings`: environment that differs from the defaults (no preloaded model)."""
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(index_dir),
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_PRELOAD_MODEL": "false",
        "HF_HUB_OFFLINE": "1",
        **(settings or {}),
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    page = ready = 0.0
    while not ready:
        if proc.poll() is not None:
            raise SystemExit("the app exited")
        try:
            if not page:
                with urllib.request.urlopen(f"{url}/", timeout=2) as r:
                    if r.status == 200:
                        page = time.perf_counter() - t0
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as r:
                health = json.load(r)
            loaded = not model or health["model"] == "ready" or str(health["model"]).startswith("failed")
            if health["ready"] and loaded:
                ready = time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.05)
    return proc, page, ready


def weigh(url: str) -> tuple[int, int, list[str]]:
    from playwright.sync_api import sync_playwright

    total, count, outside = 0, 0, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        finished: list[object] = []
        page.on("requestfinished", lambda r: finished.append(r))
        page.on(
            "request", lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
        )
        page.goto(url, wait_until="load")
        page.locator("#question textarea").wait_for()
        page.wait_for_timeout(1500)  # late requests (fonts, the status poll)
        for request in finished:
            sizes = request.sizes()  # type: ignore[attr-defined]
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            count += 1
        browser.close()
    return total, count, outside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        pages, readies = [], []
        for run in range(args.runs):
            port = free_port()
            proc, page, ready = start(index_dir, port)
            label = "no index (builds it)" if run == 0 else "index present"
            print(f"run {run + 1} ({label}): first page {page:.2f} s, assistant ready {ready:.2f} s")
            if run:
                pages.append(page)
                readies.append(ready)
            if run == args.runs - 1:
                for path in ("/", "/embed/"):
                    size, count, outside = weigh(f"http://127.0.0.1:{port}{path}")
                    print(
                        f"first load of {path}: {size / 1e6:.2f} MB in {count} requests "
                        f"({size / 1.5e6:.0%} of the 1.5 MB budget); outside 127.0.0.1: {outside or 'none'}"
                    )
            proc.terminate()
            proc.wait(timeout=20)
    if pages:
        p50 = statistics.median(pages)
        print(
            f"first page p50 {p50:.2f} s over {len(pages)} runs with the index present "
            f"({p50 / 10:.0%} of the 10 s budget); assistant ready p50 {statistics.median(readies):.2f} s"
        )
    print(f"load average at start: {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
